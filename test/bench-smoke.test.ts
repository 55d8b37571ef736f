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

test('bun run bench noisy-neighbour (tiny) prints the victim beside its quiet baseline and what the attacker did', async () => {
  const proc = Bun.spawn(
    ['bun', join(import.meta.dir, '..', 'bench', 'index.ts'), 'noisy-neighbour', '--secs=1', '--warmup=0', '--gate=0', '--json', '--cap=120',
      '--nn-rooms=20', '--nn-members=150', '--nn-flood=20', '--victim-rate=20'],
    { stdout: 'pipe', stderr: 'pipe' },
  )
  const out = await new Response(proc.stdout).text()
  expect(await proc.exited).toBe(0)
  const line = out.split('\n').find((l) => l.startsWith('{"scenario"'))
  expect(line).toBeDefined()
  const r = JSON.parse(line!)
  expect(r).toMatchObject({ scenario: 'noisy-neighbour', unit: 'victim req/s', target: { p99_ms: 50, max_ms: 250 } })
  const names = ['quiet', 'reconnect', 'sync-flood', 'big-rooms', 'room-list', 'all']
  expect(r.phases.map((p: { phase: string }) => p.phase)).toEqual(names)
  for (const p of r.phases) {
    expect(p.latency.samples).toBeGreaterThan(0)
    expect(typeof p.latency.p99_ms).toBe('number')
    expect(typeof p.target_met).toBe('boolean')
    if (p.phase === 'quiet') expect(p.attacker).toBeUndefined()
    else expect(typeof p.attacker).toBe('object')
  }
  expect(Object.keys(r.victim_latency)).toEqual(names)
  expect(Object.keys(r.attacker_ops)).toEqual(names.slice(1))
  // each vector did something (or was refused doing it), so the phase measured what it names
  const did = (phase: string, ...keys: string[]) => keys.some((k) => (r.attacker_ops[phase]?.[k] ?? 0) > 0)
  expect(did('reconnect', 'connects', 'connect_429')).toBe(true)
  expect(did('sync-flood', 'syncs', 'sync_429')).toBe(true)
  expect(did('big-rooms', 'rooms_created', 'rooms_created_429')).toBe(true)
  expect(did('room-list', 'lists', 'lists_429')).toBe(true)
}, 120_000)
