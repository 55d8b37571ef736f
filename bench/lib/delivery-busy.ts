// delivery-busy: the WebSocket ping round trip while the delivery worker is busy, beside an idle
// baseline in the same run (SPEC §6: the event loop never waits on a worker's database work).
// Phases: idle; a slow webhook receiver (50 ms a call) behind 600 queued message webhooks; a fast
// receiver draining 4,000 endpoint calls (8 notifications to 500 subscribed endpoints). The
// receivers run in this bench process, off the server's event loop.

import type { Server } from 'bun'
import type { Ctx, Phase, Scenario } from './types'
import { Samples, round } from './util'

/** An HTTP receiver that answers every POST after `delayMs` and counts them. */
function receiver(delayMs: number) {
  let count = 0
  const server: Server<undefined> = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(req) {
      await req.arrayBuffer()
      if (delayMs) await Bun.sleep(delayMs)
      count++
      return new Response('ok')
    },
  })
  return { url: `http://127.0.0.1:${server.port}/hook`, count: () => count, stop: () => server.stop(true) }
}

async function admin(ctx: Ctx, body: unknown): Promise<{ api_key: string }> {
  const res = await fetch(`${ctx.t.baseUrl}/v1/admin/tenants`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'X-Master-Key': ctx.t.masterKey! },
    body: JSON.stringify(body),
  })
  if (!res.ok) throw new Error(`POST /v1/admin/tenants → ${res.status} ${await res.text()}`)
  return res.json() as Promise<{ api_key: string }>
}

function as(ctx: Ctx, apiKey: string, user: string) {
  return async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${ctx.t.baseUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', 'X-API-Key': apiKey, 'X-User-Id': user },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${await res.text()}`)
    return res.json() as Promise<Record<string, any>>
  }
}

/** A probe socket: ping → pong round trips, one at a time. */
async function probe(ctx: Ctx, apiKey: string) {
  const ws = new WebSocket(`ws://${ctx.t.host}:${ctx.t.port}/ws`, { headers: { 'X-API-Key': apiKey, 'X-User-Id': 'probe' } })
  let waiting: (() => void) | null = null
  await new Promise<void>((resolve, reject) => {
    ws.onmessage = (m) => {
      const f = JSON.parse(String(m.data))
      if (f.type === 'sync.done') resolve()
      if (f.type === 'pong') waiting?.()
    }
    ws.onclose = () => reject(new Error('probe socket closed'))
  })
  return {
    /** Sequential round trips for `ms` milliseconds. */
    async rtts(ms: number): Promise<Samples> {
      const s = new Samples(1_000_000)
      for (const end = performance.now() + ms; performance.now() < end; ) {
        const t0 = performance.now()
        await new Promise<void>((r) => {
          waiting = r
          ws.send('{"type":"ping"}')
        })
        s.add(performance.now() - t0)
      }
      return s
    },
    close: () => ws.close(),
  }
}

export const deliveryBusy: Scenario = {
  name: 'delivery-busy',
  about: 'WS ping round trip idle, then with the delivery worker busy (slow receiver; 4,000 fast endpoint calls)',
  env: { ALLOW_HTTP_WEBHOOKS: '1' },
  needsSpawn: true,
  async run(ctx) {
    const slow = receiver(50)
    const fast = receiver(0)
    try {
      const hooked = (url: string) => admin(ctx, { name: `${ctx.tag}-hooked`, config: { rate_limit_per_sec: 100_000, webhook_url: url, webhook_events: ['message.created'] } })
      const ts = (await hooked(slow.url)).api_key
      const tf = (await hooked(fast.url)).api_key
      const p = await probe(ctx, ts)
      const phases: Phase[] = []
      const sample = async (name: string, rx: ReturnType<typeof receiver>, queued: number) => {
        const before = rx.count()
        const t0 = performance.now()
        const s = await p.rtts(1000)
        const delivered = rx.count() - before
        phases.push({ phase: name, latency: s.summary(), delivered_per_s: round(delivered / ((performance.now() - t0) / 1000), 1), queued, pending_after: queued - rx.count(), errors: {} })
      }
      const started = async (rx: ReturnType<typeof receiver>) => {
        for (const end = performance.now() + 10_000; rx.count() < 20 && performance.now() < end; ) await Bun.sleep(10)
      }

      await p.rtts(2000) // warm-up
      await sample('idle', slow, 0)

      // 600 messages from 16 concurrent clients: one webhook each, ~160 deliveries/s to the slow receiver.
      const room = (await as(ctx, ts, 'alice')('POST', '/v1/rooms', { type: 'group', members: ['bob'] })).room_id
      let next = 0
      await Promise.all(Array.from({ length: 16 }, async () => {
        while (next < 600) await as(ctx, ts, 'alice')('POST', `/v1/rooms/${room}/messages`, { content: `m${next++}` })
      }))
      await started(slow)
      await sample('busy-slow-receiver', slow, 600)

      // 500 endpoint subscribers of one topic (500 URLs, so every slot is used); 8 notifications.
      let sub = 0
      await Promise.all(Array.from({ length: 16 }, async () => {
        while (sub < 500) {
          const u = `u${sub++}`
          await as(ctx, tf, u)('POST', '/v1/subscriptions', { topic: 'load', endpoint: `${fast.url}/${u}` })
        }
      }))
      for (let i = 0; i < 8; i++) await as(ctx, tf, 'app')('POST', '/v1/notify', { topic: 'load', payload: { i }, targets: { topic_subscribers: true } })
      await started(fast)
      await sample('busy-fast-receiver', fast, 4000)
      p.close()
      const busy = phases.find((x) => x.phase === 'busy-fast-receiver')!
      return {
        phases,
        headline: { throughput: busy.delivered_per_s, unit: 'deliveries/s', latencyPhase: 'busy-fast-receiver', extra: { idle_p99_ms: phases[0].latency.p99_ms } },
      }
    } finally {
      slow.stop()
      fast.stop()
    }
  },
}
