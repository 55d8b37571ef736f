// POST /v1/admin/backup: a consistent hot copy in BACKUP_DIR, made in a Worker thread (SPEC §4 Admin).

import { Type } from '@sinclair/typebox'
import { Elysia, t } from 'elysia'
import { adminErrorsWith, Timestamp } from '../../schemas/common'
import { EX } from '../../schemas/examples'
import type { BackupService } from '../../services/backup'
import { adminSecurity } from '../deps'

export const adminBackupRoutes = (backups: BackupService) =>
  new Elysia().post(
    '/v1/admin/backup',
    async ({ set, server, request }) => {
      // A big database takes minutes to copy, past Bun's idle timeout (10 s), which would close the
      // connection with no answer while the copy goes on: this request waits as long as the copy.
      server?.timeout(request, 0)
      const r = await backups.create()
      set.status = 201
      return r
    },
    {
      response: {
        201: t.Object(
          { path: t.String({ description: 'the file written, on the server' }), bytes: Type.Integer(), created_at: Timestamp },
          { description: 'Written.', examples: [{ path: '/var/lib/chatapi/backups/chatapi-2026-11-26T21-10-54-123Z.db', bytes: 4_194_304, created_at: EX.at }] },
        ),
        ...adminErrorsWith(409),
      },
      detail: {
        operationId: 'backup',
        tags: ['admin'],
        summary: 'Consistent hot backup into BACKUP_DIR (VACUUM INTO in a Worker thread)',
        description:
          'Writes a consistent copy of the SQLite database into BACKUP_DIR while the server keeps serving (VACUUM INTO on its own connection in a Worker thread), and answers once the file is complete: the request has no idle timeout, so on a big database it stays open for minutes (a proxy in front needs a read timeout to match). On PostgreSQL, or with an in-memory database, it answers 409: back up PostgreSQL with its own tools.',
        security: adminSecurity,
      },
    },
  )
