// A node's free capacity over a range as steps: each span in which what is committed stays the
// same, with what is left of the node then (negative where a shrunken node is overcommitted).
import type { Placement, Window } from './types.ts';

export interface FreeStep extends Window {
  milliCores: number;
  memoryMiB: number;
}

export function freeSteps(capacity: { milliCores: number; memoryMiB: number }, placements: readonly Placement[], range: Window): FreeStep[] {
  if (range.end <= range.start) return [];
  const change = new Map<number, { milliCores: number; memoryMiB: number }>();
  const add = (t: number, milliCores: number, memoryMiB: number) => {
    const c = change.get(t) ?? { milliCores: 0, memoryMiB: 0 };
    change.set(t, { milliCores: c.milliCores + milliCores, memoryMiB: c.memoryMiB + memoryMiB });
  };
  for (const p of placements) {
    if (p.end <= range.start || p.start >= range.end) continue;
    add(Math.max(p.start, range.start), p.milliCores, p.memoryMiB);
    add(Math.min(p.end, range.end), -p.milliCores, -p.memoryMiB);
  }
  const times = [...new Set([range.start, ...change.keys()])].sort((a, b) => a - b);
  const steps: FreeStep[] = [];
  let usedCores = 0;
  let usedMemory = 0;
  for (const [i, t] of times.entries()) {
    const c = change.get(t);
    usedCores += c?.milliCores ?? 0;
    usedMemory += c?.memoryMiB ?? 0;
    const end = times[i + 1] ?? range.end;
    if (end <= t) continue;
    const step = { start: t, end, milliCores: capacity.milliCores - usedCores, memoryMiB: capacity.memoryMiB - usedMemory };
    const last = steps[steps.length - 1];
    if (last && last.milliCores === step.milliCores && last.memoryMiB === step.memoryMiB) last.end = end;
    else steps.push(step);
  }
  return steps;
}
