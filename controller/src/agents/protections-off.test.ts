import { describe, expect, it } from 'vitest';
import { protectionsOff } from './agent-hub.ts';

describe('protectionsOff (a heartbeat field from the node)', () => {
  it('keeps short lower-case names, sorted and without duplicates', () => {
    expect(protectionsOff(['rules', 'network', 'rules'])).toEqual(['network', 'rules']);
    expect(protectionsOff(undefined)).toEqual([]);
  });

  it('drops what a hostile node could use to bloat or garble the status: long, odd or too many names', () => {
    expect(protectionsOff(['x'.repeat(1000), 'net\nwork', '<b>', 'hardening'])).toEqual(['hardening']);
    const many = Array.from({ length: 1000 }, (_, i) => `p-${String.fromCharCode(97 + (i % 26))}${i}`.replace(/\d/g, 'z'));
    expect(protectionsOff(many).length).toBeLessThanOrEqual(8);
  });
});
