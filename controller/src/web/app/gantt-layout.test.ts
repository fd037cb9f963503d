import { describe, expect, it } from 'vitest';
import { assignLanes, freeLevel, ganttLayout, type NodeTimelineList } from './gantt-layout.ts';
import { utcTime } from './local-time.testkit.ts';

const H = 3_600_000;
const FROM = Date.parse('2030-01-01T12:00:00Z');
const iso = (t: number) => new Date(t).toISOString();
const res = (name: string, startH: number, endH: number, cores = 1) => ({
  name,
  owner: 'ann',
  image: 'web',
  phase: 'Scheduled',
  start: iso(FROM + startH * H),
  end: iso(FROM + endH * H),
  cores,
  memory: '1024Mi',
});

function list(hours: number, items: NodeTimelineList['items']): NodeTimelineList {
  return { range: { from: iso(FROM), until: iso(FROM + hours * H) }, items };
}

describe('ganttLayout', () => {
  it('places bars and free spans in percent of the range, clipping what lies outside it', () => {
    const layout = ganttLayout(
      list(24, [
        {
          name: 'cn1',
          cores: 4,
          memory: '8192Mi',
          ready: true,
          cordoned: false,
          reservations: [res('a', 6, 12, 2), res('before', -5, 3)],
          free: [
            { start: iso(FROM), end: iso(FROM + 3 * H), cores: 3, memory: '7168Mi' },
            { start: iso(FROM + 3 * H), end: iso(FROM + 6 * H), cores: 4, memory: '8192Mi' },
            { start: iso(FROM + 6 * H), end: iso(FROM + 12 * H), cores: 2, memory: '7168Mi' },
            { start: iso(FROM + 12 * H), end: iso(FROM + 24 * H), cores: 4, memory: '8192Mi' },
          ],
        },
      ]),
      utcTime,
      FROM + 6 * H,
    );
    const [row] = layout.rows;
    expect(row).toMatchObject({ node: 'cn1', status: 'Ready', capacity: '4 cores, 8192Mi', lanes: 1 });
    expect(row.bars.map((b) => [b.name, b.left, b.width, b.lane])).toEqual([
      ['a', 25, 25, 0],
      ['before', 0, 12.5, 0],
    ]);
    expect(row.bars[0]).toMatchObject({
      label: 'a (ann)',
      title: 'a of ann: web, 2 cores, 1024Mi\nTue 1 Jan 18:00 – Wed 2 Jan 00:00 (Scheduled)',
    });
    expect(row.shades.map((s) => [s.left, s.width, s.level])).toEqual([
      [0, 12.5, 'some'],
      [12.5, 12.5, 'all'],
      [25, 25, 'some'],
      [50, 50, 'all'],
    ]);
    expect(row.shades[0].title).toBe('free 3 of 4 cores, 7168Mi of 8192Mi\nTue 1 Jan 12:00 – Tue 1 Jan 15:00');
    expect(layout.now).toBe(25);
  });

  it('stacks overlapping reservations in lanes and keeps a very short one visible', () => {
    const [row] = ganttLayout(
      list(100, [
        {
          name: 'cn1',
          cores: 4,
          memory: '8192Mi',
          ready: true,
          cordoned: false,
          reservations: [res('a', 0, 10), res('b', 5, 20), res('c', 10, 12), res('tiny', 50, 50.01)],
          free: [],
        },
      ]),
      utcTime,
      0,
    ).rows;
    expect(row.bars.map((b) => [b.name, b.lane])).toEqual([
      ['a', 0],
      ['b', 1],
      ['c', 0],
      ['tiny', 0],
    ]);
    expect(row.lanes).toBe(2);
    expect(row.bars[3].width).toBeGreaterThan(0.3);
  });

  it('names a cordoned or NotReady node as such, shows a full node as none free, and leaves now out when outside the range', () => {
    const node = (name: string, ready: boolean, cordoned: boolean) => ({
      name,
      cores: 2,
      memory: '2048Mi',
      ready,
      cordoned,
      reservations: [],
      free: [{ start: iso(FROM), end: iso(FROM + 24 * H), cores: 0, memory: '1024Mi' }],
    });
    const layout = ganttLayout(list(24, [node('a', false, false), node('b', true, true), node('c', false, true)]), utcTime, FROM - H);
    expect(layout.rows.map((r) => [r.status, r.lanes, r.shades[0].level])).toEqual([
      ['NotReady', 1, 'none'],
      ['Cordoned', 1, 'none'],
      ['Cordoned', 1, 'none'],
    ]);
    expect(layout.now).toBeUndefined();
  });

  it('marks days always and hours only on short ranges', () => {
    const day = ganttLayout(list(24, []), utcTime, 0).ticks;
    expect(day.map((t) => [t.label, t.day])).toEqual([
      ['12:00', false],
      ['15:00', false],
      ['18:00', false],
      ['21:00', false],
      ['Wed 2 Jan', true],
      ['03:00', false],
      ['06:00', false],
      ['09:00', false],
      ['12:00', false],
    ]);
    const week = ganttLayout(list(7 * 24, []), utcTime, 0).ticks;
    expect(week.every((t) => t.day)).toBe(true);
    expect(week).toHaveLength(7);
    expect(week[0]).toEqual({ left: (100 * 12) / (7 * 24), label: 'Wed 2 Jan', day: true });
  });
});

describe('assignLanes and freeLevel', () => {
  it('never puts overlapping windows in one lane; back to back windows share one', () => {
    const windows = [
      { start: 0, end: 10 },
      { start: 10, end: 20 },
      { start: 5, end: 15 },
      { start: 6, end: 7 },
    ];
    expect(assignLanes(windows)).toEqual([0, 0, 1, 2]);
  });

  it('grades the free share of the tighter resource', () => {
    expect([-0.5, 0, 0.2, 0.5, 1].map(freeLevel)).toEqual(['none', 'none', 'low', 'some', 'all']);
  });
});
