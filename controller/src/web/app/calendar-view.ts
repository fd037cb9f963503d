// The 7-day strip under the reserve form: draws calendar-strip.ts's layout as buttons, keeps the
// selection (slot-pick.ts) and hands each pick to the form. Full hours are not selectable; they
// say why in their title, and in the status line when clicked (touch screens show no titles).
import { api } from './api.ts';
import { type HourAvailability, stripDays } from './calendar-strip.ts';
import { h, mount } from './dom.ts';
import { browserTime } from './local-time.ts';
import { nextSelection, pickToForm, type Selection } from './slot-pick.ts';

export interface StripQuery {
  image: string;
  profile: string;
  cores?: string;
  memory?: string;
}

export type Pick = ReturnType<typeof pickToForm>;

export function availabilityStrip(onPick: (pick: Pick) => void): { el: HTMLElement; load(q: StripQuery): Promise<void> } {
  const grid = h('div', { class: 'strip-grid', role: 'group', 'aria-label': 'Free hours over the next 7 days' });
  const status = h('p', { class: 'hint strip-status', 'aria-live': 'polite' }, 'Loading…');
  const el = h(
    'fieldset',
    { class: 'strip', id: 'strip' },
    h('legend', {}, 'When is it free? Next 7 days, by hour'),
    h(
      'p',
      { class: 'legend hint' },
      'Each hour shows how many more of this image and size fit. Click a free hour, then a later one to take the hours between; ',
      'the start and duration above are filled in.',
    ),
    grid,
    status,
  );
  let hours: HourAvailability[] = [];
  let selection: Selection | undefined;
  let loaded = '';

  const render = () => {
    const days = stripDays(hours, browserTime);
    const head = h(
      'div',
      { class: 'strip-day strip-hours', 'aria-hidden': 'true' },
      h('span', { class: 'strip-label' }),
      ...Array.from({ length: 24 }, (_, hour) => h('span', {}, hour % 3 === 0 ? String(hour).padStart(2, '0') : '')),
    );
    const rows = days.map((d) => h('div', { class: 'strip-day', 'data-day': d.key }, h('span', { class: 'strip-label' }, d.label), ...cellsOf(d)));
    mount(grid, ...(rows.length ? [head, ...rows] : []));
  };
  const cellsOf = (d: ReturnType<typeof stripDays>[number]) => [
    ...Array.from({ length: d.lead }, () => h('span', { class: 'slot pad', 'aria-hidden': 'true' })),
    ...d.cells.map((c) => {
      const chosen = !!selection && c.index >= selection.first && c.index <= selection.last;
      return h(
        'button',
        {
          type: 'button',
          class: `slot ${c.level}${c.hour % 6 === 0 ? ' six' : ''}`,
          title: c.title,
          'aria-label': c.title,
          'aria-disabled': c.free ? undefined : 'true',
          'aria-pressed': chosen ? 'true' : 'false',
          'data-start': c.start,
          'data-index': c.index,
          onclick: () => click(c.index, c.free, c.title),
        },
        c.text,
      );
    }),
  ];
  const click = (index: number, free: boolean, title: string) => {
    if (!free) {
      status.textContent = title;
      return;
    }
    selection = nextSelection(hours, selection, index);
    render();
    if (!selection) return;
    const pick = pickToForm(hours, selection, Date.now());
    const first = hours[selection.first];
    status.textContent = `Selected ${pick.start ? new Date(first.start).toLocaleString() : 'now'} for ${pick.duration}: filled into the form.`;
    onPick(pick);
  };

  return {
    el,
    async load(q) {
      const params = new URLSearchParams({ image: q.image, profile: q.profile });
      if (q.cores) params.set('cores', q.cores);
      if (q.memory) params.set('memory', q.memory);
      // From the start of this local hour, so the columns are the browser's hours.
      params.set('from', new Date(browserTime.startOfHour(Date.now())).toISOString());
      const key = params.toString();
      loaded = key;
      status.textContent = 'Loading…';
      try {
        const res = await api<{ hours: HourAvailability[] }>('GET', `/api/v1/availability/hours?${key}`);
        if (loaded !== key) return; // a newer request went out meanwhile
        hours = res.hours;
        selection = undefined;
        render();
        const free = hours.filter((c) => c.fits > 0).length;
        status.textContent = `${free} of ${hours.length} hours have room.`;
      } catch (err) {
        if (loaded !== key) return;
        hours = [];
        render();
        status.textContent = `No calendar for this choice: ${(err as Error).message}`;
      }
    },
  };
}
