// A NoResources refusal's counter-offers as ready-to-run commands (or flags, when the command
// cannot be rebuilt for one reservation alone). Pure.

export interface CounterOffers {
  earliestStart?: { start: string; end: string };
  longestDuration?: { duration: string; end: string };
  largestSize?: { cores: number; memory: string };
}

/** The flags each counter-offer changes, in a fixed order. */
export function counterOfferFlags(details: unknown): Array<[label: string, flags: Record<string, string>]> {
  const offers = (details && typeof details === 'object' ? (details as { counterOffers?: CounterOffers }).counterOffers : undefined) ?? {};
  const out: Array<[string, Record<string, string>]> = [];
  if (offers.earliestStart) out.push([`start later (ends ${offers.earliestStart.end})`, { start: offers.earliestStart.start }]);
  if (offers.longestDuration) out.push([`shorter (ends ${offers.longestDuration.end})`, { duration: offers.longestDuration.duration }]);
  if (offers.largestSize) out.push(['smaller', { cores: String(offers.largestSize.cores), memory: offers.largestSize.memory }]);
  return out;
}

/**
 * Lines that follow the error: one per counter-offer. `command` is the words that re-run the
 * refused apply (flags it already had are replaced by the offer's); without it, only the flags.
 */
export function counterOfferLines(details: unknown, command?: { words: string[]; flags: Record<string, string> }): string[] {
  const offers = counterOfferFlags(details);
  if (offers.length === 0) return [];
  const lines = ['it fits with one change (nothing is held for you; run one to apply):'];
  const width = Math.max(...offers.map(([label]) => label.length + 1));
  for (const [label, flags] of offers) {
    const merged = { ...(command?.flags ?? {}), ...flags };
    const rendered = Object.entries(command ? merged : flags).map(([k, v]) => `--${k} ${quote(v)}`);
    lines.push(`  ${`${label}:`.padEnd(width)}  ${[...(command?.words ?? []), ...rendered].join(' ')}`);
  }
  return lines;
}

/** Shell-safe as typed: plain words stay bare, anything else is single-quoted. */
export function quote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
