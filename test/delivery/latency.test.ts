// The event loop never waits on a worker's database work (SPEC §6, issue 4): a TRUNCATE checkpoint
// that meets a reader must not block the main thread. (The ping round trip while the delivery worker
// is busy is a figure, not a pass/fail: `bun run bench delivery-busy`.)

import { expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { join } from 'node:path'
import { startTestServer } from '../support/server'
import { onSqlite } from '../support/storage'
import { ready, restSend, roomWith } from '../ws/helpers'
import type { WsClient } from '../support/ws'
import { until } from './helpers'

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
