// Worker threads (SPEC §4 Operations, §6): health shows them, a killed worker is restarted by the
// scheduler, the checkpoint policy bounds the WAL under sustained writes, and :memory: runs without
// workers. Also measures the WebSocket round trip while the delivery worker is busy.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { startTestServer, type TestServer } from '../support/server'
import { ready, restSend, roomWith } from '../ws/helpers'
import type { WsClient } from '../support/ws'
import { onPath, percentile, Receiver, until } from './helpers'

describe('scheduler', () => {
  let s: TestServer
  let rx: Receiver
  beforeAll(async () => {
    s = await startTestServer({ ALLOW_HTTP_WEBHOOKS: '1' })
    rx = new Receiver()
  })
  afterAll(async () => {
    rx.stop()
    await s.stop()
  })

  test('/health shows both workers running', async () => {
    const h = await s.call('GET', '/health')
    expect(h.status).toBe(200)
    expect(h.body.status).toBe('ok')
    expect(h.body.workers).toEqual({
      delivery: { state: 'running', restarts: 0, last_error: null },
      checkpoint: { state: 'running', restarts: 0, last_error: null },
    })
  })

  test('a killed delivery worker shows as degraded, comes back running, and webhooks still flow', async () => {
    const t = await s.newTenant({ webhook_url: rx.url('/after-restart'), webhook_events: ['message.created'] })
    const room = await roomWith(t, 'alice', ['bob'])
    s.handle.workers!.terminate('delivery')

    // The restart delay is short (100 ms): poll /health fast until the outage shows (bounded).
    const degraded = await until('health to show the dead worker', async () => {
      const h = await s.call('GET', '/health')
      return h.status === 503 ? h : undefined
    }, 3000, 2)
    expect(degraded.body.status).toBe('degraded')
    expect(degraded.body.workers.delivery.state).toBe('restarting')
    expect(degraded.body.workers.delivery.restarts).toBeGreaterThanOrEqual(1)
    expect(degraded.body.workers.delivery.last_error).toMatch(/^[A-Z_]+$/) // a short code, never a message
    expect(degraded.body.workers.checkpoint.state).toBe('running')

    const back = await until('the worker to run again', async () => {
      const h = await s.call('GET', '/health')
      return h.status === 200 ? h : undefined
    }, 5000)
    expect(back.body.status).toBe('ok')
    expect(back.body.workers.delivery).toMatchObject({ state: 'running', restarts: 1 })
    expect(s.handle.workers!.status().delivery.state).toBe('running')

    const m = await restSend(t, 'alice', room, 'after the restart')
    const [hit] = await rx.waitFor(1, onPath('/after-restart'))
    expect(hit.json.data.message_id).toBe(m.message_id)
  })

  test('a delivery queued while the worker is down is sent once it is back', async () => {
    const t = await s.newTenant({ webhook_url: rx.url('/while-down'), webhook_events: ['message.created'] })
    const room = await roomWith(t, 'alice', ['bob'])
    s.handle.workers!.terminate('checkpoint') // the other worker restarts the same way
    s.handle.workers!.terminate('delivery')
    const m = await restSend(t, 'alice', room, 'queued')
    const [hit] = await rx.waitFor(1, onPath('/while-down'), 5000)
    expect(hit.json.data.message_id).toBe(m.message_id)
    const h = await until('both workers running', async () => {
      const r = await s.call('GET', '/health')
      return r.status === 200 ? r : undefined
    })
    expect(h.body.workers.checkpoint).toMatchObject({ state: 'running', restarts: 1 })
    expect(h.body.workers.delivery.restarts).toBe(2)
  })
})

test('the WAL stays bounded under sustained writes (TRUNCATE past WAL_CHECKPOINT_BYTES)', async () => {
  const LIMIT = 1_048_576
  const s = await startTestServer({ WAL_CHECKPOINT_BYTES: String(LIMIT), WAL_CHECKPOINT_INTERVAL_MS: '200' })
  try {
    const t = await s.newTenant()
    const room = await roomWith(t, 'alice', ['bob'])
    const walPath = join(s.dir, 'chatapi.db-wal')
    const wal = () => {
      try {
        return statSync(walPath).size
      } catch {
        return 0
      }
    }
    let max = 0
    let shrinks = 0
    let prev = wal()
    const sampler = setInterval(() => {
      const v = wal()
      if (v < prev) shrinks++
      max = Math.max(max, v)
      prev = v
    }, 5)

    // 4,000 sends of ~1 KiB from 32 concurrent clients: well over 4 MB of content, several times the limit.
    const N = 4000
    const content = 'x'.repeat(1000)
    let next = 0
    const started = Date.now()
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < N) {
          next++
          const r = await t.as('alice')('POST', `/v1/rooms/${room}/messages`, { body: { content } })
          if (r.status !== 201) throw new Error(`send: ${r.status}`)
        }
      }),
    )
    const loadMs = Date.now() - started
    const afterLoad = wal()
    // With no writes the next checkpoint report truncates it back under the limit.
    const settled = await until('the WAL to drop under the limit', () => (wal() <= LIMIT ? wal() : undefined), 3000)
    clearInterval(sampler)
    console.log(`WAL under load: ${N} sends in ${loadMs} ms; max ${max} bytes, truncated ${shrinks}x, ${afterLoad} after the load, ${settled} settled`)

    expect(shrinks).toBeGreaterThanOrEqual(1) // TRUNCATE ran during the load (autocheckpoint alone never shrinks the file)
    // The bound: SQLite's 1,000-page autocheckpoint (≈ 4 MiB) stays on as the safety net; TRUNCATE keeps
    // it from growing past that and brings it back under WAL_CHECKPOINT_BYTES when the load stops.
    expect(max).toBeLessThan(6 * LIMIT)
    expect(settled).toBeLessThanOrEqual(LIMIT)
    const h = await s.call('GET', '/health')
    expect(h.body.db.wal_bytes).toBeLessThanOrEqual(LIMIT)
    const count = await t.as('alice')('GET', `/v1/rooms/${room}`)
    expect(count.body.last_seq).toBe(N)
  } finally {
    await s.stop()
  }
}, 60_000)

test('with DATABASE_URL=:memory: workers are not started, show `stopped`, and health stays 200', async () => {
  const s = await startTestServer({ DATABASE_URL: ':memory:' })
  try {
    expect(s.handle.workers).toBeNull()
    const h = await s.call('GET', '/health')
    expect(h.status).toBe(200)
    expect(h.body.status).toBe('ok')
    expect(h.body.workers).toEqual({
      delivery: { state: 'stopped', restarts: 0, last_error: null },
      checkpoint: { state: 'stopped', restarts: 0, last_error: null },
    })
    expect(h.body.db.wal_bytes).toBe(0)
  } finally {
    await s.stop()
  }
})

/** Sequential ping → pong round trips (ms) for `ms` milliseconds or `n` pings, whichever ends first. */
async function pingRtts(c: WsClient, n: number, ms: number): Promise<number[]> {
  const out: number[] = []
  const end = performance.now() + ms
  while (out.length < n && performance.now() < end) {
    const t0 = performance.now()
    await c.request({ type: 'ping' }, 'pong')
    out.push(performance.now() - t0)
  }
  return out
}

/** The receiver-process.ts fixture: a webhook receiver whose work stays off this process's event loop. */
async function receiverProcess(delayMs: number) {
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, 'receiver-process.ts'), String(delayMs)], { stdout: 'pipe', stderr: 'inherit' })
  const reader = proc.stdout.getReader()
  let text = ''
  while (!text.includes('\n')) {
    const { value, done } = await reader.read()
    if (done) throw new Error('receiver process exited before listening')
    text += new TextDecoder().decode(value)
  }
  reader.releaseLock()
  const base = `http://127.0.0.1:${JSON.parse(text.split('\n')[0]).port}`
  return {
    url: `${base}/hook`,
    count: async () => ((await (await fetch(`${base}/count`)).json()) as { count: number }).count,
    stop: () => proc.kill(),
  }
}

test('measure: WebSocket ping round trip while the delivery worker is busy vs idle', async () => {
  const s = await startTestServer({ ALLOW_HTTP_WEBHOOKS: '1', WS_MSG_RATE: '1000000' })
  // 8 concurrent calls of 50 ms: ~160 deliveries/s, so a backlog of hundreds lasts seconds.
  const slow = await receiverProcess(50)
  // Answers at once: the worker reads and the main thread applies results flat out.
  const fast = await receiverProcess(0)
  try {
    const hooked = (url: string) => s.newTenant({ webhook_url: url, webhook_events: ['message.created'] })
    const [ts, tf] = [await hooked(slow.url), await hooked(fast.url)]
    const probe = await ready(s.wsUrl, ts.headers('carol'))
    const fmt = (x: number[]) => `p50 ${percentile(x, 50).toFixed(3)} ms, p99 ${percentile(x, 99).toFixed(3)} ms, max ${Math.max(...x).toFixed(3)} ms (n=${x.length})`
    /** Sends `n` messages from 16 concurrent REST clients (each becomes one webhook delivery). */
    const load = async (t: typeof ts, n: number) => {
      const room = await roomWith(t, 'alice', ['bob'])
      let next = 0
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < n) {
            next++
            await t.as('alice')('POST', `/v1/rooms/${room}/messages`, { body: { content: `m${next}` } })
          }
        }),
      )
    }
    const started = (rx: typeof slow) => until('deliveries to start', async () => ((await rx.count()) >= 20 ? true : undefined))

    await pingRtts(probe, 500, 2000) // warm-up
    const idle = await pingRtts(probe, 1e6, 1000)
    console.log(`WS ping RTT idle: ${fmt(idle)}`)

    await load(ts, 600)
    await started(slow)
    const slowBefore = await slow.count()
    const busySlow = await pingRtts(probe, 1e6, 1000)
    const slowAfter = await slow.count()
    console.log(`WS ping RTT, delivery worker busy with a slow receiver (600 queued; ${slowAfter - slowBefore} delivered during the sample, ${600 - slowAfter} still pending): ${fmt(busySlow)}`)
    expect(slowAfter).toBeGreaterThan(slowBefore) // it really was busy while we measured
    expect(slowAfter).toBeLessThan(600)

    // A fast receiver, fed faster than REST sends can: 500 endpoint subscribers of one topic, so each
    // POST /v1/notify queues 500 calls at once (to 500 endpoint URLs, so every slot is used).
    let sub = 0
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (sub < 500) {
          const u = `u${sub++}`
          await tf.as(u)('POST', '/v1/subscriptions', { body: { topic: 'load', endpoint: `${fast.url}/${u}` } })
        }
      }),
    )
    for (let i = 0; i < 8; i++) await tf.as('app')('POST', '/v1/notify', { body: { topic: 'load', payload: { i }, targets: { topic_subscribers: true } } })
    await started(fast)
    const fastBefore = await fast.count()
    const busyFast = await pingRtts(probe, 1e6, 1000)
    const fastAfter = await fast.count()
    console.log(`WS ping RTT, delivery worker draining 4000 endpoint calls to a fast receiver (${fastAfter - fastBefore} delivered during the sample, ${4000 - fastAfter} still pending): ${fmt(busyFast)}`)
    expect(fastAfter).toBeGreaterThan(fastBefore)
    probe.close()
  } finally {
    slow.stop()
    fast.stop()
    await s.stop()
  }
}, 30_000)
