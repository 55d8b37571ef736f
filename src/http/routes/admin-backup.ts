// POST /v1/admin/backup: a consistent hot copy in BACKUP_DIR, made in a Worker thread (SPEC §4 Admin).

import { Elysia, t } from 'elysia'
import { adminErrors, tenantErrors, Timestamp } from '../../schemas/common'
import type { BackupService } from '../../services/backup'
import { adminSecurity } from '../deps'

export const adminBackupRoutes = (backups: BackupService) =>
  new Elysia().post(
    '/v1/admin/backup',
    async ({ set }) => {
      const r = await backups.create()
      set.status = 201
      return r
    },
    {
      response: { 201: t.Object({ path: t.String(), bytes: t.Integer(), created_at: Timestamp }), 409: tenantErrors[409], ...adminErrors },
      detail: { tags: ['admin'], summary: 'Consistent hot backup into BACKUP_DIR (VACUUM INTO in a Worker thread)', security: adminSecurity },
    },
  )
