// Moderation wire shapes (SPEC §14): bans, mutes, blocks, reports and the audit log.

import { Type as t, type Static } from '@sinclair/typebox'
import { JsonObject, Nullable, PathId, QueryInteger, ServiceChecked, Timestamp, UserId } from './common'
import { EX } from './examples'

/** The longest ban or mute with an end (a year); without duration_s it lasts until lifted. */
export const MAX_DURATION_S = 31_536_000
const DurationS = t.Integer({ minimum: 1, maximum: MAX_DURATION_S, description: 'seconds until it ends on its own (at most a year); absent: until lifted' })
const ExpiresAt = Nullable(Timestamp)
const NextCursor = Nullable(t.String({ description: 'pass as `cursor` for the next page; null on the last page' }))
const Reason = t.String({ minLength: 1, maxLength: 500, description: 'why, for the moderators (at most 500 characters)' })
const CreatedBy = t.String({ description: 'who did it: a user id, or api_key' })

export const UserParams = t.Object({ user_id: t.String({ ...UserId, description: 'The user.', examples: ['mallory'] }) })

export const BanBody = t.Object(
  { user_id: UserId, reason: t.Optional(Reason), duration_s: t.Optional(DurationS) },
  { examples: [{ user_id: 'mallory', reason: 'spam links', duration_s: 86400 }] },
)
export type BanBody = Static<typeof BanBody>
export const MuteBody = t.Object({ user_id: UserId, duration_s: t.Optional(DurationS) }, { examples: [{ user_id: 'mallory', duration_s: 600 }] })
export type MuteBody = Static<typeof MuteBody>

const exampleBan = { room_id: EX.roomId, user_id: 'mallory', reason: 'spam links', created_by: 'alice', created_at: EX.at, expires_at: EX.later }
export const RoomBan = t.Object(
  { room_id: t.String(), user_id: t.String(), reason: Nullable(t.String()), created_by: CreatedBy, created_at: Timestamp, expires_at: ExpiresAt },
  { description: 'A user kept out of a room until expires_at (null: until lifted).', examples: [exampleBan] },
)
export type RoomBan = Static<typeof RoomBan>
export const RoomBanList = t.Object({ bans: t.Array(RoomBan), next_cursor: NextCursor }, { examples: [{ bans: [exampleBan], next_cursor: null }] })

const exampleMute = { room_id: EX.roomId, user_id: 'mallory', created_by: 'alice', created_at: EX.at, expires_at: EX.later }
export const RoomMute = t.Object(
  { room_id: t.String(), user_id: t.String(), created_by: CreatedBy, created_at: Timestamp, expires_at: ExpiresAt },
  { description: 'A member who may read but not send or react until expires_at (null: until lifted).', examples: [exampleMute] },
)
export type RoomMute = Static<typeof RoomMute>
export const RoomMuteList = t.Object({ mutes: t.Array(RoomMute), next_cursor: NextCursor }, { examples: [{ mutes: [exampleMute], next_cursor: null }] })

const exampleTenantBan = { user_id: 'mallory', reason: 'fraud', created_by: 'api_key', created_at: EX.at, expires_at: null }
export const TenantBan = t.Object(
  { user_id: t.String(), reason: Nullable(t.String()), created_by: CreatedBy, created_at: Timestamp, expires_at: ExpiresAt },
  { description: 'A user shut out of the whole tenant: every REST call 403, WebSocket connections closed 1008.', examples: [exampleTenantBan] },
)
export type TenantBan = Static<typeof TenantBan>
export const TenantBanList = t.Object({ bans: t.Array(TenantBan), next_cursor: NextCursor }, { examples: [{ bans: [exampleTenantBan], next_cursor: null }] })

export const Block = t.Object({ user_id: t.String({ description: 'the blocked user' }), created_at: Timestamp }, { description: 'A user the caller blocks.', examples: [{ user_id: 'mallory', created_at: EX.at }] })
export type Block = Static<typeof Block>
export const BlockList = t.Object({ blocks: t.Array(Block), next_cursor: NextCursor }, { examples: [{ blocks: [{ user_id: 'mallory', created_at: EX.at }], next_cursor: null }] })

export const ReportReason = t.Union([t.Literal('spam'), t.Literal('abuse'), t.Literal('other')])
export const ResolveAction = t.Union([t.Literal('dismiss'), t.Literal('delete_message'), t.Literal('mute_user'), t.Literal('ban_user')])
export type ResolveAction = Static<typeof ResolveAction>
const Note = t.String({ minLength: 1, maxLength: 1000, description: 'free text, at most 1,000 characters' })

export const CreateReportBody = t.Object(
  {
    room_id: t.String({ minLength: 1, maxLength: 64 }),
    message_id: t.Optional(t.String({ minLength: 1, maxLength: 64, description: 'the message reported (its sender is the reported user)' })),
    user_id: t.Optional(UserId),
    reason: ReportReason,
    note: t.Optional(Note),
  },
  { examples: [{ room_id: EX.roomId, message_id: EX.messageId, reason: 'spam', note: 'the same link in every room' }] },
)
export type CreateReportBody = Static<typeof CreateReportBody>

export const ResolveReportBody = t.Object(
  {
    action: ResolveAction,
    duration_s: t.Optional(t.Integer({ minimum: 1, maximum: MAX_DURATION_S, description: 'for mute_user and ban_user: seconds until it ends (absent: until lifted)' })),
    note: t.Optional(Note),
  },
  { examples: [{ action: 'mute_user', duration_s: 3600, note: 'first warning' }] },
)
export type ResolveReportBody = Static<typeof ResolveReportBody>

const exampleReport = {
  report_id: 'rpt_6eF9hJ2kM5nP8qR1sT4vW7',
  room_id: EX.roomId,
  message_id: EX.messageId,
  user_id: 'mallory',
  reporter_id: 'bob',
  reason: 'spam',
  note: 'the same link in every room',
  status: 'open',
  action: null,
  resolution_note: null,
  resolved_at: null,
  created_at: EX.at,
}
export const Report = t.Object(
  {
    report_id: t.String(),
    room_id: t.String(),
    message_id: Nullable(t.String()),
    user_id: Nullable(t.String({ description: 'the reported user' })),
    reporter_id: t.String(),
    reason: ReportReason,
    note: Nullable(t.String()),
    status: t.Union([t.Literal('open'), t.Literal('resolved')]),
    action: t.Union([...ResolveAction.anyOf, t.Null()], { description: 'what resolving it did; null while open' }),
    resolution_note: Nullable(t.String()),
    resolved_at: Nullable(Timestamp),
    created_at: Timestamp,
  },
  { description: 'A report of a message or a user, waiting in the review queue or resolved.', examples: [exampleReport] },
)
export type Report = Static<typeof Report>
export const ReportList = t.Object({ reports: t.Array(Report), next_cursor: NextCursor }, { examples: [{ reports: [exampleReport], next_cursor: null }] })
export const ReportQuery = t.Object({
  status: t.Optional(
    ServiceChecked(t.String(), t.Union([t.Literal('open'), t.Literal('resolved')], { description: 'Only open or only resolved reports (default: both).' })),
  ),
  limit: t.Optional(QueryInteger({ description: 'Page size.', minimum: 1, maximum: 200, default: 50, examples: [50] })),
  cursor: t.Optional(t.String({ description: 'The `next_cursor` of the previous page (opaque); absent for the first page.' })),
})
export const ReportParams = t.Object({ report_id: PathId('The report (rpt_…).', exampleReport.report_id) })

const exampleAudit = {
  audit_id: 'aud_1aB4cD7eF0gH3jK6mN9pQ2',
  tenant_id: EX.tenantId,
  actor: 'alice',
  action: 'room.ban',
  target: 'mallory',
  data: { room_id: EX.roomId, reason: 'spam links', duration_s: 86400 },
  created_at: EX.at,
}
export const AuditEntry = t.Object(
  {
    audit_id: t.String(),
    tenant_id: Nullable(t.String({ description: 'null for actions on the server itself (backups)' })),
    actor: t.String({ description: 'a user id, api_key or admin' }),
    action: t.String({ description: 'what was done, e.g. room.ban, user.unban, report.resolve, tenant.rotate' }),
    target: Nullable(t.String({ description: 'what it was done to: a user, room, report, tenant or dead letter id' })),
    data: { ...JsonObject, description: 'details of the action; never a secret' },
    created_at: Timestamp,
  },
  { description: 'One moderation or admin action.', examples: [exampleAudit] },
)
export type AuditEntry = Static<typeof AuditEntry>
export const AuditList = t.Object({ entries: t.Array(AuditEntry), next_cursor: NextCursor }, { examples: [{ entries: [exampleAudit], next_cursor: null }] })
export const AdminAuditQuery = t.Object({
  tenant_id: t.Optional(t.String({ description: "only this tenant's entries (default: every entry, the server's own included)" })),
  limit: t.Optional(QueryInteger({ description: 'Page size.', minimum: 1, maximum: 200, default: 50, examples: [50] })),
  cursor: t.Optional(t.String({ description: 'The `next_cursor` of the previous page (opaque); absent for the first page.' })),
})
