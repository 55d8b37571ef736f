// `chatapi search rebuild`: builds the SQLite search index afresh from the messages (docs/search.md).

import { existsSync, readFileSync, renameSync } from 'node:fs'
import type { Config } from '../config'
import { openSqlite } from '../db/open'
import { createSearchIndex } from '../db/sqlite/search-index'
import { openIndexDb, removeIndexFiles, searchIndexPath } from '../db/sqlite/search-file'
import { AppError, invalid } from '../errors'
import { HEARTBEAT_MS, heartbeatPath } from '../db/sqlite/search-upkeep'

/** A heartbeat younger than this means a server's search worker has the index open. */
const IN_USE_MS = HEARTBEAT_MS * 5

/**
 * Meant for a stopped server (a running one rebuilds by itself once the file is deleted or found
 * corrupt, and its edits would race a copy built beside it): refuses, exit 1, while a search worker
 * touches its heartbeat file. Builds into a temporary file, then moves it into place, so an
 * interrupted rebuild leaves the old index (or none) and never half of one. Prints
 * `{path, messages, seconds}`.
 */
export function searchRebuild(config: Config, out: (line: string) => void, err: (line: string) => void): number {
  if (config.postgresUrl) throw invalid('DATABASE_URL', 'PostgreSQL keeps its search index itself (a GIN index, migration 0007): nothing to rebuild')
  if (config.databasePath === ':memory:') throw invalid('DATABASE_URL', 'an in-memory database has no search index file')
  if (!existsSync(config.databasePath)) throw new AppError('NOT_FOUND', `database ${config.databasePath} does not exist`)
  const path = searchIndexPath(config.databasePath)
  const beat = heartbeatOf(heartbeatPath(path))
  if (beat !== null && Date.now() - beat < IN_USE_MS) {
    err(`the search index ${path} is in use by a running server (heartbeat ${Date.now() - beat} ms ago): stop it first, or delete the file and the server rebuilds it itself`)
    return 1
  }
  const started = performance.now()
  const tmp = `${path}.rebuild`
  removeIndexFiles(tmp)
  const chat = openSqlite(config.databasePath)
  chat.exec('PRAGMA query_only = ON')
  const idx = openIndexDb(tmp)
  let messages: number
  try {
    messages = createSearchIndex({ chat, idx, schema: 'main' }).catchUp(20_000)
    idx.exec("INSERT INTO fts (fts) VALUES ('optimize')") // one segment: the fastest queries to start with
    idx.exec('PRAGMA journal_mode = DELETE') // one self-contained file to move into place
  } finally {
    idx.close()
    chat.close()
  }
  removeIndexFiles(path)
  renameSync(tmp, path)
  out(JSON.stringify({ path, messages, seconds: Math.round((performance.now() - started) / 100) / 10 }))
  return 0
}

function heartbeatOf(file: string): number | null {
  try {
    const at = Number(readFileSync(file, 'utf8'))
    return Number.isFinite(at) ? at : null
  } catch {
    return null
  }
}
