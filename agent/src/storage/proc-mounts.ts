// Reads the kernel's mount table: the only observation of FUSE mounts that cannot hang on a dead
// storage node (a stat of the mount point can).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ObservedMount } from './storage-types.ts';

/** /proc/mounts escapes space, tab, newline and backslash as octal. */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Mounts whose mount point is a direct child of root, keyed by that child's name. */
export function parseMounts(table: string, root: string): ObservedMount[] {
  const mounts: ObservedMount[] = [];
  const base = path.resolve(root);
  for (const line of table.split('\n')) {
    const [, rawPoint, fsType] = line.split(' ');
    if (!rawPoint || !fsType) continue;
    const mountPoint = unescape(rawPoint);
    if (path.dirname(mountPoint) !== base) continue;
    mounts.push({ reservationId: path.basename(mountPoint), mountPoint, fsType });
  }
  return mounts;
}

export async function readMounts(root: string, file = '/proc/mounts'): Promise<ObservedMount[]> {
  return parseMounts(await readFile(file, 'utf8'), root);
}
