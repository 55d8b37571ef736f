// Opaque paging cursors: base64url JSON of the last row's sort key. Both stores use this one codec,
// so a cursor means the same on SQLite and PostgreSQL.

import { invalid } from '../errors'

export function encodeCursor(key: (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url')
}

/** Decodes a cursor made by encodeCursor; anything else is a 400 on `cursor`. */
export function decodeCursor(cursor: string, shape: ('string' | 'number')[]): (string | number)[] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
    // A NUL inside a key would reach PostgreSQL as text it cannot hold: no cursor we make has one.
    if (Array.isArray(v) && v.length === shape.length && v.every((x, i) => typeof x === shape[i] && !(typeof x === 'string' && x.includes('\0')))) return v
  } catch {}
  throw invalid('cursor', 'cursor is not valid')
}

/**
 * Lists ordered by (created_at, insertion order): `ord` is SQLite's rowid or PostgreSQL's identity
 * column of that name (migration 0009), so rows of one millisecond keep the order they were made in
 * whatever their (random) ids. The cursor carries the last row's [created_at, ord].
 */
export type WithOrd<R> = R & { ord: number | string | bigint }

/** The position an insertion-order cursor names: rows after (or, newest first, before) it. */
export function decodeOrdCursor(cursor: string): { at: string; ord: number } {
  const [at, ord] = decodeCursor(cursor, ['string', 'number']) as [string, number]
  return { at, ord }
}

/** One page of `limit` rows out of limit + 1 read, without their `ord` (not part of any row type). */
export function ordPage<R extends { created_at: string }>(rows: WithOrd<R>[], limit: number): { rows: R[]; next_cursor: string | null } {
  const page = rows.slice(0, limit)
  const last = page[page.length - 1]
  return {
    rows: page.map(withoutOrd),
    next_cursor: rows.length > limit ? encodeCursor([last.created_at, Number(last.ord)]) : null,
  }
}

export function withoutOrd<R>(row: WithOrd<R>): R {
  const { ord: _, ...rest } = row
  return rest as R
}
