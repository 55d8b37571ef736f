// Reactions (SPEC §11.4): add and remove (idempotent: no rev, no event when nothing changes), and the
// complete reactor list. Changes are group-committed like sends, so a reaction costs about what a send does.

import { isoNow, type Clock } from '../clock'
import type { Store } from '../db/types'
import { toMessage, type ChangeResult, type ReactionOp } from '../db/rows'
import { invalid, notFound, toAppError } from '../errors'
import type { Logger } from '../log'
import type { Config } from '../config'
import type { Message } from '../schemas/message'
import { reactionKeyProblem, type ReactorList, type ReactorQuery } from '../schemas/reaction'
import type { Actor } from './actor'
import { changeEvent, type EventBus } from './events'
import { parseLimit } from './input'
import type { MemberCache } from './access'
import type { SendPolicy } from './moderation-cache'
import { createGroupCommit } from './group-commit'

type Deps = {
  store: Store
  clock: Clock
  events: EventBus
  log: Logger
  config: Pick<Config, 'GROUP_COMMIT_MAX_BATCH'>
  memberships: MemberCache
  /** SPEC §14: a muted member does not react. */
  policy: Pick<SendPolicy, 'check'>
}

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

export function createReactionService({ store, clock, events, log, config, memberships, policy }: Deps) {
  // Reactions that arrive in the same event-loop turn share one transaction (one fsync), as sends do.
  const commits = createGroupCommit<ReactionOp, ChangeResult>((ops) => store.reactions.apply(ops), config.GROUP_COMMIT_MAX_BATCH, { linger: true })

  /** Commits one op (with whatever else is pending), then emits its change; the message after it. */
  async function change(actor: Actor, op: ReactionOp): Promise<Message> {
    let r: ChangeResult
    try {
      r = await commits.submit(op)
    } catch (e) {
      throw toAppError(e, log, { room_id: op.room_id }) // the whole batch failed
    }
    if (!r.ok) throw toAppError(r.error, log, { room_id: op.room_id })
    const m = toMessage(r.row)
    if (r.changed) events.emit(changeEvent(actor.tenant.tenant_id, m, { kind: op.op === 'add' ? 'reaction.added' : 'reaction.removed', user_id: op.user_id, key: op.key }))
    return m
  }

  /** The message the actor reacts to: member access (404/403, through the send path's cache), then the message (404). */
  async function target(actor: Actor, roomId: string, messageId: string) {
    await memberships.requireMember(actor, roomId)
    const row = await store.messages.get(roomId, messageId)
    if (!row) throw notFound('message')
    return row
  }

  return {
    /** PUT …/reactions/{key} (`rawKey` still percent-encoded): the message after; a reaction already there changes nothing. */
    async add(actor: Actor, roomId: string, messageId: string, rawKey: string): Promise<Message> {
      const key = reactionKey(rawKey, true)
      const row = await target(actor, roomId, messageId)
      await policy.check(actor, roomId, 'react') // a muted member: 403
      return change(actor, { op: 'add', room_id: roomId, seq: row.seq, key, user_id: actor.userId, at: isoNow(clock) })
    },

    /** DELETE …/reactions/{key}: the message after; no such reaction changes nothing. */
    async remove(actor: Actor, roomId: string, messageId: string, rawKey: string): Promise<Message> {
      const key = reactionKey(rawKey, true)
      const row = await target(actor, roomId, messageId)
      return change(actor, { op: 'remove', room_id: roomId, seq: row.seq, key, user_id: actor.userId, at: isoNow(clock) })
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
