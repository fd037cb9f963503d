// Reads the kernel's mount table: the only observation of FUSE mounts that cannot hang on a dead
// storage node (a stat of the mount point can).
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ObservedMount } from './storage-types.ts';

/** /proc/mounts escapes space, tab, newline and backslash as octal. */
function unescapeOctal(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Mounts whose mount point is a direct child of root, keyed by that child's name. */
export function parseMounts(table: string, root: string): ObservedMount[] {
  const mounts: ObservedMount[] = [];
  const base = path.resolve(root);
  for (const line of table.split('\n')) {
    const [, rawPoint, fsType] = line.split(' ');
    if (!rawPoint || !fsType) continue;
    const mountPoint = unescapeOctal(rawPoint);
    if (path.dirname(mountPoint) !== base) continue;
    mounts.push({ reservationId: path.basename(mountPoint), mountPoint, fsType });
  }
  return mounts;
}

export async function readMounts(root: string, file = '/proc/mounts'): Promise<ObservedMount[]> {
  return parseMounts(await readFile(file, 'utf8'), root);
}

/**
 * Mount points some live sshfs process serves, from every process's argv. A FUSE mount outlives
 * its server: when sshfs dies the kernel keeps the entry and every access fails (ENOTCONN). Argv
 * is read instead of touching the mount, which could hang on an unreachable storage node.
 */
export function servedMountPoints(argvs: string[][]): Set<string> {
  const served = new Set<string>();
  for (const argv of argvs) {
    if (path.basename(argv[0] ?? '') !== 'sshfs') continue;
    for (const arg of argv.slice(1)) if (!arg.startsWith('-')) served.add(path.resolve(arg));
  }
  return served;
}

/** Every running process's argv (processes that vanish while being read are skipped). */
export async function readProcessArgs(proc = '/proc'): Promise<string[][]> {
  const pids = (await readdir(proc)).filter((name) => /^\d+$/.test(name));
  const argvs = await Promise.all(
    pids.map((pid) =>
      readFile(path.join(proc, pid, 'cmdline'), 'utf8').then(
        (t) => t.split('\0').filter(Boolean),
        () => [],
      ),
    ),
  );
  return argvs.filter((a) => a.length > 0);
}
