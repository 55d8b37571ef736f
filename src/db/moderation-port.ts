// The moderation part of the storage port (SPEC §14): bans, mutes, blocks, the send-policy read,
// reports and the audit log. src/db/types.ts composes these into Store; both stores implement them
// (db/sqlite/moderation.ts and reports.ts, db/postgres/ likewise) and test/store/moderation-contract
// runs one suite against both.

import type { MemberRow } from './rows'
import type { AuditRow, BlockRow, Page, ReportRow, RoomBanRow, RoomMuteRow, SendPolicyRow, TenantBanRow } from './moderation-rows'

/** A value now (SQLite) or later (PostgreSQL), as in types.ts. */
type Result<T> = T | Promise<T>

/**
 * Moderation state (SPEC §14). `now` is an ISO timestamp: a ban or mute is in force while its
 * expires_at is null or later than now; an expired row is ignored by every read and replaced or
 * removed by the next write of the same key. Lists are oldest first.
 */
export interface ModerationStore {
  /**
   * Bans a user from a room (replacing a ban already there) and ends their membership, in one
   * transaction; the membership it ended, or null when they were not a member.
   */
  banFromRoom(ban: RoomBanRow): Result<MemberRow | null>
  /** Removes the room ban of the user; the ban if one was in force at `now`, else null. */
  unbanFromRoom(roomId: string, userId: string, now: string): Result<RoomBanRow | null>
  /** Those of `userIds` banned from the room at `now`. */
  bannedFromRoom(roomId: string, userIds: string[], now: string): Result<string[]>
  roomBans(roomId: string, now: string, limit: number, cursor?: string): Result<Page<RoomBanRow>>
  /** Mutes a user in a room (replacing a mute already there). */
  muteInRoom(mute: RoomMuteRow): Result<void>
  /** Removes the user's mute in the room; the mute if one was in force at `now`, else null. */
  unmuteInRoom(roomId: string, userId: string, now: string): Result<RoomMuteRow | null>
  roomMutes(roomId: string, now: string, limit: number, cursor?: string): Result<Page<RoomMuteRow>>
  /** What a send by `userId` into the room needs besides membership (one read); null when the room is not the tenant's. */
  sendPolicy(tenantId: string, roomId: string, userId: string, now: string): Result<SendPolicyRow | null>
  /** Bans a user from the whole tenant (replacing a ban already there). */
  banFromTenant(ban: TenantBanRow): Result<void>
  unbanFromTenant(tenantId: string, userId: string, now: string): Result<TenantBanRow | null>
  /** The user's tenant ban in force at `now`, or null. */
  tenantBan(tenantId: string, userId: string, now: string): Result<TenantBanRow | null>
  tenantBans(tenantId: string, now: string, limit: number, cursor?: string): Result<Page<TenantBanRow>>
  /** Records that user_id blocks blocked_id; an existing block is answered as it is, created=false. */
  block(row: BlockRow): Result<{ row: BlockRow; created: boolean }>
  /** false when there was no such block. */
  unblock(tenantId: string, userId: string, blockedId: string): Result<boolean>
  /** The users `userId` blocks, oldest first. */
  blocksOf(tenantId: string, userId: string, limit: number, cursor?: string): Result<Page<BlockRow>>
  /** True when either user blocks the other. */
  blockedEitherWay(tenantId: string, a: string, b: string): Result<boolean>
}

export interface ReportStore {
  /** Files a report; an open report of the same reporter, room and target_key is answered instead, created=false. */
  create(row: ReportRow): Result<{ row: ReportRow; created: boolean }>
  get(tenantId: string, reportId: string): Result<ReportRow | null>
  /** Oldest first (the review queue's order); `status` null lists both. */
  list(tenantId: string, status: 'open' | 'resolved' | null, limit: number, cursor?: string): Result<Page<ReportRow>>
  /** Marks an open report resolved; the row after, or null when it was not open (or is absent). */
  resolve(tenantId: string, reportId: string, r: { action: ReportRow['action']; resolution_note: string | null; resolved_at: string }): Result<ReportRow | null>
}

export interface AuditStore {
  insert(row: AuditRow): Result<void>
  /** Newest first; one tenant's entries, or every entry when tenantId is undefined. */
  page(tenantId: string | undefined, limit: number, cursor?: string): Result<Page<AuditRow>>
}
