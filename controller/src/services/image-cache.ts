// Images by name for admission, remembered for a second: every apply reads its image, and at
// scale that was one of the three queries an apply costs. This controller forgets an image when
// it applies or deletes one; another controller sharing the store sees the change within the TTL
// (a new reservation may then be admitted against the spec of a second ago, as with an
// informer's cache).
import type { PrismaClient as Db } from '../store/generated/postgresql/client.ts';

export const IMAGE_CACHE_TTL_MS = 1_000;
const MAX_ENTRIES = 1_000;

type ImageRow = NonNullable<Awaited<ReturnType<Db['image']['findUnique']>>>;

export class ImageCache {
  private readonly entries = new Map<string, { row: ImageRow | null; until: number }>();

  constructor(
    private readonly db: Db,
    private readonly now: () => number,
    private readonly ttlMs = IMAGE_CACHE_TTL_MS,
  ) {}

  async get(name: string): Promise<ImageRow | null> {
    const hit = this.entries.get(name);
    if (hit && hit.until > this.now()) return hit.row;
    const row = await this.db.image.findUnique({ where: { name } });
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear(); // unknown names must not grow it without bound
    // A miss is not remembered: an image applied on another controller is usable at once.
    if (row) this.entries.set(name, { row, until: this.now() + this.ttlMs });
    return row;
  }

  forget(name: string): void {
    this.entries.delete(name);
  }
}
