// Ends an exec's process and everything it started. The engine has no API to kill an exec, so the
// agent (root, in the engine's PID namespace) kills the process tree by host PID, and only
// processes inside the container's cgroup, so a PID reused by a host process is never touched.
import { readdir, readFile } from 'node:fs/promises';

/** Pure: pid and all its descendants, from a pid -> parent pid map. */
export function descendants(pid: number, parentOf: ReadonlyMap<number, number>): number[] {
  const children = new Map<number, number[]>();
  for (const [p, pp] of parentOf) children.set(pp, [...(children.get(pp) ?? []), p]);
  const out: number[] = [];
  const todo = [pid];
  const seen = new Set<number>();
  while (todo.length) {
    const p = todo.pop()!;
    if (seen.has(p)) continue;
    seen.add(p);
    out.push(p);
    todo.push(...(children.get(p) ?? []));
  }
  return out;
}

/** Pure: the parent pid from /proc/PID/stat (the command may contain spaces and parentheses). */
export function parentFromStat(stat: string): number | undefined {
  const close = stat.lastIndexOf(')');
  const ppid = Number(stat.slice(close + 2).split(' ')[1]);
  return close > 0 && Number.isInteger(ppid) ? ppid : undefined;
}

async function readParents(): Promise<Map<number, number>> {
  const map = new Map<number, number>();
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => undefined);
    const ppid = stat ? parentFromStat(stat) : undefined;
    if (ppid !== undefined) map.set(Number(name), ppid);
  }
  return map;
}

/** SIGKILLs pid and its descendants that are in the container's cgroup; returns how many. */
export async function killExecTree(pid: number, containerId: string): Promise<number> {
  if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid || !/^[0-9a-f]{12,64}$/.test(containerId)) return 0;
  let killed = 0;
  for (const p of descendants(pid, await readParents())) {
    const cgroup = await readFile(`/proc/${p}/cgroup`, 'utf8').catch(() => '');
    if (!cgroup.includes(containerId)) continue;
    try {
      process.kill(p, 'SIGKILL');
      killed++;
    } catch {
      // already gone
    }
  }
  return killed;
}
