import type { PrismaClient } from './generated/postgresql/client.ts';
import type { Provider } from './migrations.ts';
import type { NoticeHandlers, NoticeListener } from './notice-listener.ts';

// The PostgreSQL client's type stands for both: the generated model API is the same per provider.
export type { PrismaClient };

export interface Store {
  db: PrismaClient;
  provider: Provider;
  /** SQL statements this client has sent since it opened (store/statement-counter.ts). */
  statements(): number;
  /** Notices other writers send through the store (PostgreSQL LISTEN); absent on SQLite. */
  listen?(channel: string, handlers: NoticeHandlers): NoticeListener;
  close(): Promise<void>;
}
