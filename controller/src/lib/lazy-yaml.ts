// The yaml package (~250 KB of JavaScript) loads on first use, from node_modules rather than the
// bundle: most CLI commands never print or read YAML beyond the config file, whose usual form
// parseFlatYaml reads without it, and a YAML settings file is read once at a server's start.
import { createRequire } from 'node:module';

type Yaml = typeof import('yaml');
let loaded: Yaml | undefined;

export function yaml(): Yaml {
  loaded ??= createRequire(import.meta.url)('yaml') as Yaml;
  return loaded;
}

// One `key: value` per line with a plain scalar that YAML reads as that same string: what
// yaml.stringify writes for a flat mapping of such strings (URLs, tokens, base64, names).
const FLAT_LINE = /^([A-Za-z][\w-]*): ([A-Za-z_/][\w./:+=@-]*)$/;
const NOT_A_STRING = /^(?:true|false|null)$/i;

/** The mapping when `text` is only such lines (blank lines aside), else undefined: parse it as YAML. */
export function parseFlatYaml(text: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const m = FLAT_LINE.exec(line);
    if (!m || NOT_A_STRING.test(m[2]) || Object.hasOwn(out, m[1])) return undefined;
    out[m[1]] = m[2];
  }
  return out;
}
