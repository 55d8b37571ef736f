// The search bench's database: a SQLite file with one tenant and N messages (1,000,000 by default)
// written through the store in bulk (appendBatch, many messages per transaction), then its search
// index built with the same code as `chatapi search rebuild`. Deterministic (seeded PRNG), bounded
// in size and time; runs in the bench driver's process before any server starts.

import { createHash } from 'node:crypto'
import { openSqlite } from '../../src/db/open'
import { runMigrations } from '../../src/db/migrate'
import { sqliteMigrations } from '../../src/db/migrations'
import { createSqliteStore } from '../../src/db/sqlite'
import { prng, vocabulary, writeSearchIndex } from './fixture-text'
import type { NewMessage } from '../../src/db/rows'

export interface SeedOptions {
  messages: number
  rooms: number
  users: number
  /** Rooms the "power user" is a member of (a user in thousands of rooms). */
  powerRooms: number
  /** Gives up (throws) past this many seconds. */
  capS: number
}

export interface Seeded {
  apiKey: string
  powerUser: string
  /** Regular users (each in a handful of rooms). */
  users: string[]
  /** Queries by kind, every one with matches in the database. */
  queries: { rare: string[]; common: string[]; phrase: string[]; prefix: string[] }
  seed_s: number
  index_s: number
  db_bytes: number
  index_bytes: number
}

export function seedSearchDb(dbPath: string, o: SeedOptions): Seeded {
  const started = performance.now()
  const deadline = started + o.capS * 1000
  const rnd = prng(42)
  const { vocab, word } = vocabulary(rnd)

  const db = openSqlite(dbPath, { synchronous: 'NORMAL' })
  db.exec('PRAGMA synchronous = OFF') // a bench fixture: rebuilt from nothing if the machine fails
  runMigrations(db, sqliteMigrations)
  const store = createSqliteStore(db)
  const apiKey = `sk_bench_search_${createHash('sha256').update(dbPath).digest('hex').slice(0, 24)}`
  const tenantId = 'tnt_benchsearch000000000000'
  const t0 = Date.parse('2026-01-01T00:00:00.000Z')
  store.tenants.insert({
    tenant_id: tenantId,
    name: 'search bench',
    api_key_hash: createHash('sha256').update(apiKey).digest('hex'),
    webhook_secret: 'whsec_YmVuY2g=',
    user_token_secret: 'bench-search-secret',
    config: JSON.stringify({ rate_limit_per_sec: 1_000_000 }),
    created_at: new Date(t0).toISOString(),
  })
  const users = Array.from({ length: o.users }, (_, i) => `u${i}`)
  const powerUser = 'power'
  const roomIds: string[] = []
  const membersOf: string[][] = []
  db.transaction(() => {
    for (let r = 0; r < o.rooms; r++) {
      const members = new Set<string>()
      while (members.size < 5) members.add(users[Math.floor(rnd() * users.length)])
      if (r < o.powerRooms) members.add(powerUser)
      const list = [...members]
      const roomId = `room_bench${String(r).padStart(17, '0')}`
      store.rooms.create(tenantId, {
        room_id: roomId,
        type: 'group',
        name: null,
        metadata: null,
        unique_key: null,
        created_at: new Date(t0).toISOString(),
        members: list.map((u, i) => ({ user_id: u, role: i === 0 ? 'owner' : 'member' })),
      })
      roomIds.push(roomId)
      membersOf.push(list)
    }
  })()
  const BATCH = 5000
  for (let i = 0; i < o.messages; i += BATCH) {
    if (performance.now() > deadline) throw new Error(`seeding passed its ${o.capS} s cap at ${i} messages`)
    const items: NewMessage[] = []
    for (let j = i; j < Math.min(o.messages, i + BATCH); j++) {
      const r = Math.floor(rnd() * roomIds.length)
      const words = Array.from({ length: 6 + Math.floor(rnd() * 10) }, word)
      words.push(`k${Math.floor(rnd() * 100_000)}`) // one rare token per message
      items.push({
        tenant_id: tenantId,
        room_id: roomIds[r],
        sender_id: membersOf[r][Math.floor(rnd() * membersOf[r].length)],
        message_id: `msg_bench${String(j).padStart(19, '0')}`,
        content: words.join(' '),
        meta: null,
        client_msg_id: null,
        created_at: new Date(t0 + j * 7).toISOString(),
        parent_id: null,
        mentions: [],
      })
    }
    store.messages.appendBatch(items)
  }
  const seed_s = (performance.now() - started) / 1000

  const indexStarted = performance.now()
  let path: string
  try {
    path = writeSearchIndex(db, dbPath, deadline, `indexing passed the ${o.capS} s cap`)
  } finally {
    db.exec('PRAGMA query_only = OFF')
    db.exec('PRAGMA wal_checkpoint(TRUNCATE)')
    db.close()
  }
  const index_s = (performance.now() - indexStarted) / 1000

  const pick = (from: number, to: number, n: number) => Array.from({ length: n }, (_, i) => vocab[from + Math.floor(((to - from) * i) / n)])
  return {
    apiKey,
    powerUser,
    users,
    queries: {
      rare: Array.from({ length: 50 }, (_, i) => `k${(i * 1999) % 100_000}`),
      common: pick(0, 20, 20),
      phrase: Array.from({ length: 20 }, (_, i) => `"${vocab[i]} ${vocab[i + 1]}"`),
      prefix: Array.from({ length: 20 }, (_, i) => `${vocab[200 + i * 37].slice(0, 4)}*`),
    },
    seed_s: Math.round(seed_s * 10) / 10,
    index_s: Math.round(index_s * 10) / 10,
    db_bytes: Bun.file(dbPath).size,
    index_bytes: Bun.file(path).size,
  }
}
