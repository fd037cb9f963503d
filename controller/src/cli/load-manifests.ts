// Turns `-f FILE|DIR|-` inputs into manifests, naming file, document and line on any error.
// Reads files and stdin; everything else is pure parsing.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { yaml } from '../lib/lazy-yaml.ts';
import { BerthError } from '../errors/index.ts';
import type { RawManifest } from './types.ts';

export interface LoadedManifest {
  manifest: RawManifest;
  /** File path, or `<stdin>`. */
  source: string;
  /** 1-based position of the document in its stream, empty documents included. */
  document: number;
  /** 1-based line where the document's content starts. */
  line: number;
}

export type StdinSource = string | (() => Promise<string>);

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);
export const STDIN_NAME = '<stdin>';

export async function loadManifests(inputs: string[], stdin?: StdinSource): Promise<LoadedManifest[]> {
  if (inputs.filter((i) => i === '-').length > 1) {
    throw new BerthError('Invalid', 'stdin ("-") can be given only once', 'filename');
  }
  const out: LoadedManifest[] = [];
  for (const input of inputs) {
    if (input === '-') {
      if (stdin === undefined) throw new BerthError('Invalid', 'no stdin available for "-"', 'filename');
      out.push(...parseManifests(typeof stdin === 'string' ? stdin : await stdin(), STDIN_NAME));
      continue;
    }
    for (const file of filesOf(input)) out.push(...parseManifests(readFileSync(file, 'utf8'), file));
  }
  return out;
}

/** An explicit file is read whatever its name; a directory contributes its manifest files, sorted. */
function filesOf(input: string): string[] {
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(input);
  } catch {
    throw new BerthError('Invalid', `the path "${input}" does not exist`, 'filename');
  }
  if (!stat.isDirectory()) return [input];
  return readdirSync(input)
    .filter((entry) => MANIFEST_EXTENSIONS.has(extname(entry).toLowerCase()))
    .sort()
    .map((entry) => join(input, entry))
    .filter((path) => statSync(path).isFile());
}

function fail(source: string, document: number, line: number, message: string): never {
  throw new BerthError('Invalid', `${source}: document ${document} (line ${line}): ${message}`, 'filename');
}

/** Parses one YAML (or JSON) stream into manifests. Pure. */
export function parseManifests(text: string, source: string): LoadedManifest[] {
  const { LineCounter, parseAllDocuments } = yaml();
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  if (!Array.isArray(docs)) return []; // an empty stream
  const out: LoadedManifest[] = [];
  docs.forEach((doc, i) => {
    const document = i + 1;
    const error = doc.errors[0];
    if (error) {
      const line = error.linePos?.[0].line ?? lineCounter.linePos(error.pos[0]).line;
      fail(source, document, line, error.message.split('\n')[0]);
    }
    if (doc.contents === null) return; // `---` with nothing (or only comments) after it
    const line = lineCounter.linePos(doc.contents.range[0]).line;
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return;
    out.push({ manifest: checkEnvelope(value, (m) => fail(source, document, line, m)), source, document, line });
  });
  return out;
}

function checkEnvelope(value: unknown, reject: (message: string) => never): RawManifest {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    reject(`a manifest must be a mapping, got ${Array.isArray(value) ? 'a sequence' : typeof value}`);
  }
  const record = value as Record<string, unknown>;
  for (const key of ['apiVersion', 'kind'] as const) {
    if (typeof record[key] !== 'string' || record[key] === '') reject(`missing ${key}`);
  }
  return record as RawManifest;
}
