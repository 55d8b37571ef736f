// The embedded migration list matches migrations/sqlite/, and the runner is idempotent and forward-only.

import { expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { sqliteMigrations, type Migration } from '../../src/db/migrations'
import { appliedMigrations, MigrationError, runMigrations } from '../../src/db/migrate'
import { openSqlite } from '../../src/db/open'

const dir = join(import.meta.dir, '..', '..', 'migrations', 'sqlite')
const files = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort()

test('every file in migrations/sqlite/ is in src/db/migrations.ts, in order, with its exact text', async () => {
  expect(files.length).toBeGreaterThan(0)
  expect(sqliteMigrations.map((m) => `${m.name}.sql`)).toEqual(files)
  for (const m of sqliteMigrations) expect(m.sql).toBe(await Bun.file(join(dir, `${m.name}.sql`)).text())
})

test('migration files are named NNNN_name.sql and numbered 1, 2, 3 … with matching versions', () => {
  files.forEach((f, i) => {
    expect(f).toMatch(/^\d{4}_[a-z0-9_]+\.sql$/)
    expect(Number(f.slice(0, 4))).toBe(i + 1)
  })
  expect(sqliteMigrations.map((m) => m.version)).toEqual(files.map((_, i) => i + 1))
})

test('the runner applies everything on :memory:, then nothing on the second run', () => {
  const db = openSqlite(':memory:')
  expect(runMigrations(db, sqliteMigrations)).toEqual(sqliteMigrations.map((m) => m.name))
  const versions = appliedMigrations(db)
  expect(versions.map((v) => v.version)).toEqual(sqliteMigrations.map((m) => m.version))
  expect(runMigrations(db, sqliteMigrations)).toEqual([])
  expect(appliedMigrations(db)).toEqual(versions)
  // The schema is usable: foreign keys on, core tables present.
  const tables = db.query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table'").all().map((r) => r.name)
  expect(tables).toContain('tenants')
  db.close()
})

test('only the newer migrations are applied to an older database', () => {
  const db = new Database(':memory:')
  const list: Migration[] = [
    { version: 1, name: '0001_a', sql: 'CREATE TABLE a (x)' },
    { version: 2, name: '0002_b', sql: 'CREATE TABLE b (x)' },
  ]
  expect(runMigrations(db, list.slice(0, 1))).toEqual(['0001_a'])
  expect(runMigrations(db, list)).toEqual(['0002_b'])
  db.close()
})

test('a failing migration rolls back with its bookkeeping row', () => {
  const db = new Database(':memory:')
  const list: Migration[] = [
    { version: 1, name: '0001_a', sql: 'CREATE TABLE a (x)' },
    { version: 2, name: '0002_bad', sql: 'CREATE TABLE b (x); INSERT INTO nope VALUES (1)' },
  ]
  expect(() => runMigrations(db, list)).toThrow()
  expect(appliedMigrations(db).map((v) => v.name)).toEqual(['0001_a'])
  expect(db.query("SELECT count(*) AS n FROM sqlite_master WHERE name = 'b'").get()).toEqual({ n: 0 })
  db.close()
})

test('a database newer than the binary is refused and left untouched', () => {
  const db = openSqlite(':memory:')
  runMigrations(db, sqliteMigrations)
  const latest = sqliteMigrations[sqliteMigrations.length - 1].version
  db.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future', 'x')", [latest + 1])
  expect(() => runMigrations(db, sqliteMigrations)).toThrow(MigrationError)
  expect(() => runMigrations(db, sqliteMigrations)).toThrow(/newer than this binary/)
  expect(appliedMigrations(db)).toHaveLength(sqliteMigrations.length + 1)
  db.close()
})

test('0003 fills members.activity_bucket from rooms of at most 100 members, NULL in larger ones', () => {
  const db = openSqlite(':memory:')
  runMigrations(db, sqliteMigrations.slice(0, 2))
  db.run("INSERT INTO tenants (tenant_id, name, api_key_hash, webhook_secret, user_token_secret, created_at) VALUES ('t', 't', 'h', 'w', 'u', 'x')")
  const room = (id: string, members: number, at: string) => {
    db.run("INSERT INTO rooms (room_id, tenant_id, type, member_count, created_at, last_activity_at) VALUES (?, 't', 'group', ?, 'x', ?)", [id, members, at])
    for (let i = 0; i < members; i++)
      db.run("INSERT INTO members (room_id, user_id, tenant_id, role, joined_at) VALUES (?, ?, 't', 'member', 'x')", [id, `${id}-${i}`])
  }
  room('small', 100, '2026-01-01T10:20:30.456Z#000000000007')
  room('old', 2, '2025-12-31T23:59:59.999Z') // a key from before the counter suffix
  room('large', 101, '2026-01-01T10:20:31.000Z#000000000008')
  expect(runMigrations(db, sqliteMigrations)).toContain('0003_room_list_order')
  const buckets = db.query<{ room_id: string; b: string | null; n: number }, []>(
    'SELECT room_id, activity_bucket AS b, count(*) AS n FROM members GROUP BY room_id, activity_bucket ORDER BY room_id',
  ).all()
  expect(buckets).toEqual([
    { room_id: 'large', b: null, n: 101 },
    { room_id: 'old', b: '2025-12-31T23:59:59', n: 2 },
    { room_id: 'small', b: '2026-01-01T10:20:30', n: 100 },
  ])
  const plan = db
    .query<{ detail: string }, []>("EXPLAIN QUERY PLAN SELECT room_id FROM members WHERE tenant_id = 't' AND user_id = 'x' ORDER BY activity_bucket DESC, room_id DESC LIMIT 5")
    .all()
    .map((r) => r.detail)
  expect(plan.join('\n')).toContain('members_by_user_activity')
  expect(plan.join('\n')).not.toContain('TEMP B-TREE')
  db.close()
})
