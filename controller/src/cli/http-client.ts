// The CLI's port to the REST API: an HTTP request in, typed objects or BerthError out.
import { BerthError, isErrorCode, type ErrorCode } from '../errors/index.ts';
import type { Plural } from './kinds.ts';
import type { ApiList, ApiObject, ApplyResult, RawManifest } from './types.ts';
import { assertSafeServer, trustFailure } from './server-trust.ts';
import { nodeRequest, type HttpRequest, type HttpResponse } from './node-request.ts';

export interface BerthClientOptions {
  server: string;
  token?: string;
  /** PEM of the CA the server's certificate must chain to; else the system's roots. */
  ca?: string;
  fetch?: HttpRequest;
  /** Per request; default 60 s (admission of an apply can take a moment under load). */
  timeoutMs?: number;
}

export interface BerthClient {
  readonly server: string;
  apply(manifest: RawManifest): Promise<ApplyResult>;
  list<T = ApiObject>(plural: Plural, query?: Record<string, string>): Promise<ApiList<T>>;
  get(plural: Plural, name: string): Promise<ApiObject>;
  delete(plural: Plural, name: string): Promise<ApiObject>;
  /** Any other route, path relative to the server (e.g. `api/v1/bill?month=2026-01`). */
  request<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
}

/** The server could not be reached at all; callers stop rather than repeat it per object. */
export class UnreachableError extends BerthError {
  constructor(message: string) {
    super('Unavailable', message);
    this.name = 'UnreachableError';
  }
}

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'Invalid',
  401: 'Unauthenticated',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  413: 'PayloadTooLarge',
  429: 'TooManyRequests',
  502: 'Unavailable',
  503: 'Unavailable',
  504: 'Unavailable',
};

export function createClient(opts: BerthClientOptions): BerthClient {
  const base = baseUrl(opts.server);
  assertSafeServer(base.href);
  const doFetch = opts.fetch ?? nodeRequest;
  const timeoutMs = opts.timeoutMs ?? 60_000;

  async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: HttpResponse;
    try {
      res = await doFetch(new URL(path, base), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
        ca: opts.ca,
      });
    } catch (err) {
      throw trustFailure(opts.server, err, opts.ca) ?? unreachable(opts.server, err, timeoutMs);
    }
    const text = await res.text().catch(() => '');
    const data = parseJson(text);
    if (!res.ok) throw errorFromResponse(res.status, res.statusText, data);
    if (data === undefined) throw new BerthError('Internal', `unexpected non-JSON response from ${method} ${path}`);
    return data as T;
  }

  const item = (plural: Plural, name: string) => `api/v1/${plural}/${encodeURIComponent(name)}`;
  return {
    server: opts.server,
    apply: (manifest) => request<ApplyResult>('POST', 'api/v1/apply', manifest),
    list: <T>(plural: Plural, query?: Record<string, string>) => {
      const qs = query && Object.keys(query).length ? `?${new URLSearchParams(query)}` : '';
      return request<ApiList<T>>('GET', `api/v1/${plural}${qs}`);
    },
    get: (plural, name) => request<ApiObject>('GET', item(plural, name)),
    delete: (plural, name) => request<ApiObject>('DELETE', item(plural, name)),
    request: <T>(method: string, path: string, body?: unknown) => request<T>(method, path, body),
  };
}

function baseUrl(server: string): URL {
  let url: URL;
  try {
    url = new URL(server.endsWith('/') ? server : `${server}/`);
  } catch {
    throw new BerthError('Invalid', `invalid server URL "${server}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new BerthError('Invalid', `server URL "${server}" must start with http:// or https://`, 'server');
  }
  return url;
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Contract bodies carry a catalog code; anything else (a proxy, a framework default) maps by status. */
export function errorFromResponse(status: number, statusText: string, data: unknown): BerthError {
  const body = (data ?? {}) as { error?: unknown; message?: unknown };
  const e = body.error;
  if (e && typeof e === 'object') {
    const { code, message, field, details } = e as Record<string, unknown>;
    if (isErrorCode(code) && typeof message === 'string') {
      return new BerthError(code, message, typeof field === 'string' ? field : undefined, details);
    }
  }
  const code = STATUS_CODES[status] ?? (status >= 500 ? 'Internal' : 'Invalid');
  const message = typeof body.message === 'string' && body.message ? body.message : `server answered HTTP ${status}${statusText ? ` ${statusText}` : ''}`;
  return new BerthError(code, message);
}

function unreachable(server: string, err: unknown, timeoutMs: number): UnreachableError {
  const e = err as Error;
  if (e?.name === 'TimeoutError') {
    return new UnreachableError(`cannot reach the Berth server at ${server}: no answer within ${timeoutMs / 1000}s`);
  }
  return new UnreachableError(`cannot reach the Berth server at ${server}: ${causeOf(err)}`);
}

// A wrapped socket error is the `cause`; with several addresses it is an AggregateError.
function causeOf(err: unknown): string {
  let cur = err as { cause?: unknown; errors?: unknown[]; message?: string; code?: string } | undefined;
  while (cur?.cause) cur = cur.cause as typeof cur;
  if (cur?.errors?.length) cur = cur.errors[0] as typeof cur;
  return cur?.message || cur?.code || String(err);
}
