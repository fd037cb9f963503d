export { openStore, type OpenStoreOptions } from './open-store.ts';
export type { PrismaClient, Store } from './store.ts';
export { isUniqueViolation } from './unique-violation.ts';
export { isRecordNotFound } from './record-not-found.ts';
export { updateRows, type RowUpdate } from './update-rows.ts';
export type { Provider } from './migrations.ts';
export type {
  ApiToken,
  Event,
  Image,
  Node,
  PortAllocation,
  Prisma,
  Reservation,
  User,
} from './generated/postgresql/client.ts';
export * from './private-files.ts';
