// Builds a SQLite database with a tenant whose API key is known and a room of N messages, straight
// through prepared INSERTs in one transaction (a million rows in seconds, where a million sends over
// HTTP would take minutes). For the lifecycle bench (deletes, exports) and the job restart test.

import { openSqlite } from '../../src/db/open'
import { runMigrations } from '../../src/db/migrate'
import { sqliteMigrations } from '../../src/db/migrations'
import { hashKey } from '../../src/services/tenant'
import { messageId } from '../../src/services/message'
import { createSearchIndex } from '../../src/db/sqlite/search-index'
import { openIndexDb, removeIndexFiles, searchIndexPath } from '../../src/db/sqlite/search-file'

export interface Prefilled {
  tenantId: string
  apiKey: string
  /** The big room: `messages` messages from `members[0]` and `members[1]`, seqs 1..messages. */
  roomId: string
  members: string[]
  /** Empty rooms of the same two members (senders for the live load). */
  spareRooms: string[]
  buildMs: number
  /** Time to build the search index file (0 when not asked for). */
  indexMs: number
}

export interface PrefillOptions {
  messages: number
  /** When the first message was sent (ISO); the others follow one ms apart. Default: 30 days ago. */
  from?: string
  contentBytes?: number
  spareRooms?: number
  /** Tenant id (default tnt_prefilled) and config JSON. */
  tenantId?: string
  config?: string
  /**
   * Also build the search index file, as `chatapi search rebuild` does, so that a server started on
   * the file does not spend its first minutes indexing (a bench would measure that instead).
   */
  searchIndex?: boolean
}

export function prefill(dbPath: string, o: PrefillOptions): Prefilled {
  const t0 = performance.now()
  const db = openSqlite(dbPath, { synchronous: 'NORMAL' })
  try {
    runMigrations(db, sqliteMigrations)
    const tenantId = o.tenantId ?? 'tnt_prefilled'
    const apiKey = `sk_${tenantId}_${crypto.randomUUID().replaceAll('-', '')}`
    const members = ['alice', 'bob']
    const roomId = `room_${tenantId}_big`
    const spareRooms = Array.from({ length: o.spareRooms ?? 0 }, (_, i) => `room_${tenantId}_spare${i}`)
    const start = Date.parse(o.from ?? new Date(Date.now() - 30 * 86_400_000).toISOString())
    const now = new Date().toISOString()
    const content = 'x'.repeat(o.contentBytes ?? 140)
    db.transaction(() => {
      db.query('INSERT INTO tenants (tenant_id, name, api_key_hash, webhook_secret, user_token_secret, config, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
        tenantId,
        'prefilled',
        hashKey(apiKey),
        `whsec_${Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString('base64')}`,
        `uts_${crypto.randomUUID()}`,
        o.config ?? '{}',
        now,
      )
      const room = db.query(
        `INSERT INTO rooms (room_id, tenant_id, type, name, metadata, unique_key, last_seq, member_count, created_at, last_activity_at)
         VALUES (?, ?, 'group', NULL, NULL, NULL, ?, 2, ?, ?)`,
      )
      const member = db.query('INSERT INTO members (room_id, user_id, tenant_id, role, joined_at, last_ack, last_read) VALUES (?, ?, ?, ?, ?, ?, ?)')
      for (const [id, n] of [[roomId, o.messages], ...spareRooms.map((r) => [r, 0] as const)] as const) {
        room.run(id, tenantId, n, now, now)
        members.forEach((u, i) => member.run(id, u, tenantId, i === 0 ? 'owner' : 'member', now, n, n))
      }
      const insert = db.query(
        'INSERT INTO messages (room_id, seq, message_id, tenant_id, sender_id, content, meta, client_msg_id, created_at) VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, ?)',
      )
      for (let seq = 1; seq <= o.messages; seq++)
        insert.run(roomId, seq, messageId(start + seq), tenantId, members[seq % 2], content, new Date(start + seq).toISOString()) // time-ordered ids, as sends make them
    }).immediate()
    const buildMs = Math.round(performance.now() - t0)
    const t1 = performance.now()
    if (o.searchIndex) buildSearchIndex(db, dbPath)
    return { tenantId, apiKey, roomId, members, spareRooms, buildMs, indexMs: Math.round(performance.now() - t1) }
  } finally {
    db.close()
  }
}

function buildSearchIndex(db: ReturnType<typeof openSqlite>, dbPath: string) {
  const path = searchIndexPath(dbPath)
  removeIndexFiles(path)
  const idx = openIndexDb(path)
  db.exec('PRAGMA query_only = ON')
  try {
    const index = createSearchIndex({ chat: db, idx, schema: 'main' })
    for (let i = 0; i < 10_000 && index.pass(20_000).more; i++);
    idx.exec("INSERT INTO fts (fts) VALUES ('optimize')")
    idx.exec('PRAGMA wal_checkpoint(TRUNCATE)')
  } finally {
    idx.close()
    db.exec('PRAGMA query_only = OFF')
  }
}
