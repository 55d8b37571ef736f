// pg-scale: the same load against one and then two instances on PostgreSQL + Redis, in one run.
// Each case gets a fresh database (created and dropped here) and its own spawned servers; the load
// is split evenly across the instances' URLs. REST: `--concurrency` clients sending into as many
// 2-member rooms (closed loop). WS: `--rooms` rooms of `--members`, senders spread over the
// instances, the latency probes and the other members on the other instance where there is one.

import { freshPgDatabase } from './pg-database'
import type { RestPhase, RestSpec, RestTarget } from './load-rest'
import type { WsRoomSpec, WsSpec } from './load-ws'
import type { Ctx, Phase, Scenario } from './types'
import { createRoom, pool, spawnTarget, type Target } from './target'
import { procCpuS, round } from './util'

const num = (ctx: Ctx, k: string, def: number) => (ctx.flags[k] !== undefined ? Number(ctx.flags[k]) : def)

/** Runs `fn` and returns the mean CPU cores all `pids` used meanwhile (load set-up and warm-up included). */
async function withCpu<T>(pids: number[], fn: () => Promise<T>): Promise<[T, number]> {
  const sum = () => pids.reduce((a, p) => a + procCpuS(p), 0)
  const c0 = sum()
  const t0 = performance.now()
  const out = await fn()
  return [out, round((sum() - c0) / ((performance.now() - t0) / 1000), 2)]
}

async function runCase(ctx: Ctx, n: number, pgUrl: string, redisUrl: string): Promise<Phase[]> {
  const db = await freshPgDatabase(pgUrl)
  const ts: Target[] = []
  try {
    // one after the other: the first runs the migrations, the second finds them done
    for (let i = 0; i < n; i++) ts.push(await spawnTarget({ DATABASE_URL: db.url, REDIS_URL: redisUrl }, null))
    for (const t of ts) t.apiKey = ts[0].apiKey // one tenant, reached through every instance
    const pids = ts.map((t) => t.pid)
    const tag = `${ctx.tag}n${n}`
    const on = (i: number) => ts[i % n]
    const phases: Phase[] = []

    // REST: c clients, each into its own 2-member room, alternating instances
    const c = num(ctx, 'concurrency', 64)
    const restIds = await pool(16, Array.from({ length: c }, (_, r) => () => createRoom(on(r), `${tag}s${r}a`, 'group', [`${tag}s${r}b`])))
    const targets: RestTarget[] = restIds.map((room_id, r) => ({ room_id, user: `${tag}s${r}a`, base_url: on(r).baseUrl }))
    const restSpec: RestSpec = {
      baseUrl: ts[0].baseUrl,
      apiKey: ts[0].apiKey,
      serverPid: ts[0].pid,
      phases: [{ name: `${n}x/rest-many`, kind: 'send', targets, concurrency: c } satisfies RestPhase],
      warmup_s: ctx.warmup,
      secs: ctx.secs,
      hardcap_s: 60 + 2 * (ctx.warmup + ctx.secs + 6),
    }
    const [restLines, restCpu] = await withCpu(pids, () => ctx.load('rest', restSpec as unknown as Record<string, unknown>, restSpec.hardcap_s))
    for (const l of restLines) if (l.phase) phases.push({ ...(l as Phase), instances: n, all_servers_cpu_cores: restCpu })

    // WS: rooms of `members`; the sender on instance r % n, every other member on the next one(s)
    const rooms = num(ctx, 'rooms', 100)
    const size = num(ctx, 'members', 10)
    const probes = num(ctx, 'probes', 1)
    const users = Array.from({ length: rooms }, (_, r) => Array.from({ length: size }, (_, m) => `${tag}r${r}m${m}`))
    const ids = await pool(16, users.map((u, r) => () => createRoom(on(r), u[0], 'group', u.slice(1))))
    const portOf: Record<string, number> = {}
    users.forEach((u, r) => u.forEach((user, m) => (portOf[user] = on(r + (m === 0 ? 0 : m <= probes ? 1 : m)).port)))
    const rate = num(ctx, 'pg-rate', 1000)
    const wsSpec: WsSpec = {
      mode: 'rooms',
      host: ts[0].host,
      port: ts[0].port,
      apiKey: ts[0].apiKey,
      serverPid: ts[0].pid,
      port_of: portOf,
      rooms: users.map((u, r): WsRoomSpec => ({ room_id: ids[r], sender: u[0], probes: u.slice(1, 1 + probes), raw: u.slice(1 + probes) })),
      phases: [
        { name: `${n}x/ws-max`, window: num(ctx, 'window', 8) },
        { name: `${n}x/ws-at-${rate}`, rate },
      ],
      warmup_s: ctx.warmup,
      secs: ctx.secs,
      hardcap_s: 60 + 4 * (ctx.warmup + ctx.secs),
    }
    const [wsLines, wsCpu] = await withCpu(pids, () => ctx.load('ws', wsSpec as unknown as Record<string, unknown>, wsSpec.hardcap_s))
    for (const l of wsLines) if (l.phase) phases.push({ ...(l as Phase), instances: n, all_servers_cpu_cores: wsCpu })
    return phases
  } finally {
    for (const t of ts) await t.stop()
    await db.drop()
  }
}

const ratio = (a?: number | null, b?: number | null) => (a && b ? Math.round((a / b) * 1000) / 1000 : null)

export const pgScale: Scenario = {
  name: 'pg-scale',
  about: 'one vs two instances on PostgreSQL + Redis (fresh database each), load split across the instances: REST into many rooms, WS 10-member rooms across instances',
  needsSpawn: true,
  ownsServers: true,
  async run(ctx) {
    const pgUrl = ctx.flags['pg-url'] ?? 'postgres://postgres@127.0.0.1:5432/postgres'
    const redisUrl = ctx.flags['redis-url'] ?? 'redis://127.0.0.1:6379'
    const phases: Phase[] = []
    for (const n of [1, 2]) phases.push(...(await runCase(ctx, n, pgUrl, redisUrl)))
    const p = (name: string) => phases.find((x) => x.phase === name)
    const rate = num(ctx, 'pg-rate', 1000)
    const extra = {
      rest_two_over_one: ratio(p('2x/rest-many')?.ok_per_s, p('1x/rest-many')?.ok_per_s),
      ws_two_over_one: ratio(p('2x/ws-max')?.persisted_per_s, p('1x/ws-max')?.persisted_per_s),
      ws_at_rate_p50_two_over_one: ratio(p(`2x/ws-at-${rate}`)?.latency?.p50_ms, p(`1x/ws-at-${rate}`)?.latency?.p50_ms),
      ws_at_rate_p99_two_over_one: ratio(p(`2x/ws-at-${rate}`)?.latency?.p99_ms, p(`1x/ws-at-${rate}`)?.latency?.p99_ms),
    }
    return { phases, headline: { throughput: p('2x/ws-max')?.persisted_per_s ?? null, unit: 'persisted msg/s (WS, 2 instances)', latencyPhase: '2x/ws-max', extra } }
  },
}
