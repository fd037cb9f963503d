import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BerthError } from '../errors/index.ts';
import { loadManifests, parseManifests } from './load-manifests.ts';

const image = (name: string) => `apiVersion: berth/v1\nkind: Image\nmetadata:\n  name: ${name}\nspec:\n  ref: ${name}:1\n`;
const reservation = (name: string) => `apiVersion: berth/v1\nkind: Reservation\nmetadata:\n  name: ${name}\nspec:\n  image: web\n`;

async function errorOf(p: Promise<unknown>): Promise<BerthError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof BerthError)) throw new Error(`expected a BerthError, got ${String(err)}`);
  return err;
}

describe('parseManifests', () => {
  it('returns every document of a multi-document stream with its position', () => {
    const loaded = parseManifests(`${image('web')}---\n${reservation('demo')}`, 'x.yaml');
    expect(loaded.map((l) => [l.manifest.kind, l.manifest.metadata?.name, l.document, l.line])).toEqual([
      ['Image', 'web', 1, 1],
      ['Reservation', 'demo', 2, 8],
    ]);
  });

  it('skips empty and comment-only documents but keeps counting them', () => {
    const loaded = parseManifests(`---\n# nothing here\n---\n${image('web')}---\n`, 'x.yaml');
    expect(loaded).toHaveLength(1);
    expect(loaded[0].document).toBe(2);
  });

  it('returns nothing for an empty stream', () => {
    expect(parseManifests('', 'x.yaml')).toEqual([]);
  });

  it('names file, document and line of malformed YAML', () => {
    const text = `${image('web')}---\napiVersion: berth/v1\nkind: Image\nspec: [1, 2\n`;
    expect(() => parseManifests(text, 'bad.yaml')).toThrow(/^bad\.yaml: document 2 \(line \d+\): /);
    try {
      parseManifests(text, 'bad.yaml');
    } catch (err) {
      expect((err as BerthError).code).toBe('Invalid');
      const line = Number(/line (\d+)/.exec((err as Error).message)?.[1]);
      expect(line).toBeGreaterThanOrEqual(10);
    }
  });

  it('rejects a document that is not a mapping, naming where it starts', () => {
    expect(() => parseManifests(`${image('web')}---\n- a\n- b\n`, 'list.yaml')).toThrow(
      'list.yaml: document 2 (line 8): a manifest must be a mapping, got a sequence',
    );
  });

  it('rejects a document without apiVersion or kind', () => {
    expect(() => parseManifests('kind: Image\nmetadata: {name: a}\n', 'a.yaml')).toThrow('a.yaml: document 1 (line 1): missing apiVersion');
    expect(() => parseManifests('apiVersion: berth/v1\n', 'b.yaml')).toThrow('b.yaml: document 1 (line 1): missing kind');
  });

  it('reports duplicate keys as malformed', () => {
    expect(() => parseManifests('apiVersion: berth/v1\nkind: Image\nkind: Node\n', 'dup.yaml')).toThrow(/dup\.yaml: document 1 \(line 3\)/);
  });

  it('reads JSON, which is YAML', () => {
    const json = JSON.stringify({ apiVersion: 'berth/v1', kind: 'Image', metadata: { name: 'web' } }, null, '\t');
    expect(parseManifests(json, 'web.json')[0].manifest.metadata?.name).toBe('web');
  });
});

describe('loadManifests', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-manifests-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a directory non-recursively, manifest files only, in name order', async () => {
    writeFileSync(join(dir, 'b.yml'), reservation('demo'));
    writeFileSync(join(dir, 'a.yaml'), image('web'));
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ apiVersion: 'berth/v1', kind: 'Image', metadata: { name: 'db' } }));
    writeFileSync(join(dir, 'notes.txt'), 'not a manifest');
    mkdirSync(join(dir, 'nested.yaml'));
    writeFileSync(join(dir, 'nested.yaml', 'deep.yaml'), image('deep'));
    const loaded = await loadManifests([dir]);
    expect(loaded.map((l) => l.manifest.metadata?.name)).toEqual(['web', 'demo', 'db']);
    expect(loaded[0].source).toBe(join(dir, 'a.yaml'));
  });

  it('reads stdin for "-" in the order given, alongside files', async () => {
    const file = join(dir, 'web.yaml');
    writeFileSync(file, image('web'));
    const loaded = await loadManifests(['-', file], async () => reservation('demo'));
    expect(loaded.map((l) => [l.source, l.manifest.metadata?.name])).toEqual([
      ['<stdin>', 'demo'],
      [file, 'web'],
    ]);
  });

  it('reads an explicitly named file whatever its extension', async () => {
    const file = join(dir, 'manifest.txt');
    writeFileSync(file, image('web'));
    expect(await loadManifests([file])).toHaveLength(1);
  });

  it('names the file in errors from files', async () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, `${image('web')}---\n42\n`);
    const err = await errorOf(loadManifests([file]));
    expect(err.message).toBe(`${file}: document 2 (line 8): a manifest must be a mapping, got number`);
  });

  it('rejects a path that does not exist', async () => {
    const err = await errorOf(loadManifests([join(dir, 'missing.yaml')]));
    expect(err.message).toContain('missing.yaml" does not exist');
  });

  it('rejects stdin given twice', async () => {
    const err = await errorOf(loadManifests(['-', '-'], ''));
    expect(err.message).toContain('only once');
  });
});
