// The CLI's HTTP(S) requests over node:http/https. Node's global fetch (and npm's undici) cost
// 40–60 ms to load and set up at every command that talks to the server, more than the request
// itself; a command makes one or two requests, so this plain client is all it needs.
import type { IncomingMessage } from 'node:http';

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  /** PEM of the only CA an https server's certificate may chain to; else the system's roots. */
  ca?: string;
}

/** What the CLI reads of an answer: the part of fetch's Response it uses. */
export interface HttpResponse {
  ok: boolean;
  status: number;
  statusText: string;
  text(): Promise<string>;
  /** The body as it arrives (read either this or text(), once). */
  body: AsyncIterable<Uint8Array> | null;
}

export type HttpRequest = (url: URL, opts?: RequestOptions) => Promise<HttpResponse>;

/** One request; rejects with the socket/TLS error itself (its `code` says what failed) or the signal's reason. */
export const nodeRequest: HttpRequest = async (url, opts = {}) => {
  const https = url.protocol === 'https:';
  const { request } = https ? await import('node:https') : await import('node:http');
  return new Promise<HttpResponse>((resolve, reject) => {
    const signal = opts.signal;
    if (signal?.aborted) return reject(signal.reason);
    const req = request(url, {
      method: opts.method ?? 'GET',
      headers: opts.body === undefined ? opts.headers : { ...opts.headers, 'content-length': String(Buffer.byteLength(opts.body)) },
      // No pool: one connection per command, closed with its answer, so the process exits at once.
      agent: false,
      ...(https && opts.ca ? { ca: opts.ca } : {}),
    });
    const onAbort = () => req.destroy(signal!.reason as Error);
    signal?.addEventListener('abort', onAbort, { once: true });
    req.once('error', (err) => {
      signal?.removeEventListener('abort', onAbort);
      reject(signal?.aborted ? signal.reason : err);
    });
    req.once('response', (res) => resolve(toResponse(res)));
    req.end(opts.body);
  });
};

function toResponse(res: IncomingMessage): HttpResponse {
  const status = res.statusCode ?? 0;
  return {
    ok: status >= 200 && status < 300,
    status,
    statusText: res.statusMessage ?? '',
    async text() {
      res.setEncoding('utf8');
      let out = '';
      for await (const chunk of res) out += chunk;
      return out;
    },
    body: res,
  };
}
