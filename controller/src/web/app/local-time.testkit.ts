// UTC as the calendars' local time: the layout tests run in it, whatever zone the machine is in.
import type { LocalTime } from './local-time.ts';

export const utcTime: LocalTime = {
  day(t) {
    const d = new Date(t);
    const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
    const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
    return { key: d.toISOString().slice(0, 10), label: `${days[d.getUTCDay()]} ${d.getUTCDate()} ${months[d.getUTCMonth()]}` };
  },
  hour: (t) => new Date(t).getUTCHours(),
  time: (t) => new Date(t).toISOString().slice(11, 16),
  startOfHour: (t) => Math.floor(t / 3_600_000) * 3_600_000,
  nextDay: (t) => Math.floor(t / 86_400_000) * 86_400_000 + 86_400_000,
};
