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
