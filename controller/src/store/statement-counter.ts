// Counts the SQL statements the application's client sends, in and out of transactions (BEGIN and
// COMMIT not included): what a change costs the store is counted in statements (each one a round
// trip and a parse for PostgreSQL, a step of the single writer for SQLite), and the controller
// exports the total (berth_controller_store_statements_total) so a bench or an operator can say
// what one node join or one apply costs.
import type { SqlDriverAdapter } from '@prisma/driver-adapter-utils';

export interface StatementCount {
  value: number;
}

type Queries = Pick<SqlDriverAdapter, 'queryRaw' | 'executeRaw'>;

function counted(target: Queries, count: StatementCount): void {
  const queryRaw = target.queryRaw.bind(target);
  const executeRaw = target.executeRaw.bind(target);
  target.queryRaw = (query) => {
    count.value++;
    return queryRaw(query);
  };
  target.executeRaw = (query) => {
    count.value++;
    return executeRaw(query);
  };
}

/** A patch (see patchFactory) that adds every statement of a connection to `count`. */
export function countStatements(count: StatementCount): (adapter: SqlDriverAdapter) => void {
  return (adapter) => {
    counted(adapter, count);
    const startTransaction = adapter.startTransaction.bind(adapter);
    adapter.startTransaction = async (isolationLevel) => {
      const tx = await startTransaction(isolationLevel);
      counted(tx, count);
      return tx;
    };
  };
}
