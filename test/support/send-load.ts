// A steady, bounded REST send load for the fault tests: each sender posts one message every
// `everyMs` into its room through its instance, and every answer is recorded (acknowledged ids and
// seqs, error statuses and codes, the slowest answer), so a test can compare what was acknowledged
// with what was stored and delivered. Listeners are WebSocket clients that keep every message frame.

import { WsClient, type Frame } from './ws'

export interface Sender {
  name: string
  url: string
  headers: Record<string, string>
  room: string
}

export interface Ack {
  message_id: string
  seq: number
  room: string
  sender: string
}

export class SendLoad {
  sent = 0
  readonly acked: Ack[] = []
  /** `<status> <code>` → count, for every answer that was not 201. */
  readonly failures: Record<string, number> = {}
  slowestMs = 0
  private running = false
  private loops: Promise<void>[] = []

  constructor(
    private readonly senders: Sender[],
    private readonly everyMs = 20,
    /** Hard cap on sends per sender (the loop is bounded in count as well as in time). */
    private readonly maxPerSender = 5000,
  ) {}

  start() {
    this.running = true
    this.loops = this.senders.map((s) => this.loop(s))
  }

  /** Stops sending and waits for the requests in flight. */
  async stop() {
    this.running = false
    await Promise.all(this.loops)
  }

  /** Acknowledged sends since `from` (an index into `acked`). */
  ackedSince(from: number) {
    return this.acked.length - from
  }

  private async loop(s: Sender) {
    for (let i = 0; this.running && i < this.maxPerSender; i++) {
      this.sent++
      const t0 = performance.now()
      try {
        const res = await fetch(`${s.url}/v1/rooms/${s.room}/messages`, {
          method: 'POST',
          headers: { ...s.headers, 'content-type': 'application/json' },
          body: JSON.stringify({ content: `${s.name} ${i}` }),
          signal: AbortSignal.timeout(15_000),
        })
        const body = (await res.json().catch(() => null)) as { message_id?: string; seq?: number; error?: { code?: string } } | null
        if (res.status === 201 && body?.message_id) this.acked.push({ message_id: body.message_id, seq: body.seq!, room: s.room, sender: s.name })
        else this.count(`${res.status} ${body?.error?.code ?? ''}`.trim())
      } catch (e) {
        this.count(`no answer (${(e as Error).name})`)
      }
      this.slowestMs = Math.max(this.slowestMs, performance.now() - t0)
      await Bun.sleep(this.everyMs)
    }
  }

  private count(k: string) {
    this.failures[k] = (this.failures[k] ?? 0) + 1
  }
}

/** A WebSocket member that keeps every `message` frame it gets, by room, in arrival order. */
export class Listener {
  private constructor(readonly name: string, readonly ws: WsClient) {}

  static async connect(name: string, wsUrl: string, headers: Record<string, string>): Promise<Listener> {
    const ws = await WsClient.connect(wsUrl, headers)
    await ws.next('sync.done', 10_000, (f) => f.room_id === undefined)
    return new Listener(name, ws)
  }

  messages(room: string): Frame[] {
    return this.ws.log.filter((f) => f.type === 'message' && f.room_id === room)
  }

  /** Distinct message ids received for the room. */
  delivered(room: string): Set<string> {
    return new Set(this.messages(room).map((f) => f.message_id))
  }

  /** Message frames received for the room beyond the first of each message_id. */
  duplicates(room: string): number {
    return this.messages(room).length - this.delivered(room).size
  }

  /**
   * SPEC §5 order on this connection: each frame's seq is above every seq received before it, or a
   * repeat of one already received (clients dedupe by message_id). Returns the offending pairs.
   */
  outOfOrder(room: string): [number, number][] {
    const bad: [number, number][] = []
    const seen = new Set<number>()
    let top = 0
    for (const f of this.messages(room)) {
      if (f.seq < top && !seen.has(f.seq)) bad.push([top, f.seq])
      seen.add(f.seq)
      top = Math.max(top, f.seq)
    }
    return bad
  }

  close() {
    this.ws.close()
  }
}

/** Every message of a room through REST, ascending (pages of 200). */
export async function storedMessages(url: string, headers: Record<string, string>, room: string): Promise<{ message_id: string; seq: number }[]> {
  const out: { message_id: string; seq: number }[] = []
  for (let after = 0; ; ) {
    const res = await fetch(`${url}/v1/rooms/${room}/messages?after_seq=${after}&limit=200`, { headers })
    if (res.status !== 200) throw new Error(`history: ${res.status} ${await res.text()}`)
    const page = (await res.json()) as { messages: { message_id: string; seq: number }[]; has_more: boolean }
    out.push(...page.messages)
    if (!page.has_more || page.messages.length === 0) return out
    after = page.messages.at(-1)!.seq
  }
}
