// Messages: send (validated, group-committed, then announced), history pages, replies, edit and delete.

import { isoNow, type Clock } from '../clock'
import type { MessageRow, NewMessage, Store } from '../db/types'
import { parentProblem, toMessage, type AppendResult, type PageRow } from '../db/rows'
import { attachmentsRefused, conflict, contentRejected, forbidden, invalid, notFound, toAppError } from '../errors'
import { randomBase62 } from '../ids'
import type { Attachment, HistoryQuery, Message, MessageAck, PatchMessageBody, RepliesQuery, SendMessageBody } from '../schemas/message'
import { MAX_MENTIONS } from '../schemas/message'
import type { Actor } from './actor'
import { jsonField, parseLimit, parseSeq } from './input'
import { isManager, roomFor, type MemberCache } from './access'
import { createHistoryCache, type EncodedPage } from './history-cache'
import { createGroupCommit } from './group-commit'
import { changeEvent, type EventBus } from './events'
import type { Logger } from '../log'
import type { Config } from '../config'
import type { SendPolicy } from './moderation-cache'
import type { PresendHook } from './presend'
import { fold, maskBlocked, type Matcher } from './blocklist'

type Deps = {
  store: Store
  clock: Clock
  events: EventBus
  log: Logger
  config: Pick<Config, 'GROUP_COMMIT_MAX_BATCH' | 'HISTORY_CACHE_MB'>
  memberships: MemberCache
  /** SPEC §14 send checks: mutes, read-only rooms, blocked dms. */
  policy: Pick<SendPolicy, 'check'>
  presend: PresendHook
  /** The compiled matcher of a tenant's blocklist terms. */
  blocklist: (terms: readonly string[]) => Matcher
}

const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
/**
 * `msg_` + the time in ms as 8 base62 digits + 17 random base62 chars (≈101 bits, SPEC §1 asks 96).
 * Ids of one moment sort together, so each insert lands at the right edge of the message_id index
 * instead of dirtying a random page: fewer WAL pages per group commit (PERF: +50–70% stored msg/s).
 */
export function messageId(ms: number): string {
  let t = ''
  for (let i = 0, n = Math.floor(ms); i < 8; i++, n = Math.floor(n / 62)) t = B62[n % 62] + t
  return `msg_${t}${randomBase62(17)}`
}

/**
 * Keeps one connection's sends in arrival order (SPEC §5) when the checks before the commit are
 * asynchronous (a Redis rate limit, a PostgreSQL membership read): each send waits for the previous
 * one to be submitted to the group commit, not for it to be committed.
 */
export interface SendOrder {
  wait: Promise<void>
  submitted(): void
}

export const toAck = (r: MessageRow): MessageAck => ({ message_id: r.message_id, room_id: r.room_id, seq: r.seq, created_at: r.created_at })

/** The `mentions` of a send or edit: distinct, each a member of the room now (else 400 on `mentions`). */
export async function checkMentions(store: Store, roomId: string, mentions: string[] | undefined): Promise<string[]> {
  if (mentions === undefined || mentions.length === 0) return []
  const ids = [...new Set(mentions)]
  if (ids.length > MAX_MENTIONS) throw invalid('mentions', `mentions may name at most ${MAX_MENTIONS} distinct users (got ${ids.length})`)
  const members = new Set(await store.mentions.membersAmong(roomId, ids))
  const outsider = ids.find((u) => !members.has(u))
  if (outsider !== undefined) throw invalid('mentions', `mentions must name members of the room (${outsider} is not one)`)
  return ids
}

/** Parses a boolean query value such as top_level: true, false or absent. */
function parseFlag(field: string, raw: string | undefined): boolean {
  if (raw === undefined || raw === '' || raw === 'false') return false
  if (raw === 'true') return true
  throw invalid(field, `${field} must be true or false`)
}

/** A history-style page: `rows` read with one extra row to tell whether more exist beyond it. */
function pageOf(rows: PageRow[], limit: number, forward: boolean) {
  const has_more = rows.length > limit
  const page = forward ? rows.slice(0, limit) : rows.slice(rows.length - Math.min(limit, rows.length))
  return { messages: page.map(toMessage), has_more }
}

export function createMessageService({ store, clock, events, log, config, memberships, policy, presend, blocklist }: Deps) {
  const commits = createGroupCommit<NewMessage, AppendResult>((items) => store.messages.appendBatch(items), config.GROUP_COMMIT_MAX_BATCH, { linger: true })
  const pages = createHistoryCache(config.HISTORY_CACHE_MB * 1024 * 1024)

  function checkContent(actor: Actor, content: string) {
    const max = actor.tenant.config.max_message_bytes
    if (Buffer.byteLength(content) > max) throw invalid('content', `content must be at most ${max} bytes`)
  }

  /**
   * The tenant blocklist (SPEC §14): 422 under `reject`; under `mask` the content with each match
   * starred. One fold and one pass over the content, whatever the number of terms (blocklist.ts).
   */
  function screen(actor: Actor, content: string): string {
    const list = actor.tenant.config.blocklist
    if (!list) return content
    const matcher = blocklist(list.terms)
    const folded = fold(content)
    const matches = matcher.scan(folded, list.action === 'reject')
    if (!matches.length) return content
    if (list.action === 'reject') throw contentRejected('the message contains a blocked term')
    return maskBlocked(matcher, content, folded, matches)
  }

  /**
   * The message's attachments (SPEC §12): distinct live uploads of the sender, listed in the order
   * given. The append checks again in its transaction (an upload may be deleted meanwhile).
   */
  async function attachmentsOf(actor: Actor, ids: readonly string[] | undefined): Promise<{ json: string | null; ids: readonly string[] }> {
    if (!ids?.length) return { json: null, ids: [] }
    if (new Set(ids).size !== ids.length) throw invalid('attachments', 'attachments must not list an upload_id twice')
    const rows = await store.uploads.ownedBy(actor.tenant.tenant_id, actor.userId, ids)
    if (rows.length !== ids.length) throw attachmentsRefused()
    const byId = new Map(rows.map((r) => [r.upload_id, r]))
    const list: Attachment[] = ids.map((id) => {
      const r = byId.get(id)!
      return { upload_id: r.upload_id, filename: r.filename, content_type: r.content_type, bytes: r.bytes, width: r.width, height: r.height }
    })
    return { json: JSON.stringify(list), ids }
  }

  /**
   * A history page encoded as JSON (what the REST route sends), from the room's window in the
   * history cache when it holds the page and the room's stamp still matches, else from the store.
   */
  async function historyJson(actor: Actor, roomId: string, q: HistoryQuery): Promise<EncodedPage> {
    const after = parseSeq('after_seq', q.after_seq)
    const before = parseSeq('before_seq', q.before_seq)
    if (after !== undefined && before !== undefined) throw invalid('before_seq', 'use after_seq or before_seq, not both')
    const limit = parseLimit(q.limit)
    const topLevel = parseFlag('top_level', q.top_level)
    // Membership through the cache (no query on a hit); the room row itself is not needed: with
    // no cursor the newest page is simply everything below the largest possible seq.
    await memberships.requireMember(actor, roomId)
    // Read before the page: a page read across a commit is then newer than its stamp, never older.
    const stamp = topLevel || !pages.enabled ? null : await store.messages.stamp(roomId)
    const pq = { after, before: before ?? Infinity, limit }
    const cached = stamp && pages.page(roomId, stamp, pq)
    if (cached) return cached
    // On a miss the read may reach further, to join the room's window (history-cache.ts plan).
    const read = stamp ? pages.plan(roomId, stamp, pq) : { after, before: pq.before, n: limit + 1 }
    let rows = await (read.after !== undefined
      ? store.messages.after(roomId, read.after, read.n, topLevel)
      : store.messages.before(roomId, Math.min(read.before, Number.MAX_SAFE_INTEGER), read.n, topLevel))
    if (stamp) {
      pages.fill(roomId, stamp, read, rows)
      const filled = pages.page(roomId, stamp, pq)
      if (filled) return filled
    }
    if (read.n > limit + 1) rows = after !== undefined ? rows.filter((r) => r.seq > after).slice(0, limit + 1) : rows.filter((r) => r.seq < pq.before).slice(-(limit + 1))
    const page = pageOf(rows, limit, after !== undefined)
    return { json: JSON.stringify(page), count: page.messages.length }
  }

  return {
    /**
     * Stores a message, then emits message.created (SPEC §6 store then send). Returns created=false
     * with the original ack on a client_msg_id replay, which emits nothing.
     */
    async send(actor: Actor, roomId: string, body: SendMessageBody, order?: SendOrder): Promise<{ created: boolean; ack: MessageAck }> {
      let pending: Promise<AppendResult>
      try {
        checkContent(actor, body.content)
        let meta = jsonField('meta', body.meta)
        await memberships.requireMember(actor, roomId)
        await policy.check(actor, roomId) // SPEC §14: a mute, a read-only room, a blocked dm (403)
        const mentions = await checkMentions(store, roomId, body.mentions)
        const attachments = await attachmentsOf(actor, body.attachments)
        if (body.parent_id !== undefined) {
          // SPEC §14 puts the blocklist's 422 and the hook after validation: a parent that can never
          // take a reply (unknown, another room's, itself a reply) is the 400 now. A deleted parent
          // (409, state) comes after the 422; the append checks the parent again in its transaction.
          const parent = await store.messages.get(roomId, body.parent_id)
          if (!parent || parent.parent_id !== null) throw parentProblem(parent)!
        }
        if (actor.tenant.config.presend && body.client_msg_id !== undefined) {
          // A retry of a message already stored answers with it (200), without asking the hook
          // again: the first attempt may have timed out at the client only.
          const prior = await store.messages.byClientId(roomId, actor.userId, body.client_msg_id)
          if (prior) return { created: false, ack: toAck(prior) }
        }
        let content = screen(actor, body.content)
        if (actor.tenant.config.presend) {
          // Each send waits for its own hook call, outside the group commit; a connection's later
          // sends call the hook meanwhile but still go into the commit after this one (order.wait).
          const out = await presend.check(actor.tenant, {
            room_id: roomId,
            sender_id: actor.userId,
            content,
            meta: (body.meta ?? null) as Record<string, unknown> | null,
            parent_id: body.parent_id ?? null,
            mentions,
            attachments: [...attachments.ids],
          })
          content = out.content
          meta = out.meta === null ? null : JSON.stringify(out.meta)
        }
        if (order) await order.wait // earlier frames of this connection go into the commit first
        const now = clock.now()
        pending = commits.submit({
          tenant_id: actor.tenant.tenant_id,
          room_id: roomId,
          sender_id: actor.userId,
          message_id: messageId(now),
          content,
          meta,
          client_msg_id: body.client_msg_id ?? null,
          created_at: new Date(now).toISOString(),
          parent_id: body.parent_id ?? null,
          mentions,
          attachments: attachments.json,
          upload_ids: attachments.ids,
        })
      } finally {
        order?.submitted()
      }
      let res: AppendResult
      try {
        res = await pending
      } catch (e) {
        throw toAppError(e, log, { room_id: roomId }) // the whole batch failed
      }
      if (!res.ok) throw toAppError(res.error, log, { room_id: roomId }) // this item failed
      if (res.created) {
        const tenantId = actor.tenant.tenant_id
        events.emit({ type: 'message.created', tenantId, message: toMessage(res.row) })
        if (res.parent) events.emit(changeEvent(tenantId, toMessage(res.parent), { kind: 'reply', user_id: actor.userId }))
      }
      return { created: res.created, ack: toAck(res.row) }
    },

    async history(actor: Actor, roomId: string, q: HistoryQuery): Promise<{ messages: Message[]; has_more: boolean }> {
      return JSON.parse((await historyJson(actor, roomId, q)).json)
    },

    historyJson,

    /** The replies of a message, with history's paging rules (SPEC §11.3). */
    async replies(actor: Actor, roomId: string, messageId: string, q: RepliesQuery): Promise<{ messages: Message[]; has_more: boolean }> {
      const after = parseSeq('after_seq', q.after_seq)
      const before = parseSeq('before_seq', q.before_seq)
      if (after !== undefined && before !== undefined) throw invalid('before_seq', 'use after_seq or before_seq, not both')
      const limit = parseLimit(q.limit)
      await memberships.requireMember(actor, roomId)
      if (!(await store.messages.get(roomId, messageId))) throw notFound('message')
      const rows = await (after !== undefined
        ? store.messages.replies(roomId, messageId, after, limit + 1)
        : store.messages.replies(roomId, messageId, before ?? Number.MAX_SAFE_INTEGER, limit + 1, true))
      return pageOf(rows, limit, after !== undefined)
    },

    async get(actor: Actor, roomId: string, messageId: string): Promise<Message> {
      await roomFor(store, actor, roomId, 'member')
      const row = await store.messages.get(roomId, messageId)
      if (!row) throw notFound('message')
      return toMessage(row)
    },

    async edit(actor: Actor, roomId: string, messageId: string, body: PatchMessageBody): Promise<Message> {
      if (body.content !== undefined) checkContent(actor, body.content)
      const meta = jsonField('meta', body.meta)
      await roomFor(store, actor, roomId, 'member')
      const mentions = body.mentions === undefined ? null : await checkMentions(store, roomId, body.mentions)
      const row = await store.messages.get(roomId, messageId)
      if (!row) throw notFound('message')
      if (row.sender_id !== actor.userId) throw forbidden('only the sender edits a message')
      const content = body.content === undefined ? null : screen(actor, body.content) // 422 before the state's 409 (SPEC §14)
      if (row.deleted_at) throw conflict('the message is deleted')
      const patch = { content, meta, mentions }
      const updated = toMessage(await store.messages.edit(roomId, row.seq, patch, actor.userId, isoNow(clock)))
      events.emit(changeEvent(actor.tenant.tenant_id, updated, { kind: 'edited', user_id: actor.userId }))
      return updated
    },

    /** Tombstones the message (keeps its seq); deleting again is a no-op success. */
    async remove(actor: Actor, roomId: string, messageId: string): Promise<void> {
      const { member } = await roomFor(store, actor, roomId, 'member')
      const row = await store.messages.get(roomId, messageId)
      if (!row) throw notFound('message')
      if (row.sender_id !== actor.userId && !isManager(member)) throw forbidden('only the sender or an owner/admin deletes a message')
      if (row.deleted_at) return
      const r = await store.messages.tombstone(roomId, row.seq, actor.userId, isoNow(clock))
      if (r.changed) events.emit(changeEvent(actor.tenant.tenant_id, toMessage(r.row), { kind: 'deleted', user_id: actor.userId }))
    },

    /**
     * A delete by the parent app (a report resolved with delete_message, SPEC §14); the change's
     * user_id is `api_key`, as in the audit log. The caller checked the room.
     */
    async removeByModerator(tenantId: string, roomId: string, messageId: string): Promise<void> {
      const row = await store.messages.get(roomId, messageId)
      if (!row || row.tenant_id !== tenantId) throw notFound('message')
      if (row.deleted_at) return
      const r = await store.messages.tombstone(roomId, row.seq, 'api_key', isoNow(clock))
      if (r.changed) events.emit(changeEvent(tenantId, toMessage(r.row), { kind: 'deleted', user_id: 'api_key' }))
    },
  }
}

export type MessageService = ReturnType<typeof createMessageService>
