// The admins' Gantt view, laid out: GET /availability/nodes as one row per node, its
// reservations as bars (stacked in lanes where they overlap) and its free capacity as shaded
// spans, all placed in percent of the range's width. Pure: gantt-view.ts only draws this.
import type { LocalTime } from './local-time.ts';

/** GET /api/v1/availability/nodes, as far as the view reads it. */
export interface NodeTimelineList {
  range: { from: string; until: string };
  items: NodeTimeline[];
}

export interface NodeTimeline {
  name: string;
  cores: number;
  memory: string;
  ready: boolean;
  cordoned: boolean;
  reservations: Array<{ name: string; owner: string; image: string; phase: string; start: string; end: string; cores: number; memory: string }>;
  free: Array<{ start: string; end: string; cores: number; memory: string }>;
}

export interface GanttBar {
  name: string;
  owner: string;
  phase: string;
  left: number;
  width: number;
  lane: number;
  label: string;
  title: string;
}

export type FreeLevel = 'none' | 'low' | 'some' | 'all';

export interface GanttShade {
  left: number;
  width: number;
  level: FreeLevel;
  title: string;
}

export interface GanttRow {
  node: string;
  status: 'Ready' | 'NotReady' | 'Cordoned';
  capacity: string;
  lanes: number;
  bars: GanttBar[];
  shades: GanttShade[];
}

export interface GanttTick {
  left: number;
  label: string;
  /** A day boundary (drawn stronger) rather than an hour mark. */
  day: boolean;
}

export interface GanttLayout {
  rows: GanttRow[];
  ticks: GanttTick[];
  /** Where now is, when it is inside the range. */
  now?: number;
}

/** Bars narrower than this (percent) are widened so a short reservation stays visible. */
const MIN_BAR = 0.4;
const HOUR = 3_600_000;
const mib = (memory: string) => Number.parseInt(memory, 10);
const cores = (n: number) => `${n} ${n === 1 ? 'core' : 'cores'}`;

export function ganttLayout(list: NodeTimelineList, local: LocalTime, now: number): GanttLayout {
  const from = Date.parse(list.range.from);
  const until = Date.parse(list.range.until);
  const x = (t: number) => (100 * (Math.min(until, Math.max(from, t)) - from)) / (until - from);
  const span = (start: string, end: string) => {
    const left = x(Date.parse(start));
    return { left, width: x(Date.parse(end)) - left };
  };
  const when = (start: string, end: string) =>
    `${local.day(Date.parse(start)).label} ${local.time(Date.parse(start))} – ${local.day(Date.parse(end)).label} ${local.time(Date.parse(end))}`;
  const rows = list.items.map((n): GanttRow => {
    const lanes = assignLanes(n.reservations.map((r) => ({ start: Date.parse(r.start), end: Date.parse(r.end) })));
    const bars = n.reservations.map((r, i): GanttBar => {
      const { left, width } = span(r.start, r.end);
      return {
        name: r.name,
        owner: r.owner,
        phase: r.phase,
        left: Math.min(left, 100 - MIN_BAR),
        width: Math.max(width, MIN_BAR),
        lane: lanes[i],
        label: `${r.name} (${r.owner})`,
        title: `${r.name} of ${r.owner}: ${r.image}, ${cores(r.cores)}, ${r.memory}\n${when(r.start, r.end)} (${r.phase})`,
      };
    });
    const shades = n.free.map((f): GanttShade => {
      const share = Math.min(f.cores / n.cores, mib(f.memory) / mib(n.memory));
      return {
        ...span(f.start, f.end),
        level: freeLevel(share),
        title: `free ${f.cores} of ${cores(n.cores)}, ${mib(f.memory)}Mi of ${mib(n.memory)}Mi\n${when(f.start, f.end)}`,
      };
    });
    return {
      node: n.name,
      status: n.cordoned ? 'Cordoned' : n.ready ? 'Ready' : 'NotReady',
      capacity: `${cores(n.cores)}, ${n.memory}`,
      lanes: Math.max(1, ...lanes.map((l) => l + 1)),
      bars,
      shades,
    };
  });
  return { rows, ticks: ticks(from, until, local, x), ...(now >= from && now <= until ? { now: x(now) } : {}) };
}

export function freeLevel(share: number): FreeLevel {
  if (share <= 0) return 'none';
  if (share >= 1) return 'all';
  return share < 1 / 3 ? 'low' : 'some';
}

/** The lowest lane free at each window's start, in start order: overlapping windows never share one. */
export function assignLanes(windows: ReadonlyArray<{ start: number; end: number }>): number[] {
  const order = windows.map((_, i) => i).sort((a, b) => windows[a].start - windows[b].start || a - b);
  const laneEnds: number[] = [];
  const lanes = new Array<number>(windows.length);
  for (const i of order) {
    let lane = laneEnds.findIndex((end) => end <= windows[i].start);
    if (lane < 0) lane = laneEnds.length;
    laneEnds[lane] = windows[i].end;
    lanes[i] = lane;
  }
  return lanes;
}

/** Day boundaries always; hour marks too (every 3 or 6 h) when the range is short enough to read them. */
function ticks(from: number, until: number, local: LocalTime, x: (t: number) => number): GanttTick[] {
  const out: GanttTick[] = [];
  const hours = (until - from) / HOUR;
  const every = hours <= 36 ? 3 : hours <= 96 ? 6 : 0;
  for (let t = local.startOfHour(from); t <= until; t += HOUR) {
    if (t < from) continue;
    const hour = local.hour(t);
    if (hour === 0) out.push({ left: x(t), label: local.day(t).label, day: true });
    else if (every && hour % every === 0) out.push({ left: x(t), label: local.time(t), day: false });
  }
  return out;
}
