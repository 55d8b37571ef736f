// The dialect-neutral side of the data lifecycle (SPEC §15): job rows, what a background step
// answers, the erase cursor and the export cursor. db/sqlite/ and db/postgres/ implement the steps
// alike (each one transaction that also moves its job's progress); services and workers read these.

import type { MessageChange } from '../schemas/change'
import type { Role } from '../schemas/room'
import type { MemberRow, MessageRow, PageRow, SubscriptionRow, UploadRow } from './rows'
import type { BlockRow } from './moderation-rows'

/** A value now (SQLite) or later (PostgreSQL), as in db/types.ts. */
type Result<T> = T | Promise<T>

// ── Jobs

export type JobKind = 'room.delete' | 'user.erase' | 'tenant.delete'
export type JobStatus = 'running' | 'done' | 'failed'

export interface JobRow {
  job_id: string
  tenant_id: string
  kind: JobKind
  /** The room, user or tenant id the job works on. */
  target: string
  status: JobStatus
  done: number
  total: number
  /** JSON: where the next step starts (erase), or null. */
  cursor: string | null
  error: string | null
  created_at: string
  finished_at: string | null
  /** Epoch ms: the instance running the job holds it until then (PostgreSQL, several instances). */
  lease_until: number | null
}

export type NewJob = Pick<JobRow, 'job_id' | 'tenant_id' | 'kind' | 'target' | 'total' | 'created_at'>

// ── Steps

/**
 * What one step did. `finished`: this step ended the job (its last rows went now). `over`: the job
 * is not running any more (it ended now, or earlier: another instance, a failure, its tenant gone).
 */
export interface StepResult {
  removed: number
  finished: boolean
  over: boolean
}

/** A room a retention pass may trim: live, with at least one stored message. */
export interface RetentionRoom {
  room_id: string
  first_seq: number
  last_seq: number
}

// ── Erasure

/** Where an erasure stands: its phase, and in `messages` the room and seq its scan reached. */
export type EraseCursor =
  | { phase: 'members' }
  | { phase: 'messages'; room: string | null; seq: number; next: boolean }
  | { phase: 'reactions' }
  | { phase: 'rest' }

/** A membership the step removed; `owner` is who owns the room now when the erased user did. */
export interface LeftRoom {
  room_id: string
  role: Role
  owner: string | null
}

export interface EraseStep {
  /** This step ended the job. */
  finished: boolean
  /** The job is not running any more (ended now or earlier). */
  over: boolean
  left: LeftRoom[]
  /** Their messages deleted in this step, as a delete is (for message.deleted frames and webhooks). */
  deleted: MessageRow[]
  /** Messages whose reaction of theirs went in this step, with that change (message.updated). */
  updated: { row: MessageRow; change: MessageChange }[]
}

/** Rows of seq scanned per `max` of a step: the window bounds the work of a step, not just its writes. */
export const SCAN_PER_ROW = 4

export const parseEraseCursor = (c: string | null): EraseCursor => (c ? (JSON.parse(c) as EraseCursor) : { phase: 'members' })

// ── Exports

/** Where a walk over the tenant's rooms stands: in `room` after `seq`, or (`next`) past that room. */
export interface SentByCursor {
  room: string
  seq: number
  next: boolean
}

/** Rows of seq one sentBy call scans at most (it may return fewer rows than asked and a cursor). */
export const SENT_BY_SCAN = 5000

/** A reaction as the user export lists it: the message it is on, the key and when. */
export interface ReactionExportRow {
  room_id: string
  seq: number
  message_id: string
  key: string
  created_at: string
}

/** Where the user export's reaction walk stands (the reactions_by_user index order). */
export type ReactionCursor = [room_id: string, seq: number, key: string]

// ── The store's lifecycle groups (db/types.ts Store): both stores implement them alike.

export interface JobStore {
  get(jobId: string): Result<JobRow | null>
  /** Records a new running job (user erasure: nothing else changes at once). */
  create(job: NewJob): Result<void>
  /**
   * Running jobs, oldest first, for this process to run, held until now + leaseMs. PostgreSQL gives
   * each job to one instance at a time (a lease left by a dead instance expires); SQLite has one
   * process per file, so it answers every running job.
   */
  claim(now: number, leaseMs: number, limit: number): Result<JobRow[]>
  /** Extends this process's hold on a running job; false when it is not running any more. */
  renew(jobId: string, until: number): Result<boolean>
  /** Ends a running job as failed with a reason; false when it was not running. */
  fail(jobId: string, error: string, at: string): Result<boolean>
}

/**
 * The background deletes. Every method is one transaction that writes at most `max` rows; a job
 * step also moves its job's progress in that transaction (so a restarted job resumes after it).
 */
export interface PurgeStore {
  /** A tenant's live rooms with stored messages, by id after `afterRoomId` (null: from the start). */
  retentionRooms(tenantId: string, afterRoomId: string | null, limit: number): Result<RetentionRoom[]>
  /**
   * Retention: removes the room's oldest messages created before `cutoffIso` (a prefix: it stops at
   * the first one new enough to keep), at most `max`, and moves first_seq past them. Their uploads
   * are doomed (at `at`) once no message lists them.
   */
  expire(roomId: string, cutoffIso: string, max: number, at: string): Result<{ removed: number; first_seq: number }>
  /** A room.delete step: messages first, then members (returned: their sockets let the room go), then the room. */
  roomStep(jobId: string, roomId: string, max: number, at: string): Result<StepResult & { members: string[] }>
  /** A tenant.delete step: its rooms one by one, then its other rows, then the tenant row. */
  tenantStep(jobId: string, tenantId: string, max: number, at: string): Result<StepResult>
}

export interface EraseStore {
  /** Records a user.erase job (its total: the user's memberships, the tenant's rooms, one for the rest). */
  begin(job: Omit<NewJob, 'total'>): Result<void>
  /** One step: memberships (ownership passed on), then their messages room by room, then the rest. */
  step(jobId: string, tenantId: string, userId: string, max: number, at: string): Result<EraseStep>
}

/** Keyset reads for the streamed exports, on a connection of their own where the store has one. */
export interface ExportStore {
  roomMembers(roomId: string, limit: number, cursor?: string): Result<{ rows: MemberRow[]; next_cursor: string | null }>
  roomMessages(roomId: string, afterSeq: number, limit: number): Result<PageRow[]>
  /** The user's memberships of live rooms, by room id after `afterRoomId` ('' from the start). */
  memberships(tenantId: string, userId: string, afterRoomId: string, limit: number): Result<MemberRow[]>
  /** Messages the user sent, room by room; scans at most SENT_BY_SCAN seqs; cursor null when done. */
  sentBy(tenantId: string, userId: string, cursor: SentByCursor | null, limit: number): Result<{ rows: PageRow[]; cursor: SentByCursor | null }>
  subscriptions(tenantId: string, userId: string, afterId: string, limit: number): Result<SubscriptionRow[]>
  /** The user's live uploads by id after `afterId` ('' from the start). */
  uploads(tenantId: string, userId: string, afterId: string, limit: number): Result<UploadRow[]>
  /** The user's reactions in (room, seq, key) order after `after` (null: from the start). */
  reactions(tenantId: string, userId: string, after: ReactionCursor | null, limit: number): Result<ReactionExportRow[]>
  /** The users this user blocks, by blocked id after `afterId` ('' from the start). */
  blocks(tenantId: string, userId: string, afterId: string, limit: number): Result<BlockRow[]>
}
