// Redelivery of messages to connected members whose ack lags (SPEC §6), on the main thread, which
// owns the connections. Per-member state is the ack cursor in the store plus this in-memory timer
// state for members that are connected right now; nothing is written per message or per member.

import type { Clock } from '../clock'
import type { Config } from '../config'
import type { Store } from '../db/types'
import { toMessage } from '../db/rows'
import { newId } from '../ids'
import type { Logger } from '../log'
import { messageFrame, serializeFrame, type SerializedFrame } from '../schemas/server-frames'
import type { BackgroundTask } from '../tasks'
import { backoffMs } from './backoff'
import type { Subscriber } from './events'

export interface LiveUsers {
  /** Every (tenant, user) with at least one live connection on this instance. */
  connectedUsers(): Iterable<{ tenantId: string; userId: string }>
  /** Sends an already-serialized frame to the user's live connections subscribed to the room. */
  sendToUser(tenantId: string, userId: string, data: SerializedFrame, roomId: string): void
  connected(tenantId: string, userId: string): boolean
}

interface Lag {
  ack: number
  attempts: number
  nextAt: number
  dead: boolean
}

/**
 * Policy: a connected member whose ack stays below the room's last_seq for ACK_TIMEOUT_MS gets the
 * messages after their ack again (at most SYNC_MAX_PER_ROOM per attempt), then again after
 * RETRY_BASE_MS × 2^(n-1) with jitter, RETRY_MAX_ATTEMPTS times in all; then a `message` dead
 * letter names user, room and seq range. Any ack movement restarts the clock; the dead letter is
 * removed once the member's ack passes its to_seq. Disconnected members are not tracked (they sync
 * on connect). Work per sweep: rooms that had messages recently ("dirty"), plus a full pass over
 * connected users every ACK_TIMEOUT_MS to catch what arrived by sync.
 */
export function createRedelivery(deps: { store: Store; clock: Clock; config: Config; live: LiveUsers }) {
  const { store, clock, config, live } = deps
  const lags = new Map<string, Lag>()
  const dirty = new Map<string, { tenantId: string; roomId: string }>()
  let lastFull = 0
  const key = (t: string, u: string, r: string) => `${t}\u0000${u}\u0000${r}`

  async function redeliver(tenantId: string, userId: string, roomId: string, afterSeq: number) {
    for (const row of await store.messages.after(roomId, afterSeq, config.SYNC_MAX_PER_ROOM))
      live.sendToUser(tenantId, userId, serializeFrame(messageFrame('message', toMessage(row))), roomId)
  }

  /** Advances one member's lag state; returns what happened. */
  async function step(tenantId: string, userId: string, roomId: string, ack: number, lastSeq: number, now: number): Promise<'wait' | 'redelivered' | 'dead'> {
    const k = key(tenantId, userId, roomId)
    let lag = lags.get(k)
    if (!lag || lag.ack !== ack) {
      lags.set(k, { ack, attempts: 0, nextAt: now + config.ACK_TIMEOUT_MS, dead: false })
      return 'wait'
    }
    if (lag.dead || now < lag.nextAt) return 'wait'
    if (lag.attempts < config.RETRY_MAX_ATTEMPTS) {
      lag.attempts++
      lag.nextAt = now + backoffMs(config.RETRY_BASE_MS, lag.attempts)
      await redeliver(tenantId, userId, roomId, ack)
      return 'redelivered'
    }
    lag.dead = true
    const at = new Date(now).toISOString()
    await store.deadLetters.insert({
      id: newId('dl'),
      kind: 'message',
      tenant_id: tenantId,
      target: userId,
      ref_id: roomId,
      from_seq: ack + 1,
      to_seq: lastSeq,
      delivery_id: null,
      attempts: 1 + lag.attempts, // the first delivery (live or sync) plus the redeliveries, as HTTP dead letters count
      last_error: 'ACK_TIMEOUT',
      created_at: at,
      last_attempt_at: at,
    })
    return 'dead'
  }

  return {
    /** A message was stored in the room: its connected members are watched until they ack. */
    markRoom(tenantId: string, roomId: string) {
      dirty.set(`${tenantId}\u0000${roomId}`, { tenantId, roomId })
    },

    /** One sweep; called on a timer, and directly by tests. */
    async tick(): Promise<{ redelivered: number; deadLettered: number }> {
      const now = clock.now()
      const counts = { redelivered: 0, deadLettered: 0, wait: 0 }
      const live_ = new Set<string>()
      const visit = async (t: string, u: string, r: string, ack: number, last: number) => {
        live_.add(key(t, u, r))
        const s = await step(t, u, r, ack, last, now)
        if (s === 'redelivered') counts.redelivered++
        else if (s === 'dead') counts.deadLettered++
      }
      if (now - lastFull >= config.ACK_TIMEOUT_MS) {
        lastFull = now
        for (const { tenantId, userId } of live.connectedUsers())
          for (const m of await store.members.membershipsOf(tenantId, userId))
            if (m.last_ack < m.last_seq) this.markRoom(tenantId, m.room_id)
      }
      for (const [dk, { tenantId, roomId }] of dirty) {
        let watching = false
        for (const m of await store.members.laggards(roomId)) {
          if (!live.connected(tenantId, m.user_id)) continue
          watching = true
          await visit(tenantId, m.user_id, roomId, m.last_ack, m.last_seq)
        }
        if (!watching) dirty.delete(dk)
      }
      for (const k of lags.keys()) if (!live_.has(k)) lags.delete(k) // caught up, left or disconnected
      // Message dead letters clear themselves once the ack passes them (connected or not).
      for (const dl of await store.deadLetters.messageLetters()) {
        const m = await store.members.get(dl.ref_id, dl.target)
        if (!m || m.last_ack >= (dl.to_seq ?? 0)) await store.deadLetters.delete(dl.id)
      }
      return { redelivered: counts.redelivered, deadLettered: counts.deadLettered }
    },

    /** Admin retry of a `message` dead letter: redeliver now and start counting attempts again. */
    async retry(tenantId: string, userId: string, roomId: string) {
      const m = await store.members.get(roomId, userId)
      if (!m) return
      const room = await store.rooms.get(tenantId, roomId)
      lags.set(key(tenantId, userId, roomId), { ack: m.last_ack, attempts: 1, nextAt: clock.now() + backoffMs(config.RETRY_BASE_MS, 1), dead: false })
      this.markRoom(tenantId, roomId)
      if (room && live.connected(tenantId, userId)) await redeliver(tenantId, userId, roomId, m.last_ack)
    },
  }
}

export type Redelivery = ReturnType<typeof createRedelivery>

/** A stored message puts its room on the watch list. */
export const redeliveryBookkeeping = (redelivery: Redelivery): Subscriber => ({
  name: 'redelivery',
  handlers: { 'message.created': (e) => redelivery.markRoom(e.tenantId, e.message.room_id) },
})

/**
 * The sweep loop: half the shorter of ACK_TIMEOUT_MS and RETRY_BASE_MS (20 ms to 5 s), so a lag is
 * seen within half its deadline. One sweep at a time; stop waits for the one in flight, so the
 * store is never closed under it.
 */
export function redeliverySweeper(deps: {
  redelivery: Redelivery
  config: Pick<Config, 'ACK_TIMEOUT_MS' | 'RETRY_BASE_MS'>
  log: Logger
  /** Called after a sweep that redelivered something (metrics). */
  onRedelivered?: (count: number) => void
}): BackgroundTask {
  const { redelivery, config, log } = deps
  const everyMs = Math.min(5000, Math.max(20, Math.floor(Math.min(config.ACK_TIMEOUT_MS, config.RETRY_BASE_MS) / 2)))
  let timer: ReturnType<typeof setInterval> | null = null
  let sweeping: Promise<void> | null = null
  return {
    name: 'redelivery sweeper',
    start() {
      timer = setInterval(() => {
        sweeping ??= redelivery
          .tick()
          .then((r) => void (r.redelivered && deps.onRedelivered?.(r.redelivered)))
          .catch((e) => log.error('redelivery sweep failed', { code: (e as { code?: string }).code }))
          .finally(() => (sweeping = null))
      }, everyMs)
    },
    async stop() {
      if (timer) clearInterval(timer)
      timer = null
      await sweeping
    },
  }
}
