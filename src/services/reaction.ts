// Reactions (SPEC §11.4): add and remove (idempotent: no rev, no event when nothing changes), and the
// complete reactor list.

import { isoNow, type Clock } from '../clock'
import type { Store } from '../db/types'
import { toMessage } from '../db/rows'
import { invalid, notFound } from '../errors'
import type { Message } from '../schemas/message'
import { reactionKeyProblem, type ReactorList, type ReactorQuery } from '../schemas/reaction'
import type { Actor } from './actor'
import { changeEvent, type EventBus } from './events'
import { parseLimit } from './input'
import { roomFor } from './access'

type Deps = { store: Store; clock: Clock; events: EventBus }

/**
 * A reaction key from the raw (still percent-encoded) last path segment, or a query value (already
 * decoded): the decoded key, or 400 on `key` when it is not valid percent-encoded UTF-8 or breaks the
 * rule. The route hands over the raw segment because the framework's own decoding falls back to the
 * undecoded text on a malformed escape, which would then pass as a key of its own.
 */
export function reactionKey(raw: string, encoded: boolean): string {
  let key = raw
  if (encoded) {
    try {
      key = decodeURIComponent(raw)
    } catch {
      throw invalid('key', 'key is not valid percent-encoded UTF-8')
    }
  }
  const problem = reactionKeyProblem(key)
  if (problem) throw invalid('key', problem)
  return key
}

export function createReactionService({ store, clock, events }: Deps) {
  /** The message the actor reacts to: member access (404/403), then the message (404). */
  async function target(actor: Actor, roomId: string, messageId: string) {
    await roomFor(store, actor, roomId, 'member')
    const row = await store.messages.get(roomId, messageId)
    if (!row) throw notFound('message')
    return row
  }

  return {
    /** PUT …/reactions/{key} (`rawKey` still percent-encoded): the message after; a reaction already there changes nothing. */
    async add(actor: Actor, roomId: string, messageId: string, rawKey: string): Promise<Message> {
      const key = reactionKey(rawKey, true)
      const row = await target(actor, roomId, messageId)
      const r = await store.reactions.add(roomId, row.seq, key, actor.userId, isoNow(clock))
      const m = toMessage(r.row)
      if (r.changed) events.emit(changeEvent(actor.tenant.tenant_id, m, { kind: 'reaction.added', user_id: actor.userId, key }))
      return m
    },

    /** DELETE …/reactions/{key}: the message after; no such reaction changes nothing. */
    async remove(actor: Actor, roomId: string, messageId: string, rawKey: string): Promise<Message> {
      const key = reactionKey(rawKey, true)
      const row = await target(actor, roomId, messageId)
      const r = await store.reactions.remove(roomId, row.seq, key, actor.userId)
      const m = toMessage(r.row)
      if (r.changed) events.emit(changeEvent(actor.tenant.tenant_id, m, { kind: 'reaction.removed', user_id: actor.userId, key }))
      return m
    },

    /** GET …/reactions: every reactor (optionally of one key), earliest first. */
    async list(actor: Actor, roomId: string, messageId: string, q: ReactorQuery): Promise<ReactorList> {
      const key = q.key === undefined ? null : reactionKey(q.key, false)
      const limit = parseLimit(q.limit)
      const row = await target(actor, roomId, messageId)
      return store.reactions.list(roomId, row.seq, key, limit, q.cursor)
    },
  }
}

export type ReactionService = ReturnType<typeof createReactionService>
