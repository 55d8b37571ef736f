// `chatapi backup FILE`: a consistent copy of the live database (VACUUM INTO on a read-only connection).

import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Config } from '../config'
import { writeBackup } from '../db/backup'
import { AppError, invalid } from '../errors'

/**
 * Safe while the server runs: VACUUM INTO reads one snapshot and never blocks the writer for long.
 * Refuses to overwrite FILE. Prints `{path, bytes, created_at}` like POST /v1/admin/backup.
 */
export function backup(config: Config, file: string, out: (line: string) => void): number {
  if (config.postgresUrl) throw invalid('DATABASE_URL', 'on PostgreSQL, back up with its own tools (pg_dump)')
  if (config.databasePath === ':memory:') throw invalid('DATABASE_URL', 'an in-memory database cannot be backed up')
  if (!existsSync(config.databasePath)) throw new AppError('NOT_FOUND', `database ${config.databasePath} does not exist`)
  const target = resolve(file)
  if (existsSync(target)) throw invalid('FILE', `${target} already exists`)
  const created_at = new Date().toISOString()
  const bytes = writeBackup(config.databasePath, target) // same copy as POST /v1/admin/backup (marked for a new epoch)
  out(JSON.stringify({ path: target, bytes, created_at }))
  return 0
}
