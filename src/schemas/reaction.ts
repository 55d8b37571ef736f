// Reactions (SPEC §11.4): the key rule and the reactor list.

import { Type as t, type Static } from '@sinclair/typebox'
import { Nullable, QueryInteger, Timestamp } from './common'
import { EX } from './examples'

export const MAX_REACTION_KEY_BYTES = 64

/**
 * A key is 1-64 bytes of UTF-8 (after URL decoding) with no whitespace and no control characters.
 * Format characters stay allowed: emoji sequences join with U+200D and carry U+FE0F.
 */
export function reactionKeyProblem(key: string): string | null {
  const bytes = Buffer.byteLength(key)
  if (bytes < 1 || bytes > MAX_REACTION_KEY_BYTES) return `key must be 1-${MAX_REACTION_KEY_BYTES} bytes of UTF-8`
  if (/[\p{White_Space}\p{Cc}]/u.test(key)) return 'key may not contain whitespace or control characters'
  if (/\p{Cs}/u.test(key)) return 'key must be valid UTF-8'
  return null
}

export const Reactor = t.Object({ user_id: t.String(), key: t.String(), created_at: Timestamp }, { description: 'One reaction: who, which key, when.' })
export type Reactor = Static<typeof Reactor>

export const ReactorQuery = t.Object({
  key: t.Optional(t.String({ description: 'Only the reactions with this key (the key rule applies: else 400 on key).', examples: ['👍'] })),
  limit: t.Optional(QueryInteger({ description: 'Page size.', minimum: 1, maximum: 200, default: 50, examples: [50] })),
  cursor: t.Optional(t.String({ description: 'The `next_cursor` of the previous page (opaque); absent for the first page.' })),
})
export type ReactorQuery = Static<typeof ReactorQuery>

export const ReactorList = t.Object(
  {
    reactions: t.Array(Reactor, { description: 'every reaction of the message (or of one key), earliest first' }),
    next_cursor: Nullable(t.String({ description: 'pass as `cursor` for the next page; null on the last page' })),
  },
  { examples: [{ reactions: [{ user_id: 'bob', key: '👍', created_at: EX.at }, { user_id: 'carol', key: '🎉', created_at: EX.later }], next_cursor: null }] },
)
export type ReactorList = Static<typeof ReactorList>
