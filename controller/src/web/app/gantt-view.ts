// The admins' Timeline page: a Gantt chart of every node over days from a chosen one, drawn from
// gantt-layout.ts. Positions are set through the CSSOM (element.style), which the dashboard's
// Content-Security-Policy (style-src 'self') allows where style attributes would be refused.
import { api, watch } from './api.ts';
import { flash, h, mount, pill } from './dom.ts';
import { ganttLayout, type GanttRow, type NodeTimelineList } from './gantt-layout.ts';
import { browserTime, localInput } from './local-time.ts';

const RANGES: Array<[string, number]> = [
  ['1 day', 1],
  ['3 days', 3],
  ['7 days', 7],
  ['14 days', 14],
];
const LANE_PX = 26;

function place(el: HTMLElement, left: number, width: number): HTMLElement {
  el.style.left = `${left}%`;
  el.style.width = `${width}%`;
  return el;
}

function row(r: GanttRow, now: number | undefined): HTMLElement {
  const track = h('div', { class: 'gantt-track' });
  track.style.height = `${r.lanes * LANE_PX + 10}px`;
  for (const s of r.shades) track.append(place(h('div', { class: `gantt-free ${s.level}`, title: s.title }), s.left, s.width));
  // Before now only what still runs is drawn (ended reservations are gone): greyed, not free.
  if (now !== undefined) track.append(place(h('div', { class: 'gantt-past', title: 'past' }), 0, now));
  for (const b of r.bars) {
    const bar = place(
      h(
        'div',
        { class: `gantt-bar ${b.phase}`, title: b.title, 'data-reservation': b.name, 'data-owner': b.owner, role: 'img', 'aria-label': b.title },
        b.label,
      ),
      b.left,
      b.width,
    );
    bar.style.top = `${b.lane * LANE_PX + 2}px`;
    track.append(bar);
  }
  return h(
    'div',
    { class: 'gantt-row', 'data-node': r.node },
    h('div', { class: 'gantt-label' }, h('strong', {}, r.node), ' ', pill(r.status), h('br'), h('span', { class: 'hint' }, r.capacity)),
    track,
  );
}

export function timelineView(main: HTMLElement): () => void {
  const range = h('select', { id: 'gantt-range' }, ...RANGES.map(([label, days]) => h('option', { value: String(days), selected: days === 7 }, label)));
  const start = h('input', { id: 'gantt-from', type: 'date', value: localInput(Date.now()).slice(0, 10) });
  const chart = h('div', { class: 'gantt' }, h('p', {}, 'Loading…'));
  mount(
    main,
    h('h1', {}, 'Timeline'),
    h(
      'p',
      { class: 'legend' },
      h('label', { for: 'gantt-from', class: 'inline' }, 'From '),
      start,
      ' ',
      h('label', { for: 'gantt-range', class: 'inline' }, ' for '),
      range,
      ' ',
      h('span', { class: 'key gantt-bar' }, 'reservation'),
      h('span', { class: 'key gantt-free all' }, 'all free'),
      h('span', { class: 'key gantt-free some' }, 'some free'),
      h('span', { class: 'key gantt-free low' }, 'under a third free'),
      h('span', { class: 'key gantt-free none' }, 'full'),
    ),
    chart,
  );
  const load = async () => {
    // From the chosen day's local midnight (today by default), so day lines fall on the axis.
    const day = new Date(`${start.value || localInput(Date.now()).slice(0, 10)}T00:00`);
    const from = day.getTime();
    const until = new Date(day).setDate(day.getDate() + Number(range.value));
    try {
      const list = await api<NodeTimelineList>('GET', `/api/v1/availability/nodes?from=${new Date(from).toISOString()}&until=${new Date(until).toISOString()}`);
      const layout = ganttLayout(list, browserTime, Date.now());
      if (!layout.rows.length) return mount(chart, h('p', {}, 'No nodes have joined yet.'));
      const axis = h('div', { class: 'gantt-axis' });
      for (const t of layout.ticks) axis.append(place(h('span', { class: t.day ? 'tick day' : 'tick' }, t.label), t.left, 0));
      mount(
        chart,
        h('div', { class: 'gantt-row gantt-head' }, h('div', { class: 'gantt-label hint' }, 'Node'), axis),
        ...layout.rows.map((r) => row(r, layout.now)),
      );
    } catch (err) {
      flash((err as Error).message, true);
    }
  };
  range.addEventListener('change', () => void load());
  start.addEventListener('change', () => void load());
  void load();
  // Admissions, ends and moves arrive on the reservations watch: redraw shortly after a burst.
  let pending: ReturnType<typeof setTimeout> | undefined;
  const stop = watch<unknown>(
    '/api/v1/reservations',
    () => {},
    () => {
      clearTimeout(pending);
      pending = setTimeout(() => void load(), 500);
    },
  );
  const every = setInterval(() => void load(), 60_000);
  return () => {
    stop();
    clearTimeout(pending);
    clearInterval(every);
  };
}
