// Kubernetes-style quantities, reduced to what Berth needs: memory in MiB and durations in ms.

const MEMORY_UNITS: Record<string, number> = {
  '': 1 / (1024 * 1024), // plain bytes
  Ki: 1 / 1024,
  Mi: 1,
  Gi: 1024,
  Ti: 1024 * 1024,
  K: 1000 / (1024 * 1024),
  M: 1e6 / (1024 * 1024),
  G: 1e9 / (1024 * 1024),
};

/** Parses `128Mi`, `1Gi`, `512M`, `1073741824` into whole MiB (rounded up); undefined if invalid. */
export function parseMemoryMiB(value: string | number): number | undefined {
  const text = String(value).trim();
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|K|M|G)?$/.exec(text);
  if (!match) return undefined;
  const mib = Number(match[1]) * MEMORY_UNITS[match[2] ?? ''];
  if (!Number.isFinite(mib) || mib <= 0) return undefined;
  return Math.ceil(mib);
}

export function formatMemoryMiB(mib: number): string {
  return mib % 1024 === 0 ? `${mib / 1024}Gi` : `${mib}Mi`;
}

const DURATION_UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `90m`, `2h`, `1h30m`, `45s`, `1d` into milliseconds; undefined if not a duration. */
export function parseDurationMs(value: string): number | undefined {
  const text = value.trim();
  if (!/^(\d+(?:\.\d+)?[smhd])+$/.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+(?:\.\d+)?)([smhd])/g)) {
    total += Number(amount) * DURATION_UNITS[unit];
  }
  return Math.round(total);
}

export function formatDurationMs(ms: number): string {
  const parts: string[] = [];
  let rest = Math.round(ms / 1000);
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['m', 60], ['s', 1]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join('') || '0s';
}
