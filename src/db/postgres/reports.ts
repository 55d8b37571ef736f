// Reports and the audit log on PostgreSQL (SPEC §14), the same methods and rows as db/sqlite/reports.ts.

import type { SQL } from 'bun'
import { decodeCursor, encodeCursor } from '../cursor'
import type { AuditRow, Page, ReportRow } from '../moderation-rows'
import { all, first } from './rows'

const REPORT_COLUMNS = [
  'report_id', 'tenant_id', 'room_id', 'message_id', 'user_id', 'reporter_id', 'target_key', 'reason',
  'note', 'status', 'action', 'resolution_note', 'resolved_at', 'created_at',
] as const

export function createReportStore(sql: SQL) {
  return {
    /**
     * The partial unique index (one open report per reporter, room and target) makes a concurrent
     * second INSERT wait for the first, then do nothing; the SELECT after it sees the winner.
     */
    async create(row: ReportRow): Promise<{ row: ReportRow; created: boolean }> {
      const inserted = first<ReportRow>(await sql`INSERT INTO reports ${sql({ ...row }, ...REPORT_COLUMNS)} ON CONFLICT DO NOTHING RETURNING *`)
      if (inserted) return { row: inserted, created: true }
      const open = first<ReportRow>(await sql`SELECT * FROM reports WHERE tenant_id = ${row.tenant_id} AND reporter_id = ${row.reporter_id}
        AND room_id = ${row.room_id} AND target_key = ${row.target_key} AND status = 'open'`)
      if (!open) throw new Error('an open report vanished while filing a duplicate')
      return { row: open, created: false }
    },
    get: async (tenantId: string, reportId: string) => first<ReportRow>(await sql`SELECT * FROM reports WHERE tenant_id = ${tenantId} AND report_id = ${reportId}`),
    async list(tenantId: string, status: 'open' | 'resolved' | null, limit: number, cursor?: string): Promise<Page<ReportRow>> {
      const after = cursor ? (decodeCursor(cursor, ['string', 'string']) as string[]) : null
      const rows = all<ReportRow>(await sql`
        SELECT * FROM reports WHERE tenant_id = ${tenantId} ${status ? sql`AND status = ${status}` : sql``}
        ${after ? sql`AND (created_at > ${after[0]} OR (created_at = ${after[0]} AND report_id > ${after[1]}))` : sql``}
        ORDER BY created_at, report_id LIMIT ${limit + 1}`)
      const page = rows.slice(0, limit)
      const last = page[page.length - 1]
      return { rows: page, next_cursor: rows.length > limit ? encodeCursor([last.created_at, last.report_id]) : null }
    },
    resolve: async (tenantId: string, reportId: string, r: { action: ReportRow['action']; resolution_note: string | null; resolved_at: string }) =>
      first<ReportRow>(await sql`UPDATE reports SET status = 'resolved', action = ${r.action}, resolution_note = ${r.resolution_note}, resolved_at = ${r.resolved_at}
        WHERE tenant_id = ${tenantId} AND report_id = ${reportId} AND status = 'open' RETURNING *`),
  }
}

export function createAuditStore(sql: SQL) {
  return {
    insert: async (row: AuditRow) =>
      void (await sql`INSERT INTO audit_log ${sql({ ...row }, 'audit_id', 'tenant_id', 'actor', 'action', 'target', 'data', 'created_at')}`),
    async page(tenantId: string | undefined, limit: number, cursor?: string): Promise<Page<AuditRow>> {
      const before = cursor ? (decodeCursor(cursor, ['string', 'string']) as string[]) : null
      const rows = all<AuditRow>(await sql`
        SELECT * FROM audit_log WHERE true ${tenantId !== undefined ? sql`AND tenant_id = ${tenantId}` : sql``}
        ${before ? sql`AND (created_at < ${before[0]} OR (created_at = ${before[0]} AND audit_id < ${before[1]}))` : sql``}
        ORDER BY created_at DESC, audit_id DESC LIMIT ${limit + 1}`)
      const page = rows.slice(0, limit)
      const last = page[page.length - 1]
      return { rows: page, next_cursor: rows.length > limit ? encodeCursor([last.created_at, last.audit_id]) : null }
    },
  }
}
