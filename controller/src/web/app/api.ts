// Browser side of the REST API: the token lives in localStorage; errors keep the server's field.
export interface ApiError {
  code: string;
  message: string;
  field?: string;
  /** An invalid manifest's problems, each with its field, when there are several. */
  details?: { problems?: Array<{ field?: string; message: string }> };
}

export class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly error: ApiError,
  ) {
    super(error.message);
  }
}

const KEY = 'berth.token';
export const token = {
  get: (): string | null => localStorage.getItem(KEY),
  set: (t: string) => localStorage.setItem(KEY, t),
  clear: () => localStorage.removeItem(KEY),
};

function headers(json: boolean): Record<string, string> {
  const h: Record<string, string> = { accept: 'application/json' };
  const t = token.get();
  if (t) h.authorization = `Bearer ${t}`;
  if (json) h['content-type'] = 'application/json';
  return h;
}

export async function api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, { method, headers: headers(body !== undefined), body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let data: any;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!res.ok) {
    const e = data?.error;
    throw new RequestError(res.status, e && typeof e.message === 'string' ? e : { code: String(res.status), message: data?.message ?? `HTTP ${res.status}` });
  }
  return data as T;
}

export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: T;
}

/**
 * Follows a ?watch=1 stream (newline-delimited JSON) and reconnects after a drop; the server
 * replays the current objects first, so onReset lets the caller drop what it held.
 */
export function watch<T>(path: string, onReset: () => void, onEvent: (e: WatchEvent<T>) => void): () => void {
  let stopped = false;
  let ctrl: AbortController | undefined;
  const run = async (): Promise<void> => {
    while (!stopped) {
      ctrl = new AbortController();
      try {
        const res = await fetch(`${path}${path.includes('?') ? '&' : '?'}watch=1`, { headers: headers(false), signal: ctrl.signal });
        if (!res.ok || !res.body) throw new Error(`watch HTTP ${res.status}`);
        onReset();
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (line) onEvent(JSON.parse(line));
          }
        }
      } catch {
        if (stopped) return;
      }
      if (!stopped) await new Promise((r) => setTimeout(r, 2000));
    }
  };
  void run();
  return () => {
    stopped = true;
    ctrl?.abort();
  };
}
