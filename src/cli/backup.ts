// `chatapi backup FILE`: a consistent copy of the live database (VACUUM INTO on a read-only connection).

import { existsSync, mkdirSync, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { Config } from '../config'
import { openSqlite } from '../db/open'
import { AppError, invalid } from '../errors'

/**
 * Safe while the server runs: VACUUM INTO reads one snapshot and never blocks the writer for long.
 * Refuses to overwrite FILE. Prints `{path, bytes, created_at}` like POST /v1/admin/backup.
 */
export function backup(config: Config, file: string, out: (line: string) => void): number {
  if (config.databasePath === ':memory:') throw invalid('DATABASE_URL', 'an in-memory database cannot be backed up')
  if (!existsSync(config.databasePath)) throw new AppError('NOT_FOUND', `database ${config.databasePath} does not exist`)
  const target = resolve(file)
  if (existsSync(target)) throw invalid('FILE', `${target} already exists`)
  mkdirSync(dirname(target), { recursive: true })
  const db = openSqlite(config.databasePath, { readonly: true })
  try {
    db.query('VACUUM INTO ?').run(target)
  } finally {
    db.close()
  }
  out(JSON.stringify({ path: target, bytes: statSync(target).size, created_at: new Date().toISOString() }))
  return 0
}
