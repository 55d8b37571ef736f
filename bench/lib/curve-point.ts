// One point of a cost curve (bench/lib/curves.ts): a fresh server (on a database built in bulk when
// the point asks for one), rooms made through the API, optional idle sockets held by their own load
// processes, then one WS load process: an open-loop phase at a fixed rate (latency at a known load)
// and a closed-loop phase (`max`, the ceiling). Everything it starts it stops, by pid; the
// database directory is deleted at the end of the point.

import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { commitStats, createRoom, pool, spawnTarget, tenantCall, type Target } from './target'
import { prefill } from './prefill'
import type { WsRoomSpec, WsSpec } from './load-ws'
import type { Ctx, Phase } from './types'
import { loadavg, quiet, round, rssBytes } from './util'

export interface PointSpec {
  curve: string
  /** The point's position on the x axis (members, rooms, idle connections, messages). */
  x: number
  rooms: number
  members: number
  /** Rooms whose members other than the sender connect (default all); the others' members stay offline. */
  connectedRooms?: number
  /** Latency probes (real WebSockets) per room, in the first `probeRooms` rooms. */
  probes: number
  probeRooms: number
  /** Sends in flight per sender in the `max` phase. */
  window: number
  /** Messages per second offered in the open-loop phase. */
  rate: number
  /** Idle sockets held beside the load (users in rooms of 10 of their own). */
  idle?: number
  /** Messages in the database before the server starts (built in bulk by prefill.ts). */
  dbMessages?: number
  /** Extra server environment (the bench's --server-env). */
  env?: Record<string, string>
}

export interface PointResult {
  curve: string
  x: number
  rooms: number
  members: number
  /** sockets of the load process (senders, probes, members) plus the idle ones */
  connections: number
  idle: number
  db_messages: number
  max_msg_s: number | null
  max_deliveries_s: number | null
  max_p99_ms: number | null
  rate: number
  rate_msg_s: number | null
  rate_deliveries_s: number | null
  rate_p50_ms: number | null
  rate_p99_ms: number | null
  rate_ack_p99_ms: number | null
  server_cpu_max: number | null
  server_cpu_rate: number | null
  /** CPU of the WS load process in each phase (it counts every delivery: at ~100,000 deliveries/s it needs most of a core) */
  client_cpu_max?: number | null
  client_cpu_rate?: number | null
  /** the most any other process used in either phase (the shared box's noise) */
  others_cpu: number | null
  server_rss_mb: number | null
  /** group commit over the point: messages per commit and ms per commit (from /metrics) */
  mean_batch?: number | null
  mean_commit_ms?: number | null
  errors: number
  closed_sockets: number
  connect_failed: number
  setup_s: number
  /** prefill (the database built in bulk) */
  build_s?: number
  /** from spawning the server (on an empty or a prefilled database) to its "listening" line and the bench tenant made */
  startup_ms?: number
  db_bytes?: number
  index_bytes?: number
  /** several rounds (--curve-rounds): each figure is the median of the rounds; these are every round's */
  rounds?: { max_msg_s: (number | null)[]; rate_p99_ms: (number | null)[] }
  quiet_gate: { pre_busy_cores: number; gated: boolean; waited_s: number }
  loadavg: number[]
  phases: Phase[]
}

const SERVER_ENV = { WS_MAX_CONNECTIONS_PER_TENANT: '1000000' }

/** Rooms of `size` members whose ids start with `prefix`; more than 1,000 members are added in chunks (64 KiB body). */
async function makeRooms(t: Target, prefix: string, count: number, size: number): Promise<{ room_id: string; users: string[] }[]> {
  const rooms = Array.from({ length: count }, (_, r) => Array.from({ length: size }, (_, m) => `${prefix}r${r}m${m}`))
  const ids = await pool(16, rooms.map((users) => () => createRoom(t, users[0], 'group', users.slice(1, 1000))))
  for (let r = 0; r < count; r++)
    for (let i = 1000; i < size; i += 1000) await tenantCall(t, rooms[r][0], 'POST', `/v1/rooms/${ids[r]}/members`, { user_ids: rooms[r].slice(i, i + 1000) })
  return rooms.map((users, i) => ({ room_id: ids[i], users }))
}

function filesBytes(dir: string, match: (name: string) => boolean): number {
  let n = 0
  for (const f of readdirSync(dir)) if (match(f)) n += statSync(join(dir, f)).size
  return n
}

export async function runPoint(ctx: Ctx, p: PointSpec, gateS: number): Promise<PointResult> {
  const gate = await quiet(0.35, gateS)
  const load0 = loadavg()
  const t0 = performance.now()
  const dir = p.dbMessages ? mkdtempSync(join(tmpdir(), 'chatapi-bench-curves-')) : null
  let t: Target | null = null
  const extra: Partial<PointResult> = {}
  try {
    if (dir && p.dbMessages) {
      const built = prefill(join(dir, 'big.db'), { messages: p.dbMessages, spareRooms: 0, searchIndex: true })
      extra.build_s = round((built.buildMs + built.indexMs) / 1000, 1)
      extra.db_bytes = filesBytes(dir, (f) => f.startsWith('big.db') && !f.includes('search'))
      extra.index_bytes = filesBytes(dir, (f) => f.includes('search'))
      const s0 = performance.now()
      t = await spawnTarget({ ...SERVER_ENV, ...p.env, DATABASE_URL: join(dir, 'big.db') }, null)
      extra.startup_ms = Math.round(performance.now() - s0)
    } else {
      const s0 = performance.now()
      t = await spawnTarget({ ...SERVER_ENV, ...p.env }, null)
      extra.startup_ms = Math.round(performance.now() - s0)
    }

    const rooms = await makeRooms(t, `${ctx.tag}${p.curve}${p.x}a`, p.rooms, p.members)
    const idleUsers = p.idle ? (await makeRooms(t, `${ctx.tag}${p.curve}${p.x}i`, Math.ceil(p.idle / 10), 10)).flatMap((r) => r.users).slice(0, p.idle) : []
    const connected = p.connectedRooms ?? p.rooms
    const wsRooms = rooms.map((r, i): WsRoomSpec => {
      const probes = i < p.probeRooms ? r.users.slice(1, 1 + p.probes) : []
      return { room_id: r.room_id, sender: r.users[0], probes, raw: i < connected ? r.users.slice(1 + probes.length) : [] }
    })

    // idle sockets first, in load processes of 5,000 each, held until the active load is done
    let idleReady = 0
    let idleFailed = 0
    let idleDone: Promise<void> = Promise.resolve()
    if (idleUsers.length) {
      const per = 5000
      const specs: WsSpec[] = []
      for (let i = 0; i < idleUsers.length; i += per)
        specs.push({ mode: 'idle', host: t.host, port: t.port, apiKey: t.apiKey, serverPid: t.pid, users: idleUsers.slice(i, i + per), hold_s: 300, hardcap_s: 330 })
      let procs = 0
      let allReady!: () => void
      const ready = new Promise<void>((r) => (allReady = r))
      idleDone = ctx.loadMany('ws', specs as unknown as Record<string, unknown>[], 330, (_i, line) => {
        if (line.ready === undefined) return
        idleReady += line.ready
        idleFailed += line.failed
        if (++procs === specs.length) allReady()
      })
      await Promise.race([ready, idleDone])
    }
    const setupS = (performance.now() - t0) / 1000

    // Thousands of senders start the closed loop with a send each at once: give the server a second
    // of warm-up per 1,000 in flight (at most 10) so the measured window starts after that burst.
    const warmup = Math.max(ctx.warmup, Math.min(10, Math.ceil((p.rooms * p.window) / 1000)))
    const spec: WsSpec = {
      mode: 'rooms',
      host: t.host,
      port: t.port,
      apiKey: t.apiKey,
      serverPid: t.pid,
      rooms: wsRooms,
      // The fixed rate first: after the closed loop, sends still in flight (up to 10,000 at 10,000
      // rooms) would reach the probes during the next phase's window with their old timestamps.
      phases: [
        { name: `at-${p.rate}`, rate: p.rate },
        { name: 'max', window: p.window },
      ],
      warmup_s: warmup,
      secs: ctx.secs,
      hardcap_s: 120 + 4 * (warmup + ctx.secs),
    }
    const lines = await ctx.load('ws', spec as unknown as Record<string, unknown>, spec.hardcap_s)
    const rss = rssBytes(t.pid)
    // group-commit figures over the whole point (set-up sends none): how many messages a commit
    // carried and how long one took, to tell a costlier commit from fewer messages per commit
    const commits = (await commitStats(t)) as { mean_batch?: number; mean_commit_ms?: number } | null
    ctx.killLoads() // the idle holders
    await idleDone
    const conn = lines.find((l) => l.ready !== undefined) ?? { ready: 0, failed: 0 }
    const phases = lines.filter((l) => l.phase) as Phase[]
    const max = phases.find((x) => x.phase === 'max')
    const at = phases.find((x) => x.phase !== 'max')
    const errs = (ph?: Phase) => Object.values((ph?.errors ?? {}) as Record<string, number>).reduce((a, b) => a + b, 0)
    const others = [max?.other_cpu_cores, at?.other_cpu_cores].filter((v): v is number => typeof v === 'number')
    return {
      curve: p.curve,
      x: p.x,
      rooms: p.rooms,
      members: p.members,
      connections: conn.ready + idleReady,
      idle: idleReady,
      db_messages: p.dbMessages ?? 0,
      max_msg_s: max?.persisted_per_s ?? null,
      max_deliveries_s: max?.deliveries_per_s ?? null,
      max_p99_ms: max?.latency?.p99_ms ?? null,
      rate: p.rate,
      rate_msg_s: at?.persisted_per_s ?? null,
      rate_deliveries_s: at?.deliveries_per_s ?? null,
      rate_p50_ms: at?.latency?.p50_ms ?? null,
      rate_p99_ms: at?.latency?.p99_ms ?? null,
      rate_ack_p99_ms: at?.ack_latency?.p99_ms ?? null,
      server_cpu_max: max?.server_cpu_cores ?? null,
      server_cpu_rate: at?.server_cpu_cores ?? null,
      client_cpu_max: max?.client_cpu_cores ?? null,
      client_cpu_rate: at?.client_cpu_cores ?? null,
      others_cpu: others.length ? Math.max(...others) : null,
      server_rss_mb: rss === null ? null : round(rss / 2 ** 20, 1),
      mean_batch: commits?.mean_batch ?? null,
      mean_commit_ms: commits?.mean_commit_ms ?? null,
      errors: errs(max) + errs(at),
      closed_sockets: Math.max(max?.closed_sockets ?? 0, at?.closed_sockets ?? 0),
      connect_failed: conn.failed + idleFailed,
      setup_s: round(setupS, 1),
      ...extra,
      quiet_gate: gate,
      loadavg: load0,
      phases,
    }
  } finally {
    ctx.killLoads()
    await t?.stop()
    if (dir) rmSync(dir, { recursive: true, force: true })
  }
}

const med = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

/** One point from several rounds of it: the median of every numeric figure (per element for the load average), every round's phases. */
export function medianPoint(rs: PointResult[]): PointResult {
  if (rs.length === 1) return rs[0]
  const out: Record<string, unknown> = { ...rs[0] }
  for (const [k, v] of Object.entries(rs[0])) {
    if (typeof v === 'number' || v === null) {
      const xs = rs.map((r) => (r as unknown as Record<string, unknown>)[k]).filter((x): x is number => typeof x === 'number')
      out[k] = xs.length ? round(med(xs), 3) : null
    }
  }
  out.loadavg = rs[0].loadavg.map((_, i) => round(med(rs.map((r) => r.loadavg[i])), 2))
  out.phases = rs.flatMap((r, i) => r.phases.map((ph) => ({ ...ph, round: i })))
  out.rounds = { max_msg_s: rs.map((r) => r.max_msg_s), rate_p99_ms: rs.map((r) => r.rate_p99_ms) }
  return out as unknown as PointResult
}
