// The browser's local time for the calendars: which day and hour an instant falls in and how to
// write them. Behind an interface so the pure layouts are tested in a fixed zone.
export interface LocalTime {
  /** The local day an instant falls in: a sortable key and a short label ("Tue 3 Dec"). */
  day(t: number): { key: string; label: string };
  /** The local hour of day, 0-23. */
  hour(t: number): number;
  /** "14:00". */
  time(t: number): string;
  /** The start of the local hour the instant falls in. */
  startOfHour(t: number): number;
  /** The start of the next local day after the instant. */
  nextDay(t: number): number;
}

const pad = (n: number) => String(n).padStart(2, '0');

export const browserTime: LocalTime = {
  day(t) {
    const d = new Date(t);
    return {
      key: `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`,
      label: d.toLocaleDateString(undefined, { weekday: 'short', day: 'numeric', month: 'short' }),
    };
  },
  hour: (t) => new Date(t).getHours(),
  time: (t) => {
    const d = new Date(t);
    return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  },
  startOfHour: (t) => new Date(t).setMinutes(0, 0, 0),
  nextDay: (t) => {
    const d = new Date(t);
    d.setHours(24, 0, 0, 0);
    return d.getTime();
  },
};

/** An instant as a datetime-local field's value: the browser's local time, to the minute. */
export function localInput(t: number | string): string {
  const d = new Date(t);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
