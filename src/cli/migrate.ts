// `chatapi migrate`: apply pending migrations and print the schema versions.

import type { Config } from '../config'
import { openSqlite } from '../db/open'
import { appliedMigrations, runMigrations } from '../db/migrate'
import { sqliteMigrations } from '../db/migrations'

export function migrate(config: Config, out: (line: string) => void): number {
  const db = openSqlite(config.databasePath, { synchronous: config.SQLITE_SYNCHRONOUS })
  try {
    const applied = runMigrations(db, sqliteMigrations)
    out(JSON.stringify({ applied, versions: appliedMigrations(db) }))
    return 0
  } finally {
    db.close()
  }
}
