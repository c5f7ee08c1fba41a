// Limit/offset clamping shared by the list queries, so that an API caller can never ask
// SQLite for an unbounded result set.

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

/** Clamps a caller's page size to 1..MAX_PAGE_SIZE; DEFAULT_PAGE_SIZE when absent. */
export function pageSize(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_PAGE_SIZE;
  return Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(limit)));
}

/** Clamps an offset to a non-negative integer; 0 when absent. */
export function pageOffset(offset: number | undefined): number {
  if (offset === undefined || !Number.isFinite(offset)) return 0;
  return Math.max(0, Math.floor(offset));
}
