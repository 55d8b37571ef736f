// The storage port (ARCHITECTURE §4/§6, SPEC §9): what services may ask of a store, method by method.
// Two implementations: db/sqlite/ (bun:sqlite, the default) and db/postgres/ (SPEC §9, several
// instances on one database). test/store/contract.test.ts runs one behavioural suite against both.
//
// Every method is one atomic business step: one statement, or one transaction where it writes more
// than one row. Every return type is `Result<T>`: the PostgreSQL store answers with promises; the
// SQLite store answers synchronously, and must stay that way. Services `await` every call (one
// microtask on SQLite), but two properties rest on SQLite answering at once:
//  - ws/sync.ts subscribes a socket to a room right after its last read with no macrotask in
//    between, so no message committed by the group commit (its own macrotask) can fall between the
//    two (no gap, no repeat). An `await` of real I/O in a SQLite method would open that window.
//  - services/group-commit.ts flushes a SQLite batch without an extra tick, so the commit order is
//    the publish order without any queueing of its own.
// Cursors are opaque strings made by db/cursor.ts; an invalid one is VALIDATION_ERROR on `cursor`.

import type { Room, Role } from '../schemas/room'
import type { Reactor } from '../schemas/reaction'
import type {
  AppendResult,
  AttemptResult,
  Changed,
  ChangeResult,
  ChangeRow,
  DeadLetterRow,
  DeliveryRow,
  DoomedUpload,
  MemberRow,
  Membership,
  MessageRow,
  NewDelivery,
  NewMessage,
  NewRoom,
  NewUpload,
  NotificationRow,
  PageRow,
  PageStamp,
  ReactionOp,
  ResultPolicy,
  RoomListPage,
  RoomRow,
  SecretColumn,
  SubscriptionRow,
  TenantRow,
  UploadRow,
} from './rows'
import type { AuditStore, ModerationStore, ReportStore } from './moderation-port'

import type { SearchPage, SearchRequest } from './search-query'

import type { EraseStore, ExportStore, JobStore, NewJob, PurgeStore } from './lifecycle'

/** A value now (SQLite) or later (PostgreSQL). */
export type Result<T> = T | Promise<T>

export interface TenantStore {
  insert(row: TenantRow): Result<void>
  get(tenantId: string): Result<TenantRow | null>
  /** The tenant whose API key hashes to `hash` (sha256 hex), or null. */
  byKeyHash(hash: string): Result<TenantRow | null>
  /** All tenants, oldest first. */
  list(): Result<TenantRow[]>
  /** Sets name and/or the whole config JSON; the row after the update, or null when absent. */
  update(tenantId: string, patch: { name?: string; config?: string }): Result<TenantRow | null>
  /** Replaces one secret column; the old value stops matching at once. False when absent. */
  setSecret(tenantId: string, column: SecretColumn, value: string): Result<boolean>
  /** Rooms and stored messages the tenant holds (GET /v1/admin/tenants/:id). */
  usage(tenantId: string): Result<{ rooms: number; messages: number }>
  /** Tenants oldest first, `limit` per page (GET /v1/admin/tenants). */
  page(limit: number, cursor?: string): Result<{ rows: TenantRow[]; next_cursor: string | null }>
  /**
   * Deletes a tenant (SPEC §15): from this commit on its key, tokens and id are not found (every read
   * above leaves deleted tenants out), and its tenant.delete job is recorded in the same step. False
   * when there is no such tenant.
   */
  markDeleted(tenantId: string, at: string, job: Omit<NewJob, 'total'>): Result<boolean>
}

export interface RoomStore {
  /** The room if it exists in this tenant (another tenant's id answers null, like a missing one). */
  get(tenantId: string, roomId: string): Result<RoomRow | null>
  /** Creates a room with its members. A dm whose unique_key exists returns that room, created=false. */
  create(tenantId: string, room: NewRoom): Result<{ room: RoomRow; created: boolean }>
  /** Sets name, metadata JSON and/or the read-only flag; the row after the update, or null when absent. */
  update(tenantId: string, roomId: string, patch: { name?: string; metadata?: string; read_only?: boolean }): Result<RoomRow | null>
  /**
   * The user's rooms, most recently active first, with unread counts and the last message. Reads
   * one index range of the user's memberships (db/room-list.ts) plus all of their memberships of
   * rooms over 100 members; `large_memberships` says how many those were (what the page cost).
   */
  listForUser(tenantId: string, userId: string, limit: number, cursor?: string): Result<RoomListPage>
  /** The tenant's channels, oldest first (discovery). */
  listChannels(tenantId: string, limit: number, cursor?: string): Result<{ channels: Room[]; next_cursor: string | null }>
  /**
   * Deletes a room (SPEC §15): from this commit on it is not found, takes no message, and is in no
   * room list; its room.delete job is recorded in the same step. The room as it was, or null.
   */
  markDeleted(tenantId: string, roomId: string, at: string, job: Omit<NewJob, 'total'>): Result<RoomRow | null>
}

export interface MemberStore {
  get(roomId: string, userId: string): Result<MemberRow | null>
  /** Members whose ack is below the room's last_seq (redelivery candidates). */
  laggards(roomId: string): Result<{ user_id: string; last_ack: number; last_seq: number }[]>
  /** Every room of the user with their ack and the room's size (WS subscribe, sync, presence). */
  membershipsOf(tenantId: string, userId: string): Result<Membership[]>
  /** Members by join time. */
  page(roomId: string, limit: number, cursor?: string): Result<{ rows: MemberRow[]; next_cursor: string | null }>
  userIds(roomId: string): Result<string[]>
  /** The distinct members of any of these rooms (presence audiences; callers keep the list short). */
  userIdsIn(roomIds: string[]): Result<string[]>
  /**
   * Adds users; existing members keep their role. CONFLICT when the room would pass maxMembers.
   * Returns every named member (new and existing) and the set of those added now. When any of the
   * new users is banned from the room at `at` (SPEC §14), nothing is added and `banned` names them
   * (checked inside the same transaction, so a ban and a join on two instances cannot both win).
   * A room that grows past 100 members clears the activity second its member rows carry (db/room-list.ts).
   */
  add(
    tenantId: string,
    roomId: string,
    userIds: string[],
    role: Role,
    at: string,
    maxMembers: number,
  ): Result<{ rows: MemberRow[]; added: Set<string>; banned: string[] }>
  /**
   * Removes one member (and counts them out of the room); false when they were not a member. A
   * room back at 100 members carries its activity second on its member rows again.
   */
  remove(roomId: string, userId: string): Result<boolean>
  /** Moves the ack forward only; the resulting ack, or null for a non-member. */
  advanceAck(roomId: string, userId: string, seq: number): Result<number | null>
  /** Moves the read marker (and the ack with it) forward only; null for a non-member. */
  advanceRead(roomId: string, userId: string, seq: number): Result<{ last_read: number; last_ack: number } | null>
}

export interface MessageStore {
  /**
   * The group commit (SPEC §6): appends every item in one transaction, one result per item in
   * order. Each gets the room's next seq (gap-free: a failed item takes none) and moves its
   * sender's ack and read marker. A client_msg_id the sender already used in the room answers the
   * original row with created=false. A room of at most 100 members moved into a new second has
   * that second written on its member rows (the room list's index). A failure of the whole
   * transaction throws.
   */
  appendBatch(items: NewMessage[]): Result<AppendResult[]>
  get(roomId: string, messageId: string): Result<MessageRow | null>
  bySeq(roomId: string, seq: number): Result<MessageRow | null>
  /** The message the sender already stored in the room under this client_msg_id, or null. */
  byClientId(roomId: string, senderId: string, clientMsgId: string): Result<MessageRow | null>
  /** Up to `limit` messages with seq > afterSeq, ascending; `topLevel` leaves replies out. */
  after(roomId: string, afterSeq: number, limit: number, topLevel?: boolean): Result<PageRow[]>
  /** Up to `limit` messages with seq < beforeSeq, ascending; `topLevel` leaves replies out. */
  before(roomId: string, beforeSeq: number, limit: number, topLevel?: boolean): Result<PageRow[]>
  /**
   * The room's last_seq, last_rev and first_seq, or null for a deleted or unknown room. Every
   * write to a room's messages must move one of them in its own transaction: the history cache
   * trusts a window of pages while the stamp stays the same.
   */
  stamp(roomId: string): Result<PageStamp | null>
  /** Up to `limit` replies of `parentId` with seq above `seq` (with `back`: below it), ascending. */
  replies(roomId: string, parentId: string, seq: number, limit: number, back?: boolean): Result<PageRow[]>
  /**
   * The change feed (SPEC §11.1): up to `limit` messages with rev > afterRev in ascending rev, each
   * once in its current state, and the room's last_rev read with them; only revs up to it are
   * returned, so a client that stores it misses nothing.
   */
  changes(roomId: string, afterRev: number, limit: number): Result<{ rows: ChangeRow[]; last_rev: number }>
  /**
   * Sets content and/or meta (null keeps them) and, when `mentions` is not null, replaces the
   * mentions (message and mention rows); sets edited_at and the room's next rev (an `edited` change
   * by `userId`). A deleted message is a CONFLICT, checked inside the transaction.
   */
  edit(roomId: string, seq: number, patch: { content: string | null; meta: string | null; mentions: string[] | null }, userId: string, at: string): Result<MessageRow>
  /**
   * Blanks content and meta, drops mentions, attachments, reactions and the pin, sets deleted_at and
   * the next rev (a `deleted` change by `userId`); the seq stays. In the same step the message lets
   * go of its uploads: one that no other message lists is doomed. Already deleted: the row as it is,
   * changed=false.
   */
  tombstone(roomId: string, seq: number, userId: string, at: string): Result<Changed>
}

/**
 * Reactions (SPEC §11.4). Each change is one transaction that also writes the message's summary
 * (`reactions` JSON) and takes the room's next rev; a deleted message is a CONFLICT.
 */
export interface ReactionStore {
  /**
   * The reaction group commit: every op in one transaction (one fsync on SQLite), one result per op
   * in order; each op atomic on its own (a savepoint), so a failing op fails alone. `add` of a
   * reaction already there and `remove` of one not there answer changed=false (no rev). A 26th
   * distinct key, or a deleted message, is that op's CONFLICT. A failure of the whole transaction throws.
   */
  apply(ops: ReactionOp[]): Result<ChangeResult[]>
  /** Every reaction of the message (or of one key), earliest first; the cursor is opaque. */
  list(roomId: string, seq: number, key: string | null, limit: number, cursor?: string): Result<{ reactions: Reactor[]; next_cursor: string | null }>
}

/** Pins (SPEC §11.6): each change takes the room's next rev; a deleted message is a CONFLICT. */
export interface PinStore {
  /** Pins; already pinned: changed=false. A pin past `max` in the room is a CONFLICT. */
  pin(roomId: string, seq: number, userId: string, at: string, max: number): Result<Changed>
  /** Unpins; not pinned: changed=false. */
  unpin(roomId: string, seq: number, userId: string): Result<Changed>
  /** The room's pinned messages, newest pin first. */
  list(roomId: string): Result<PageRow[]>
}

/** Mentions (SPEC §11.5): the rows messages.appendBatch/edit/tombstone write, read for counts and lists. */
export interface MentionStore {
  /** Which of `userIds` are members of the room now. */
  membersAmong(roomId: string, userIds: string[]): Result<string[]>
  /** Per room of `roomIds`, how many messages mention the user above their read marker (absent: 0). */
  unreadCounts(tenantId: string, userId: string, roomIds: string[]): Result<Record<string, number>>
  /** Messages that mention the user in rooms they are a member of now, newest first. */
  listForUser(tenantId: string, userId: string, limit: number, cursor?: string): Result<{ rows: PageRow[]; next_cursor: string | null }>
}

/**
 * Uploaded files' rows (SPEC §12); the files live in a BlobStore. A doomed row (deleted_at set) is
 * invisible to every read until the sweep has removed its file and then the row.
 */
export interface UploadStore {
  /** Stores the row and charges the tenant's usage in one step; false (nothing stored) when the usage would pass `quota` bytes. */
  insert(row: NewUpload, quota: number | null): Result<boolean>
  /** The live upload in this tenant, or null. */
  get(tenantId: string, uploadId: string): Result<UploadRow | null>
  /** The live upload with this id in any tenant (a signed URL names no tenant: its signature vouches). */
  getSigned(uploadId: string): Result<UploadRow | null>
  /** The live uploads among `ids` that this user uploaded in this tenant. */
  ownedBy(tenantId: string, uploaderId: string, ids: readonly string[]): Result<UploadRow[]>
  /** True when the user is a member of a room with a message that lists the upload. */
  visibleTo(uploadId: string, userId: string): Result<boolean>
  /** Live uploads and their bytes (tenant usage figures and the quota). */
  usage(tenantId: string): Result<{ uploads: number; bytes: number }>
  /** Dooms up to `limit` uploads created before `beforeIso` that no message ever listed; how many. */
  claimOrphans(beforeIso: string, nowIso: string, limit: number): Result<number>
  /** Doomed uploads whose files are still to be removed, oldest first. */
  doomed(limit: number): Result<DoomedUpload[]>
  /** Deletes the rows of doomed uploads whose files are gone. */
  purge(uploadIds: readonly string[]): Result<void>
}

export interface NotificationStore {
  /** Stores a notification and one pending target per recipient. */
  create(n: NotificationRow, recipients: string[]): Result<void>
  /** The user's unacknowledged, unexpired notifications, oldest first. */
  pendingFor(tenantId: string, userId: string, now: number): Result<NotificationRow[]>
  /** Marks one notification delivered to the user; false when it was not pending for them. */
  ack(tenantId: string, userId: string, notificationId: string): Result<boolean>
  /** Deletes expired notifications (their targets go with them); how many. */
  deleteExpired(now: number): Result<number>
  /** Subscribes; the same user, topic and endpoint again answers the existing row, created=false. */
  subscribe(row: SubscriptionRow): Result<{ row: SubscriptionRow; created: boolean }>
  subscriptionsOf(tenantId: string, userId: string): Result<SubscriptionRow[]>
  /** Deletes one of the user's subscriptions; false when it is not theirs or absent. */
  unsubscribe(tenantId: string, userId: string, id: string): Result<boolean>
  /** Users subscribed to the topic. */
  subscribersOf(tenantId: string, topic: string): Result<string[]>
  /** Subscriptions of the topic that name an HTTP endpoint. */
  endpointsFor(tenantId: string, topic: string): Result<SubscriptionRow[]>
}

/** The HTTP outbox. Only the main thread writes it; the delivery worker reads (and, on PostgreSQL, leases). */
export interface DeliveryStore {
  /** Pending rows due by `now`, oldest first, except those for `skipUrls`. */
  due(now: number, limit: number, skipUrls?: string[]): Result<DeliveryRow[]>
  pendingCount(): Result<number>
  /** When the earliest pending row is due (epoch ms), or null when none is pending. */
  nextDueAt(): Result<number | null>
  /** Enqueues many deliveries in one transaction (the outbox's group commit). */
  enqueue(rows: NewDelivery[]): Result<void>
  /**
   * Runs `fn` as one commit where the store has one (SQLite: one immediate transaction; with
   * `relaxed` the commit does not wait for fsync, for writes that are safe to lose). PostgreSQL
   * runs `fn` as it is: each call inside is atomic on its own.
   */
  atomically<T>(fn: () => T, opts?: { relaxed?: boolean }): Result<T>
  get(id: string): Result<DeliveryRow | null>
  /** A successful attempt; false when the row was not pending. */
  markDelivered(id: string, at: string): Result<boolean>
  /** Records a failed attempt and schedules the next; the row after, or null. */
  markFailed(id: string, error: string, at: string, nextAt: number): Result<DeliveryRow | null>
  /** An attempt skipped by an open circuit: not counted, just later (SPEC §6). */
  postpone(id: string, nextAt: number): Result<void>
  markDead(id: string): Result<void>
  /** Deletes a dead row (its dead letter was deleted: nothing can retry it any more). */
  deleteDead(id: string): Result<void>
  /** A dead row back to pending with attempts reset; false when absent. */
  requeue(id: string, now: number): Result<boolean>
  /** Deletes delivered rows created before `beforeIso`; how many. */
  cleanupDelivered(beforeIso: string): Result<number>
}

export interface DeadLetterStore {
  insert(row: DeadLetterRow): Result<void>
  get(id: string): Result<DeadLetterRow | null>
  delete(id: string): Result<boolean>
  deleteForDelivery(deliveryId: string): Result<void>
  /** Filtered, newest first. */
  list(filter: { tenant_id?: string; kind?: string; limit: number }): Result<DeadLetterRow[]>
  /** Dead letters of kind `message` (redelivery clears them once the ack passes). */
  messageLetters(): Result<DeadLetterRow[]>
  count(): Result<number>
}

/**
 * Full-text search (SPEC §13). PostgreSQL answers from its GIN index in one statement. The SQLite
 * store's own answer brings an in-memory index up to date first (a walk over every room): it is
 * for `:memory:` and the store tests; a server with a database file asks the search worker instead
 * (workers/search-client.ts), which runs the same index code over its own connections.
 */
export interface SearchStore {
  /**
   * One page of the messages matching `req.terms` in the user's rooms now (or in `req.roomId`, whose
   * access the caller checked), newest first; deleted messages never, edited ones by their current
   * content. A cursor this store did not make is VALIDATION_ERROR on `cursor`.
   */
  query(req: SearchRequest): Result<SearchPage>
}

/** Everything the services may call on a store; both implementations satisfy it. */
export interface Store {
  tenants: TenantStore
  rooms: RoomStore
  members: MemberStore
  messages: MessageStore
  reactions: ReactionStore
  pins: PinStore
  mentions: MentionStore
  notifications: NotificationStore
  deliveries: DeliveryStore
  deadLetters: DeadLetterStore
  uploads: UploadStore
  moderation: ModerationStore
  reports: ReportStore
  audit: AuditStore
  /**
   * Records a batch of the delivery worker's attempt results in one step: a failure schedules the
   * next try, the last one makes the row dead with a dead letter, a success clears its dead letter.
   */
  applyDeliveryResults(results: AttemptResult[], policy: ResultPolicy): Result<void>
  /** Small key-value settings of the deployment (epoch, clean-stop marks, the upload URL key). */
  meta: {
    get(key: string): Result<string | null>
    set(key: string, value: string): Result<void>
    /** Stores `value` unless the key has one; returns the stored value (the first writer's, on every instance). */
    setIfAbsent(key: string, value: string): Result<string>
  }
  /** The /health write probe: could a maximal message be stored right now? */
  writable(): Result<boolean>
  /** Size of the SQLite WAL file (0 on PostgreSQL, which manages its own). */
  walBytes(): Result<number>
  search: SearchStore
  /** The data lifecycle (SPEC §15): background jobs, their bounded steps, and export reads. */
  jobs: JobStore
  purge: PurgeStore
  erase: EraseStore
  exports: ExportStore
}

export type { MemberRow, MessageRow, NewMessage, RoomRow, TenantRow } from './rows'
