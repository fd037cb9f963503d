// PostgreSQL LISTEN on a connection of its own, kept up with backoff. Whoever relies on the
// notices (a cache) hears `live(false)` as soon as the connection is seen to fail (TCP keepalive
// finds a silently dead one; the cache's TTL bounds that wait) and `live(true)` once LISTEN is
// in place again.
import pg from 'pg';
import type { Logger } from 'pino';

export interface NoticeHandlers {
  notice(payload: string): void;
  live(live: boolean): void;
}

export interface NoticeListener {
  close(): Promise<void>;
}

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 30_000;

export function listenForNotices(url: string, channel: string, handlers: NoticeHandlers, log: Logger): NoticeListener {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`notice channel must be a lowercase identifier, got "${channel}"`);
  let client: pg.Client | undefined;
  let closed = false;
  let retryMs = FIRST_RETRY_MS;
  let timer: NodeJS.Timeout | undefined;

  const drop = (c: pg.Client, err?: unknown) => {
    if (client !== c) return; // an older connection's late event
    client = undefined;
    handlers.live(false);
    c.end().catch(() => undefined);
    if (closed) return;
    log.warn({ channel, err, retryMs }, 'store notices lost');
    timer = setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
  };

  const connect = async () => {
    const c = new pg.Client({ connectionString: url, keepAlive: true });
    client = c;
    c.on('notification', (m) => {
      if (m.channel === channel) handlers.notice(m.payload ?? '');
    });
    c.on('error', (err) => drop(c, err));
    c.on('end', () => drop(c));
    try {
      await c.connect();
      await c.query(`LISTEN ${channel}`);
    } catch (err) {
      drop(c, err);
      return;
    }
    if (client !== c) return;
    retryMs = FIRST_RETRY_MS;
    handlers.live(true);
  };

  void connect();
  return {
    async close() {
      closed = true;
      clearTimeout(timer);
      const c = client;
      client = undefined;
      handlers.live(false);
      await c?.end().catch(() => undefined);
    },
  };
}
