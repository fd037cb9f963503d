// Text primitives for kubectl-like output. Pure.

/** Left-aligned columns separated by three spaces; the last column is never padded. */
export function renderTable(headers: string[], rows: string[][], indent = ''): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    indent +
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('   ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

/** kubectl's HumanDuration: precise when small, coarser as it grows ("45s", "5m3s", "3h", "12d"). */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (d < 365 * 2) return `${d}d`;
  return `${Math.floor(d / 365)}y`;
}

/** Age of a timestamp relative to `now`; `<unknown>` when absent or unparsable. */
export function age(timestamp: unknown, now: Date): string {
  const t = typeof timestamp === 'string' ? Date.parse(timestamp) : NaN;
  return Number.isNaN(t) ? '<unknown>' : humanDuration(now.getTime() - t);
}

/** RFC 3339 to the second, in UTC: unambiguous and sortable in a terminal. */
export function shortTime(timestamp: unknown): string {
  if (typeof timestamp !== 'string') return '<none>';
  const t = Date.parse(timestamp);
  return Number.isNaN(t) ? timestamp : new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function cell(value: unknown): string {
  if (value === undefined || value === null || value === '') return '<none>';
  return String(value);
}
