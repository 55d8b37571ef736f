// The one SQLite opener: every connection (main thread and workers) gets the same pragmas in the same order.

import { Database } from 'bun:sqlite'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'

export interface OpenOptions {
  synchronous?: 'FULL' | 'NORMAL'
  readonly?: boolean
  /** How much of the file is read through a memory map (default 256 MiB; see BIG_MMAP_BYTES). */
  mmapBytes?: number
}

/**
 * Opens a connection with PocketBase's pragma order: busy_timeout, WAL, synchronous, foreign keys,
 * then cache settings. Pragmas never live in migrations (journal_mode cannot change inside a txn).
 */
export function openSqlite(path: string, opts: OpenOptions = {}): Database {
  if (path !== ':memory:' && !opts.readonly) mkdirSync(dirname(path), { recursive: true })
  const db = opts.readonly
    ? new Database(path, { readonly: true, strict: true })
    : new Database(path, { create: true, readwrite: true, strict: true })
  db.exec('PRAGMA busy_timeout = 5000')
  if (!opts.readonly) db.exec('PRAGMA journal_mode = WAL')
  db.exec(`PRAGMA synchronous = ${opts.synchronous ?? 'FULL'}`)
  db.exec('PRAGMA foreign_keys = ON')
  db.exec('PRAGMA temp_store = MEMORY')
  db.exec('PRAGMA cache_size = -32768') // 32 MiB page cache
  db.exec(`PRAGMA mmap_size = ${opts.mmapBytes ?? 268435456}`) // +48% on history reads (PERF-NOTES §1)
  return db
}

/**
 * The memory map of the server's main connection, the one that serves history and room lists: the
 * most bun's SQLite allows (SQLITE_MAX_MMAP_SIZE, 2 GiB). Past the map, a page outside the 32 MiB
 * cache costs a read() call: on a database of ten million messages a random history page made 5.5 of
 * them with 256 MiB mapped, 3.0 with 2 GiB (docs/performance.md, Big database). Mapped pages count
 * in the process's RSS once read (they are the kernel's page cache, which it can take back), so a
 * server on a big file shows up to this much RSS beyond its heap. Worker connections keep 256 MiB.
 */
export const BIG_MMAP_BYTES = 0x7fff0000
