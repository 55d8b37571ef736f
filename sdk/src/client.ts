// ChatClient: the realtime client (SPEC §5, §6) with a RestClient beside it.
//
// What it guarantees the app, per room: every message at most once (deduplicated by message_id and
// by seq), in ascending seq, with nothing lost across reconnects, server restarts and epoch changes.
// How:
// - acks what it delivered (coalesced per room), so the server's sync on (re)connect resumes there;
// - a message whose seq is past the next expected one is held back and the gap is filled with an
//   explicit `sync` (and `sync.truncated` chains are followed), so order holds even when another
//   device moved the ack or a backlog was larger than SYNC_MAX_PER_ROOM;
// - a new `epoch` in `connected` drops every cursor and takes what the server syncs from its acks;
// - sends carry a request_id and a client_msg_id; unanswered ones are sent again after a reconnect
//   with the same client_msg_id, so the server stores each exactly once;
// - reconnects with exponential backoff and jitter, or after `server.shutdown`'s reconnect_after_ms;
// - paces its own frames under the server's per-connection limit (WS_MSG_RATE);
// - keeps the change feed's `rev` per room and per message (revs.ts): after a reconnect it catches up
//   on edits, deletes, reactions, pins and replies with `sync` after_rev, and emits a change only
//   when its rev is above the one held for that message (never twice, never backwards).

import { backoffDelay, DEFAULT_BACKOFF, shutdownDelay, type BackoffOptions } from './backoff'
import { Emitter } from './emitter'
import { ChatApiError, ChatClientError } from './errors'
import { checkCredentials, isBrowser, joinUrl, resolve, wsHeadersSupported, type ClientOptions } from './options'
import { RestClient } from './rest'
import { RevTracker } from './revs'
import { newId } from './ids'
import { ChangeCatchUp } from './catch-up'
import { FramePacer } from './pacer'
import { PendingRequests } from './requests'
import { TypingSender } from './typing'
import { RoomSequencer, type RoomState } from './sequencer'
import type { ChangedMessage, ChatClientOptions, ChatEvents, ConnectedInfo, ConnectionState, SendOptions, WebSocketCtor, WebSocketLike } from './client-types'
import type {
  ConnectedFrame,
  ErrorFrame,
  Message,
  MessageAck,
  PresenceStatus,
  ReadUpdatedFrame,
  ServerFrame,
} from './types'

export type { ChangedMessage, ChatClientOptions, ChatEvents, ConnectedInfo, ConnectionState, SendOptions, WebSocketCtor, WebSocketLike } from './client-types'

const browserOffline = (): boolean => isBrowser() && (globalThis as { navigator?: { onLine?: boolean } }).navigator?.onLine === false

/** A setup that can never connect (not worth retrying). */
class ConfigError extends Error {}

const strip = <T extends { type: string }>(f: T): Omit<T, 'type'> => {
  const { type: _type, ...rest } = f
  return rest
}


export class ChatClient extends Emitter<ChatEvents> {
  /** Typed REST calls for every tenant endpoint, with the same credentials. */
  readonly rest: RestClient
  private readonly o: Required<Omit<ChatClientOptions, keyof ClientOptions | 'reconnect' | 'WebSocket'>> & {
    reconnect: BackoffOptions | false
  }
  private readonly opts: ChatClientOptions

  private _state: ConnectionState = 'idle'
  private ws: WebSocketLike | null = null
  /** The current socket has said `connected`: frames may be written. */
  private live = false
  private initialSyncDone = false
  private started = false
  private closedByUser = false
  private everConnected = false
  private roomsBeforeConnect: string[] = []
  private attempt = 0
  private reconnectTimer?: ReturnType<typeof setTimeout>
  private connectTimer?: ReturnType<typeof setTimeout>
  private heartbeatTimer?: ReturnType<typeof setInterval>
  private pongTimer?: ReturnType<typeof setTimeout>
  private shutdownHint: number | null = null
  private lastFrameAt = 0
  private _epoch?: string
  private _userId?: string
  private _connectionId?: string
  private lastInfo?: ConnectedInfo

  private readonly seenNotifications = new Set<string>()
  /** Sends and reads waiting for their answer (built in the constructor). */
  private readonly reqs: PendingRequests
  private readonly typist: TypingSender
  private readonly catchUp: ChangeCatchUp
  private readonly presenceMap = new Map<string, PresenceStatus>()
  private connectWaiters: { resolve: (i: ConnectedInfo) => void; reject: (e: Error) => void }[] = []

  /** Outgoing pacing: a token bucket in front of the socket (built in the constructor). */
  private readonly pacer: FramePacer
  /** Per-room order, dedupe and gaps. */
  private readonly seq: RoomSequencer

  private readonly onOnline = () => this.reconnectNow()
  // A socket can look open for minutes after the network is gone; when the browser says it is
  // offline, drop it now and wait for 'online' (the catch-up on reconnect brings what was missed).
  private readonly onOffline = () => {
    if (this.ws) this.drop(this.ws, 4003, 'browser went offline')
  }

  /** Duplicates dropped so far (redelivery and sync may repeat messages; this counts them). */
  duplicatesDropped = 0
  /** Change frames not applied because the copy held was as new or newer (live and catch-up crossing). */
  staleChangesDropped = 0
  private readonly revs = new RevTracker()

  constructor(opts: ChatClientOptions) {
    super()
    checkCredentials(opts)
    this.opts = opts
    // Rooms read through this client's REST calls seed the rev of rooms it knows nothing of yet.
    this.rest = new RestClient(opts, { room: (r) => this.revs.seed(r.room_id, r.last_rev) })
    this.o = {
      autoAck: opts.autoAck ?? true,
      ackDelayMs: opts.ackDelayMs ?? 20,
      autoAckNotifications: opts.autoAckNotifications ?? true,
      reconnect: opts.reconnect === false ? false : { ...DEFAULT_BACKOFF, ...opts.reconnect },
      connectTimeoutMs: opts.connectTimeoutMs ?? 10_000,
      heartbeatIntervalMs: opts.heartbeatIntervalMs ?? 25_000,
      heartbeatTimeoutMs: opts.heartbeatTimeoutMs ?? 10_000,
      requestTimeoutMs: opts.requestTimeoutMs ?? 30_000,
      gapTimeoutMs: opts.gapTimeoutMs ?? 10_000,
      maxFramesPerSecond: opts.maxFramesPerSecond ?? 40,
      typingIdleMs: opts.typingIdleMs ?? 3000,
    }
    this.reqs = new PendingRequests(this.o.requestTimeoutMs, (frame) => this.write(frame))
    this.catchUp = new ChangeCatchUp({
      rest: this.rest,
      revs: this.revs,
      socket: () => this.ws,
      live: () => this.live,
      write: (frame) => this.write(frame),
      synced: (roomId, rev) => this.emit('changes.synced', { room_id: roomId, rev }),
    })
    this.typist = new TypingSender(this.o.typingIdleMs, (frame) => this.write(frame))
    this.pacer = new FramePacer(this.o.maxFramesPerSecond, () => (this.live ? this.ws : null))
    this.seq = new RoomSequencer(
      {
        live: () => this.live,
        synced: () => this.initialSyncDone,
        write: (frame) => this.write(frame),
        deliver: (roomId, r, m, inOrder) => {
          this.revs.note(m) // a message synced by seq comes in its current state: its changes so far are in it
          this.emit('message', m)
          if (this.o.autoAck && inOrder) {
            r.ackWanted = Math.max(r.ackWanted, m.seq)
            this.scheduleAck(roomId, r)
          }
        },
        duplicate: () => void this.duplicatesDropped++,
      },
      this.o.gapTimeoutMs,
    )
  }

  get state(): ConnectionState {
    return this._state
  }
  /** The server's epoch seen on the last connection. */
  get epoch(): string | undefined {
    return this._epoch
  }
  /** The user this client acts for (known once connected). */
  get userId(): string | undefined {
    return this._userId ?? this.opts.userId
  }
  get connectionId(): string | undefined {
    return this._connectionId
  }
  /** Highest seq delivered in order for a room (what the client acks). */
  lastSeq(roomId: string): number | undefined {
    return this.seq.rooms.get(roomId)?.cursor
  }
  /** The room's change cursor: every change up to this rev has been emitted (or was in a copy given to trackRoom). */
  lastRev(roomId: string): number | undefined {
    return this.revs.roomRev(roomId)
  }
  /**
   * Tells the client the app holds the room's messages as of `lastRev` (the room's `last_rev`, read
   * before its history), so a reconnect catches up from there. Rooms listed through `client.rest`
   * (listRooms, getRoom, createRoom) are seeded this way on their own when not known yet.
   */
  trackRoom(roomId: string, lastRev: number): void {
    this.revs.track(roomId, lastRev)
  }
  /**
   * Records a copy of a message the app got elsewhere (a REST answer); true when it is newer than
   * the one the client knew of, so the app should apply it. Later frames with the same or a lower
   * rev are then not emitted.
   */
  noteMessage(m: Message): boolean {
    return this.revs.note(m)
  }
  /** Last presence status seen over the socket for a user. */
  presenceOf(userId: string): PresenceStatus | undefined {
    return this.presenceMap.get(userId)
  }

  // ---------------------------------------------------------------------------------------------
  // Lifecycle

  /**
   * Opens the connection (and keeps it open: reconnecting until `close()`). Resolves once the sync
   * after connecting is over, with the `connected` details. Rejects when the credentials are
   * refused for good (a fixed token or key the server answers 401/403 to) or on `close()`.
   */
  connect(): Promise<ConnectedInfo> {
    if (this.closedByUser) return Promise.reject(new ChatClientError('CLOSED', 'client is closed'))
    if (this.live && this.initialSyncDone && this.lastInfo) return Promise.resolve(this.lastInfo)
    const p = new Promise<ConnectedInfo>((resolve, reject) => this.connectWaiters.push({ resolve, reject }))
    if (!this.started) {
      this.started = true
      const w = globalThis as { addEventListener?: (t: string, f: () => void) => void }
      if (isBrowser() && w.addEventListener) {
        w.addEventListener('online', this.onOnline)
        w.addEventListener('offline', this.onOffline)
      }
      void this.openSocket()
    }
    return p
  }

  /** Closes for good: no reconnect; pending sends reject with ChatClientError('CLOSED'). */
  close(): void {
    if (this.closedByUser) return
    this.closedByUser = true
    clearTimeout(this.reconnectTimer)
    const w = globalThis as { removeEventListener?: (t: string, f: () => void) => void }
    if (isBrowser() && w.removeEventListener) {
      w.removeEventListener('online', this.onOnline)
      w.removeEventListener('offline', this.onOffline)
    }
    const ws = this.ws
    if (ws) {
      this.socketGone(ws, 1000, 'closed by client')
      try {
        ws.close(1000, 'closed by client')
      } catch {}
    }
    for (const r of this.seq.rooms.values()) this.seq.clearTimers(r)
    this.typist.reset()
    this.failAll(new ChatClientError('CLOSED', 'client closed'))
    this.setState('closed')
  }

  /** Skips the wait of a scheduled reconnect (e.g. when the network comes back). */
  reconnectNow(): void {
    if (this.closedByUser || !this.started || this.ws) return
    clearTimeout(this.reconnectTimer)
    this.reconnectTimer = undefined
    void this.openSocket()
  }

  private setState(s: ConnectionState) {
    if (this._state === s) return
    this._state = s
    this.emit('state', s)
  }

  private async wsTarget(): Promise<{ url: string; headers?: Record<string, string> }> {
    const u = joinUrl(await resolve(this.opts.baseUrl), 'ws')
    if (u.protocol === 'https:') u.protocol = 'wss:'
    else if (u.protocol === 'http:') u.protocol = 'ws:'
    // Browsers cannot set headers on a WebSocket: the token goes in the query (SPEC §5). Bun and
    // Node.js (or a WebSocket given in the options) send headers, which keeps it out of logged URLs.
    const headers = this.opts.WebSocket !== undefined || wsHeadersSupported()
    if (this.opts.token !== undefined) {
      const token = await resolve(this.opts.token)
      if (!headers) {
        u.searchParams.set('token', token)
        return { url: u.href }
      }
      return { url: u.href, headers: { authorization: `Bearer ${token}` } }
    }
    if (!headers) throw new ConfigError('API key auth needs a WebSocket that sends headers (Bun, Node.js, or the WebSocket option)')
    return { url: u.href, headers: { 'x-api-key': this.opts.apiKey!, 'x-user-id': this.opts.userId! } }
  }

  private async openSocket(): Promise<void> {
    if (this.closedByUser || this.ws) return
    this.setState(this.everConnected ? 'reconnecting' : 'connecting')
    let target: { url: string; headers?: Record<string, string> }
    let ws: WebSocketLike
    try {
      target = await this.wsTarget()
      if (this.closedByUser || this.ws) return
      const Ctor = this.opts.WebSocket ?? (globalThis as unknown as { WebSocket?: WebSocketCtor }).WebSocket
      // Node.js 20 has no global WebSocket unless started with a flag: say so once, do not retry.
      if (typeof Ctor !== 'function')
        throw new ConfigError(
          'no WebSocket implementation: pass one as the WebSocket option (the ws package: `WebSocket: (await import("ws")).WebSocket`), ' +
            'or on Node.js 20 run node with --experimental-websocket (Node.js 22 and later, browsers and Bun have one)',
        )
      ws = target.headers ? new Ctor(target.url, { headers: target.headers }) : new Ctor(target.url)
    } catch (e) {
      const err = new ChatClientError('NETWORK_ERROR', `cannot open the WebSocket: ${(e as Error)?.message ?? e}`, { cause: e })
      this.emit('error', err)
      if (e instanceof ConfigError) return this.fatal(err) // a configuration that cannot work: do not loop
      this.scheduleReconnect(false)
      return
    }
    this.ws = ws
    this.live = false
    this.initialSyncDone = false
    this.connectTimer = setTimeout(() => this.drop(ws, 4001, 'no connected frame in time'), this.o.connectTimeoutMs)
    ws.onopen = () => {}
    ws.onerror = () => {} // a close event follows
    ws.onclose = (ev) => this.socketGone(ws, ev.code, ev.reason)
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return
      this.lastFrameAt = Date.now()
      let f: ServerFrame
      try {
        f = JSON.parse(typeof ev.data === 'string' ? ev.data : new TextDecoder().decode(ev.data as ArrayBuffer))
      } catch {
        return
      }
      if (f && typeof f === 'object' && typeof f.type === 'string') this.onFrame(f)
    }
  }

  /** Gives up on a socket that went quiet (no `connected`, no pong) and reconnects. */
  private drop(ws: WebSocketLike, code: number, reason: string) {
    if (this.ws !== ws) return
    this.socketGone(ws, code, reason)
    try {
      ws.close(4000, reason)
    } catch {}
  }

  private socketGone(ws: WebSocketLike, code: number, reason: string) {
    if (this.ws !== ws) return
    ws.onmessage = ws.onclose = ws.onerror = ws.onopen = null
    const wasLive = this.live
    this.ws = null
    this.live = false
    this.initialSyncDone = false
    clearTimeout(this.connectTimer)
    clearInterval(this.heartbeatTimer)
    clearTimeout(this.pongTimer)
    this.pacer.clear()
    this.revs.connectionLost()
    for (const r of this.seq.rooms.values()) {
      this.seq.clearTimers(r)
      r.syncing = false
      r.moreAfter = undefined
      r.ackSent = r.ackConfirmed
    }
    this.typist.reset()
    this.reqs.connectionLost(() => new ChatClientError('CLOSED', 'connection lost before the answer'))
    if (this.closedByUser) return
    const willReconnect = this.o.reconnect !== false
    this.emit('disconnected', { code, reason, willReconnect })
    if (!willReconnect) {
      this.closedByUser = true
      this.failAll(new ChatClientError('CLOSED', `connection closed (${code}) and reconnect is off`))
      this.setState('closed')
      return
    }
    this.scheduleReconnect(wasLive)
  }

  /**
   * Picks the next attempt's delay: the shutdown hint when the server announced a restart, else
   * exponential backoff. A socket that never got `connected` may have been refused for its
   * credentials (browsers cannot see the 401), so the REST API is asked once to tell.
   */
  private scheduleReconnect(wasLive: boolean) {
    if (this.closedByUser) return
    this.setState('reconnecting')
    const go = (delayMs: number) => {
      this.emit('reconnecting', { attempt: this.attempt, delayMs })
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = undefined
        // An offline browser: no attempts until its 'online' event (onOnline → reconnectNow).
        if (browserOffline()) return
        void this.openSocket()
      }, delayMs)
    }
    if (this.shutdownHint !== null) {
      const hint = this.shutdownHint
      this.shutdownHint = null
      this.attempt = 0
      return go(shutdownDelay(hint))
    }
    const delay = backoffDelay(this.attempt++, this.o.reconnect as BackoffOptions)
    if (wasLive) return go(delay)
    this.rest.request('GET', '/v1/rooms', { query: { limit: 1 } }).then(
      () => go(delay),
      (e) => {
        if (this.closedByUser) return
        const refused = e instanceof ChatApiError && (e.status === 401 || e.status === 403)
        if (!refused) return go(delay)
        this.emit('error', e)
        // A token function may give a fresh token next time; fixed credentials will not change.
        if (typeof this.opts.token === 'function') return go(delay)
        this.fatal(e)
      },
    )
  }

  private fatal(e: Error) {
    this.closedByUser = true
    clearTimeout(this.reconnectTimer)
    this.failAll(e)
    this.setState('closed')
  }

  private failAll(e: Error) {
    this.reqs.failAll(e)
    const w = this.connectWaiters
    this.connectWaiters = []
    for (const c of w) c.reject(e)
  }

  // ---------------------------------------------------------------------------------------------
  // Incoming frames

  private onFrame(f: ServerFrame) {
    this.emit('frame', f)
    const rid = (f as { request_id?: string }).request_id
    if (rid !== undefined && f.type !== 'error') this.reqs.answer(rid, f.type, strip(f) as Record<string, unknown>)
    switch (f.type) {
      case 'connected':
        return this.onConnected(f)
      case 'sync.done':
        if (f.room_id === undefined) return this.onInitialSyncDone()
        if (f.request_id?.startsWith('rev:')) return this.catchUp.done(f.room_id)
        return this.seq.onSyncDone(f.room_id)
      case 'sync.truncated': {
        if ('from_rev' in f) return this.catchUp.more(f.room_id, this.revs.truncated(f.room_id, f.from_rev))
        return this.seq.truncated(f.room_id, f.from_seq)
      }
      case 'message':
        return this.seq.onMessage(strip(f) as Message)
      case 'message.updated':
      case 'message.deleted': {
        const m = strip(f) as ChangedMessage
        if (!this.revs.accept(m)) {
          this.staleChangesDropped++
          return
        }
        return this.emit(f.type, m)
      }
      case 'message.sent':
        return
      case 'ack.received': {
        const r = this.seq.room(f.room_id)
        r.ackConfirmed = Math.max(r.ackConfirmed, f.seq)
        return this.emit('ack', { room_id: f.room_id, user_id: f.user_id, seq: f.seq })
      }
      case 'read.updated':
        return this.emit('read', { room_id: f.room_id, user_id: f.user_id, seq: f.seq })
      case 'typing':
        return this.emit('typing', strip(f))
      case 'presence.update':
        this.presenceMap.set(f.user_id, f.status)
        return this.emit('presence', { user_id: f.user_id, status: f.status })
      case 'member.joined':
        return this.emit('member.joined', strip(f))
      case 'member.left':
        if (f.user_id === this._userId) {
          this.seq.forget(f.room_id)
          this.revs.forgetRoom(f.room_id)
        }
        return this.emit('member.left', strip(f))
      case 'notification':
        if (this.o.autoAckNotifications) this.write({ type: 'notification.ack', notification_id: f.notification_id })
        if (this.seenNotifications.has(f.notification_id)) return
        this.seenNotifications.add(f.notification_id)
        if (this.seenNotifications.size > 1000) this.seenNotifications.delete(this.seenNotifications.values().next().value!)
        return this.emit('notification', strip(f))
      case 'error':
        return this.onErrorFrame(f)
      case 'server.shutdown':
        this.shutdownHint = Math.max(0, f.reconnect_after_ms)
        return this.emit('shutdown', { reconnect_after_ms: f.reconnect_after_ms })
      case 'pong':
        return
    }
  }

  private onConnected(f: ConnectedFrame) {
    clearTimeout(this.connectTimer)
    const previous = this._epoch
    const epochChanged = previous !== undefined && previous !== f.epoch
    if (epochChanged) this.dropCursors()
    this._epoch = f.epoch
    this._userId = f.user_id
    this._connectionId = f.connection_id
    this.live = true
    this.attempt = 0
    this.shutdownHint = null
    const info: ConnectedInfo = {
      connection_id: f.connection_id,
      user_id: f.user_id,
      server_time: f.server_time,
      epoch: f.epoch,
      reconnected: this.everConnected,
      epochChanged,
    }
    // Rooms with traffic before this connection (not the ones its sync is about to bring).
    this.roomsBeforeConnect = this.everConnected ? [...this.seq.rooms.keys()] : []
    this.everConnected = true
    this.lastInfo = info
    this.setState('open')
    this.startHeartbeat()
    // Unanswered sends and reads, in their original order (same request_id and client_msg_id).
    this.reqs.resendAll()
    // Acks the last connection did not get confirmed.
    for (const [roomId, r] of this.seq.rooms) if (r.ackWanted > r.ackConfirmed) this.flushAck(roomId)
    if (epochChanged) this.emit('epoch', { previous: previous!, current: f.epoch })
    this.emit('connected', info)
  }

  private onInitialSyncDone() {
    this.initialSyncDone = true
    // Every room is subscribed now: changes from here on arrive live, the ones missed by the sync.
    // On a first connection only rooms the app already tracked are caught up; later, every room seen.
    void this.catchUp.start(this.revs.beginCatchUp(this.roomsBeforeConnect))
    for (const [roomId, r] of this.seq.rooms) if (r.pending.size) this.seq.fillGap(roomId, r)
    const w = this.connectWaiters
    this.connectWaiters = []
    if (this.lastInfo) for (const c of w) c.resolve(this.lastInfo)
    this.emit('synced', { connection_id: this._connectionId! })
  }

  private onErrorFrame(f: ErrorFrame) {
    const err = new ChatApiError(f.code, f.message, { field: f.field, requestId: f.request_id, source: 'ws' })
    const rid = f.request_id
    if (rid !== undefined) {
      // Draining for a restart: a resendable request stays; it goes again on the next connection.
      if (this.reqs.refuse(rid, err, f.code === 'SERVICE_UNAVAILABLE' && this.shutdownHint !== null)) return
      if (rid.startsWith('rev:')) {
        this.revs.abandon(rid.slice(4, rid.lastIndexOf(':')))
        this.emit('error', err)
        return
      }
      if (rid.startsWith('sync:')) {
        // A sync the server refused (access lost): stop waiting for the gap.
        this.seq.syncRefused(rid.slice(5, rid.lastIndexOf(':')))
      }
    }
    this.emit('error', err)
  }

  // ---------------------------------------------------------------------------------------------
  // Per-room order (sequencer.ts) and the change catch-up

  private dropCursors() {
    this.seq.clear()
    this.revs.clear()
  }

  // ---------------------------------------------------------------------------------------------
  // Outgoing frames

  /** Queues a frame behind the pacing bucket; frames wait for `connected` (requests are kept). */
  private write(frame: Record<string, unknown>) {
    if (!this.live) return
    this.pacer.push(JSON.stringify(frame))
  }

  private request<T>(frame: Record<string, unknown>, reply: string, resend: boolean, clientMsgId?: string): Promise<T> {
    if (this.closedByUser) return Promise.reject(new ChatClientError('CLOSED', 'client is closed'))
    return this.reqs.send<T>(frame, reply, resend, clientMsgId)
  }

  private scheduleAck(roomId: string, r: RoomState) {
    if (r.ackTimer) return
    r.ackTimer = setTimeout(() => {
      r.ackTimer = undefined
      this.flushAck(roomId)
    }, this.o.ackDelayMs)
  }

  private flushAck(roomId: string) {
    const r = this.seq.rooms.get(roomId)
    if (!r || !this.live || r.ackWanted <= r.ackSent) return
    r.ackSent = r.ackWanted
    this.write({ type: 'ack', room_id: roomId, seq: r.ackWanted })
  }

  private startHeartbeat() {
    clearInterval(this.heartbeatTimer)
    const every = this.o.heartbeatIntervalMs
    if (!every) return
    const ws = this.ws!
    this.heartbeatTimer = setInterval(() => {
      if (this.ws !== ws || !this.live || Date.now() - this.lastFrameAt < every) return
      const sentAt = Date.now()
      this.write({ type: 'ping', request_id: 'heartbeat' })
      clearTimeout(this.pongTimer)
      this.pongTimer = setTimeout(() => {
        if (this.lastFrameAt < sentAt) this.drop(ws, 4002, 'heartbeat timeout')
      }, this.o.heartbeatTimeoutMs)
    }, Math.max(100, Math.floor(every / 2)))
  }

  // ---------------------------------------------------------------------------------------------
  // Public actions

  /**
   * Sends a message; resolves with `message.sent` (message_id, seq, created_at). Sent again with the
   * same client_msg_id after a reconnect, so it is stored once. Rejects with ChatApiError for an
   * `error` frame (FORBIDDEN, VALIDATION_ERROR, RATE_LIMIT_EXCEEDED…) or ChatClientError on timeout.
   */
  send(roomId: string, content: string, o: SendOptions = {}): Promise<MessageAck> {
    const clientMsgId = o.clientMsgId ?? newId('c')
    this.stopTyping(roomId)
    const frame: Record<string, unknown> = { type: 'send_message', room_id: roomId, content, client_msg_id: clientMsgId }
    if (o.meta !== undefined) frame.meta = o.meta
    if (o.parentId !== undefined) frame.parent_id = o.parentId
    if (o.mentions !== undefined) frame.mentions = o.mentions
    if (o.attachments?.length) frame.attachments = o.attachments // upload_ids from rest.uploadFile
    return this.request<MessageAck & { request_id?: string }>(frame, 'message.sent', true, clientMsgId).then(({ request_id: _r, ...ack }) => ack)
  }

  /**
   * Moves the read marker (and the ack) to `seq`, by default the last message delivered in the
   * room. Resolves with the marker the server holds (it never moves back).
   */
  markRead(roomId: string, seq?: number): Promise<{ room_id: string; user_id: string; seq: number }> {
    const s = seq ?? this.seq.rooms.get(roomId)?.cursor
    if (s === undefined) return Promise.reject(new TypeError(`no message seen in ${roomId} yet: pass a seq`))
    return this.request<ReadUpdatedFrame>({ type: 'read', room_id: roomId, seq: s }, 'read.updated', true).then(({ room_id, user_id, seq }) => ({
      room_id,
      user_id,
      seq,
    }))
  }

  /** Acks up to `seq` (only needed with `autoAck: false`; never moves back). */
  ack(roomId: string, seq: number): void {
    const r = this.seq.room(roomId)
    r.ackWanted = Math.max(r.ackWanted, seq)
    this.flushAck(roomId)
  }

  /**
   * Call on every keystroke: sends `typing.start` (refreshed while typing continues) and
   * `typing.stop` after `typingIdleMs` without a call. Nothing is sent while disconnected.
   */
  typing(roomId: string): void {
    if (this.live) this.typist.keystroke(roomId)
  }

  /** Ends this client's typing indicator in a room (sending does it too). */
  stopTyping(roomId: string): void {
    this.typist.stop(roomId)
  }
}
