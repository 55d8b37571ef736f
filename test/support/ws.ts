// WsClient: a real WebSocket with an awaitable frame queue, so tests wait on events instead of sleeping.
// Every frame it receives is checked against its schema (frame-check.ts): a mismatch fails the test.

import { assertServerFrame } from './frame-check'

export interface Frame {
  type: string
  [k: string]: any
}

export class WsClient {
  readonly ws: WebSocket
  readonly frames: Frame[] = []
  private waiters: { pred: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = []
  private closeInfo: Promise<{ code: number; reason: string }>
  private opened: Promise<void>
  /** Every frame received, in order (the queue above is consumed by next()). */
  readonly log: Frame[] = []
  /** When each frame arrived (Date.now()), for tests that time from a delivery, not from a later await. */
  readonly receivedAt = new WeakMap<Frame, number>()

  /** `checkFrames: false` only for servers that are not ChatAPI (the broker suites' bare test server). */
  constructor(url: string, headers: Record<string, string> = {}, opts: { checkFrames?: boolean } = {}) {
    this.ws = new WebSocket(url, { headers } as any)
    this.opened = new Promise((resolve, reject) => {
      this.ws.addEventListener('open', () => resolve(), { once: true })
      this.ws.addEventListener('error', (e) => reject(new Error(`websocket error: ${(e as any).message ?? 'failed'}`)), { once: true })
    })
    this.closeInfo = new Promise((resolve) => {
      this.ws.addEventListener('close', (e) => resolve({ code: e.code, reason: e.reason }), { once: true })
    })
    this.ws.addEventListener('message', (e) => {
      const f = JSON.parse(String(e.data)) as Frame
      this.log.push(f)
      this.receivedAt.set(f, Date.now())
      const i = this.waiters.findIndex((w) => w.pred(f))
      if (i >= 0) this.waiters.splice(i, 1)[0].resolve(f)
      else this.frames.push(f)
      if (opts.checkFrames !== false) assertServerFrame(f)
    })
  }

  static async connect(url: string, headers: Record<string, string> = {}, opts: { checkFrames?: boolean } = {}): Promise<WsClient> {
    const c = new WsClient(url, headers, opts)
    await c.opened
    return c
  }

  send(frame: Record<string, unknown> | string) {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame))
  }

  /** The next frame matching `type` (and optional predicate), waiting up to `ms`. */
  next(type: string, ms = 3000, pred: (f: Frame) => boolean = () => true): Promise<Frame> {
    const match = (f: Frame) => f.type === type && pred(f)
    const i = this.frames.findIndex(match)
    if (i >= 0) return Promise.resolve(this.frames.splice(i, 1)[0])
    return new Promise((resolve, reject) => {
      const w = { pred: match, resolve: (f: Frame) => (clearTimeout(timer), resolve(f)) }
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1)
        reject(new Error(`timed out after ${ms} ms waiting for "${type}"; queued: ${this.frames.map((f) => f.type).join(',')}`))
      }, ms)
      this.waiters.push(w)
    })
  }

  /** Sends a frame with a fresh request_id and waits for the frame of `type` that echoes it. */
  async request(frame: Record<string, unknown>, type: string, ms = 3000): Promise<Frame> {
    const request_id = `r${Math.random().toString(36).slice(2)}`
    const p = Promise.race([
      this.next(type, ms, (f) => f.request_id === request_id),
      this.next('error', ms, (f) => f.request_id === request_id),
    ])
    this.send({ ...frame, request_id })
    return p
  }

  /** Frames of `type` already queued (consumes them). */
  drain(type: string): Frame[] {
    const out = this.frames.filter((f) => f.type === type)
    for (const f of out) this.frames.splice(this.frames.indexOf(f), 1)
    return out
  }

  closed(ms = 5000): Promise<{ code: number; reason: string }> {
    return Promise.race([
      this.closeInfo,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out waiting for close')), ms)),
    ])
  }

  close(code = 1000) {
    this.ws.close(code)
  }
}
