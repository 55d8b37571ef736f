// Moderation rows (SPEC §14) both stores return, and their wire mappers: bans, mutes, blocks,
// reports, the audit log and what the send path asks about a (room, user) pair.

import type { AuditEntry, Block, Report, ResolveAction, RoomBan, RoomMute, TenantBan } from '../schemas/moderation'
import type { Role, RoomType } from '../schemas/room'

/** One page of rows and the cursor of the next (null on the last). */
export interface Page<T> {
  rows: T[]
  next_cursor: string | null
}

export interface RoomBanRow {
  room_id: string
  user_id: string
  tenant_id: string
  reason: string | null
  created_by: string
  created_at: string
  /** ISO; null: until lifted. */
  expires_at: string | null
}

export type RoomMuteRow = Omit<RoomBanRow, 'reason'>

export interface TenantBanRow {
  tenant_id: string
  user_id: string
  reason: string | null
  created_by: string
  created_at: string
  expires_at: string | null
}

export interface BlockRow {
  tenant_id: string
  user_id: string
  blocked_id: string
  created_at: string
}

export interface ReportRow {
  report_id: string
  tenant_id: string
  room_id: string
  message_id: string | null
  user_id: string | null
  reporter_id: string
  /** message_id, or `user:` + user_id: a reporter has one open report per room and target. */
  target_key: string
  reason: 'spam' | 'abuse' | 'other'
  note: string | null
  status: 'open' | 'resolved'
  action: ResolveAction | null
  resolution_note: string | null
  resolved_at: string | null
  created_at: string
}

export interface AuditRow {
  audit_id: string
  tenant_id: string | null
  actor: string
  action: string
  target: string | null
  /** A JSON object. */
  data: string
  created_at: string
}

/**
 * What a send needs to know beyond membership: the room's kind and read-only flag, the sender's
 * role (null for a non-member), an active mute (muted = 1; muted_until null = until lifted) and,
 * in a dm, whether either user blocks the other.
 */
export interface SendPolicyRow {
  type: RoomType
  read_only: number
  role: Role | null
  muted: number
  muted_until: string | null
  blocked: number
}

export const toRoomBan = (r: RoomBanRow): RoomBan => ({
  room_id: r.room_id,
  user_id: r.user_id,
  reason: r.reason,
  created_by: r.created_by,
  created_at: r.created_at,
  expires_at: r.expires_at,
})

export const toRoomMute = (r: RoomMuteRow): RoomMute => ({
  room_id: r.room_id,
  user_id: r.user_id,
  created_by: r.created_by,
  created_at: r.created_at,
  expires_at: r.expires_at,
})

export const toTenantBan = (r: TenantBanRow): TenantBan => ({
  user_id: r.user_id,
  reason: r.reason,
  created_by: r.created_by,
  created_at: r.created_at,
  expires_at: r.expires_at,
})

export const toBlock = (r: BlockRow): Block => ({ user_id: r.blocked_id, created_at: r.created_at })

export const toReport = (r: ReportRow): Report => ({
  report_id: r.report_id,
  room_id: r.room_id,
  message_id: r.message_id,
  user_id: r.user_id,
  reporter_id: r.reporter_id,
  reason: r.reason,
  note: r.note,
  status: r.status,
  action: r.action,
  resolution_note: r.resolution_note,
  resolved_at: r.resolved_at,
  created_at: r.created_at,
})

export const toAuditEntry = (r: AuditRow): AuditEntry => ({
  audit_id: r.audit_id,
  tenant_id: r.tenant_id,
  actor: r.actor,
  action: r.action,
  target: r.target,
  data: JSON.parse(r.data),
  created_at: r.created_at,
})
