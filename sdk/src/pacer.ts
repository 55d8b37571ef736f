// The realtime client's outgoing pacing: a token bucket in front of the socket, so the client stays
// under the server's per-connection frame limit (WS_MSG_RATE) instead of being refused.

/** The parts of a socket the pacer writes to. */
export interface PacedSocket {
  readonly readyState: number
  send(data: string): void
}

const OPEN = 1

export class FramePacer {
  private queue: string[] = []
  private tokens: number
  private refilledAt = Date.now()
  private timer?: ReturnType<typeof setTimeout>

  /** `rate` frames per second, with a burst of twice that; `socket()` is the socket to write to now (or null). */
  constructor(
    private readonly rate: number,
    private readonly socket: () => PacedSocket | null,
  ) {
    this.tokens = rate * 2
  }

  /** Queues a frame and sends what the bucket allows. */
  push(text: string): void {
    this.queue.push(text)
    this.pump()
  }

  /** Sends what the bucket allows now, and comes back for the rest. */
  pump(): void {
    const ws = this.socket()
    if (!ws || ws.readyState !== OPEN) return
    const now = Date.now()
    this.tokens = Math.min(this.rate * 2, this.tokens + ((now - this.refilledAt) / 1000) * this.rate)
    this.refilledAt = now
    while (this.queue.length && this.tokens >= 1) {
      ws.send(this.queue.shift()!)
      this.tokens -= 1
    }
    if (this.queue.length && !this.timer)
      this.timer = setTimeout(() => {
        this.timer = undefined
        this.pump()
      }, Math.ceil(1000 / this.rate))
  }

  /** Drops what is queued (the socket is gone; requests are sent again from their own list). */
  clear(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    this.queue = []
  }
}
