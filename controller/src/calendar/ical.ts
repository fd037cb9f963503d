// Pure RFC 5545 rendering of a user's reservations as a calendar: CRLF line endings, lines folded
// at 75 octets (never inside a UTF-8 sequence), TEXT values escaped, times in UTC, and a UID per
// reservation that never changes, so calendar clients update an event instead of adding another.

export interface CalendarEntry {
  /** The reservation's id: stable across renames, extensions and moves. */
  id: string;
  name: string;
  image: string;
  phase: string;
  start: Date;
  end: Date;
  /** "host:port" per image port while it is running. */
  endpoints: string[];
  /** When the reservation last changed (DTSTAMP, LAST-MODIFIED). */
  updatedAt: Date;
}

export interface CalendarOptions {
  /** Whose calendar (X-WR-CALNAME). */
  title: string;
  /** The domain part of UIDs, e.g. the controller's public address. */
  uidDomain: string;
}

const CANCELLED = new Set(['Deleted', 'Failed']);

export function renderCalendar(entries: readonly CalendarEntry[], opts: CalendarOptions): string {
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Berth//Reservations//EN',
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    `X-WR-CALNAME:${escapeText(opts.title)}`,
  ];
  for (const e of entries) lines.push(...eventLines(e, opts));
  lines.push('END:VCALENDAR');
  return `${lines.map(foldLine).join('\r\n')}\r\n`;
}

function eventLines(e: CalendarEntry, opts: CalendarOptions): string[] {
  const description = [`Image: ${e.image}`, `Status: ${e.phase}`, ...(e.endpoints.length ? [`Endpoints: ${e.endpoints.join(', ')}`] : [])].join('\n');
  return [
    'BEGIN:VEVENT',
    `UID:${escapeText(`${e.id}@${opts.uidDomain}`)}`,
    `DTSTAMP:${utc(e.updatedAt)}`,
    `LAST-MODIFIED:${utc(e.updatedAt)}`,
    `DTSTART:${utc(e.start)}`,
    `DTEND:${utc(e.end)}`,
    `SUMMARY:${escapeText(`${e.name} (${e.image})`)}`,
    `DESCRIPTION:${escapeText(description)}`,
    ...(e.endpoints.length ? [`LOCATION:${escapeText(e.endpoints.join(', '))}`] : []),
    `STATUS:${CANCELLED.has(e.phase) ? 'CANCELLED' : 'CONFIRMED'}`,
    'TRANSP:OPAQUE',
    'END:VEVENT',
  ];
}

/** DATE-TIME in UTC form (RFC 5545 3.3.5, FORM #2), to the second. */
export function utc(d: Date): string {
  return d
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
}

/** TEXT escaping (RFC 5545 3.3.11): backslash, semicolon, comma and newlines; other controls dropped. */
export function escapeText(s: string): string {
  return (
    s
      .replace(/\r\n?/g, '\n')
      // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
      .replace(/[\u0000-\u0009\u000b-\u001f\u007f]/g, '')
      .replace(/[\\;,]/g, (c) => `\\${c}`)
      .replace(/\n/g, '\\n')
  );
}

/** Folds a content line into lines of at most 75 octets, continuation lines starting with a space. */
export function foldLine(line: string): string {
  const bytes = Buffer.from(line, 'utf8');
  if (bytes.length <= 75) return line;
  const parts: string[] = [];
  let start = 0;
  let limit = 75;
  while (start < bytes.length) {
    let end = Math.min(bytes.length, start + limit);
    // Never split a multi-byte character: back off over continuation bytes (10xxxxxx).
    while (end < bytes.length && (bytes[end] & 0xc0) === 0x80) end--;
    parts.push(bytes.subarray(start, end).toString('utf8'));
    start = end;
    limit = 74; // the leading space of a continuation line counts
  }
  return parts.join('\r\n ');
}
