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

test('bun run bench c100k (tiny) holds every socket, delivers every broadcast and gets all back after the storm', async () => {
  const proc = Bun.spawn(
    ['bun', join(import.meta.dir, '..', 'bench', 'index.ts'), 'c100k', '--secs=1', '--gate=0', '--json', '--cap=170',
      '--c100k-conns=60', '--c100k-channel=21', '--c100k-rate=5', '--c100k-burst=4', '--c100k-missed=3', '--c100k-procs=2', '--victim-rate=10'],
    { stdout: 'pipe', stderr: 'pipe' },
  )
  const out = await new Response(proc.stdout).text()
  expect(await proc.exited).toBe(0)
  const line = out.split('\n').find((l) => l.startsWith('{"scenario"'))
  expect(line).toBeDefined()
  const r = JSON.parse(line!)
  expect(r).toMatchObject({ scenario: 'c100k', unit: 'connections', throughput: 60, scaled_down: false, errors: 0 })
  const ph = Object.fromEntries(r.phases.map((p: { phase: string }) => [p.phase, p]))
  expect(Object.keys(ph)).toEqual(['hold', 'broadcast-at-5', 'broadcast-burst', 'storm'])
  expect(ph.hold).toMatchObject({ connections: 60, failed: 0, load_processes: 2 })
  expect(ph.hold.rss_per_conn_settled_kb).toEqual(expect.any(Number))
  // 20 connected members: every broadcast reached every one, each delivery timed
  expect(ph['broadcast-at-5']).toMatchObject({ sent: 5, channel_members_connected: 20, deliveries: 100, expected: 100 })
  expect(ph['broadcast-at-5'].latency.samples).toBe(100)
  expect(ph['broadcast-burst']).toMatchObject({ sent: 4, deliveries: 80, expected: 80 })
  // the storm: all 60 back, and each channel member's sync streamed the 3 messages it had not acked
  expect(ph.storm).toMatchObject({ reconnected: 60, failed: 0, synced_messages: 20 * 3 })
  expect(ph.storm.reconnect_s).toBeGreaterThan(0)
  expect(ph.storm.other_tenant_before.samples).toBeGreaterThan(0)
}, 180_000)
