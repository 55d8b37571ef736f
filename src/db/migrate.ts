// Forward-only migration runner shared by `serve` and `chatapi migrate`.

import type { Database } from 'bun:sqlite'
import type { Migration } from './migrations'

export class MigrationError extends Error {}

/**
 * Applies every migration newer than the database's version, each with its bookkeeping row in one
 * immediate transaction. Refuses a database that is newer than this binary. Returns applied names.
 */
export function runMigrations(db: Database, list: Migration[]): string[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`)
  const row = db.query<{ v: number | null }, []>('SELECT max(version) AS v FROM schema_migrations').get()
  const current = row?.v ?? 0
  const known = list.length ? list[list.length - 1].version : 0
  if (current > known)
    throw new MigrationError(`database schema version ${current} is newer than this binary knows (${known})`)
  const applied: string[] = []
  for (const m of list) {
    if (m.version <= current) continue
    db.transaction(() => {
      db.exec(m.sql)
      db.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        m.version,
        m.name,
        new Date().toISOString(),
      )
    }).immediate()
    applied.push(m.name)
  }
  return applied
}

export function appliedMigrations(db: Database): { version: number; name: string; applied_at: string }[] {
  return db.query<{ version: number; name: string; applied_at: string }, []>(
    'SELECT version, name, applied_at FROM schema_migrations ORDER BY version',
  ).all()
}
