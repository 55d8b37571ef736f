// Client frame → the same service calls REST uses → reply frame or `error` frame (SPEC §5).

import { AppError, invalid, rateLimited, toAppError, toErrorBody } from '../errors'
import type { Broker } from '../broker/types'
import { topics } from '../broker/topics'
import type { Logger } from '../log'
import type { Services } from '../services'
import { parseClientFrame, type ClientFrame } from '../schemas/frames'
import { readUpdatedFrame, syncDoneFrame, typingFrame, type ServerFrame } from '../schemas/server-frames'
import type { Config } from '../config'
import type { Connection } from './connection'
import { syncChanges, syncRoom } from './sync'
import { costOf } from '../services/cost'

/** SPEC §5: a typing indicator ends 6 s after its last typing.start. */
const TYPING_TIMEOUT_MS = 6000

export interface DispatchDeps {
  services: Services
  broker: Broker
  config: Config
  log: Logger
  /** Overrides TYPING_TIMEOUT_MS (tests). */
  typingTimeoutMs?: number
}

export function errorFrame(e: AppError, requestId?: string): ServerFrame<'error'> {
  const { code, message, field } = toErrorBody(e).error
  return { type: 'error', code, message, ...(field && { field }), ...(requestId && { request_id: requestId }) }
}

export function createDispatcher({ services, broker, config, log, typingTimeoutMs = TYPING_TIMEOUT_MS }: DispatchDeps) {
  const { message, receipt, realtime, limiter, notifications } = services

  /** Spends `cost` tokens of the connection's tenant bucket (SPEC §2), or refuses the frame. */
  async function chargeTenant(conn: Connection, cost = 1) {
    const take = await limiter.take(conn.tenantId, conn.actor.tenant.config.rate_limit_per_sec, cost)
    if (!take.allowed) throw rateLimited()
  }

  /** Ends a typing indicator (auto-stop, explicit stop or close). A closed socket relays through the server. */
  function stopTyping(conn: Connection, roomId: string) {
    const timer = conn.typing?.get(roomId)
    if (!timer) return
    clearTimeout(timer)
    conn.typing!.delete(roomId)
    if (conn.typing!.size === 0) conn.typing = null
    const topic = topics.room(conn.tenantId, roomId)
    const frame = typingFrame(roomId, conn.userId, 'stop')
    if (conn.closed) broker.publish(topic, frame)
    else broker.publishFrom(conn.ws, topic, frame) // never to the sending connection
  }

  /** Runs `fn` once every earlier ordered frame of the connection has taken effect (see nextSendTurn). */
  async function inTurn<T>(conn: Connection, fn: () => Promise<T>): Promise<T> {
    const turn = conn.nextSendTurn()
    try {
      await turn.wait
      return await fn()
    } finally {
      turn.submitted()
    }
  }

  async function handle(conn: Connection, f: ClientFrame): Promise<ServerFrame | null> {
    const rid = f.request_id
    switch (f.type) {
      case 'send_message': {
        const turn = conn.nextSendTurn()
        let r
        try {
          await chargeTenant(conn)
          const body = { content: f.content, meta: f.meta, client_msg_id: f.client_msg_id, parent_id: f.parent_id, mentions: f.mentions, attachments: f.attachments }
          r = await message.send(conn.actor, f.room_id, body, turn)
        } finally {
          turn.submitted() // idempotent: a refused frame must not hold up the next one
        }
        return { type: 'message.sent', ...(rid && { request_id: rid }), ...r.ack }
      }
      case 'ack': {
        const r = await receipt.ack(conn.actor, f.room_id, f.seq)
        return { type: 'ack.received', ...(rid && { request_id: rid }), room_id: f.room_id, user_id: conn.userId, seq: r.last_ack }
      }
      case 'read': {
        // Fan-out skips this connection (ws.publish excludes the sender), which gets exactly one direct answer.
        const r = await receipt.read(conn.actor, f.room_id, f.seq, conn.ws)
        return readUpdatedFrame(f.room_id, conn.userId, r.last_read, rid)
      }
      // Typing changes this connection's state after an access check that may be async (PostgreSQL):
      // each frame takes its turn in the connection's order, so a start and the stop right behind
      // it are applied (and relayed) in the order they came.
      case 'typing.start':
        return inTurn(conn, async () => {
          const { topic, frame } = await realtime.typing(conn.actor, f.room_id, 'start')
          const typing = (conn.typing ??= new Map())
          const wasTyping = typing.has(f.room_id)
          clearTimeout(typing.get(f.room_id))
          typing.set(f.room_id, setTimeout(() => stopTyping(conn, f.room_id), typingTimeoutMs))
          if (!wasTyping) broker.publishFrom(conn.ws, topic, frame) // never to the sending connection
          return null
        })
      case 'typing.stop':
        return inTurn(conn, async () => {
          await realtime.typing(conn.actor, f.room_id, 'stop') // access check even when not typing
          stopTyping(conn, f.room_id)
          return null
        })
      // A sync streams up to SYNC_MAX_PER_ROOM messages: it costs the tenant one token, like a
      // request, then the rest of costOf(messages it may stream) before anything is sent.
      case 'sync': {
        // Two cursors (SPEC §11.1): after_seq re-streams messages, after_rev streams changes.
        if (f.after_seq !== undefined && f.after_rev !== undefined) throw invalid('after_rev', 'use after_seq or after_rev, not both')
        if (f.after_seq === undefined && f.after_rev === undefined) throw invalid('after_seq', 'sync needs after_seq or after_rev')
        await chargeTenant(conn)
        const backlog = f.after_rev !== undefined
          ? await services.changes.syncBacklog(conn.actor, f.room_id, f.after_rev, config.SYNC_MAX_PER_ROOM)
          : await realtime.syncBacklog(conn.actor, f.room_id, f.after_seq!, config.SYNC_MAX_PER_ROOM)
        if (costOf(backlog) > 1) await chargeTenant(conn, costOf(backlog) - 1)
        if (f.after_rev !== undefined) await syncChanges(conn, services.changes, f.room_id, f.after_rev, config.SYNC_MAX_PER_ROOM)
        else await syncRoom(conn, realtime, f.room_id, f.after_seq!, { max: config.SYNC_MAX_PER_ROOM, subscribe: false })
        return syncDoneFrame(f.room_id, rid)
      }
      case 'notification.ack':
        await notifications.ack(conn.actor, f.notification_id)
        return null
      case 'ping':
        // A barrier: the pong goes out once every frame received before this ping has been
        // handled (stored, answered), so "pong" tells a client its earlier acks and sends are done.
        if (conn.handling) await Promise.all([...conn.handling])
        return { type: 'pong', ...(rid && { request_id: rid }) }
    }
  }

  /** Runs one valid frame and sends its reply or error frame; never throws. */
  async function respond(conn: Connection, frame: ClientFrame, tracked: boolean): Promise<void> {
    const rid = frame.request_id
    if (tracked) inFlight++
    try {
      const reply = await handle(conn, frame)
      if (reply) conn.send(reply)
    } catch (e) {
      conn.send(errorFrame(toAppError(e, log, { connection_id: conn.id, type: frame.type }), rid)) // same answers as REST (SPEC §3)
    } finally {
      if (tracked && --inFlight === 0 && idleWaiters.length) {
        const w = idleWaiters
        idleWaiters = []
        for (const r of w) r()
      }
    }
  }

  let draining = false
  let inFlight = 0
  let idleWaiters: (() => void)[] = []

  return {
    stopTyping,

    /** Refuse new frames from now on (shutdown). */
    drain() {
      draining = true
    },
    /**
     * Resolves when no write frame is being handled (their replies have been sent). A `sync` is not
     * waited for: it only reads, and one paced behind a client that stopped reading would hold the
     * shutdown until its deadline (the close ends it instead).
     */
    idle(): Promise<void> {
      return inFlight === 0 ? Promise.resolve() : new Promise((r) => idleWaiters.push(r))
    },
    /** Handles one incoming frame; every failure becomes an `error` frame and the socket stays up. */
    async onFrame(conn: Connection, data: unknown): Promise<void> {
      const parsed = parseClientFrame(data)
      const rid = parsed.ok ? parsed.frame.request_id : parsed.request_id
      if (!conn.bucket.take().allowed) {
        conn.send(errorFrame(rateLimited('too many frames on this connection'), rid))
        return
      }
      if (!parsed.ok) {
        conn.send(errorFrame(new AppError('VALIDATION_ERROR', parsed.message, parsed.field), rid))
        return
      }
      if (draining) {
        conn.send(errorFrame(new AppError('SERVICE_UNAVAILABLE', 'server is shutting down; reconnect shortly'), rid))
        return
      }
      const frame = parsed.frame
      if (frame.type === 'ping') return void (await respond(conn, frame, false))
      const done = respond(conn, frame, frame.type !== 'sync')
      const handling = (conn.handling ??= new Set())
      handling.add(done)
      await done
      handling.delete(done)
      if (handling.size === 0 && conn.handling === handling) conn.handling = null
    },
  }
}

export type Dispatcher = ReturnType<typeof createDispatcher>
