// GET /v1/admin/audit (SPEC §14): the audit log across tenants, or one tenant's, newest first.

import { Elysia } from 'elysia'
import { adminErrorsWith } from '../../schemas/common'
import { AdminAuditQuery, AuditList } from '../../schemas/moderation'
import type { AuditLog } from '../../services/audit'
import { adminSecurity } from '../deps'

export const adminAuditRoutes = (audit: AuditLog) =>
  new Elysia().get('/v1/admin/audit', ({ query }) => audit.forAdmin(query), {
    query: AdminAuditQuery,
    response: { 200: AuditList, ...adminErrorsWith() },
    detail: {
      operationId: 'adminAudit',
      tags: ['admin'],
      summary: 'The audit log of every tenant (or one), newest first',
      description:
        'Moderation actions of every tenant and every admin action (tenant creation, config changes and secret rotations, dead-letter retries and deletions, backups), newest first; tenant_id narrows it to one tenant. No entry ever carries a secret.',
      security: adminSecurity,
    },
  })
