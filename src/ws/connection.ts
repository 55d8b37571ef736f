// Per-socket state: the actor, its frame-rate bucket, typing timers, and backpressure-paced sending.

import type { ServerWebSocket } from 'bun'
import type { Clock } from '../clock'
import { serializeFrame, type ServerFrame } from '../schemas/server-frames'
import type { Actor } from '../services/actor'
import { TokenBucket } from '../broker/rate-limiter'

export type Socket = ServerWebSocket<unknown>

const DONE = Promise.resolve()

/**
 * What every connection of one gateway shares, held once instead of per socket: the clock and frame
 * rate its bucket needs when it is made, the pause threshold, and the prefix of connection ids.
 */
export interface ConnectionShared {
  clock: Clock
  frameRate: number
  /** Buffered bytes at which sending pauses (half of WS_BACKPRESSURE_LIMIT). */
  pauseAbove: number
  /** `conn_` and 12 random base62 characters, fixed for the process (see Connection.id). */
  idPrefix: string
}

export class Connection {
  // Idle sockets are the bulk of a server's memory (docs/performance.md), so the fields below are
  // created on first use and dropped when done: an idle connection holds none of them.
  /** The frame-rate bucket, made at the first frame (a new bucket is full, as it would be by then). */
  private frameBucket: TokenBucket | null = null
  /** room_id → auto-stop timer of an active typing.start (SPEC §5: 6 s without refresh ends it). */
  typing: Map<string, ReturnType<typeof setTimeout>> | null = null
  closed = false
  private drainWaiters: (() => void)[] | null = null
  /** Frames of this connection still being handled (a `ping` waits for them); null when none. */
  handling: Set<Promise<void>> | null = null
  /** Settles when the last turn handed out by nextSendTurn was done; null when none is pending. */
  private sendTail: Promise<void> | null = null

  /**
   * A place in this connection's order: a send holds it until submitted to the group commit (see
   * SendOrder in services/message.ts), a typing change until applied.
   */
  nextSendTurn() {
    const wait = this.sendTail ?? DONE
    let release!: () => void
    const tail = new Promise<void>((r) => (release = r))
    this.sendTail = tail
    return {
      wait,
      submitted: () => {
        release()
        if (this.sendTail === tail) this.sendTail = null
      },
    }
  }

  /**
   * @param seq this connection's number in the process: with the shared random prefix it makes the
   * id, so no id string is kept per idle socket.
   */
  constructor(
    private readonly seq: number,
    readonly ws: Socket,
    public actor: Actor,
    private readonly shared: ConnectionShared,
  ) {}

  /** `conn_` + 22 base62 characters: the process's random prefix, then the sequence number. */
  get id(): string {
    return this.shared.idPrefix + this.seq.toString(36).padStart(10, '0')
  }

  /** WS_MSG_RATE frames a second, burst twice that. */
  get bucket(): TokenBucket {
    const s = this.shared
    return (this.frameBucket ??= new TokenBucket(s.frameRate, s.frameRate * 2, s.clock))
  }

  get tenantId() {
    return this.actor.tenant.tenant_id
  }
  get userId() {
    return this.actor.userId
  }

  /**
   * Sends one frame directly to this socket (replies, sync). Returns false when the socket is gone.
   * Bun answers -1 for "queued behind backpressure" (still delivered) and 0 only for "dropped".
   */
  send(frame: ServerFrame): boolean {
    if (this.closed) return false
    return this.ws.send(serializeFrame(frame)) !== 0
  }

  /** True while the send buffer is at or over half the backpressure limit: stop writing until drained. */
  mustPause(): boolean {
    return this.ws.getBufferedAmount() >= this.shared.pauseAbove
  }

  /**
   * Resolves once the socket's send buffer is under half the backpressure limit, so a long sync
   * never trips the backpressure close (SPEC §5 step 3). Resolves at once when already below.
   */
  writable(): Promise<void> {
    if (this.closed || !this.mustPause()) return DONE
    return new Promise((resolve) => (this.drainWaiters ??= []).push(resolve))
  }

  /** Called from the socket's drain event (and at close, so no sync waits forever). */
  drained() {
    if (!this.drainWaiters || (!this.closed && this.mustPause())) return
    const waiters = this.drainWaiters
    this.drainWaiters = null
    for (const w of waiters) w()
  }
}
