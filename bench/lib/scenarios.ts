// The scenarios: how each sets up rooms through the API, which load process it runs, and which
// figure is its headline. Sizes come from flags (see bench/index.ts --help).

import { createRoom, pool, seedMessages, tenantCall, type Target } from './target'
import type { RestPhase, RestSpec } from './load-rest'
import type { WsRoomSpec, WsSpec } from './load-ws'
import { nofileLimit, rssBytes, sleep } from './util'
import { pgScale } from './pg-scale'
import { clusterOrder } from './cluster-order'
import { noisyNeighbour } from './noisy'
import { deliveryBusy } from './delivery-busy'
import { uploads } from './uploads'
import { moderationCost } from './moderation-cost'
import { searchBench } from './search-bench'
import type { Ctx, Phase, Scenario } from './types'
import { exportScenario, purge } from './lifecycle'
import { bigDb } from './big-db'
import { curves } from './curves'
import { c100k } from './c100k'

const num = (ctx: Ctx, k: string, def: number) => (ctx.flags[k] !== undefined ? Number(ctx.flags[k]) : def)

/** Rooms of `size` members created by their first member; returns each room with its users. */
async function makeRooms(ctx: Ctx, count: number, size: number, type: 'group' | 'channel' = 'group') {
  const rooms = Array.from({ length: count }, (_, r) => Array.from({ length: size }, (_, m) => `${ctx.tag}r${r}m${m}`))
  const ids = await pool(16, rooms.map((users) => () => createRoom(ctx.t, users[0], type, users.slice(1))))
  return rooms.map((users, i) => ({ room_id: ids[i], users }))
}

function wsRooms(name: string, about: string, env?: Record<string, string>): Scenario {
  return {
    name,
    about,
    env,
    needsSpawn: !!env,
    async run(ctx) {
      const rooms = await makeRooms(ctx, num(ctx, 'rooms', 100), num(ctx, 'members', 10))
      const probes = num(ctx, 'probes', 1)
      const spec: WsSpec = {
        mode: 'rooms',
        host: ctx.t.host,
        port: ctx.t.port,
        apiKey: ctx.t.apiKey,
        serverPid: ctx.t.pid,
        rooms: rooms.map((r): WsRoomSpec => ({ room_id: r.room_id, sender: r.users[0], probes: r.users.slice(1, 1 + probes), raw: r.users.slice(1 + probes) })),
        phases: [
          { name: 'max', window: num(ctx, 'window', 8) },
          { name: `at-${num(ctx, 'rate', 5000)}`, rate: num(ctx, 'rate', 5000) },
        ],
        warmup_s: ctx.warmup,
        secs: ctx.secs,
        hardcap_s: 60 + 4 * (ctx.warmup + ctx.secs),
      }
      const lines = await ctx.load('ws', spec as unknown as Record<string, unknown>, spec.hardcap_s)
      const phases = lines.filter((l) => l.phase) as Phase[]
      const max = phases.find((p) => p.phase === 'max')
      return { phases, headline: { throughput: max?.persisted_per_s ?? null, unit: 'persisted msg/s', extra: { deliveries_per_s: max?.deliveries_per_s } } }
    },
  }
}

function restSend(name: string, about: string, many: boolean, env?: Record<string, string>): Scenario {
  return {
    name,
    about,
    env,
    needsSpawn: !!env,
    async run(ctx) {
      const c = num(ctx, 'concurrency', 64)
      const targets = many
        ? (await makeRooms(ctx, c, 2)).map((r) => ({ room_id: r.room_id, user: r.users[0] }))
        : await (async () => {
            const [r] = await makeRooms(ctx, 1, c)
            return r.users.map((user) => ({ room_id: r.room_id, user }))
          })()
      const phases: RestPhase[] = [{ name: 'max', kind: 'send', targets, concurrency: c }]
      if (many) phases.push({ name: `at-${num(ctx, 'rest-rate', 1000)}`, kind: 'send', targets, rate: num(ctx, 'rest-rate', 1000) })
      const out = await runRest(ctx, phases)
      return { phases: out, headline: { throughput: out[0]?.ok_per_s ?? null, unit: 'msg/s' } }
    },
  }
}

async function runRest(ctx: Ctx, phases: RestPhase[]): Promise<Phase[]> {
  const spec: RestSpec = {
    baseUrl: ctx.t.baseUrl,
    apiKey: ctx.t.apiKey,
    serverPid: ctx.t.pid,
    phases,
    warmup_s: ctx.warmup,
    secs: ctx.secs,
    hardcap_s: 60 + (phases.length + 1) * (ctx.warmup + ctx.secs + 6),
    client: ctx.flags['rest-client'] === 'fetch' ? 'fetch' : 'raw',
  }
  const lines = await ctx.load('rest', spec as unknown as Record<string, unknown>, spec.hardcap_s)
  return lines.filter((l) => l.phase) as Phase[]
}

const fanout: Scenario = {
  name: 'fanout-1000',
  about: 'one room of 1,000 connected members; one sender, closed loop, then 100 msg/s',
  async run(ctx) {
    const size = num(ctx, 'fanout-members', 1000)
    const [r] = await makeRooms(ctx, 1, size)
    const spec: WsSpec = {
      mode: 'rooms',
      host: ctx.t.host,
      port: ctx.t.port,
      apiKey: ctx.t.apiKey,
      serverPid: ctx.t.pid,
      rooms: [{ room_id: r.room_id, sender: r.users[0], probes: r.users.slice(1, 5), raw: r.users.slice(5) }],
      phases: [
        { name: 'max', window: num(ctx, 'fanout-window', 32) },
        { name: 'at-100', rate: 100 },
      ],
      warmup_s: ctx.warmup,
      secs: ctx.secs,
      hardcap_s: 60 + 4 * (ctx.warmup + ctx.secs),
    }
    const phases = (await ctx.load('ws', spec as unknown as Record<string, unknown>, spec.hardcap_s)).filter((l) => l.phase) as Phase[]
    const max = phases.find((p) => p.phase === 'max')
    return { phases, headline: { throughput: max?.deliveries_per_s ?? null, unit: 'deliveries/s', extra: { published_per_s: max?.persisted_per_s } } }
  },
}

const history: Scenario = {
  name: 'history',
  about: 'GET /v1/rooms/{id}/messages?before_seq=<random>&limit=50 over 10 seeded rooms',
  async run(ctx) {
    const n = num(ctx, 'history-msgs', 1000)
    const rooms = await makeRooms(ctx, num(ctx, 'history-rooms', 10), 2)
    for (const r of rooms) await seedMessages(ctx.t, r.room_id, r.users[0], n)
    const targets = rooms.map((r) => ({ room_id: r.room_id, user: r.users[1], last_seq: n }))
    const phases = await runRest(ctx, [{ name: 'max', kind: 'history', targets, concurrency: num(ctx, 'concurrency', 64) }])
    return { phases, headline: { throughput: phases[0]?.ok_per_s ?? null, unit: 'pages/s' } }
  },
}

/** The ids of a room's first `n` messages, in seq order. */
async function messageIds(ctx: Ctx, roomId: string, user: string, n: number): Promise<string[]> {
  const ids: string[] = []
  while (ids.length < n) {
    const page = await tenantCall(ctx.t, user, 'GET', `/v1/rooms/${roomId}/messages?after_seq=${ids.length}&limit=200`)
    ids.push(...page.messages.map((m: { message_id: string }) => m.message_id))
    if (!page.has_more) break
  }
  return ids
}

const rich: Scenario = {
  name: 'rich',
  about: 'SPEC §11 costs beside a send and a history page, over 10 seeded rooms: REST sends, reactions (each a change), history pages, change-feed pages',
  async run(ctx) {
    const n = num(ctx, 'history-msgs', 1000)
    const c = num(ctx, 'concurrency', 64)
    const rooms = await makeRooms(ctx, num(ctx, 'history-rooms', 10), 2)
    for (const r of rooms) await seedMessages(ctx.t, r.room_id, r.users[0], n)
    const ids = await pool(4, rooms.map((r) => () => messageIds(ctx, r.room_id, r.users[1], n)))
    const targets = rooms.map((r, i) => ({ room_id: r.room_id, user: r.users[1], message_ids: ids[i] }))
    const sends = rooms.map((r) => ({ room_id: r.room_id, user: r.users[0] }))
    const first = await runRest(ctx, [
      { name: 'send', kind: 'send', targets: sends, concurrency: c },
      { name: 'react', kind: 'react', targets, concurrency: c },
    ])
    const lastRev = await pool(4, rooms.map((r) => async () => (await tenantCall(ctx.t, r.users[1], 'GET', `/v1/rooms/${r.room_id}`)).last_rev as number))
    const lastSeq = await pool(4, rooms.map((r) => async () => (await tenantCall(ctx.t, r.users[1], 'GET', `/v1/rooms/${r.room_id}`)).last_seq as number))
    const reads = rooms.map((r, i) => ({ room_id: r.room_id, user: r.users[1], last_seq: lastSeq[i], last_rev: lastRev[i] }))
    const second = await runRest(ctx, [
      { name: 'history', kind: 'history', targets: reads, concurrency: c },
      { name: 'changes', kind: 'changes', targets: reads, concurrency: c },
    ])
    const phases = [...first, ...second]
    const p = (name: string) => phases.find((x) => x.phase === name)?.ok_per_s ?? null
    const ratio = (a: number | null, b: number | null) => (a && b ? Math.round((a / b) * 1000) / 1000 : null)
    return {
      phases,
      headline: {
        throughput: p('react'),
        unit: 'reactions/s',
        extra: { react_over_send: ratio(p('react'), p('send')), changes_over_history: ratio(p('changes'), p('history')) },
      },
    }
  },
}

const writeCost: Scenario = {
  name: 'write-cost',
  about: 'REST send into a dm vs a 5,000-member channel (members not connected): c=1 latency, c=64 throughput',
  async run(ctx) {
    const big = num(ctx, 'channel-members', 5000)
    const owner = `${ctx.tag}owner`
    const dm = await createRoom(ctx.t, owner, 'dm', [`${ctx.tag}peer`])
    const others = Array.from({ length: big - 1 }, (_, i) => `${ctx.tag}c${i}`)
    // MAX_BODY_BYTES (64 KiB) holds ~1,000 ids: create with the first ones, add the rest 1,000 at a time
    const ch = await createRoom(ctx.t, owner, 'channel', others.slice(0, 1000))
    for (let i = 1000; i < others.length; i += 1000)
      await tenantCall(ctx.t, owner, 'POST', `/v1/rooms/${ch}/members`, { user_ids: others.slice(i, i + 1000) })
    const c = num(ctx, 'concurrency', 64)
    const T = (room_id: string) => [{ room_id, user: owner }]
    const phases = await runRest(ctx, [
      { name: 'dm-c1', kind: 'send', targets: T(dm), concurrency: 1 },
      { name: 'channel-c1', kind: 'send', targets: T(ch), concurrency: 1 },
      { name: `dm-c${c}`, kind: 'send', targets: T(dm), concurrency: c },
      { name: `channel-c${c}`, kind: 'send', targets: T(ch), concurrency: c },
    ])
    const p = (n: string) => phases.find((x) => x.phase === n)
    const ratio = (a?: number | null, b?: number | null) => (a && b ? Math.round((a / b) * 1000) / 1000 : null)
    return {
      phases,
      headline: {
        throughput: p(`channel-c${c}`)?.ok_per_s ?? null,
        unit: 'msg/s (channel)',
        latencyPhase: 'channel-c1',
        extra: {
          channel_over_dm_p50_latency_c1: ratio(p('channel-c1')?.latency.p50_ms, p('dm-c1')?.latency.p50_ms),
          channel_over_dm_mean_latency_c1: ratio(p('channel-c1')?.latency.mean_ms, p('dm-c1')?.latency.mean_ms),
          dm_over_channel_throughput: ratio(p(`dm-c${c}`)?.ok_per_s, p(`channel-c${c}`)?.ok_per_s),
        },
      },
    }
  },
}

const idle: Scenario = {
  name: 'idle',
  about: 'as many idle sockets as the fd limit allows (≤ 20,000), in rooms of 10; server RSS per connection',
  // One tenant holds them all: above the default tenant cap (max_connections, 10,000).
  env: { WS_MAX_CONNECTIONS_PER_TENANT: '100000' },
  async run(ctx) {
    const limit = nofileLimit()
    const want = num(ctx, 'idle-conns', 20_000)
    // The server needs its own fds (db, wal, listeners, workers): keep 300 spare under its limit.
    const n = ctx.t.pid ? Math.min(want, limit - 300) : want
    const rooms = await makeRooms(ctx, Math.ceil(n / 10), 10)
    const users = rooms.flatMap((r) => r.users).slice(0, n)
    await sleep(1500)
    const before = rssBytes(ctx.t.pid)
    const per = 5000
    const specs: WsSpec[] = []
    for (let i = 0; i < users.length; i += per)
      specs.push({ mode: 'idle', host: ctx.t.host, port: ctx.t.port, apiKey: ctx.t.apiKey, serverPid: ctx.t.pid, users: users.slice(i, i + per), hold_s: 30, hardcap_s: 150 })
    let ready = 0
    let failed = 0
    let connectS = 0
    let after: number | null = null
    let settled: number | null = null
    let readyProcs = 0
    const measured = new Promise<void>((resolve) => {
      void ctx.loadMany('ws', specs as unknown as Record<string, unknown>[], 150, (_i, line) => {
        if (line.ready === undefined) return
        ready += line.ready
        failed += line.failed
        connectS = Math.max(connectS, line.connect_s)
        // Two readings: 3 s after the last socket connected (still holding the connect burst's
        // garbage), and 15 s after, once the collector and the allocator have settled: the memory
        // an idle server actually keeps.
        if (++readyProcs === specs.length)
          void sleep(3000)
            .then(() => (after = rssBytes(ctx.t.pid)))
            .then(() => sleep(12_000))
            .then(() => {
              settled = rssBytes(ctx.t.pid)
              resolve()
            })
      })
    })
    await Promise.race([measured, sleep(140_000)])
    ctx.killLoads()
    const kbPerConn = (at: number | null) => (before !== null && at !== null && ready ? Math.round(((at - before) / ready / 1024) * 100) / 100 : null)
    const perConn = kbPerConn(after)
    const perConnSettled = kbPerConn(settled)
    const phase: Phase = {
      phase: 'hold',
      requested: want,
      fd_limit: limit,
      connections: ready,
      failed,
      connect_s: connectS,
      load_processes: specs.length,
      rss_before_conns_bytes: before,
      rss_with_conns_bytes: after,
      rss_per_conn_kb: perConn,
      rss_settled_bytes: settled,
      rss_per_conn_settled_kb: perConnSettled,
      errors: failed ? { connect: failed } : {},
    }
    return { phases: [phase], headline: { throughput: ready, unit: 'idle sockets', extra: { rss_per_conn_kb: perConn, rss_per_conn_settled_kb: perConnSettled } } }
  },
}

const wsRoomsScenario = wsRooms('ws-rooms', 'WS senders into 10-member rooms, all members connected (FULL): closed loop, then 5,000 msg/s')
const restHot = restSend('rest-hot', 'REST sends, 64 concurrent clients into ONE room', false)

export const SCENARIOS: Scenario[] = [
  wsRoomsScenario,
  wsRooms('ws-rooms-baseline', 'ws-rooms against GROUP_COMMIT_MAX_BATCH=1 (one transaction per message)', { GROUP_COMMIT_MAX_BATCH: '1' }),
  wsRooms('ws-rooms-normal', 'ws-rooms with SQLITE_SYNCHRONOUS=NORMAL', { SQLITE_SYNCHRONOUS: 'NORMAL' }),
  restHot,
  restSend('rest-hot-baseline', 'rest-hot against GROUP_COMMIT_MAX_BATCH=1', false, { GROUP_COMMIT_MAX_BATCH: '1' }),
  restSend('rest-many', 'REST sends, 64 concurrent clients into 64 rooms; then 1,000 msg/s', true),
  fanout,
  history,
  rich,
  idle,
  writeCost,
  deliveryBusy,
  uploads,
  moderationCost,
  pgScale,
  noisyNeighbour,
  clusterOrder,
  searchBench([wsRoomsScenario, restHot]),
  purge,
  exportScenario,
  bigDb,
  curves,
  c100k,
]
