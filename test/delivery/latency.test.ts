// The event loop never waits on a worker's database work (SPEC §6, issue 4): the WebSocket ping
// round trip is measured idle and while the delivery worker is busy (figures printed, not asserted),
// and a TRUNCATE checkpoint that meets a reader must not block the main thread.

import { expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { join } from 'node:path'
import { startTestServer } from '../support/server'
import { onSqlite } from '../support/storage'
import { ready, restSend, roomWith } from '../ws/helpers'
import type { WsClient } from '../support/ws'
import { percentile, until } from './helpers'

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

test.skipIf(!onSqlite)('a TRUNCATE checkpoint that meets a reader does not block the event loop', async () => {
  const s = await startTestServer({ WAL_CHECKPOINT_BYTES: '1024', WAL_CHECKPOINT_INTERVAL_MS: '100' })
  const reader = new Database(join(s.dir, 'chatapi.db'), { readonly: true })
  try {
    const t = await s.newTenant()
    const room = await roomWith(t, 'alice', ['bob'])
    const probe = await ready(s.wsUrl, t.headers('carol'))
    for (let i = 0; i < 20; i++) await restSend(t, 'alice', room, `before ${i}`)
    // A long read (as a backup's VACUUM INTO or a worker's query would be) pins a WAL snapshot…
    reader.exec('BEGIN')
    reader.query('SELECT count(*) AS n FROM messages').get()
    // …while writes keep the WAL past WAL_CHECKPOINT_BYTES, so TRUNCATE is due on every report.
    for (let i = 0; i < 20; i++) await restSend(t, 'alice', room, `during ${i}`)
    const rtts = await pingRtts(probe, 1e6, 800) // spans several checkpoint reports (every 100 ms)
    console.log(`WS ping RTT while TRUNCATE meets a reader: max ${Math.max(...rtts).toFixed(1)} ms (n=${rtts.length})`)
    expect(Math.max(...rtts)).toBeLessThan(1000) // busy_timeout is 5 s: waiting on the reader would show
    reader.exec('COMMIT')
    // Once the reader is gone the next report truncates it (read the file: /health itself writes).
    const wal = () => Bun.file(join(s.dir, 'chatapi.db-wal')).size
    expect(wal()).toBeGreaterThan(1024)
    await until('the WAL to be truncated once the reader is gone', () => (wal() <= 1024 ? true : undefined), 3000)
    probe.close()
  } finally {
    reader.close()
    await s.stop()
  }
}, 15_000)
