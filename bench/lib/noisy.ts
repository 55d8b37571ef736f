// noisy-neighbour (issue 13): can one tenant's end user, with a token only and within the default
// limits, slow another tenant down? The victim tenant sends and reads at a steady rate
// (--victim-rate, 50 req/s) while the attacker tenant's token user, in --nn-rooms rooms (4,000),
// runs one vector per phase and then all at once; each phase reports the victim's latency beside a
// quiet baseline (the victim alone) taken first in the same run, and what the attacker got done
// and how often it was refused (429 / RATE_LIMIT_EXCEEDED). Target: victim p99 ≤ 50 ms, max ≤ 250 ms.
//
// Set-up through the API with the master key: the attacker tenant is made with a large rate (so the
// 4,000 rooms take seconds, not the 40 s the default rate would), then lowered to the default
// (100/s, --attacker-rate) before the first phase. The server runs with the default per-socket
// WS_MSG_RATE (50). Phases are --secs long after --warmup; 2 s pass between phases (the attacker's
// sockets close and its bucket refills). --nn-rooms, --nn-members, --nn-flood, --victim-rate and
// --attacker-rate change the sizes (the smoke test runs it tiny).

import type { NoisySpec } from './load-noisy'
import type { Ctx, Phase, Scenario } from './types'
import { pool, type Target } from './target'
import { sleep } from './util'

const num = (ctx: Ctx, k: string, def: number) => (ctx.flags[k] !== undefined ? Number(ctx.flags[k]) : def)

async function call(t: Target, method: string, path: string, headers: Record<string, string>, body?: unknown) {
  const res = await fetch(`${t.baseUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  })
  const text = await res.text()
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text.slice(0, 200)}`)
  return text ? JSON.parse(text) : null
}

/** The attack of each phase, after the quiet baseline. */
const VECTORS: Record<string, (a: { flood: string; members: number }) => Partial<NoisySpec>> = {
  reconnect: () => ({ reconnect: 3 }),
  'sync-flood': (a) => ({ sync: { sockets: 4, room_id: a.flood } }),
  'big-rooms': (a) => ({ create: { loops: 2, members: a.members } }),
  'room-list': () => ({ list: { loops: 2 } }),
  all: (a) => ({ reconnect: 3, sync: { sockets: 4, room_id: a.flood }, create: { loops: 2, members: a.members }, list: { loops: 2 } }),
}

const TARGET = { p99_ms: 50, max_ms: 250 }

export const noisyNeighbour: Scenario = {
  name: 'noisy-neighbour',
  about: "a token user in 4,000 rooms reconnects, floods sync, creates 5,000-member rooms and lists rooms; another tenant's latency at 50 req/s vs alone",
  env: { WS_MSG_RATE: '50' },
  needsSpawn: true,
  separate: true,
  async run(ctx) {
    const t = ctx.t
    if (!t.masterKey) throw new Error('noisy-neighbour creates its two tenants: it needs the master key')
    const admin = { 'X-Master-Key': t.masterKey }
    const rooms = num(ctx, 'nn-rooms', 4000)
    const members = num(ctx, 'nn-members', 5000)
    const victimRate = num(ctx, 'victim-rate', 50)
    const attackerRate = num(ctx, 'attacker-rate', 100)
    const floodMessages = num(ctx, 'nn-flood', 500)

    // the attacker: a user in `rooms` empty rooms, plus one room of 500 (--nn-flood) messages of 16,000 characters
    // that she sent herself (so her own connect-time sync has nothing to send for it)
    const A = await call(t, 'POST', '/v1/admin/tenants', admin, { name: 'attacker', config: { rate_limit_per_sec: 1_000_000 } })
    const asA = (user: string) => ({ 'X-API-Key': A.api_key, 'X-User-Id': user })
    const mallory = `${ctx.tag}mallory`
    await pool(16, Array.from({ length: rooms }, () => () => call(t, 'POST', '/v1/rooms', asA(mallory), { type: 'group', members: [] })))
    const flood = (await call(t, 'POST', '/v1/rooms', asA(mallory), { type: 'group', members: [] })).room_id as string
    const big = 'y'.repeat(16_000)
    await pool(16, Array.from({ length: floodMessages }, () => () => call(t, 'POST', `/v1/rooms/${flood}/messages`, asA(mallory), { content: big })))
    const token = (await call(t, 'POST', '/v1/tokens', asA(mallory), { user_id: mallory, ttl_s: 3600 })).token as string
    await call(t, 'PATCH', `/v1/admin/tenants/${A.tenant_id}`, admin, { config: { rate_limit_per_sec: attackerRate } })

    // the victim: two users of one room with some history
    const V = await call(t, 'POST', '/v1/admin/tenants', admin, { name: 'victim' })
    const asV = (user: string) => ({ 'X-API-Key': V.api_key, 'X-User-Id': user })
    const users = [`${ctx.tag}alice`, `${ctx.tag}bob`]
    const room = (await call(t, 'POST', '/v1/rooms', asV(users[0]), { type: 'group', members: [users[1]] })).room_id as string
    for (let i = 0; i < 40; i++) await call(t, 'POST', `/v1/rooms/${room}/messages`, asV(users[i % 2]), { content: `history ${i}` })

    const base = { baseUrl: t.baseUrl, host: t.host, port: t.port, serverPid: t.pid, warmup_s: ctx.warmup, secs: ctx.secs, hardcap_s: 60 + 2 * (ctx.warmup + ctx.secs) }
    const phases: Phase[] = []
    for (const name of ['quiet', ...Object.keys(VECTORS)]) {
      const specs: NoisySpec[] = [{ ...base, role: 'victim', phase: name, apiKey: V.api_key, room_id: room, users, rate: victimRate }]
      if (name !== 'quiet') specs.push({ ...base, role: 'attacker', phase: name, token, ...VECTORS[name]({ flood, members }) })
      const lines: Record<string, any>[] = []
      await ctx.loadMany('noisy', specs as unknown as Record<string, unknown>[], base.hardcap_s, (_i, l) => lines.push(l))
      const v = lines.find((l) => l.role === 'victim')
      const a = lines.find((l) => l.role === 'attacker')
      const { role: _r, phase: _p, ...victimFigures } = v ?? {}
      phases.push({
        phase: name,
        ...victimFigures,
        ...(a && { attacker: a.ops }),
        ...(v?.latency && { target_met: v.latency.p99_ms <= TARGET.p99_ms && v.latency.max_ms <= TARGET.max_ms }),
      })
      await sleep(Math.min(2, ctx.secs) * 1000)
    }
    const byName = Object.fromEntries(phases.map((p) => [p.phase, p]))
    const lat = (p: string) => byName[p]?.latency ? { p50_ms: byName[p].latency.p50_ms, p99_ms: byName[p].latency.p99_ms, max_ms: byName[p].latency.max_ms } : null
    return {
      phases,
      headline: {
        throughput: byName.all?.ok_per_s ?? null,
        unit: 'victim req/s',
        latencyPhase: 'all',
        extra: {
          target: TARGET,
          victim_latency: Object.fromEntries(phases.map((p) => [p.phase, lat(p.phase)])),
          target_met: Object.fromEntries(phases.filter((p) => p.phase !== 'quiet').map((p) => [p.phase, p.target_met ?? false])),
          attacker_ops: Object.fromEntries(phases.filter((p) => p.attacker).map((p) => [p.phase, p.attacker])),
        },
      },
    }
  },
}
