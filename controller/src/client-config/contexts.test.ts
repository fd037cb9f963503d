import { describe, expect, it } from 'vitest';
import {
  adminContextName,
  type ContextsConfig,
  DEFAULT_SERVER,
  deleteContext,
  devContextName,
  loginContextName,
  parseContextsConfig,
  renameContext,
  renderContextsConfig,
  upsertContext,
  useContext,
} from './contexts.ts';

const W = 'config file /c';
const admin = { name: 'admin', server: 'https://10.0.0.1:7070', user: 'admin', token: 'berth_a' };
const carol = { name: 'carol@10.0.0.1:7070', server: 'https://10.0.0.1:7070', user: 'carol', token: 'berth_c' };
const two: ContextsConfig = { current: 'admin', contexts: [admin, carol] };

describe('parseContextsConfig', () => {
  it('reads contexts and the current one, and renders them back the same', () => {
    const data = {
      'current-context': 'admin',
      contexts: [
        { name: 'admin', server: admin.server, user: 'admin', token: 'berth_a' },
        { name: carol.name, server: carol.server, user: 'carol', token: 'berth_c' },
      ],
    };
    const cfg = parseContextsConfig(data, W);
    expect(cfg).toEqual(two);
    expect(renderContextsConfig(cfg)).toEqual(data);
  });

  it('reads a file of the earlier single-login format as one current context named after its user and server', () => {
    const cfg = parseContextsConfig({ server: 'https://berth.example.com:7070', token: 'berth_t', user: 'ann', extra: 'ignored as before' }, W);
    expect(cfg).toEqual({
      current: 'ann@berth.example.com:7070',
      contexts: [{ name: 'ann@berth.example.com:7070', server: 'https://berth.example.com:7070', token: 'berth_t', user: 'ann' }],
    });
    expect(parseContextsConfig({ server: 'https://h', user: 'a b' }, W).current).toBe('default');
    expect(parseContextsConfig({ token: 'berth_t' }, W)).toEqual({
      current: 'default',
      contexts: [{ name: 'default', server: DEFAULT_SERVER, token: 'berth_t' }],
    });
  });

  it('reads an empty file as no contexts', () => {
    expect(parseContextsConfig(null, W)).toEqual({ contexts: [] });
    expect(parseContextsConfig({ contexts: [] }, W)).toEqual({ contexts: [] });
  });

  it('keeps a current-context that names no context, for the config commands to repair', () => {
    expect(parseContextsConfig({ 'current-context': 'gone', contexts: [admin] }, W)).toEqual({ current: 'gone', contexts: [admin] });
  });

  it.each([
    [[1, 2], `${W}: must be a mapping with current-context and contexts`],
    [{ contexts: { name: 'x' } }, `${W}: contexts must be a list`],
    [{ contexts: ['x'] }, `${W}: contexts[0]: must be a mapping`],
    [{ contexts: [{ server: 'https://s' }] }, `${W}: contexts[0]: name is required`],
    [{ contexts: [{ name: 'a' }] }, `${W}: contexts[0] (a): server is required`],
    [{ contexts: [{ name: 'a', server: 'https://s', token: 42 }] }, `${W}: contexts[0] (a): token must be a string`],
    [{ contexts: [{ name: 'a', server: 'https://s', tokne: 'x' }] }, `${W}: contexts[0]: unknown key "tokne"`],
    [{ contexts: [{ name: 'a b', server: 'https://s' }] }, `${W}: contexts[0] (a b): "a b" is not a valid context name`],
    [{ contexts: [admin, admin].map(({ name, server }) => ({ name, server })) }, `${W}: two contexts are named "admin"`],
    [{ contexts: [], server: 'https://s' }, `${W}: unknown key "server" (the file has current-context and contexts`],
    [{ 'current-context': 7, contexts: [] }, `${W}: current-context must be a string`],
    [
      { contexts: [{ name: 'a', server: 'https://s', 'certificate-authority-data': 'bm9wZQ==' }] },
      `${W}: contexts[0] (a): certificate-authority-data: not a PEM certificate`,
    ],
    [{ server: 42 }, `${W}: server must be a string`],
  ])('refuses a malformed file and names the file and the problem (%j)', (data, message) => {
    expect(() => parseContextsConfig(data, W)).toThrow(message);
  });
});

describe('upsertContext', () => {
  it('adds a new context and makes it current when asked to always', () => {
    const next = upsertContext(two, { ...carol, name: 'dave@10.0.0.1:7070', user: 'dave' }, 'always');
    expect(next.current).toBe('dave@10.0.0.1:7070');
    expect(next.contexts.map((c) => c.name)).toEqual(['admin', carol.name, 'dave@10.0.0.1:7070']);
  });

  it('replaces the context of the same name in place and leaves the others alone', () => {
    const next = upsertContext(two, { ...admin, token: 'berth_new' }, 'always');
    expect(next.contexts).toEqual([{ ...admin, token: 'berth_new' }, carol]);
  });

  it('with if-none keeps a current context that exists, and takes over only when none does', () => {
    const dev = { name: 'dev', server: 'http://127.0.0.1:7070', user: 'admin', token: 'berth_d' };
    expect(upsertContext(two, dev, 'if-none').current).toBe('admin');
    expect(upsertContext({ contexts: [admin] }, dev, 'if-none').current).toBe('dev');
    expect(upsertContext({ current: 'gone', contexts: [admin] }, dev, 'if-none').current).toBe('dev');
    expect(upsertContext({ contexts: [] }, dev, 'if-none')).toEqual({ current: 'dev', contexts: [dev] });
  });

  it('drops a token that was cleared instead of writing an empty one', () => {
    const next = upsertContext(two, { ...carol, token: undefined }, 'if-none');
    expect(next.contexts[1]).toEqual({ name: carol.name, server: carol.server, user: 'carol' });
  });

  it('refuses an invalid name', () => {
    expect(() => upsertContext(two, { ...carol, name: '-x' }, 'always')).toThrow('"-x" is not a valid context name');
  });
});

describe('use, delete and rename', () => {
  it('switches the current context, and refuses an unknown one naming the known ones', () => {
    expect(useContext(two, carol.name, W)).toEqual({ ...two, current: carol.name });
    expect(() => useContext(two, 'nope', W)).toThrow(`context "nope" not found in ${W} (contexts: admin, ${carol.name})`);
  });

  it('deletes a context; deleting the current one leaves none current', () => {
    expect(deleteContext(two, carol.name, W)).toEqual({ current: 'admin', contexts: [admin] });
    expect(deleteContext(two, 'admin', W)).toEqual({ contexts: [carol] });
    expect(() => deleteContext(two, 'nope', W)).toThrow('context "nope" not found');
  });

  it('renames a context and follows it with current-context, but never onto another context', () => {
    expect(renameContext(two, 'admin', 'prod', W)).toEqual({ current: 'prod', contexts: [{ ...admin, name: 'prod' }, carol] });
    expect(renameContext(two, carol.name, 'c', W).current).toBe('admin');
    expect(() => renameContext(two, 'admin', carol.name, W)).toThrow(`context "${carol.name}" already exists`);
    expect(() => renameContext(two, 'admin', 'a b', W)).toThrow('is not a valid context name');
  });
});

describe('context names', () => {
  it('names a login user@host:port, reuses the context that already holds that user on that server, and never takes over another login', () => {
    expect(loginContextName(two, 'https://10.0.0.2:7070', 'carol')).toBe('carol@10.0.0.2:7070');
    const renamed = renameContext(two, carol.name, 'mine', W);
    expect(loginContextName(renamed, carol.server, 'carol')).toBe('mine');
    // Same name, other server (http vs https): a new context beside it.
    expect(loginContextName(two, 'http://10.0.0.1:7070', 'carol')).toBe('carol@10.0.0.1:7070-2');
    expect(loginContextName({ contexts: [] }, 'https://berth.example.com', 'ann')).toBe('ann@berth.example.com');
  });

  it('names berth dev dev on the default port and dev-PORT on another', () => {
    expect(devContextName('http://127.0.0.1:7070')).toBe('dev');
    expect(devContextName('http://127.0.0.1:7171')).toBe('dev-7171');
  });

  it('finds the bootstrap admin context by name, else by its user (a file of the earlier format)', () => {
    expect(adminContextName(two)).toBe('admin');
    expect(adminContextName(parseContextsConfig({ server: 'https://h:1', user: 'admin', token: 't' }, W))).toBe('admin@h:1');
    expect(adminContextName({ contexts: [carol] })).toBe('admin');
  });
});
