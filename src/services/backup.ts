// POST /v1/admin/backup: a consistent hot copy of the SQLite database into BACKUP_DIR (SPEC §4 Admin).

import { join, resolve } from 'node:path'
import type { Config } from '../config'
import { conflict } from '../errors'
import type { AuditLog } from './audit'

type Deps = {
  config: Pick<Config, 'postgresUrl' | 'databasePath' | 'BACKUP_DIR'>
  /** Copies `source` to `target` off the main thread (a Worker running VACUUM INTO); resolves with its size. */
  copy: (source: string, target: string) => Promise<number>
  /** Records each backup made (an admin action of the server itself: no tenant). */
  audit: Pick<AuditLog, 'record'>
}

export function createBackupService({ config, copy, audit }: Deps) {
  return {
    /** Writes `chatapi-<time>.db` into BACKUP_DIR; 409 on PostgreSQL and on an in-memory database. */
    async create(): Promise<{ path: string; bytes: number; created_at: string }> {
      if (config.postgresUrl) throw conflict('on PostgreSQL, back up with its own tools (pg_dump, base backups)')
      if (config.databasePath === ':memory:') throw conflict('an in-memory database cannot be backed up')
      const created = new Date()
      const path = join(resolve(config.BACKUP_DIR), `chatapi-${created.toISOString().replace(/[:.]/g, '-')}.db`)
      const bytes = await copy(config.databasePath, path)
      await audit.record({ tenant_id: null, actor: 'admin', action: 'backup', target: null, data: { path, bytes } })
      return { path, bytes, created_at: created.toISOString() }
    },
  }
}

export type BackupService = ReturnType<typeof createBackupService>
