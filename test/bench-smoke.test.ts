// Smoke of the bench runner (docs/performance.md): it spawns its own server, runs a tiny bounded
// load for about a second and prints one JSON line per scenario. No timing is asserted here.

import { expect, test } from 'bun:test'
import { join } from 'node:path'

test('bun run bench rest-hot (tiny) prints a JSON line with throughput, latency and RSS', async () => {
  const proc = Bun.spawn(
    ['bun', join(import.meta.dir, '..', 'bench', 'index.ts'), 'rest-hot', '--secs=1', '--warmup=0', '--concurrency=4', '--gate=0', '--json', '--cap=50'],
    { stdout: 'pipe', stderr: 'pipe' },
  )
  const out = await new Response(proc.stdout).text()
  expect(await proc.exited).toBe(0)
  const line = out.split('\n').find((l) => l.startsWith('{"scenario"'))
  expect(line).toBeDefined()
  const r = JSON.parse(line!)
  expect(r).toMatchObject({ scenario: 'rest-hot', unit: 'msg/s', errors: 0 })
  expect(r.throughput).toBeGreaterThan(0)
  expect(r.p50_ms).toBeGreaterThan(0)
  expect(r.server_rss_before_bytes).toBeGreaterThan(0)
  expect(r.loadavg_after).toHaveLength(3)
}, 60_000)
