// How the dashboard writes a container's usage. Pure. An idle service uses a few hundred KiB and
// a fraction of a percent of a core: rounded to whole MiB and one decimal it read "0 MiB" and
// "0.0%", as if nothing ran.

/** 364 KiB, 5.2 MiB, 300 MiB, 1.5 GiB: three significant figures at most, never 0 for a non-zero amount. */
export function formatBytes(bytes: number): string {
  if (bytes <= 0) return '0 B';
  if (bytes < 1024) return `${bytes} B`;
  const [value, unit] = bytes < 1048576 ? [bytes / 1024, 'KiB'] : bytes < 1073741824 ? [bytes / 1048576, 'MiB'] : [bytes / 1073741824, 'GiB'];
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${unit}`;
}

/** Percent of one core: "<0.1%" for a little use, "0%" only for none. */
export function formatCpuPercent(percent: number): string {
  if (percent <= 0) return '0%';
  if (percent < 0.1) return '<0.1%';
  return `${percent < 10 ? percent.toFixed(1) : Math.round(percent)}%`;
}
