// Prisma reports an update or delete whose unique where (with its extra filters) matched no row
// as P2025. A conditional write that lost its condition answers with it, and callers then read.
export function isRecordNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'P2025';
}
