// One delivery attempt: POST the body to the webhook's URL, connecting only to an address the
// judge allowed (resolved here and pinned for the connection, so a name cannot resolve to a
// public address for the check and a private one for the connect), within a deadline, reading at
// most a few KiB of the answer, and never following a redirect.
import http from 'node:http';
import https from 'node:https';
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';

export interface DeliveryRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  maxResponseBytes: number;
  judge: (ip: string) => string | undefined;
  /** Name resolution (tests pin it); every address it returns must pass the judge. */
  resolve?: (host: string) => Promise<string[]>;
}

export interface DeliveryResult {
  statusCode?: number;
  error?: string;
}

const systemResolve = async (host: string) => (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address);

/** The address to connect to, or why none may be used. */
export async function pickAddress(
  hostname: string,
  judge: DeliveryRequest['judge'],
  resolve = systemResolve,
): Promise<{ address: string } | { error: string }> {
  const host = hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : await resolve(host);
  } catch (err) {
    return { error: `cannot resolve ${host}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
  if (addresses.length === 0) return { error: `cannot resolve ${host}` };
  // All of them, not just the first: a name with one forbidden address is refused as a whole.
  for (const a of addresses) {
    const why = judge(a);
    if (why) return { error: `refused: ${host} resolves to ${a}, ${why}` };
  }
  return { address: addresses[0] };
}

export async function deliver(req: DeliveryRequest): Promise<DeliveryResult> {
  const url = new URL(req.url);
  const picked = await pickAddress(url.hostname, req.judge, req.resolve);
  if ('error' in picked) return { error: picked.error };
  const family = isIP(picked.address);
  const pinned: LookupFunction = (_host, opts, cb) => {
    if ((opts as { all?: boolean }).all)
      (cb as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [{ address: picked.address, family }]);
    else cb(null, picked.address, family);
  };
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<DeliveryResult>((resolve) => {
    let settled = false;
    const finish = (r: DeliveryResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      resolve(r);
    };
    const request = client.request(
      url,
      {
        method: 'POST',
        agent: false,
        lookup: pinned,
        headers: {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(req.body)),
          'user-agent': 'Berth-Webhooks/1',
          ...req.headers,
        },
      },
      (res) => {
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read >= req.maxResponseBytes) finish({ statusCode: res.statusCode });
        });
        res.on('end', () => finish({ statusCode: res.statusCode }));
        res.on('error', () => finish({ statusCode: res.statusCode }));
      },
    );
    const timer = setTimeout(() => finish({ error: `no answer within ${req.timeoutMs} ms` }), req.timeoutMs);
    request.on('error', (err: NodeJS.ErrnoException) => finish({ error: err.code ?? err.message }));
    request.end(req.body);
  });
}
