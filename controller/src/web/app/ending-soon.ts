// The ending-soon banner: live reservations whose window closes within ENDING_SOON_MS, each with
// a "+30m" button (the same extend as the table's). Re-rendered only when the set of ending
// reservations changes, so a button never moves under the pointer while the clock ticks.
import { h, mount } from './dom.ts';

/** The webhooks' default "ending" notice: the banner shows the same window. */
export const ENDING_SOON_MS = 15 * 60_000;

/** What the banner reads of a reservation as the API renders it. */
export interface Ending {
  metadata: { name: string; uid: string };
  status: { phase: string; endTime: string };
}

export function endingSoon<T extends Ending>(list: T[], now: number): T[] {
  return list.filter((r) => r.status.phase === 'Running' && Date.parse(r.status.endTime) - now <= ENDING_SOON_MS && Date.parse(r.status.endTime) > now);
}

export function endingSoonBanner<T extends Ending>(extend: (r: T) => Promise<void>): { el: HTMLElement; update(list: T[], now: number): void } {
  const el = h('div', { id: 'ending-soon', role: 'status', 'aria-live': 'polite' });
  let shown = '';
  return {
    el,
    update(list, now) {
      const ending = endingSoon(list, now).sort((a, b) => Date.parse(a.status.endTime) - Date.parse(b.status.endTime));
      const key = ending.map((r) => `${r.metadata.uid}@${r.status.endTime}`).join(',');
      if (key !== shown) {
        shown = key;
        mount(
          el,
          ...ending.map((r) =>
            h(
              'div',
              { class: 'ending-soon', 'data-reservation': r.metadata.name },
              h('span', {}, `Reservation ${r.metadata.name} ends in `, h('strong', { 'data-ends': r.status.endTime }, ''), '.'),
              h('button', { 'aria-label': `extend ${r.metadata.name} by 30 minutes now`, onclick: () => extend(r) }, '+30m'),
            ),
          ),
        );
      }
      for (const e of el.querySelectorAll<HTMLElement>('[data-ends]')) e.textContent = minutesLeft(Date.parse(e.dataset.ends!) - now);
    },
  };
}

function minutesLeft(ms: number): string {
  const m = Math.floor(ms / 60_000);
  const s = Math.max(0, Math.floor((ms % 60_000) / 1000));
  return m > 0 ? `${m} min ${s} s` : `${s} s`;
}
