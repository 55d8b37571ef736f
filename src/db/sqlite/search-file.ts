// The search index file: where it lives, how it is opened, and how a damaged one is replaced.
// It holds nothing that is not in the chat database, so a missing or corrupt file is simply
// rebuilt (docs/search.md); it is not part of backups.

import type { Database } from 'bun:sqlite'
import { rmSync, statSync } from 'node:fs'
import { openSqlite } from '../open'

/** `data/chatapi.db` → `data/chatapi.search.db` (any other name gets `.search.db` appended). */
export const searchIndexPath = (dbPath: string) => (dbPath.endsWith('.db') ? `${dbPath.slice(0, -3)}.search.db` : `${dbPath}.search.db`)

/** Errors that mean the file is damaged or not a database at all. */
export const isCorruption = (e: unknown) => {
  const code = (e as { code?: unknown } | null)?.code
  return typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB')
}

export function removeIndexFiles(path: string) {
  for (const f of [path, `${path}-wal`, `${path}-shm`]) rmSync(f, { force: true })
}

/** The inode of the file at `path`, or null when there is none (the worker notices a replaced or deleted file). */
export function inodeOf(path: string): number | null {
  try {
    return statSync(path).ino
  } catch {
    return null
  }
}

/**
 * Opens the index database. Durability is relaxed (synchronous NORMAL in WAL): a power loss can
 * only take the newest index transactions, which carry their own cursors, so they are redone.
 */
export function openIndexDb(path: string): Database {
  const db = openSqlite(path, { synchronous: 'NORMAL' })
  try {
    db.query('SELECT count(*) FROM sqlite_master').get() // reads page 1: a file that is not a database fails here
    return db
  } catch (e) {
    db.close()
    throw e
  }
}

/**
 * With search switched off nothing keeps the index current: its file is removed (a later start with
 * search on rebuilds it) and the pending change rows are dropped.
 */
export function clearSearchIndex(db: Database, dbPath: string) {
  removeIndexFiles(searchIndexPath(dbPath))
  db.exec('DELETE FROM search_changes')
}
