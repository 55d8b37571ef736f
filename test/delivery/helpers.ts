// Shared pieces of the delivery suites: a local webhook receiver on port 0 with awaitable hits,
// Standard Webhooks verification, and bounded polling for state that has no event (dead letters, health).

import { expect } from 'bun:test'
import { createHmac, timingSafeEqual } from 'node:crypto'
import type { TestServer } from '../support/server'

export interface Hit {
  path: string
  headers: Headers
  body: string
  /** The parsed JSON body. */
  json: any
  /** What the receiver answered. */
  status: number
  at: number
}

/**
 * A webhook receiver: records every request, answers `status(path)` (default 200) after `delay(path)` ms.
 * `waitFor` resolves once `n` recorded hits match, so tests await deliveries instead of sleeping.
 */
export class Receiver {
  readonly hits: Hit[] = []
  /** Paths of requests as they arrive (before any delay), so a test can see calls still in progress. */
  readonly arrived: string[] = []
  status: (path: string) => number = () => 200
  delay: (path: string) => number = () => 0
  private waiters: (() => void)[] = []
  private readonly server: ReturnType<typeof Bun.serve>

  constructor() {
    this.server = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      fetch: async (req) => {
        const body = await req.text()
        const path = new URL(req.url).pathname
        this.arrived.push(path)
        const status = this.status(path)
        const delay = this.delay(path)
        if (delay) await Bun.sleep(delay)
        let json: unknown = null
        try {
          json = JSON.parse(body)
        } catch {}
        this.hits.push({ path, headers: req.headers, body, json, status, at: Date.now() })
        for (const w of this.waiters.splice(0)) w()
        return new Response(status === 200 ? 'ok' : 'nope', { status })
      },
    })
  }

  url(path = '/hook') {
    return `http://127.0.0.1:${this.server.port}${path}`
  }

  /** Hits matching `pred`, in arrival order. */
  matching(pred: (h: Hit) => boolean = () => true) {
    return this.hits.filter(pred)
  }

  /** Resolves with the matching hits once there are at least `n` of them; rejects after `ms`. */
  async waitFor(n: number, pred: (h: Hit) => boolean = () => true, ms = 5000): Promise<Hit[]> {
    const deadline = Date.now() + ms
    for (;;) {
      const got = this.matching(pred)
      if (got.length >= n) return got
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`receiver: wanted ${n} matching hits, got ${got.length} of ${this.hits.length} in ${ms} ms`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.waiters.push(() => (clearTimeout(timer), resolve()))
      })
    }
  }

  stop() {
    this.server.stop(true)
  }
}

/** Hits of one webhook event type (or one path). */
export const ofType = (type: string) => (h: Hit) => h.json?.type === type
export const onPath = (path: string) => (h: Hit) => h.path === path

/** Asserts the Standard Webhooks signature of a hit against the tenant's `whsec_` secret. */
export function expectSigned(hit: Hit, secret: string) {
  const id = hit.headers.get('webhook-id')!
  const ts = hit.headers.get('webhook-timestamp')!
  expect(id).toMatch(/^evt_[A-Za-z0-9]{16,}$/)
  expect(ts).toMatch(/^\d+$/)
  expect(secret.startsWith('whsec_')).toBe(true)
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64')
  const expected = createHmac('sha256', key).update(`${id}.${ts}.${hit.body}`).digest()
  const sig = hit.headers.get('webhook-signature')!
  expect(sig.startsWith('v1,')).toBe(true)
  const got = Buffer.from(sig.slice(3), 'base64')
  expect(got.length === expected.length && timingSafeEqual(got, expected)).toBe(true)
  // The timestamp is the time of this attempt (fresh on each one), within a second of its arrival.
  expect(Math.abs(Number(ts) - Math.floor(hit.at / 1000))).toBeLessThanOrEqual(1)
}

/** Polls `probe` until it returns a value that is not undefined; fails after `ms` (state without an event). */
export async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 5000, everyMs = 10): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await probe()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await Bun.sleep(everyMs)
  }
}

/** GET /v1/admin/dead-letters with the given filters; asserts 200. */
export async function deadLetters(s: TestServer, q: Record<string, string>) {
  const r = await s.admin('GET', `/v1/admin/dead-letters?${new URLSearchParams(q)}`)
  expect(r.status).toBe(200)
  return r.body.dead_letters as any[]
}
