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
