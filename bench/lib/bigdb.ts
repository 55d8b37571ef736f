// The big-db bench's database (issue 21): ROOMS rooms × PER_ROOM messages, MEMBERS members a room,
// written straight through prepared INSERTs of the store's schema (migrations run first), in big
// transactions with the journal off: 10,000,000 messages in minutes, where sends over HTTP would take
// hours. What a server that has run for a while holds, row for row:
// - rooms with random ids (newId), last_seq, last_rev, an activity key (time#counter) as sends write it;
// - members with their activity second (the room list's index, db/room-list.ts), ack and read
//   markers a few messages behind the last seq (unread counts), an owner each;
// - messages with time-ordered ids (messageId), a client_msg_id each (the SDK always sends one),
//   6–16 words of a Zipf-like vocabulary, one message in 20 edited (rev, last_change: the change feed);
// - optionally the search index file, built as `chatapi search rebuild` builds it.
// Rooms are written in room-id order (the messages' primary key grows as the file does) while the
// message ids interleave the rooms in time, as real traffic does; the message_id index is the
// random-insert one, so the build runs with a 1 GiB page cache.
// Deterministic (seeded PRNG) except the ids' random parts; runs in the bench driver's process.

import { Database } from 'bun:sqlite'
import { statSync } from 'node:fs'
import { runMigrations } from '../../src/db/migrate'
import { sqliteMigrations } from '../../src/db/migrations'
import { openSqlite } from '../../src/db/open'
import { hashKey } from '../../src/services/tenant'
import { messageId } from '../../src/services/message'
import { newId, randomBase62 } from '../../src/ids'
import { prng, vocabulary, writeSearchIndex } from './fixture-text'

export interface BigDbOptions {
  rooms: number
  perRoom: number
  /** Members of each room, one of them a "heavy" user (default 10). */
  members?: number
  /** Rooms each heavy user is in (default 1,000): the room list's hard case. */
  heavyRooms?: number
  searchIndex?: boolean
  /** Gives up (throws) past this many seconds. */
  capS?: number
  log?: (line: string) => void
}

export interface BigDb {
  tenantId: string
  apiKey: string
  /** Every room id, in the order written; each holds perRoom messages (seqs 1..perRoom), last_rev revs. */
  rooms: string[]
  /** Two members of each room, by room index: [sender (its owner), reader (its heavy user)]. */
  pairs: [string, string][]
  /** Users in heavyRooms rooms each; ordinary users are in about `members` rooms each. */
  heavy: string[]
  ordinary: string[]
  lastRev: number
  messages: number
  memberships: number
  /** Search queries with matches (common words, rare tokens). */
  queries: string[]
  build_s: number
  index_s: number
  db_bytes: number
  index_bytes: number
}

const EDIT_EVERY = 20

export function buildBigDb(dbPath: string, o: BigDbOptions): BigDb {
  const started = performance.now()
  const deadline = started + (o.capS ?? 3600) * 1000 // 10M rows and their search index: ~32 min on a busy 2-core box
  const log = o.log ?? (() => {})
  const rnd = prng(21)
  const { vocab, word } = vocabulary(rnd)
  const M = o.members ?? 10
  const H = Math.max(1, Math.floor(o.rooms / (o.heavyRooms ?? 1000)))
  const heavy = Array.from({ length: H }, (_, i) => `user_h${String(i).padStart(5, '0')}`)
  const U = Math.max(M, Math.ceil((o.rooms * (M - 1)) / M))
  const ordinary = Array.from({ length: U }, (_, i) => `user_${String(i).padStart(7, '0')}`)
  const tenantId = 'tnt_bigdb00000000000000000'
  const apiKey = `sk_bigdb_${randomBase62(32)}`
  const rooms = Array.from({ length: o.rooms }, () => newId('room')).sort()
  const span = 30 * 86_400_000
  const t0 = Date.parse('2026-10-01T00:00:00.000Z')
  const total = o.rooms * o.perRoom
  const at = (r: number, seq: number) => t0 + Math.floor((((seq - 1) * o.rooms + r) * span) / Math.max(1, total))
  const membersOf = (r: number) => {
    const list = [heavy[r % H]]
    while (list.length < M) {
      const u = ordinary[Math.floor(rnd() * U)]
      if (!list.includes(u)) list.push(u)
    }
    return list
  }
  const pairs: [string, string][] = []

  // A bench fixture, rebuilt from nothing if the machine fails: no journal, no fsync while writing.
  const db = new Database(dbPath, { create: true, readwrite: true, strict: true })
  db.exec('PRAGMA journal_mode = OFF')
  db.exec('PRAGMA synchronous = OFF')
  db.exec('PRAGMA cache_size = -1048576')
  db.exec('PRAGMA temp_store = MEMORY')
  runMigrations(db, sqliteMigrations)
  const created = new Date(t0 - 86_400_000).toISOString()
  db.query('INSERT INTO tenants (tenant_id, name, api_key_hash, webhook_secret, user_token_secret, config, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
    tenantId,
    'big-db bench',
    hashKey(apiKey),
    'whsec_YmlnZGI=',
    `uts_${randomBase62(32)}`,
    JSON.stringify({ rate_limit_per_sec: 1_000_000 }),
    created,
  )
  const room = db.query(
    `INSERT INTO rooms (room_id, tenant_id, type, name, metadata, unique_key, last_seq, member_count, created_at, last_activity_at, last_rev)
     VALUES (?, ?, 'group', NULL, NULL, NULL, ?, ?, ?, ?, ?)`,
  )
  const member = db.query(
    'INSERT INTO members (room_id, user_id, tenant_id, role, joined_at, last_ack, last_read, activity_bucket) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  )
  const insert = db.query(
    `INSERT INTO messages (room_id, seq, message_id, tenant_id, sender_id, content, meta, client_msg_id, created_at, edited_at, rev, last_change)
     VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?)`,
  )
  const lastRev = Math.floor(o.perRoom / EDIT_EVERY)
  const ROOMS_PER_TX = Math.max(1, Math.floor(500_000 / Math.max(1, o.perRoom)))
  let counter = 0
  const writeRooms = db.transaction((from: number, to: number) => {
    for (let r = from; r < to; r++) {
      const id = rooms[r]
      const list = membersOf(r)
      pairs.push([list[1] ?? list[0], list[0]])
      const lastAt = new Date(at(r, o.perRoom)).toISOString()
      const key = `${lastAt}#${String(++counter).padStart(12, '0')}`
      room.run(id, tenantId, o.perRoom, list.length, created, o.perRoom ? key : created, lastRev)
      list.forEach((u, i) => {
        const read = Math.max(0, o.perRoom - Math.floor(rnd() * 6))
        member.run(id, u, tenantId, i === 1 ? 'owner' : 'member', created, Math.max(read, o.perRoom - 1), read, (o.perRoom ? key : created).slice(0, 19))
      })
      let rev = 0
      for (let seq = 1; seq <= o.perRoom; seq++) {
        const ms = at(r, seq)
        const sender = list[seq % list.length]
        const words = Array.from({ length: 6 + Math.floor(rnd() * 10) }, word)
        words.push(`k${Math.floor(rnd() * 100_000)}`)
        const edited = seq % EDIT_EVERY === 0
        insert.run(
          id,
          seq,
          messageId(ms),
          tenantId,
          sender,
          words.join(' '),
          `c_${randomBase62(16)}`,
          new Date(ms).toISOString(),
          edited ? new Date(ms + 60_000).toISOString() : null,
          edited ? ++rev : 0,
          edited ? JSON.stringify({ kind: 'edited', user_id: sender }) : null,
        )
      }
    }
  })
  for (let r = 0; r < o.rooms; r += ROOMS_PER_TX) {
    if (performance.now() > deadline) throw new Error(`big-db build passed its cap at room ${r}`)
    writeRooms(r, Math.min(o.rooms, r + ROOMS_PER_TX))
    if ((r / ROOMS_PER_TX) % 10 === 9) log(`big-db: ${((r + ROOMS_PER_TX) * o.perRoom).toLocaleString('en')} messages, ${Math.round((performance.now() - started) / 1000)} s`)
  }
  db.exec('PRAGMA journal_mode = WAL')
  db.close()
  const build_s = (performance.now() - started) / 1000

  const indexStarted = performance.now()
  let index_bytes = 0
  if (o.searchIndex) {
    const chat = openSqlite(dbPath, { synchronous: 'NORMAL' })
    let path: string
    try {
      path = writeSearchIndex(chat, dbPath, deadline, 'big-db search index passed its cap', (n) => {
        if (n % 50 === 0) log(`big-db: search index ${(n * 20_000).toLocaleString('en')} messages, ${Math.round((performance.now() - indexStarted) / 1000)} s`)
      })
    } finally {
      chat.close()
    }
    index_bytes = statSync(path).size
  }
  return {
    tenantId,
    apiKey,
    rooms,
    pairs,
    heavy,
    ordinary,
    lastRev,
    messages: total,
    memberships: o.rooms * M,
    queries: [...vocab.slice(0, 10), ...Array.from({ length: 20 }, (_, i) => `k${(i * 4999) % 100_000}`), ...vocab.slice(300, 310).map((w) => `${w.slice(0, 4)}*`)],
    build_s: Math.round(build_s * 10) / 10,
    index_s: Math.round(((performance.now() - indexStarted) / 1000) * 10) / 10,
    db_bytes: statSync(dbPath).size,
    index_bytes,
  }
}

/** Builds the database, or reuses one built earlier at the same path (its description beside it in `<path>.json`). */
export async function bigDbAt(dbPath: string, o: BigDbOptions): Promise<BigDb & { reused: boolean }> {
  const side = Bun.file(`${dbPath}.json`)
  if ((await side.exists()) && (await Bun.file(dbPath).exists())) {
    const d = (await side.json()) as BigDb
    if (d.rooms.length === o.rooms && d.messages === o.rooms * o.perRoom) return { ...d, reused: true }
  }
  const d = buildBigDb(dbPath, o)
  await Bun.write(`${dbPath}.json`, JSON.stringify(d))
  return { ...d, reused: false }
}
