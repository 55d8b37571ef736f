// The realtime client's requests in flight (send_message, read): each waits for the frame that
// answers its request_id, an `error` frame, or its timeout. Those marked `resend` survive a lost
// connection and are written again, in their original order, once the next one is up.

import { ChatClientError } from './errors'
import { newId } from './ids'

interface PendingRequest {
  frame: Record<string, unknown> & { request_id: string }
  reply: string
  /** Sent again after a reconnect (sends carry a client_msg_id; reads never move back). */
  resend: boolean
  resolve: (f: Record<string, unknown>) => void
  reject: (e: Error) => void
  timer: ReturnType<typeof setTimeout>
}

export class PendingRequests {
  private readonly pending = new Map<string, PendingRequest>()

  constructor(
    private readonly timeoutMs: number,
    private readonly write: (frame: Record<string, unknown>) => void,
  ) {}

  /** Writes `frame` with a fresh request_id; resolves with the `reply` frame that answers it. */
  send<T>(frame: Record<string, unknown>, reply: string, resend: boolean, clientMsgId?: string): Promise<T> {
    const request_id = newId('r')
    const full = { ...frame, request_id }
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(request_id)
        reject(new ChatClientError('TIMEOUT', `no ${reply} within ${this.timeoutMs} ms`, { clientMsgId }))
      }, this.timeoutMs)
      this.pending.set(request_id, { frame: full, reply, resend, resolve: resolve as (f: Record<string, unknown>) => void, reject, timer })
      this.write(full)
    })
  }

  /** A frame of type `type` carrying `requestId`: resolves the request it answers, if any. */
  answer(requestId: string, type: string, body: Record<string, unknown>): void {
    const p = this.pending.get(requestId)
    if (!p || p.reply !== type) return
    this.pending.delete(requestId)
    clearTimeout(p.timer)
    p.resolve(body)
  }

  /**
   * An `error` frame for `requestId`: rejects its request and returns true, or returns false when no
   * request waits for it. `keepResendable`: a request marked resend stays (the server is draining
   * for a restart; it goes again on the next connection) and true is returned.
   */
  refuse(requestId: string, err: Error, keepResendable: boolean): boolean {
    const p = this.pending.get(requestId)
    if (!p) return false
    if (keepResendable && p.resend) return true
    this.settle(requestId, p, err)
    return true
  }

  /** The connection is gone: rejects the requests that are not sent again (each with its own error). */
  connectionLost(err: () => Error): void {
    for (const [id, p] of this.pending) if (!p.resend) this.settle(id, p, err())
  }

  /** Writes every request still waiting again, in their original order (same request_id). */
  resendAll(): void {
    for (const p of this.pending.values()) this.write(p.frame)
  }

  /** Rejects every request. */
  failAll(err: Error): void {
    for (const [id, p] of this.pending) this.settle(id, p, err)
  }

  private settle(id: string, p: PendingRequest, err: Error) {
    this.pending.delete(id)
    clearTimeout(p.timer)
    p.reject(err)
  }
}
