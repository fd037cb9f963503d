// Prisma reports a unique index violation as P2002 through every driver adapter's model API, and
// as P2010 (raw query failed) with the adapter's error kind for raw SQL (store/update-rows.ts).
// Callers that allocate names or ports under concurrency retry on it instead of failing.
export function isUniqueViolation(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; meta?: { driverAdapterError?: { cause?: { kind?: unknown } } } };
  return e.code === 'P2002' || (e.code === 'P2010' && e.meta?.driverAdapterError?.cause?.kind === 'UniqueConstraintViolation');
}
