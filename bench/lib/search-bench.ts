// search: full-text search throughput and latency on a database of --search-msgs messages
// (1,000,000 by default), then what search costs the send path: ws-rooms and rest-hot against a
// server with search on and one with SEARCH_ENABLED=false, in the same run (order off, on, on, off
// per round pair, so a drift of the machine over the run weighs on both sides alike).

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { RestPhase, RestSpec, RestTarget } from './load-rest'
import { seedSearchDb, type Seeded } from './search-seed'
import { spawnTarget, type Target } from './target'
import type { Ctx, Phase, Scenario } from './types'
import { round } from './util'

const num = (ctx: Ctx, k: string, def: number) => (ctx.flags[k] !== undefined ? Number(ctx.flags[k]) : def)

async function queryPhases(ctx: Ctx, t: Target, seeded: Seeded, regular: string[]): Promise<Phase[]> {
  const { rare, common, phrase, prefix } = seeded.queries
  const all = [...rare.slice(0, 20), ...common, ...phrase, ...prefix]
  const as = (users: string[], qs: string[]): RestTarget[] => qs.flatMap((q, i) => [{ room_id: '', user: users[i % users.length], q }])
  const c = num(ctx, 'search-concurrency', 16)
  const phases: RestPhase[] = [
    { name: 'mixed', kind: 'search', targets: [...as([seeded.powerUser], all), ...as(regular, all)], concurrency: c },
    { name: 'power-user-common', kind: 'search', targets: as([seeded.powerUser], [...common, ...phrase]), concurrency: c },
    { name: 'regular-rare', kind: 'search', targets: as(regular, rare), concurrency: c },
  ]
  const spec: RestSpec = {
    baseUrl: t.baseUrl,
    apiKey: seeded.apiKey,
    serverPid: t.pid,
    phases,
    warmup_s: ctx.warmup,
    secs: ctx.secs,
    hardcap_s: 60 + (phases.length + 1) * (ctx.warmup + ctx.secs + 6),
  }
  return (await ctx.load('rest', spec as unknown as Record<string, unknown>, spec.hardcap_s)).filter((l) => l.phase) as Phase[]
}

/** Seeds a database of `messages`, serves it, and runs the query phases into `phases`. */
async function seededQueries(ctx: Ctx, messages: number, phases: Phase[]): Promise<Seeded> {
  const dir = mkdtempSync(join(tmpdir(), 'chatapi-bench-search-'))
  try {
    const rooms = num(ctx, 'search-rooms', Math.max(100, Math.round(messages / 100)))
    const powerRooms = Math.min(rooms, num(ctx, 'search-power-rooms', 2000))
    const dbPath = join(dir, 'search.db')
    const seeded = seedSearchDb(dbPath, { messages, rooms, users: 2000, powerRooms, capS: num(ctx, 'search-seed-cap', 600) })
    const t = await spawnTarget({ DATABASE_URL: dbPath }, null)
    try {
      // Regular users who are in rooms: found through the API, as a client would.
      const regular: string[] = []
      for (const u of seeded.users) {
        if (regular.length >= 20) break
        const r = await fetch(`${t.baseUrl}/v1/rooms?limit=1`, { headers: { 'X-API-Key': seeded.apiKey, 'X-User-Id': u } })
        if (((await r.json()) as { rooms?: unknown[] }).rooms?.length) regular.push(u)
      }
      for (const p of await queryPhases(ctx, t, seeded, regular)) phases.push({ ...p, messages, rooms, power_user_rooms: powerRooms })
    } finally {
      await t.stop()
    }
    return seeded
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export function searchBench(sends: Scenario[]): Scenario {
  return {
    name: 'search',
    about: 'GET /v1/search on a 1,000,000-message database (queries/s, p99), then ws-rooms and rest-hot with search on vs SEARCH_ENABLED=false',
    ownsServers: true,
    async run(ctx) {
      const phases: Phase[] = []
      const messages = num(ctx, 'search-msgs', 1_000_000)
      // --search-msgs=0: only the send tax (no seeded database, no query phases)
      const seeded = messages > 0 ? await seededQueries(ctx, messages, phases) : null

      // The send tax: each send scenario against search off and on, ABBA per pair of rounds.
      const rounds = num(ctx, 'tax-rounds', 2)
      const tax: Record<string, { on: number[]; off: number[] }> = {}
      for (const sc of sends) {
        tax[sc.name] = { on: [], off: [] }
        for (let r = 0; r < rounds; r++) {
          const order = r % 2 === 0 ? ['false', 'true'] : ['true', 'false']
          for (const enabled of order) {
            const t = await spawnTarget({ ...sc.env, SEARCH_ENABLED: enabled }, null)
            try {
              const out = await sc.run({ ...ctx, t })
              const side = enabled === 'true' ? 'on' : 'off'
              if (out.headline.throughput !== null) tax[sc.name][side].push(out.headline.throughput)
              for (const p of out.phases) phases.push({ ...p, phase: `${sc.name}/search-${side}/${p.phase}`, round: r })
            } finally {
              await t.stop()
            }
          }
        }
      }
      const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null)
      const ratios = Object.fromEntries(
        Object.entries(tax).map(([name, v]) => {
          const on = mean(v.on)
          const off = mean(v.off)
          return [`${name}_on_over_off`, on !== null && off ? round(on / off, 3) : null]
        }),
      )
      const mixed = phases.find((p) => p.phase === 'mixed')
      return {
        phases,
        headline: {
          throughput: mixed?.ok_per_s ?? null,
          unit: 'queries/s',
          latencyPhase: 'mixed',
          extra: {
            ...ratios,
            send_throughput: Object.fromEntries(Object.entries(tax).map(([n, v]) => [n, { on: v.on, off: v.off }])),
            seed_s: seeded?.seed_s ?? null,
            index_build_s: seeded?.index_s ?? null,
            db_bytes: seeded?.db_bytes ?? null,
            index_bytes: seeded?.index_bytes ?? null,
          },
        },
      }
    },
  }
}
