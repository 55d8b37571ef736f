// Reports and their review queue (SPEC §14): a member reports a message or a user of a room; the
// parent app (API key) lists the queue and resolves each report, which carries out its action.

import type { Clock } from '../clock'
import type { Store } from '../db/types'
import { toReport, type ReportRow } from '../db/moderation-rows'
import { conflict, invalid, notFound } from '../errors'
import { newId } from '../ids'
import type { CreateReportBody, Report, ResolveReportBody } from '../schemas/moderation'
import { roomFor } from './access'
import type { Actor, AppCaller } from './actor'
import { requireKey } from './key-only'
import type { AuditLog } from './audit'
import type { EventBus } from './events'
import { parseLimit } from './input'
import type { MessageService } from './message'
import { checkTarget, type ModerationService } from './moderation'

type Deps = {
  store: Store
  clock: Clock
  events: EventBus
  audit: Pick<AuditLog, 'record'>
  moderation: Pick<ModerationService, 'banInRoom' | 'muteInRoom'>
  messages: Pick<MessageService, 'removeByModerator'>
}

export function createReportService({ store, clock, events, audit, moderation, messages }: Deps) {
  return {
    /** 201 with a new report; 200 with the open one when the reporter already reported this target here. */
    async create(actor: Actor, body: CreateReportBody): Promise<{ report: Report; created: boolean }> {
      const tenantId = actor.tenant.tenant_id
      if (body.message_id === undefined && body.user_id === undefined) throw invalid('message_id', 'name the message_id or the user_id reported')
      await roomFor(store, actor, body.room_id, 'member')
      let reported = body.user_id ?? null
      if (body.message_id !== undefined) {
        const m = await store.messages.get(body.room_id, body.message_id)
        if (!m) throw notFound('message')
        if (reported !== null && reported !== m.sender_id) throw invalid('user_id', 'user_id must be the sender of the message reported (or left out)')
        reported = m.sender_id
      }
      const row: ReportRow = {
        report_id: newId('rpt'),
        tenant_id: tenantId,
        room_id: body.room_id,
        message_id: body.message_id ?? null,
        user_id: reported,
        reporter_id: actor.userId,
        target_key: body.message_id ?? `user:${reported}`,
        reason: body.reason,
        note: body.note ?? null,
        status: 'open',
        action: null,
        resolution_note: null,
        resolved_at: null,
        created_at: new Date(clock.now()).toISOString(),
      }
      const r = await store.reports.create(row)
      const report = toReport(r.row)
      if (r.created) {
        events.emit({ type: 'report.created', tenantId, report })
        await audit.record({
          tenant_id: tenantId,
          actor: actor.userId,
          action: 'report.create',
          target: report.report_id,
          data: { room_id: report.room_id, message_id: report.message_id, user_id: report.user_id, reason: report.reason },
        })
      }
      return { report, created: r.created }
    },

    /** The review queue, oldest first; `status` open or resolved (default both). */
    async list(caller: AppCaller, q: { status?: string; limit?: string; cursor?: string }) {
      requireKey(caller)
      const status = q.status === undefined || q.status === '' ? null : q.status
      if (status !== null && status !== 'open' && status !== 'resolved') throw invalid('status', 'status must be open or resolved')
      const page = await store.reports.list(caller.tenant.tenant_id, status, parseLimit(q.limit), q.cursor)
      return { reports: page.rows.map(toReport), next_cursor: page.next_cursor }
    },

    /**
     * Carries out the action, then marks the report resolved (so a resolved report's action has
     * happened). The room ban and mute act for the parent app: above admins, but never on the owner.
     */
    async resolve(caller: AppCaller, reportId: string, body: ResolveReportBody): Promise<Report> {
      requireKey(caller)
      const tenantId = caller.tenant.tenant_id
      const row = await store.reports.get(tenantId, reportId)
      if (!row) throw notFound('report')
      if (row.status !== 'open') throw conflict('the report is already resolved')
      const { action } = body
      if (action === 'delete_message' && !row.message_id) throw invalid('action', 'this report names no message to delete')
      if (action === 'mute_user' || action === 'ban_user') {
        if (!row.user_id) throw invalid('action', 'this report names no user')
        if (!(await store.rooms.get(tenantId, row.room_id))) throw notFound('room')
        checkTarget('api_key', (await store.members.get(row.room_id, row.user_id))?.role)
      }
      if (action === 'delete_message') await messages.removeByModerator(tenantId, row.room_id, row.message_id!)
      else if (action === 'mute_user') await moderation.muteInRoom(tenantId, row.room_id, row.user_id!, 'api_key', body.duration_s)
      else if (action === 'ban_user') await moderation.banInRoom(tenantId, row.room_id, row.user_id!, 'api_key', body.note ?? null, body.duration_s)
      const done = await store.reports.resolve(tenantId, reportId, { action, resolution_note: body.note ?? null, resolved_at: new Date(clock.now()).toISOString() })
      if (!done) throw conflict('the report is already resolved')
      const report = toReport(done)
      events.emit({ type: 'report.resolved', tenantId, report })
      await audit.record({
        tenant_id: tenantId,
        actor: 'api_key',
        action: 'report.resolve',
        target: reportId,
        data: { action, room_id: row.room_id, message_id: row.message_id, user_id: row.user_id, duration_s: body.duration_s ?? null },
      })
      return report
    },
  }
}

export type ReportService = ReturnType<typeof createReportService>
