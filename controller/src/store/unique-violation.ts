// Prisma reports a unique index violation as P2002 through every driver adapter; callers that
// allocate names or ports under concurrency retry on it instead of failing.
export function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'P2002';
}
