// Fake ports for in-process CLI tests: a scripted server behind fetch, captured stdout/stderr.
import type { CliDeps } from './deps.ts';
import type { HttpRequest } from './node-request.ts';

export type FakeHandler = (method: string, path: string) => { status: number; body: unknown };

/** `describeCall` turns each request into the line recorded in `out.calls`. */
export function fakeDeps(handler: FakeHandler, describeCall: (method: string, url: URL) => string, path: (url: URL) => string = (u) => u.pathname) {
  const out = { stdout: '', stderr: '', calls: [] as string[] };
  const deps: CliDeps = {
    stdout: (t) => void (out.stdout += t),
    stderr: (t) => void (out.stderr += t),
    env: { BERTH_SERVER: 'https://berth.test:7070', BERTH_CONFIG: '', HOME: '/nonexistent-home' },
    readStdin: async () => '',
    now: () => new Date('2026-01-01T00:00:00Z'),
    fetch: (async (input: URL, init?: { method?: string }) => {
      const url = new URL(String(input));
      const method = init?.method ?? 'GET';
      out.calls.push(describeCall(method, url));
      const { status, body } = handler(method, path(url));
      return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    }) as HttpRequest,
  };
  return { deps, out };
}
