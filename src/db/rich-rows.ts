// Shared by both stores for SPEC §11.4-§11.5: the `reactions` JSON kept on a message row (updated in
// the same transaction as the reactions table, so both stores keep it identically), and the pages of
// reactors and mentions.

import { conflict } from '../errors'
import { MAX_LISTED_REACTORS, MAX_REACTION_KEYS, type ReactionSummary } from '../schemas/message'
import type { Reactor } from '../schemas/reaction'
import { encodeCursor } from './cursor'
import type { PageRow } from './rows'

export const parseReactions = (json: string | null): ReactionSummary[] => (json === null ? [] : JSON.parse(json))
export const reactionsJson = (s: ReactionSummary[]): string | null => (s.length ? JSON.stringify(s) : null)

/**
 * The summary with one more reactor. A key not yet on the message goes last (keys are in order of
 * first use) and is refused past MAX_REACTION_KEYS; a reactor joins `user_ids` only while fewer than
 * 25 are listed (the list holds the earliest 25, and this one is the latest).
 */
export function withReaction(s: ReactionSummary[], key: string, userId: string): ReactionSummary[] {
  const i = s.findIndex((r) => r.key === key)
  if (i < 0) {
    if (s.length >= MAX_REACTION_KEYS) throw conflict(`a message has at most ${MAX_REACTION_KEYS} distinct reactions`)
    return [...s, { key, count: 1, user_ids: [userId] }]
  }
  const r = s[i]
  const user_ids = r.user_ids.length < MAX_LISTED_REACTORS ? [...r.user_ids, userId] : r.user_ids
  return s.map((x, j) => (j === i ? { key, count: r.count + 1, user_ids } : x))
}

/**
 * True when removing `userId` from `key` needs the key's earliest reactors read again: they were
 * listed and more reactors remain than would stay listed, so the list refills with the next earliest.
 */
export function refillNeeded(s: ReactionSummary[], key: string, userId: string): boolean {
  const r = s.find((x) => x.key === key)
  return !!r && r.user_ids.includes(userId) && r.count - 1 > r.user_ids.length - 1
}

/**
 * The summary without one reactor; `refill` is the key's first 25 reactors read after the delete
 * (only when refillNeeded said so). A key with no reactor left disappears.
 */
export function withoutReaction(s: ReactionSummary[], key: string, userId: string, refill: string[] | null): ReactionSummary[] {
  const i = s.findIndex((r) => r.key === key)
  if (i < 0) return s
  const r = s[i]
  if (r.count <= 1) return s.filter((_, j) => j !== i)
  const user_ids = refill ?? r.user_ids.filter((u) => u !== userId)
  return s.map((x, j) => (j === i ? { key, count: r.count - 1, user_ids } : x))
}

export type ReactorRow = Reactor & { rev: number }

/** One page of reactors from `limit + 1` rows, cursor = the last row's rev. */
export function toReactorPage(rows: ReactorRow[], limit: number): { reactions: Reactor[]; next_cursor: string | null } {
  const page = rows.slice(0, limit)
  return {
    reactions: page.map((r) => ({ user_id: r.user_id, key: r.key, created_at: r.created_at })),
    next_cursor: rows.length > limit ? encodeCursor([page[page.length - 1].rev]) : null,
  }
}

/** One page of mentions from `limit + 1` rows, newest first; cursor = (created_at, room_id, seq) of the last. */
export function toMentionPage(rows: PageRow[], limit: number): { rows: PageRow[]; next_cursor: string | null } {
  const page = rows.slice(0, limit)
  const last = page[page.length - 1]
  return { rows: page, next_cursor: rows.length > limit ? encodeCursor([last.created_at, last.room_id, last.seq]) : null }
}

