// Worker threads (SPEC §4 Operations, §6): health shows them, a killed worker is restarted by the
// scheduler, the checkpoint policy bounds the WAL under sustained writes, and :memory: runs without
// workers. (The round-trip measurements are in latency.test.ts.)

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { startTestServer, type TestServer } from '../support/server'
import { onSqlite } from '../support/storage'
import { restSend, roomWith } from '../ws/helpers'
import { onPath, Receiver, until } from './helpers'

// These name the SQLite checkpoint worker and WAL; the PostgreSQL run covers the rest of the suite.
describe.skipIf(!onSqlite)('scheduler', () => {
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

  test('/health shows the workers running', async () => {
    const h = await s.call('GET', '/health')
    expect(h.status).toBe(200)
    expect(h.body.status).toBe('ok')
    expect(h.body.workers).toEqual({
      delivery: { state: 'running', restarts: 0, last_error: null },
      checkpoint: { state: 'running', restarts: 0, last_error: null },
      search: { state: 'running', restarts: 0, last_error: null },
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

test.skipIf(!onSqlite)('the WAL stays bounded under sustained writes (TRUNCATE past WAL_CHECKPOINT_BYTES)', async () => {
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

test.skipIf(!onSqlite)('with DATABASE_URL=:memory: workers are not started, show `stopped`, and health stays 200', async () => {
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
