import ICAL from 'ical.js';
import { describe, expect, it } from 'vitest';
import { escapeText, foldLine, renderCalendar, utc, type CalendarEntry } from './ical.ts';

const entry = (over: Partial<CalendarEntry> = {}): CalendarEntry => ({
  id: '7f1c7a2e-0000-4000-8000-000000000001',
  name: 'demo',
  image: 'web',
  phase: 'Running',
  start: new Date('2030-01-01T10:00:00.123Z'),
  end: new Date('2030-01-01T12:30:00Z'),
  endpoints: ['203.0.113.7:30001', '203.0.113.7:30002'],
  updatedAt: new Date('2030-01-01T10:00:05Z'),
  ...over,
});

function parse(text: string) {
  const comp = new ICAL.Component(ICAL.parse(text));
  return comp.getAllSubcomponents('vevent').map((v) => new ICAL.Event(v));
}

describe('renderCalendar', () => {
  it('renders one VEVENT per reservation that a real iCalendar parser reads back: UTC window, summary, location, status', () => {
    const text = renderCalendar([entry(), entry({ id: 'r2', name: 'gone', phase: 'Deleted', endpoints: [] })], { title: 'Berth of ann', uidDomain: 'berth' });
    const [a, b] = parse(text);
    expect(a.uid).toBe('7f1c7a2e-0000-4000-8000-000000000001@berth');
    expect(a.startDate.toJSDate().toISOString()).toBe('2030-01-01T10:00:00.000Z');
    expect(a.startDate.zone?.tzid).toBe('UTC');
    expect(a.endDate.toJSDate().toISOString()).toBe('2030-01-01T12:30:00.000Z');
    expect(a.summary).toBe('demo (web)');
    expect(a.location).toBe('203.0.113.7:30001, 203.0.113.7:30002');
    expect(a.description).toBe('Image: web\nStatus: Running\nEndpoints: 203.0.113.7:30001, 203.0.113.7:30002');
    expect(a.component.getFirstPropertyValue('status')).toBe('CONFIRMED');
    expect(b.uid).toBe('r2@berth');
    expect(b.component.getFirstPropertyValue('status')).toBe('CANCELLED');
    expect(b.location).toBeNull();
  });

  it('ends every line with CRLF and folds long lines to at most 75 octets without splitting a UTF-8 character', () => {
    const name = `äpfel-${'ß€'.repeat(40)}-name`;
    const text = renderCalendar([entry({ name })], { title: 'x', uidDomain: 'berth' });
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    const lines = text.split('\r\n').slice(0, -1);
    for (const line of lines) expect(Buffer.byteLength(line, 'utf8')).toBeLessThanOrEqual(75);
    expect(lines.some((l) => l.startsWith(' '))).toBe(true); // it did fold
    expect(text).not.toContain('\uFFFD');
    expect(parse(text)[0].summary).toBe(`${name} (web)`);
  });

  it('escapes commas, semicolons, backslashes and newlines in text, and the parser gets the original back', () => {
    const name = 'a,b;c\\d\ne';
    const text = renderCalendar([entry({ name, image: 'img;1' })], { title: 't,1', uidDomain: 'berth' });
    expect(text).toContain('SUMMARY:a\\,b\\;c\\\\d\\ne (img\\;1)');
    expect(parse(text)[0].summary).toBe(`${name} (img;1)`);
  });

  it('keeps the same UID and bytes for the same reservation, so clients update rather than duplicate', () => {
    const one = renderCalendar([entry()], { title: 't', uidDomain: 'berth' });
    expect(renderCalendar([entry()], { title: 't', uidDomain: 'berth' })).toBe(one);
    const extended = renderCalendar([entry({ end: new Date('2030-01-01T13:00:00Z') })], { title: 't', uidDomain: 'berth' });
    expect(parse(extended)[0].uid).toBe(parse(one)[0].uid);
  });

  it('renders an empty calendar that still parses', () => {
    expect(parse(renderCalendar([], { title: 'none', uidDomain: 'berth' }))).toEqual([]);
  });
});

describe('text primitives', () => {
  it('formats UTC date-times to the second', () => {
    expect(utc(new Date('2030-07-04T05:06:07.890Z'))).toBe('20300704T050607Z');
  });
  it('drops control characters other than newlines', () => {
    expect(escapeText('a\u0000b\u0007c\r\nd')).toBe('abc\\nd');
  });
  it('leaves a 75-octet line alone and folds a 76-octet one', () => {
    expect(foldLine('x'.repeat(75))).toBe('x'.repeat(75));
    expect(foldLine('x'.repeat(76))).toBe(`${'x'.repeat(75)}\r\n x`);
  });
});
