// Reports and the audit log on SQLite (SPEC §14).

import type { Database } from 'bun:sqlite'
import { decodeOrdCursor, ordPage, type WithOrd } from '../cursor'
import type { AuditRow, Page, ReportRow } from '../moderation-rows'

export function createReportStore(db: Database) {
  const insert = db.query(
    `INSERT INTO reports (report_id, tenant_id, room_id, message_id, user_id, reporter_id, target_key, reason, note, status, action, resolution_note, resolved_at, created_at)
     VALUES ($report_id, $tenant_id, $room_id, $message_id, $user_id, $reporter_id, $target_key, $reason, $note, $status, $action, $resolution_note, $resolved_at, $created_at)
     ON CONFLICT DO NOTHING`,
  )
  const openOne = db.query<ReportRow, [string, string, string, string]>(
    "SELECT * FROM reports WHERE tenant_id = ? AND reporter_id = ? AND room_id = ? AND target_key = ? AND status = 'open'",
  )
  const one = db.query<ReportRow, [string, string]>('SELECT * FROM reports WHERE tenant_id = ? AND report_id = ?')
  const resolve = db.query<ReportRow, Record<string, string | null>>(
    `UPDATE reports SET status = 'resolved', action = $action, resolution_note = $note, resolved_at = $at
     WHERE tenant_id = $tenant AND report_id = $id AND status = 'open' RETURNING *`,
  )
  // Oldest first; reports of one millisecond in the order they were filed (rowid, migration 0009).
  const list = (withStatus: boolean, withCursor: boolean) =>
    db.query<WithOrd<ReportRow>, Record<string, string | number>>(
      `SELECT *, rowid AS ord FROM reports WHERE tenant_id = $tenant ${withStatus ? 'AND status = $status' : ''}
       ${withCursor ? 'AND (created_at > $at OR (created_at = $at AND rowid > $ord))' : ''}
       ORDER BY created_at, rowid LIMIT $limit`,
    )
  const lists = [list(false, false), list(false, true), list(true, false), list(true, true)]

  return {
    create(row: ReportRow): { row: ReportRow; created: boolean } {
      return db.transaction(() => {
        if (insert.run(row as unknown as Record<string, string>).changes === 1) return { row, created: true }
        return { row: openOne.get(row.tenant_id, row.reporter_id, row.room_id, row.target_key)!, created: false }
      }).immediate()
    },
    get: (tenantId: string, reportId: string) => one.get(tenantId, reportId),
    list(tenantId: string, status: 'open' | 'resolved' | null, limit: number, cursor?: string): Page<ReportRow> {
      const q = lists[(status ? 2 : 0) + (cursor ? 1 : 0)]
      const params: Record<string, string | number> = { tenant: tenantId, limit: limit + 1 }
      if (status) params.status = status
      if (cursor) Object.assign(params, decodeOrdCursor(cursor))
      return ordPage(q.all(params), limit)
    },
    resolve: (tenantId: string, reportId: string, r: { action: ReportRow['action']; resolution_note: string | null; resolved_at: string }) =>
      resolve.get({ tenant: tenantId, id: reportId, action: r.action, note: r.resolution_note, at: r.resolved_at }),
  }
}

export function createAuditStore(db: Database) {
  const insert = db.query(
    'INSERT INTO audit_log (audit_id, tenant_id, actor, action, target, data, created_at) VALUES ($audit_id, $tenant_id, $actor, $action, $target, $data, $created_at)',
  )
  // Newest first; entries of one millisecond newest first too (rowid, migration 0009).
  const page = (withTenant: boolean, withCursor: boolean) =>
    db.query<WithOrd<AuditRow>, Record<string, string | number>>(
      `SELECT *, rowid AS ord FROM audit_log WHERE 1 = 1 ${withTenant ? 'AND tenant_id = $tenant' : ''}
       ${withCursor ? 'AND (created_at < $at OR (created_at = $at AND rowid < $ord))' : ''}
       ORDER BY created_at DESC, rowid DESC LIMIT $limit`,
    )
  const pages = [page(false, false), page(false, true), page(true, false), page(true, true)]
  return {
    insert: (row: AuditRow) => void insert.run(row as unknown as Record<string, string>),
    page(tenantId: string | undefined, limit: number, cursor?: string): Page<AuditRow> {
      const q = pages[(tenantId !== undefined ? 2 : 0) + (cursor ? 1 : 0)]
      const params: Record<string, string | number> = { limit: limit + 1 }
      if (tenantId !== undefined) params.tenant = tenantId
      if (cursor) Object.assign(params, decodeOrdCursor(cursor))
      return ordPage(q.all(params), limit)
    },
  }
}
