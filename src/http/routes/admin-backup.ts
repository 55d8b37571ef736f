// POST /v1/admin/backup: a consistent hot copy in BACKUP_DIR, made in a Worker thread (SPEC §4 Admin).

import { Elysia, t } from 'elysia'
import { resolve, join } from 'node:path'
import { adminErrors, tenantErrors, Timestamp } from '../../schemas/common'
import type { Config } from '../../config'
import { AppError } from '../../errors'
import { backupInWorker } from '../../workers/backup'
import { adminSecurity } from '../deps'

export const adminBackupRoutes = (config: Config) =>
  new Elysia().post(
    '/v1/admin/backup',
    async ({ set }) => {
      if (config.postgresUrl) throw new AppError('CONFLICT', 'on PostgreSQL, back up with its own tools (pg_dump, base backups)')
      if (config.databasePath === ':memory:') throw new AppError('CONFLICT', 'an in-memory database cannot be backed up')
      const created = new Date()
      const path = join(resolve(config.BACKUP_DIR), `chatapi-${created.toISOString().replace(/[:.]/g, '-')}.db`)
      const bytes = await backupInWorker(config.databasePath, path)
      set.status = 201
      return { path, bytes, created_at: created.toISOString() }
    },
    {
      response: { 201: t.Object({ path: t.String(), bytes: t.Integer(), created_at: Timestamp }), 409: tenantErrors[409], ...adminErrors },
      detail: { tags: ['admin'], summary: 'Consistent hot backup into BACKUP_DIR (VACUUM INTO in a Worker thread)', security: adminSecurity },
    },
  )
