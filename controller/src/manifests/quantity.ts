// Kubernetes-style quantities, reduced to what Berth needs: CPU in millicores, memory in MiB and
// durations in ms.

/** The most cores one container may ask for. */
export const MAX_CORES = 256;

/**
 * Parses a CPU quantity as Kubernetes' `resources.requests.cpu` spells it: `2`, `0.5`, `"1.5"`,
 * `"250m"`. The result is whole millicores or an error saying why. Nothing is rounded: a value
 * finer than a millicore (`0.0001`, `1.2345`, `1.5m`) is refused, because the limit, the quota,
 * the placement and the bill must all see exactly what was asked for.
 */
export function parseMilliCores(value: unknown): { milliCores: number } | { error: string } {
  const text = typeof value === 'number' ? numberText(value) : typeof value === 'string' ? value.trim() : undefined;
  const expected = `must be a number of cores such as 2 or 0.5, or millicores such as "250m", got ${JSON.stringify(value)}`;
  if (text === undefined) return { error: expected };
  const match = /^(-?)(?:(\d+)(?:\.(\d*))?|\.(\d+))(m?)$/.exec(text);
  if (!match) return { error: expected };
  const [, minus, whole = '0', fractionA, fractionB, m] = match;
  const fraction = (fractionA ?? fractionB ?? '').replace(/0+$/, ''); // 0.500 is 0.5: trailing zeros are exact
  const places = m ? 0 : 3; // digits a whole millicore allows after the point
  if (fraction.length > places) {
    return { error: `must be a whole number of millicores (0.001 cores, "1m"): ${text} is finer than that` };
  }
  const milliCores = m ? Number(whole) : Number(whole) * 1000 + Number(fraction.padEnd(3, '0'));
  if (minus || milliCores === 0) return { error: `must be greater than 0, got ${text}` };
  if (milliCores > MAX_CORES * 1000) return { error: `must be at most ${MAX_CORES} cores, got ${text}` };
  return { milliCores };
}

// A JS number's shortest decimal form (0.5 -> "0.5"); an exponent form (1e-7, 1e+21) is either
// finer than a millicore or far too large, and the parser refuses it for not being a decimal.
function numberText(n: number): string | undefined {
  return Number.isFinite(n) ? String(n) : undefined;
}

/** Millicores as a number of cores for people and JSON: 500 -> 0.5, 2000 -> 2, 1 -> 0.001. */
export function coresOf(milliCores: number): number {
  // Exact: the shortest decimal of m/1000 has at most three fraction digits.
  return milliCores / 1000;
}

/** `0.5 cores`, `1 core`. */
export function formatCores(milliCores: number): string {
  return `${coresOf(milliCores)} ${milliCores === 1000 ? 'core' : 'cores'}`;
}

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
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join('') || '0s';
}
