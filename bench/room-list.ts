// bun bench/room-list.ts [--rooms=4000] [--large=0] [--per-sec=100] [--runs=200] [--pg-url=postgres://…]
//
// GET /v1/rooms for one user in many rooms, at the store (no HTTP): the query plan and the time of
// a page, on SQLite and (with --pg-url) PostgreSQL, beside the e344c11 statement (one join over all
// of the user's memberships, then a sort) run on the same data in the same run. Both stores run the
// one statement ROOM_LIST_SQL (db/room-list.ts).
//
// Data: tenant t1, user `mallory` in --rooms rooms of 2 members, created --per-sec a second (the
// default is a tenant's default rate, so as many rooms share a second as the tenant can create in
// one), then one 2,000-character message in every room in a shuffled order, so activity order is
// not creation order; plus --large rooms of 101 members that she is in. A second tenant with as
// many rooms is the neighbour whose rows must not be read. Bounded: --runs timed calls per figure.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SQL } from 'bun'
import { openSqlite } from '../src/db/open'
import { runMigrations } from '../src/db/migrate'
import { sqliteMigrations } from '../src/db/migrations'
import { createSqliteStore } from '../src/db/sqlite'
import { createPostgresStore } from '../src/db/postgres'
import { runPgMigrations } from '../src/db/postgres/migrate'
import { ROOM_LIST_SQL, roomListParams } from '../src/db/room-list'
import { sqliteParams } from '../src/db/sqlite/rooms'
import type { Store } from '../src/db/types'
import { freshPgDatabase } from './lib/pg-database'
import { Samples } from './lib/util'

const flags = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]))
const ROOMS = Number(flags.rooms ?? 4000)
const LARGE = Number(flags.large ?? 0)
const PER_SEC = Number(flags['per-sec'] ?? 100)
const RUNS = Number(flags.runs ?? 200)

/** The statement of e344c11 (db/sqlite/rooms.ts), first page: every membership joined, then sorted. */
const BASELINE = `SELECT r.*, m.last_read,
  msg.message_id AS m_message_id, msg.room_id AS m_room_id, msg.seq AS m_seq, msg.sender_id AS m_sender_id,
  msg.content AS m_content, msg.meta AS m_meta, msg.client_msg_id AS m_client_msg_id,
  msg.created_at AS m_created_at, msg.edited_at AS m_edited_at, msg.deleted_at AS m_deleted_at
  FROM members m JOIN rooms r ON r.room_id = m.room_id
  LEFT JOIN messages msg ON msg.room_id = r.room_id AND msg.seq = r.last_seq
  WHERE m.tenant_id = $1 AND m.user_id = $2
  ORDER BY r.last_activity_at DESC, r.room_id DESC LIMIT $3`

const T0 = Date.parse('2026-01-01T00:00:00.000Z')
const iso = (ms: number) => new Date(ms).toISOString()

async function seed(s: Store) {
  for (const t of ['t1', 't2'])
    await s.tenants.insert({ tenant_id: t, name: t, api_key_hash: `h-${t}`, webhook_secret: 'w', user_token_secret: 'u', config: '{}', created_at: iso(T0) })
  const order: [string, string][] = []
  for (const t of ['t1', 't2'])
    for (let i = 0; i < ROOMS; i++) {
      const id = `room_${t}_${String(i).padStart(6, '0')}`
      const owner = t === 't1' ? 'mallory' : `n${i}`
      const members = [owner, `peer${i}`].map((u, k) => ({ user_id: u, role: k ? ('member' as const) : ('owner' as const) }))
      await s.rooms.create(t, { room_id: id, type: 'group', name: null, metadata: null, unique_key: null, created_at: iso(T0 + (i * 1000) / PER_SEC), members })
      order.push([t, id])
    }
  for (let i = 0; i < LARGE; i++) {
    const members = ['mallory', ...Array.from({ length: 100 }, (_, k) => `big${i}_${k}`)].map((u, k) => ({ user_id: u, role: k ? ('member' as const) : ('owner' as const) }))
    await s.rooms.create('t1', { room_id: `room_large_${i}`, type: 'group', name: null, metadata: null, unique_key: null, created_at: iso(T0 + i * 1000), members })
    order.push(['t1', `room_large_${i}`])
  }
  // shuffled (a fixed LCG), one message per room, PER_SEC a second after the rooms were made
  let x = 42
  for (let i = order.length - 1; i > 0; i--) {
    x = (x * 1103515245 + 12345) % 2 ** 31
    const j = x % (i + 1)
    ;[order[i], order[j]] = [order[j], order[i]]
  }
  const start = T0 + (ROOMS * 1000) / PER_SEC + 1000
  for (let i = 0; i < order.length; i += 200)
    await s.messages.appendBatch(
      order.slice(i, i + 200).map(([t, room], k) => ({
        tenant_id: t,
        room_id: room,
        sender_id: t === 't1' && !room.startsWith('room_large') ? 'mallory' : 'someone',
        message_id: `msg_${i + k}`,
        content: 'x'.repeat(2000),
        meta: null,
        client_msg_id: null,
        created_at: iso(start + ((i + k) * 1000) / PER_SEC),
        parent_id: null,
        mentions: [],
      })),
    )
}

async function time(fn: () => unknown): Promise<ReturnType<Samples['summary']>> {
  for (let i = 0; i < 5; i++) await fn() // warm the caches and statements
  const s = new Samples(RUNS)
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now()
    await fn()
    s.add(performance.now() - t)
  }
  return s.summary()
}

const out: Record<string, unknown>[] = []
function report(store: string, what: string, lat: ReturnType<Samples['summary']>) {
  out.push({ store, what, ...lat })
  console.log(`${store.padEnd(8)} ${what.padEnd(46)} p50 ${String(lat.p50_ms).padStart(8)} ms  p99 ${String(lat.p99_ms).padStart(8)} ms  max ${lat.max_ms} ms`)
}

async function measure(name: string, s: Store, baseline: (limit: number) => unknown) {
  const p1 = await s.rooms.listForUser('t1', 'mallory', 50)
  if (p1.rooms.length !== 50) throw new Error(`expected a page of 50, got ${p1.rooms.length}`)
  report(name, 'e344c11 statement, limit 1', await time(() => baseline(2)))
  report(name, 'e344c11 statement, limit 50', await time(() => baseline(51)))
  report(name, 'listForUser, limit 1', await time(() => s.rooms.listForUser('t1', 'mallory', 1)))
  report(name, 'listForUser, limit 50', await time(() => s.rooms.listForUser('t1', 'mallory', 50)))
  report(name, 'listForUser, limit 50, page 2 (cursor)', await time(() => s.rooms.listForUser('t1', 'mallory', 50, p1.next_cursor!)))
}

console.log(`user in ${ROOMS} rooms of 2 (+${LARGE} of 101), ${PER_SEC} rooms created a second, a neighbour tenant of ${ROOMS} rooms; ${RUNS} runs each\n`)

// SQLite
{
  const dir = mkdtempSync(join(tmpdir(), 'chatapi-room-list-'))
  const db = openSqlite(join(dir, 'b.db'))
  try {
    runMigrations(db, sqliteMigrations)
    const s = createSqliteStore(db)
    await seed(s)
    db.exec('ANALYZE')
    const base = db.query(sqliteParams(BASELINE))
    const plan = (label: string, text: string, params: (string | number)[]) => {
      console.log(`SQLite plan, ${label}:`)
      const depth = new Map<number, number>([[0, 0]])
      for (const r of db.query<{ id: number; parent: number; detail: string }, (string | number)[]>(`EXPLAIN QUERY PLAN ${sqliteParams(text)}`).all(...params)) {
        depth.set(r.id, (depth.get(r.parent) ?? 0) + 1)
        console.log(`${'  '.repeat(depth.get(r.id)!)}${r.detail}`)
      }
    }
    plan('e344c11 statement', BASELINE, ['t1', 'mallory', 2])
    plan('listForUser now (first page)', ROOM_LIST_SQL, roomListParams('t1', 'mallory', 1))
    console.log()
    await measure('sqlite', s, (limit) => base.all('t1', 'mallory', limit))
  } finally {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

// PostgreSQL
if (flags['pg-url']) {
  const pg = await freshPgDatabase(flags['pg-url'])
  const sql = new SQL({ url: pg.url, max: 4 })
  try {
    await runPgMigrations(sql)
    const s = createPostgresStore(sql)
    await seed(s)
    await sql.unsafe('ANALYZE')
    const explain = async (label: string, text: string, params: unknown[]) => {
      console.log(`\nPostgreSQL plan, ${label}:`)
      for (const r of await sql.unsafe(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF) ${text}`, params)) console.log(`  ${r['QUERY PLAN']}`)
    }
    await explain('e344c11 statement (limit 1)', BASELINE, ['t1', 'mallory', 2])
    await explain('listForUser now (first page, limit 1)', ROOM_LIST_SQL, roomListParams('t1', 'mallory', 1))
    console.log()
    await measure('postgres', s, (limit) => sql.unsafe(BASELINE, ['t1', 'mallory', limit]))
  } finally {
    await sql.close()
    await pg.drop()
  }
}

console.log(JSON.stringify({ bench: 'room-list', rooms: ROOMS, large: LARGE, per_sec: PER_SEC, runs: RUNS, results: out }))
