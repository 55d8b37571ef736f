// `chatapi migrate`: apply pending migrations (SQLite or PostgreSQL) and print the schema versions.

import type { Config } from '../config'
import { appliedMigrations } from '../db/migrate'
import { openStore } from '../db/open-store'
import { appliedPgMigrations } from '../db/postgres/migrate'

export async function migrate(config: Config, out: (line: string) => void): Promise<number> {
  const opened = await openStore(config) // applies pending migrations
  try {
    const versions = opened.sqlite ? appliedMigrations(opened.sqlite) : await appliedPgMigrations(opened.sql!)
    out(JSON.stringify({ applied: opened.migrationsApplied, versions }))
    return 0
  } finally {
    await opened.close(false)
  }
}
