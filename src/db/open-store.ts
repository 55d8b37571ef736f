// Opens the configured store: SQLite (the default, one instance) or PostgreSQL (shared storage,
// SPEC §9), migrated and with its epoch decided. Used by `serve` and by the CLI commands.

import type { Database } from 'bun:sqlite'
import { SQL } from 'bun'
import type { Config } from '../config'
import { openSqlite } from './open'
import { runMigrations } from './migrate'
import { sqliteMigrations } from './migrations'
import { createSqliteStore } from './sqlite'
import { markCleanStop as markSqliteClean, startEpoch as startSqliteEpoch } from './epoch'
import { createPostgresStore, runPgMigrations } from './postgres'
import { markCleanStop as markPgClean, startEpoch as startPgEpoch } from './postgres/epoch'
import type { Store } from './types'

export interface OpenedStore {
  kind: 'sqlite' | 'postgres'
  store: Store
  /** The main thread's SQLite write connection (null on PostgreSQL). */
  sqlite: Database | null
  /** The PostgreSQL pool (null on SQLite). */
  sql: SQL | null
  migrationsApplied: string[]
  /** Decides and records the epoch (serve only; the CLI leaves it alone). */
  startEpoch(): Promise<{ epoch: string; changed: boolean; reason: string | null }>
  /** Final checkpoint (SQLite) and clean-stop mark, then close. */
  close(clean: boolean): Promise<void>
}

export async function openStore(config: Config): Promise<OpenedStore> {
  if (config.postgresUrl) {
    const sql = new SQL(config.postgresUrl)
    const migrationsApplied = await runPgMigrations(sql)
    return {
      kind: 'postgres',
      store: createPostgresStore(sql),
      sqlite: null,
      sql,
      migrationsApplied,
      startEpoch: () => startPgEpoch(sql),
      async close(clean) {
        if (clean) await markPgClean(sql).catch(() => {})
        await sql.close()
      },
    }
  }
  const db = openSqlite(config.databasePath, { synchronous: config.SQLITE_SYNCHRONOUS })
  const migrationsApplied = runMigrations(db, sqliteMigrations)
  const bulk = openBulkReader(config.databasePath, db)
  return {
    kind: 'sqlite',
    store: createSqliteStore(db, bulk),
    sqlite: db,
    sql: null,
    migrationsApplied,
    startEpoch: async () => startSqliteEpoch(db, config.SQLITE_SYNCHRONOUS),
    async close(clean) {
      if (clean) {
        db.exec('PRAGMA wal_checkpoint(TRUNCATE)')
        markSqliteClean(db)
      }
      if (bulk !== db) bulk.close()
      db.close()
    },
  }
}

/**
 * The exports' read connection (SPEC §15: constant memory at any size): read-only, no mmap (a
 * mapped file counts in the process's RSS as far as it is read, up to mmap_size), a 2 MiB page cache
 * (not the main connection's 32 MiB, whose hot pages serve sends and history). A :memory: database
 * has one connection only, so it reads on that.
 */
function openBulkReader(path: string, main: Database): Database {
  if (path === ':memory:') return main
  const db = openSqlite(path, { readonly: true })
  db.exec('PRAGMA mmap_size = 0')
  db.exec('PRAGMA cache_size = -2048')
  return db
}
