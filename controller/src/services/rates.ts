// The price of an image's core-hour: Image spec.pricePerCoreHour (cents) or the default. Used
// only for reservations admitted before the price was stored on the reservation itself.
import type { PrismaClient as Db } from '../store/generated/postgresql/client.ts';
import { DEFAULT_RATE_CENTS_PER_CORE_HOUR } from '../billing/index.ts';
import type { ImageSpecInput } from '../manifests/index.ts';

export type RateTable = (imageName: string) => number;

/** All images' rates in one read; an image since deleted bills at the default rate. */
export async function loadRates(db: Db, names?: string[]): Promise<RateTable> {
  const images = await db.image.findMany({ where: names ? { name: { in: [...new Set(names)] } } : {}, select: { name: true, spec: true } });
  const rates = new Map(images.map((i) => [i.name, (i.spec as ImageSpecInput).pricePerCoreHour]));
  return (name) => rates.get(name) ?? DEFAULT_RATE_CENTS_PER_CORE_HOUR;
}
