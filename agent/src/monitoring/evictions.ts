// Containers the agent stopped for their disk use, by container id, kept in the state dir so a
// restarted agent does not start them again. A recreated container has a new id: it starts clean.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

export class EvictionStore {
  private readonly entries = new Map<string, string>();

  /** Without a file the record lives as long as the process (tests). */
  constructor(private readonly file?: string) {}

  async load(): Promise<void> {
    if (!this.file) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(this.file, 'utf8'));
    } catch {
      return; // none yet, or unreadable: nothing was evicted as far as we can tell
    }
    for (const [id, message] of Object.entries(parsed as Record<string, unknown>)) {
      if (typeof message === 'string') this.entries.set(id, message);
    }
  }

  message(containerId: string): string | undefined {
    return this.entries.get(containerId);
  }

  async record(containerId: string, message: string): Promise<void> {
    this.entries.set(containerId, message);
    await this.save();
  }

  /** Forgets the containers that no longer exist. */
  async retain(existing: ReadonlySet<string>): Promise<void> {
    const gone = [...this.entries.keys()].filter((id) => !existing.has(id));
    for (const id of gone) this.entries.delete(id);
    if (gone.length) await this.save();
  }

  private async save(): Promise<void> {
    if (!this.file) return;
    await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(Object.fromEntries(this.entries)));
    await rename(tmp, this.file);
  }
}
