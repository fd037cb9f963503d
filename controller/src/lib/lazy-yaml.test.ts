import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseFlatYaml } from './lazy-yaml.ts';

describe('parseFlatYaml', () => {
  it('reads what yaml.stringify writes for a flat config exactly as the YAML parser does', () => {
    const configs = [
      { server: 'https://127.0.0.1:7070', 'certificate-authority-data': 'LS0tLS1CRUdJTi+/abc==', token: 'berth_GTj_gQm2H7y-Ka', user: 'admin' },
      { server: 'https://mgmt.example.org:7443/', user: 'a.b@example.org' },
      { server: 'http://localhost:7070' },
      // A real CA runs to ~900 characters of base64 on one line: no folding.
      { server: 'https://10.0.0.1:7443', 'certificate-authority-data': Buffer.alloc(700, 7).toString('base64') },
    ];
    for (const config of configs) {
      const text = stringify(config);
      expect(parseFlatYaml(text)).toEqual(config);
      expect(parseFlatYaml(text)).toEqual(parse(text));
    }
  });

  it('leaves to the YAML parser anything it would read differently', () => {
    for (const text of [
      'server: https://x # comment\n',
      'token: "quoted"\n',
      'token: 12345\n',
      'token: true\n',
      'user: null\n',
      'token: -abc\n',
      'token: &anchor x\n',
      'server:\n  nested: x\n',
      'token: a\ntoken: b\n',
      '# only a comment\n',
      'server: a b\n',
      '  server: x\n',
    ]) {
      expect(parseFlatYaml(text), text).toBeUndefined();
    }
  });

  it('reads an empty file as an empty mapping', () => {
    expect(parseFlatYaml('')).toEqual({});
  });
});
