// Reports and the audit log on PostgreSQL (SPEC §14), the same methods and rows as db/sqlite/reports.ts.

import type { SQL } from 'bun'
import { decodeOrdCursor, ordPage, type WithOrd } from '../cursor'
import type { AuditRow, Page, ReportRow } from '../moderation-rows'
import { all, first } from './rows'

const REPORT_COLUMNS = [
  'report_id', 'tenant_id', 'room_id', 'message_id', 'user_id', 'reporter_id', 'target_key', 'reason',
  'note', 'status', 'action', 'resolution_note', 'resolved_at', 'created_at',
] as const
const AUDIT_COLUMNS = ['audit_id', 'tenant_id', 'actor', 'action', 'target', 'data', 'created_at'] as const

export function createReportStore(sql: SQL) {
  // Named columns, not *: `ord` (migration 0009) orders the list and is no part of a ReportRow.
  const cols = sql.unsafe(REPORT_COLUMNS.join(', '))
  return {
    /**
     * The partial unique index (one open report per reporter, room and target) makes a concurrent
     * second INSERT wait for the first, then do nothing; the SELECT after it sees the winner.
     */
    async create(row: ReportRow): Promise<{ row: ReportRow; created: boolean }> {
      const inserted = first<ReportRow>(await sql`INSERT INTO reports ${sql({ ...row }, ...REPORT_COLUMNS)} ON CONFLICT DO NOTHING RETURNING ${cols}`)
      if (inserted) return { row: inserted, created: true }
      const open = first<ReportRow>(await sql`SELECT ${cols} FROM reports WHERE tenant_id = ${row.tenant_id} AND reporter_id = ${row.reporter_id}
        AND room_id = ${row.room_id} AND target_key = ${row.target_key} AND status = 'open'`)
      if (!open) throw new Error('an open report vanished while filing a duplicate')
      return { row: open, created: false }
    },
    get: async (tenantId: string, reportId: string) => first<ReportRow>(await sql`SELECT ${cols} FROM reports WHERE tenant_id = ${tenantId} AND report_id = ${reportId}`),
    async list(tenantId: string, status: 'open' | 'resolved' | null, limit: number, cursor?: string): Promise<Page<ReportRow>> {
      // Oldest first; reports of one millisecond in the order they were filed.
      const after = cursor ? decodeOrdCursor(cursor) : null
      const rows = all<WithOrd<ReportRow>>(await sql`
        SELECT ${cols}, ord FROM reports WHERE tenant_id = ${tenantId} ${status ? sql`AND status = ${status}` : sql``}
        ${after ? sql`AND (created_at > ${after.at} OR (created_at = ${after.at} AND ord > ${after.ord}))` : sql``}
        ORDER BY created_at, ord LIMIT ${limit + 1}`)
      return ordPage(rows, limit)
    },
    resolve: async (tenantId: string, reportId: string, r: { action: ReportRow['action']; resolution_note: string | null; resolved_at: string }) =>
      first<ReportRow>(await sql`UPDATE reports SET status = 'resolved', action = ${r.action}, resolution_note = ${r.resolution_note}, resolved_at = ${r.resolved_at}
        WHERE tenant_id = ${tenantId} AND report_id = ${reportId} AND status = 'open' RETURNING ${cols}`),
  }
}

export function createAuditStore(sql: SQL) {
  const cols = sql.unsafe(AUDIT_COLUMNS.join(', '))
  return {
    insert: async (row: AuditRow) => void (await sql`INSERT INTO audit_log ${sql({ ...row }, ...AUDIT_COLUMNS)}`),
    async page(tenantId: string | undefined, limit: number, cursor?: string): Promise<Page<AuditRow>> {
      // Newest first; entries of one millisecond newest first too (ord, migration 0009).
      const before = cursor ? decodeOrdCursor(cursor) : null
      const rows = all<WithOrd<AuditRow>>(await sql`
        SELECT ${cols}, ord FROM audit_log WHERE true ${tenantId !== undefined ? sql`AND tenant_id = ${tenantId}` : sql``}
        ${before ? sql`AND (created_at < ${before.at} OR (created_at = ${before.at} AND ord < ${before.ord}))` : sql``}
        ORDER BY created_at DESC, ord DESC LIMIT ${limit + 1}`)
      return ordPage(rows, limit)
    },
  }
}
