// PostgreSQL-only pieces around the store: the migration runner (embedded list, idempotence, two
// instances migrating at once, a newer database refused), the epoch, and copy-db from SQLite.
// Skipped with a message when PostgreSQL is unreachable (test/store/pg.ts).

import { afterEach, describe, expect, test } from 'bun:test'
import { SQL } from 'bun'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { copySqliteToPostgres, COPIED_TABLES } from '../../src/db/copy'
import { RESTORED_KEY } from '../../src/db/epoch'
import { MigrationError, runMigrations } from '../../src/db/migrate'
import { sqliteMigrations } from '../../src/db/migrations'
import { openSqlite } from '../../src/db/open'
import { createPostgresStore } from '../../src/db/postgres'
import { markCleanStop, startEpoch } from '../../src/db/postgres/epoch'
import { appliedPgMigrations, runPgMigrations } from '../../src/db/postgres/migrate'
import { postgresMigrations } from '../../src/db/postgres/migrations'
import { createSqliteStore } from '../../src/db/sqlite'
import { freshSchema, pgUp, type PgSchema } from './pg'

const dir = join(import.meta.dir, '..', '..', 'migrations', 'postgres')
const files = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort()

test('every file in migrations/postgres/ is in src/db/postgres/migrations.ts, in order, with its exact text', async () => {
  expect(postgresMigrations.map((m) => `${m.name}.sql`)).toEqual(files)
  for (const m of postgresMigrations) expect(m.sql).toBe(await Bun.file(join(dir, `${m.name}.sql`)).text())
})

test('the PostgreSQL migrations have the same numbers and names as the SQLite ones', () => {
  expect(postgresMigrations.map((m) => [m.version, m.name])).toEqual(sqliteMigrations.map((m) => [m.version, m.name]))
})

describe.skipIf(!pgUp)('PostgreSQL', () => {
  let schemas: PgSchema[] = []
  const schema = async (migrate = true) => {
    const s = await freshSchema({ migrate })
    schemas.push(s)
    return s
  }
  afterEach(async () => {
    for (const s of schemas) await s.drop()
    schemas = []
  })

  describe('migrations', () => {
    test('applies everything once; two instances starting together both succeed and apply it once', async () => {
      const s = await schema(false)
      const [a, b] = await Promise.all([runPgMigrations(s.client()), runPgMigrations(s.client())])
      expect([...a, ...b].sort()).toEqual(postgresMigrations.map((m) => m.name))
      const applied = await appliedPgMigrations(s.client())
      expect(applied.map((v) => v.version)).toEqual(postgresMigrations.map((m) => m.version))
      expect(await runPgMigrations(s.client())).toEqual([])
      // the tables are where the connection's search_path points
      const [{ n }] = await s.client()`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = ${s.name}`
      expect(n).toBe(COPIED_TABLES.length + 1)
    })

    test('a failing migration rolls back with its bookkeeping row', async () => {
      const s = await schema(false)
      const sql = s.client()
      const list = [
        { version: 1, name: '0001_a', sql: 'CREATE TABLE a (x int)' },
        { version: 2, name: '0002_bad', sql: 'CREATE TABLE b (x int); INSERT INTO nope VALUES (1)' },
      ]
      await expect(runPgMigrations(sql, list)).rejects.toThrow()
      expect((await appliedPgMigrations(sql)).map((v) => v.name)).toEqual(['0001_a'])
      const [{ b }] = await sql`SELECT to_regclass('b') IS NOT NULL AS b`
      expect(b).toBe(false)
    })

    test('0003 fills members.activity_bucket from rooms of at most 100 members, NULL in larger ones', async () => {
      const s = await schema(false)
      const sql = s.client()
      await runPgMigrations(sql, postgresMigrations.slice(0, 2))
      await sql`INSERT INTO tenants (tenant_id, name, api_key_hash, webhook_secret, user_token_secret, created_at) VALUES ('t', 't', 'h', 'w', 'u', 'x')`
      for (const [id, n, at] of [['small', 100, '2026-01-01T10:20:30.456Z#000000000007'], ['large', 101, '2026-01-01T10:20:31.000Z#000000000008']] as const) {
        await sql`INSERT INTO rooms (room_id, tenant_id, type, member_count, created_at, last_activity_at) VALUES (${id}, 't', 'group', ${n}, 'x', ${at})`
        const rows = Array.from({ length: n }, (_, i) => ({ room_id: id, user_id: `${id}-${i}`, tenant_id: 't', role: 'member', joined_at: 'x' }))
        await sql`INSERT INTO members ${sql(rows, 'room_id', 'user_id', 'tenant_id', 'role', 'joined_at')}`
      }
      expect(await runPgMigrations(sql)).toContain('0003_room_list_order')
      const buckets = await sql`SELECT room_id, activity_bucket AS b, count(*)::int AS n FROM members GROUP BY room_id, activity_bucket ORDER BY room_id`
      expect([...buckets]).toEqual([
        { room_id: 'large', b: null, n: 101 },
        { room_id: 'small', b: '2026-01-01T10:20:30', n: 100 },
      ])
      const [{ c }] = await sql`SELECT collation_name AS c FROM information_schema.columns WHERE table_schema = ${s.name} AND table_name = 'members' AND column_name = 'activity_bucket'`
      expect(c).toBe('C')
    })

    test('a database newer than the binary is refused and left untouched', async () => {
      const s = await schema()
      const sql = s.client()
      const future = postgresMigrations[postgresMigrations.length - 1].version + 1
      await sql`INSERT INTO schema_migrations (version, name, applied_at) VALUES (${future}, 'future', 'x')`
      await expect(runPgMigrations(sql)).rejects.toBeInstanceOf(MigrationError)
      await expect(runPgMigrations(sql)).rejects.toThrow(/newer than this binary/)
      expect(await appliedPgMigrations(sql)).toHaveLength(postgresMigrations.length + 1)
    })
  })

  test('writable() is a real write: false on a read-only connection and on an unreachable server', async () => {
    const s = await schema()
    expect(await createPostgresStore(s.client()).writable()).toBe(true)
    const readOnly = new SQL({ url: `${s.url}${encodeURIComponent(' -c default_transaction_read_only=on')}`, max: 1 })
    expect(await createPostgresStore(readOnly).meta.get('nothing')).toBeNull() // it reads
    expect(await createPostgresStore(readOnly).writable()).toBe(false)
    await readOnly.close()
    const down = new SQL({ url: 'postgres://postgres@127.0.0.1:1/nope', max: 1, connectionTimeout: 1 })
    const t0 = Date.now()
    expect(await createPostgresStore(down).writable()).toBe(false)
    expect(Date.now() - t0).toBeLessThan(2500)
    await down.close().catch(() => {})
  })

  describe('epoch', () => {
    test('new database: a new epoch; restarts keep it; a restored mark takes a new one once', async () => {
      const s = await schema()
      const sql = s.client()
      const first = await startEpoch(sql)
      expect(first).toEqual({ epoch: expect.stringMatching(/^[0-9A-Za-z]{16}$/), changed: true, reason: 'new database' })
      await markCleanStop(sql)
      expect(await startEpoch(sql)).toEqual({ epoch: first.epoch, changed: false, reason: null })
      // an unclean stop (no markCleanStop) changes nothing on PostgreSQL: every commit is durable
      expect(await startEpoch(sql)).toEqual({ epoch: first.epoch, changed: false, reason: null })
      const store = createPostgresStore(sql)
      await store.meta.set(RESTORED_KEY, '1')
      const restored = await startEpoch(sql)
      expect(restored).toMatchObject({ changed: true, reason: 'restored backup' })
      expect(restored.epoch).not.toBe(first.epoch)
      expect(await store.meta.get(RESTORED_KEY)).toBeNull()
      expect(await store.meta.get('epoch')).toBe(restored.epoch)
    })

    test('instances starting together agree on one epoch', async () => {
      const s = await schema()
      await createPostgresStore(s.client()).meta.set(RESTORED_KEY, '1')
      const results = await Promise.all(Array.from({ length: 4 }, () => startEpoch(s.client(1))))
      expect(new Set(results.map((r) => r.epoch)).size).toBe(1)
      expect(results.filter((r) => r.changed)).toHaveLength(1)
    })
  })

  describe('copy-db', () => {
    let tmp: string | null = null
    afterEach(() => {
      if (tmp) rmSync(tmp, { recursive: true, force: true })
      tmp = null
    })

    /** A SQLite database with rows in every table, via the store (plus an old-style activity key). */
    function sqliteWithData(): string {
      tmp = mkdtempSync(join(tmpdir(), 'chatapi-copy-'))
      const file = join(tmp, 'src.db')
      const db = openSqlite(file)
      runMigrations(db, sqliteMigrations)
      const s = createSqliteStore(db)
      s.tenants.insert({ tenant_id: 't1', name: 'Acme', api_key_hash: 'h1', webhook_secret: 'w', user_token_secret: 'u', config: '{}', created_at: '2026-01-01T00:00:00.000Z' })
      for (let r = 0; r < 3; r++)
        s.rooms.create('t1', {
          room_id: `room_${r}`,
          type: r ? 'group' : 'dm',
          name: r ? `Room ${r}` : null,
          metadata: r === 2 ? '{"x":"y"}' : null,
          unique_key: r ? null : 'a|b',
          created_at: `2026-01-01T00:00:0${r}.000Z`,
          members: [
            { user_id: 'a', role: 'owner' },
            { user_id: 'b', role: 'member' },
          ],
        })
      const items = Array.from({ length: 2500 }, (_, i) => ({
        tenant_id: 't1',
        room_id: `room_${i % 3}`,
        sender_id: i % 2 ? 'a' : 'b',
        message_id: `msg_${i}`,
        content: `message ${i} ‘quoted’ 😀`,
        meta: i % 5 ? null : `{"i":${i}}`,
        client_msg_id: i % 7 ? null : `c${i}`,
        created_at: new Date(Date.UTC(2026, 0, 1, 0, 1) + i).toISOString(),
        parent_id: null,
        mentions: i % 11 ? [] : ['a', 'b'],
      }))
      s.messages.appendBatch(items)
      s.messages.tombstone('room_1', 2, 'a', '2026-01-02T00:00:00.000Z')
      s.messages.appendBatch([{ ...items[0], message_id: 'reply', client_msg_id: null, parent_id: 'msg_0', mentions: ['b'] }])
      s.reactions.apply([
        { op: 'add', room_id: 'room_0', seq: 1, key: '👍', user_id: 'a', at: '2026-01-02T00:00:01.000Z' },
        { op: 'add', room_id: 'room_0', seq: 1, key: '👍', user_id: 'b', at: '2026-01-02T00:00:02.000Z' },
        { op: 'add', room_id: 'room_0', seq: 2, key: '+1', user_id: 'b', at: '2026-01-02T00:00:03.000Z' },
      ])
      s.pins.pin('room_0', 3, 'b', '2026-01-02T00:00:04.000Z', 50)
      s.members.advanceRead('room_0', 'a', 5)
      s.notifications.create({ notification_id: 'n1', tenant_id: 't1', topic: 'news', payload: '{}', created_at: '2026-01-01T00:00:00.000Z', expires_at: 1_900_000_000_000 }, ['a', 'b'])
      s.notifications.subscribe({ subscription_id: 's1', tenant_id: 't1', user_id: 'a', topic: 'news', endpoint: 'https://ep.example/', created_at: '2026-01-01T00:00:00.000Z' })
      s.deliveries.enqueue([
        { delivery_id: 'd1', tenant_id: 't1', kind: 'webhook', url: 'https://h.example/', event_id: 'e1', ref_id: 'e1', body: '{}', next_attempt_at: 1_800_000_000_000, created_at: '2026-01-01T00:00:00.000Z' },
      ])
      s.deadLetters.insert({ id: 'dl1', kind: 'message', tenant_id: 't1', target: 'b', ref_id: 'room_1', from_seq: 1, to_seq: 9, delivery_id: null, attempts: 6, last_error: null, created_at: '2026-01-01T00:00:00.000Z', last_attempt_at: null })
      s.meta.set('epoch', 'oldepoch')
      db.close()
      return file
    }

    test('copies every table row for row; the stores answer the same; the target takes a new epoch', async () => {
      const file = sqliteWithData()
      const s = await schema(false) // copy-db migrates the target itself
      const sql = s.client()
      const progress: string[] = []
      const counts = await copySqliteToPostgres(file, sql, { onProgress: (t) => progress.push(t) })
      expect(counts).toMatchObject({ tenants: 1, rooms: 3, members: 6, messages: 2501, reactions: 3, mentions: 457, notifications: 1, notification_targets: 2, subscriptions: 1, deliveries: 1, dead_letters: 1 })
      expect(progress.filter((t) => t === 'messages')).toHaveLength(3) // batches of 1000

      const db = openSqlite(file, { readonly: true })
      const lite = createSqliteStore(db)
      const pg = createPostgresStore(sql)
      for (const r of ['room_0', 'room_1', 'room_2']) {
        expect(await pg.rooms.get('t1', r)).toEqual(lite.rooms.get('t1', r))
        expect(await pg.messages.after(r, 0, 1000)).toEqual(lite.messages.after(r, 0, 1000))
        expect(await pg.members.page(r, 10)).toEqual(lite.members.page(r, 10))
        expect(await pg.messages.changes(r, 0, 100)).toEqual(lite.messages.changes(r, 0, 100))
        expect(await pg.pins.list(r)).toEqual(lite.pins.list(r))
      }
      expect(await pg.reactions.list('room_0', 1, null, 10)).toEqual(lite.reactions.list('room_0', 1, null, 10))
      expect(await pg.mentions.listForUser('t1', 'b', 50)).toEqual(lite.mentions.listForUser('t1', 'b', 50))
      expect(await pg.messages.replies('room_0', 'msg_0', 0, 10)).toEqual(lite.messages.replies('room_0', 'msg_0', 0, 10))
      expect(await pg.rooms.listForUser('t1', 'a', 10)).toEqual(lite.rooms.listForUser('t1', 'a', 10))
      expect(await pg.tenants.list()).toEqual(lite.tenants.list())
      expect(await pg.notifications.pendingFor('t1', 'b', 0)).toEqual(lite.notifications.pendingFor('t1', 'b', 0))
      expect(await pg.notifications.subscriptionsOf('t1', 'a')).toEqual(lite.notifications.subscriptionsOf('t1', 'a'))
      expect(await pg.deliveries.get('d1')).toEqual(lite.deliveries.get('d1'))
      expect(await pg.deadLetters.list({ limit: 10 })).toEqual(lite.deadLetters.list({ limit: 10 }))
      db.close()

      // writing goes on where SQLite stopped: next seq, client_msg_id replays, dm key
      const [next] = await pg.messages.appendBatch([
        { tenant_id: 't1', room_id: 'room_1', sender_id: 'a', message_id: 'new', content: 'x', meta: null, client_msg_id: null, created_at: '2026-02-01T00:00:00.000Z', parent_id: null, mentions: [] },
      ])
      expect(next.ok && next.row.seq).toBe(834)
      const [replay] = await pg.messages.appendBatch([
        { tenant_id: 't1', room_id: 'room_0', sender_id: 'b', message_id: 'again', content: 'x', meta: null, client_msg_id: 'c0', created_at: '2026-02-01T00:00:00.000Z', parent_id: null, mentions: [] },
      ])
      expect(replay.ok && [replay.created, replay.row.message_id, replay.row.seq]).toEqual([false, 'msg_0', 1])

      const epoch = await startEpoch(sql)
      expect(epoch).toMatchObject({ changed: true, reason: 'restored backup' })
      expect(epoch.epoch).not.toBe('oldepoch')
    })

    test('refuses a target that is not empty, and a source that is not fully migrated', async () => {
      const file = sqliteWithData()
      const s = await schema()
      const sql = s.client()
      await createPostgresStore(sql).tenants.insert({ tenant_id: 'x', name: 'x', api_key_hash: 'x', webhook_secret: 'x', user_token_secret: 'x', config: '{}', created_at: 'x' })
      await expect(copySqliteToPostgres(file, sql)).rejects.toThrow(/not empty \(table tenants has rows\)/)
      expect(await createPostgresStore(sql).tenants.list()).toHaveLength(1)

      const old = join(tmp!, 'old.db')
      const db = openSqlite(old)
      runMigrations(db, sqliteMigrations.slice(0, 1))
      db.close()
      const empty = await schema()
      await expect(copySqliteToPostgres(old, empty.client())).rejects.toThrow(`schema version 1, expected ${sqliteMigrations[sqliteMigrations.length - 1].version}`)
    })
  })
})
