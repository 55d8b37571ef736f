// big-db (issue 21): the same measurements on a big database (--big-rooms 100,000 rooms × --per-room
// 100 messages = 10,000,000, 1,000,000 memberships) and a small one (--small-rooms 1,000 × 100), in
// one run, order small, big, big, small (--visits=4; drift weighs on both sides alike). Each visit
// starts a server on the file and measures:
// - start-up: process spawn to GET /health 200, three times (--startups); `bun src/index.ts serve`
//   from a checkout, the binary's own `serve` under `chatapi bench` (no transpiling: the figure to quote);
// - REST sends into 64 rooms, WS sends into 32 rooms (sender and one probe connected);
// - history: 50-message pages at a random before_seq in a random room, the rooms shuffled over the
//   whole database (20,000 of them on the big one), so a page is rarely read twice;
// - the room list of users in 1,000 rooms each (all the heavy users: 1 on the small database, 100 on
//   the big one; then one of them alone, the same work on both), the change feed of random rooms, search;
// - once per database: POST /v1/admin/backup (time, bytes), and history right after the file's
//   pages were dropped from the OS page cache (`dd iflag=nocache`: this file only), the disk-bound case.
// The databases are built by bench/lib/bigdb.ts in a temp directory and deleted at the end, or kept
// and reused with --big-db-dir=DIR. Not part of `all`: it builds gigabytes and runs for minutes.

import { mkdtempSync, rmSync, statfsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Database } from 'bun:sqlite'
import { bigDbAt, type BigDb } from './bigdb'
import type { RestPhase, RestSpec, RestTarget } from './load-rest'
import type { WsRoomSpec, WsSpec } from './load-ws'
import { serveCommand, spawnTarget, type Target } from './target'
import type { Ctx, Phase, Scenario } from './types'
import { eachLine, round } from './util'
import { median } from './table'

const num = (ctx: Ctx, k: string, def: number) => (ctx.flags[k] !== undefined ? Number(ctx.flags[k]) : def)

/** A shuffled copy (seeded), so the load's round robin visits rooms in no particular order. */
function shuffled<T>(xs: T[], seed = 7): T[] {
  const a = [...xs]
  let s = seed
  for (let i = a.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0
    const j = s % (i + 1)
    ;[a[i], a[j]] = [a[j], a[i]]
  }
  return a
}

/** Rooms whose owner and another (non-heavy) member appear in no other chosen room: one socket each. */
function pickRooms(dbPath: string, d: BigDb, n: number): { room_id: string; owner: string; other: string }[] {
  const db = new Database(dbPath, { readonly: true })
  try {
    const q = db.query<{ user_id: string; role: string }, [string]>('SELECT user_id, role FROM members WHERE room_id = ?')
    const used = new Set<string>()
    const out: { room_id: string; owner: string; other: string }[] = []
    for (const room_id of shuffled(d.rooms, 11)) {
      if (out.length === n) break
      const ms = q.all(room_id)
      const owner = ms.find((m) => m.role === 'owner')?.user_id
      const other = ms.find((m) => m.role !== 'owner' && !d.heavy.includes(m.user_id) && !used.has(m.user_id))?.user_id
      if (!owner || !other || used.has(owner)) continue
      used.add(owner).add(other)
      out.push({ room_id, owner, other })
    }
    return out
  } finally {
    db.close()
  }
}

/** Spawn → GET /health 200, in ms (the server is stopped again). */
async function startupMs(ctx: Ctx, dbPath: string): Promise<number> {
  const t0 = performance.now()
  const proc = Bun.spawn(serveCommand(ctx.flags['server-entry']), {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LISTEN_ADDR: '127.0.0.1:0', LOG_LEVEL: 'info', DATABASE_URL: dbPath, MASTER_API_KEY: 'mk_startup_only' },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'ignore',
  })
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no "listening" within 60 s')), 60_000)
      void proc.exited.then((c) => reject(new Error(`server exited ${c}`)))
      void eachLine(proc.stdout, (line) => {
        try {
          const rec = JSON.parse(line)
          if (rec.msg === 'listening') {
            clearTimeout(timer)
            resolve(String(rec.url).replace(/\/$/, ''))
          }
        } catch {}
      })
    })
    for (let i = 0; i < 6000; i++) {
      const ok = await fetch(`${url}/health`)
        .then((r) => r.status === 200)
        .catch(() => false)
      if (ok) return Math.round(performance.now() - t0)
      await Bun.sleep(5)
    }
    throw new Error('/health not ok within 30 s of listening')
  } finally {
    proc.kill('SIGTERM')
    const done = await Promise.race([proc.exited.then(() => true), Bun.sleep(20_000).then(() => false)])
    if (!done) proc.kill('SIGKILL')
  }
}

async function rest(ctx: Ctx, t: Target, apiKey: string, phases: RestPhase[], warmup = ctx.warmup): Promise<Phase[]> {
  const spec: RestSpec = { baseUrl: t.baseUrl, apiKey, serverPid: t.pid, phases, warmup_s: warmup, secs: ctx.secs, hardcap_s: 60 + (phases.length + 1) * (warmup + ctx.secs + 6) }
  return (await ctx.load('rest', spec as unknown as Record<string, unknown>, spec.hardcap_s)).filter((l) => l.phase) as Phase[]
}

/** Drops this file's pages from the OS page cache (POSIX_FADV_DONTNEED through dd); other files are untouched. */
async function evict(path: string) {
  for (const f of [path, `${path}-wal`]) await Bun.spawn(['dd', `if=${f}`, 'iflag=nocache', 'count=0', 'status=none'], { stderr: 'ignore' }).exited
}
/** The share of the file in the OS page cache (fincore), or null. */
async function cached(path: string): Promise<number | null> {
  const p = Bun.spawn(['fincore', '--bytes', '--noheadings', '--output', 'RES,SIZE', path], { stdout: 'pipe', stderr: 'ignore' })
  const [res, size] = (await new Response(p.stdout).text()).trim().split(/\s+/).map(Number)
  return size ? round(res / size, 3) : null
}

interface Visit {
  db: 'small' | 'big'
  phases: Phase[]
  startup_ms: number[]
  backup?: { ms: number; bytes: number; status: number }
  page_cache_share: number | null
}

async function visit(ctx: Ctx, which: 'small' | 'big', dbPath: string, d: BigDb, first: boolean): Promise<Visit> {
  const startup_ms: number[] = []
  for (let i = 0; i < num(ctx, 'startups', 3); i++) startup_ms.push(await startupMs(ctx, dbPath))
  const t = await spawnTarget({ DATABASE_URL: dbPath }, null, null, ctx.flags['server-entry'])
  try {
    const c = num(ctx, 'concurrency', 64)
    const sendRooms = pickRooms(dbPath, d, 64)
    const wsRooms = pickRooms(dbPath, d, 32)
    const readers = shuffled(d.rooms.map((room_id, i) => ({ room_id, user: d.pairs[i][1], last_seq: num(ctx, 'per-room', 100), last_rev: d.lastRev })))
    const historyTargets: RestTarget[] = readers.slice(0, num(ctx, 'big-history-rooms', 20_000))
    const listTargets: RestTarget[] = d.heavy.map((user) => ({ room_id: '', user }))
    const searchTargets: RestTarget[] = d.queries.map((q, i) => ({ room_id: '', user: d.heavy[i % d.heavy.length], q }))
    const page_cache_share = await cached(dbPath)
    const phases = await rest(ctx, t, d.apiKey, [
      { name: 'send', kind: 'send', targets: sendRooms.map((r) => ({ room_id: r.room_id, user: r.owner })), concurrency: c },
      { name: 'history', kind: 'history', targets: historyTargets, concurrency: c },
      { name: 'rooms', kind: 'rooms', targets: listTargets, concurrency: c },
      // The same work on both files: one user's list (the small database has one heavy user, the big one 100).
      { name: 'rooms-one', kind: 'rooms', targets: listTargets.slice(0, 1), concurrency: c },
      { name: 'changes', kind: 'changes', targets: historyTargets, concurrency: c },
      { name: 'search', kind: 'search', targets: searchTargets, concurrency: num(ctx, 'search-concurrency', 16) },
    ])
    const ws: WsSpec = {
      mode: 'rooms',
      host: t.host,
      port: t.port,
      apiKey: d.apiKey,
      serverPid: t.pid,
      rooms: wsRooms.map((r): WsRoomSpec => ({ room_id: r.room_id, sender: r.owner, probes: [r.other], raw: [] })),
      phases: [{ name: 'ws-send', window: num(ctx, 'window', 8) }],
      warmup_s: ctx.warmup,
      secs: ctx.secs,
      hardcap_s: 60 + 3 * (ctx.warmup + ctx.secs),
    }
    phases.push(...((await ctx.load('ws', ws as unknown as Record<string, unknown>, ws.hardcap_s)).filter((l) => l.phase) as Phase[]))
    let backup: Visit['backup']
    if (first) {
      // Cold reads: history right after this file left the page cache (no warm-up: the first seconds are the cold ones).
      await evict(dbPath)
      const cold = await rest(ctx, t, d.apiKey, [{ name: 'history-cold', kind: 'history', targets: readers.slice(-num(ctx, 'big-history-rooms', 20_000)), concurrency: c }], 0)
      phases.push(...cold)
      const t0 = performance.now()
      const res = await fetch(`${t.baseUrl}/v1/admin/backup`, { method: 'POST', headers: { 'X-Master-Key': t.masterKey! }, signal: AbortSignal.timeout(1_800_000) })
      const body = (await res.json().catch(() => ({}))) as { path?: string; bytes?: number }
      backup = { ms: Math.round(performance.now() - t0), bytes: body.bytes ?? 0, status: res.status }
      if (body.path) rmSync(body.path, { force: true })
    }
    return { db: which, phases, startup_ms, backup, page_cache_share }
  } finally {
    await t.stop()
  }
}

export const bigDb: Scenario = {
  name: 'big-db',
  about: 'sends, history at random depths, room list, changes, search, start-up and backup on a 10,000,000-message database vs a 100,000-message one, same run',
  ownsServers: true,
  separate: true,
  async run(ctx) {
    const perRoom = num(ctx, 'per-room', 100)
    const bigRooms = num(ctx, 'big-rooms', 100_000)
    const smallRooms = num(ctx, 'small-rooms', 1000)
    const keep = ctx.flags['big-db-dir']
    const dir = keep ?? mkdtempSync(join(tmpdir(), 'chatapi-bench-bigdb-'))
    // About 460 bytes a message in the file, ~300 in the search index, and a backup as big as the file.
    const need = bigRooms * perRoom * 1300
    const fs = statfsSync(dir)
    if (fs.bavail * fs.bsize < need && !keep) throw new Error(`big-db needs about ${Math.round(need / 1e9)} GB free under ${dir}`)
    try {
      const log = (l: string) => console.error(l)
      const small = await bigDbAt(join(dir, 'small.db'), { rooms: smallRooms, perRoom, searchIndex: true, log })
      const big = await bigDbAt(join(dir, 'big.db'), { rooms: bigRooms, perRoom, searchIndex: true, log })
      console.error(`big-db: small ${small.messages} messages (${small.reused ? 'reused' : `built in ${small.build_s} s + index ${small.index_s} s`}), big ${big.messages} (${big.reused ? 'reused' : `built in ${big.build_s} s + index ${big.index_s} s`})`)
      const order = (['small', 'big', 'big', 'small'] as const).slice(0, num(ctx, 'visits', 4))
      const visits: Visit[] = []
      const seen = new Set<string>()
      for (const w of order) {
        visits.push(await visit(ctx, w, join(dir, `${w}.db`), w === 'big' ? big : small, !seen.has(w)))
        seen.add(w)
      }
      const fig = (w: string, phase: string) => median(visits.filter((v) => v.db === w).map((v) => v.phases.find((p) => p.phase === phase)?.ok_per_s ?? v.phases.find((p) => p.phase === phase)?.persisted_per_s ?? NaN)) ?? NaN
      const ratios = Object.fromEntries(
        ['send', 'ws-send', 'history', 'rooms', 'rooms-one', 'changes', 'search', 'history-cold'].map((p) => [`${p}_big_over_small`, fig('small', p) ? round(fig('big', p) / fig('small', p), 3) : null]),
      )
      const phases = visits.flatMap((v, i) => v.phases.map((p) => ({ ...p, phase: `${v.db}#${i}/${p.phase}` })))
      const size = (d: BigDb) => ({ messages: d.messages, memberships: d.memberships, db_bytes: d.db_bytes, index_bytes: d.index_bytes, bytes_per_message: Math.round(d.db_bytes / d.messages), index_bytes_per_message: Math.round(d.index_bytes / d.messages), build_s: d.build_s, index_s: d.index_s, reused: (d as { reused?: boolean }).reused })
      return {
        phases,
        headline: {
          throughput: ratios.history_big_over_small,
          unit: 'history big/small',
          extra: {
            ratios,
            small: size(small),
            big: size(big),
            startup_ms: Object.fromEntries(['small', 'big'].map((w) => [w, visits.filter((v) => v.db === w).flatMap((v) => v.startup_ms)])),
            backup: Object.fromEntries(visits.filter((v) => v.backup).map((v) => [v.db, v.backup])),
            page_cache_share: visits.map((v) => `${v.db}:${v.page_cache_share}`),
          },
        },
      }
    } finally {
      if (!keep) rmSync(dir, { recursive: true, force: true })
    }
  },
}
