// Small result helpers shared by the PostgreSQL aggregates: rows as plain values, like bun:sqlite's.

/** The first row or null (bun:sqlite's `.get()` answers null for no row). */
export const first = <T>(rows: readonly T[]): T | null => rows[0] ?? null

/** A plain array of the rows (Bun's result array also carries count/command properties). */
export const all = <T>(rows: readonly T[]): T[] => Array.from(rows)

/**
 * BIGINT (epoch-ms) and aggregate columns arrive as strings from Bun's client; the SQLite store
 * returns numbers. Converts the named fields of each row in place (null stays null).
 */
export function numbers<T extends object>(row: T, ...keys: (keyof T)[]): T {
  for (const k of keys) {
    const v = row[k] as unknown
    if (v !== null && v !== undefined && typeof v !== 'number') (row as Record<keyof T, unknown>)[k] = Number(v)
  }
  return row
}

/** The PostgreSQL error code (SQLSTATE, e.g. "23505") of a server error, else null. */
export const sqlState = (e: unknown): string | null => {
  const errno = (e as { errno?: unknown } | null)?.errno
  return typeof errno === 'string' && /^[0-9A-Z]{5}$/.test(errno) ? errno : null
}

