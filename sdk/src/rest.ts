// RestClient: one typed method per tenant endpoint of SPEC §4 (admin endpoints are not for apps).

import { ChatApiError, ChatClientError, codeForStatus } from './errors'
import { checkCredentials, joinUrl, resolve, type ClientOptions } from './options'
import type {
  AckResult,
  AddMembersBody,
  AddedMembers,
  ChangesPage,
  ChangesQuery,
  AuditList,
  BanBody,
  Block,
  BlockList,
  CreateReportBody,
  MuteBody,
  Report,
  ReportList,
  ReportQuery,
  ResolveReportBody,
  RoomBan,
  RoomBanList,
  RoomMute,
  RoomMuteList,
  UserBan,
  UserBanList,
  ChannelList,
  CreateRoomBody,
  CreateTokenBody,
  ErrorBody,
  ErrorCode,
  HistoryQuery,
  Member,
  MemberList,
  MentionList,
  Message,
  MessageAck,
  MessagePage,
  NotifyBody,
  NotifyResult,
  PageQuery,
  PatchMessageBody,
  PatchRoomBody,
  PinnedList,
  PresenceList,
  ReactorList,
  ReactorQuery,
  SearchQuery,
  SearchResults,
  ReadResult,
  RepliesQuery,
  Room,
  RoomList,
  SendMessageBody,
  SignedUrl,
  Upload,
  SubscribeBody,
  Subscription,
  SubscriptionList,
  TokenResult,
} from './types'
import { describe as describeUpload, sendFile, type UploadBody, type UploadOptions } from './uploads'

type Query = Record<string, string | number | boolean | undefined>

export interface RequestOptions {
  body?: unknown
  query?: Query
  /** Extra headers for this call (an `X-Request-Id`, say). */
  headers?: Record<string, string>
  signal?: AbortSignal
}

const enc = encodeURIComponent

/** Lets the realtime client see what passes through its REST calls (the rooms' change cursors). */
export interface RestObserver {
  room?(r: { room_id: string; last_rev: number }): void
}

/** A JSON answer: the parsed body on 2xx, else a ChatApiError from the error envelope. */
function answer<T>(status: number, text: string, header: (name: string) => string | null, statusText = ''): T {
  let parsed: unknown = undefined
  if (text) {
    try {
      parsed = JSON.parse(text)
    } catch {
      parsed = undefined
    }
  }
  if (status >= 200 && status < 300) return parsed as T
  const env = (parsed as Partial<ErrorBody> | undefined)?.error
  const retry = header('retry-after')
  throw new ChatApiError((env?.code as ErrorCode) ?? codeForStatus(status), env?.message ?? `${status} ${statusText}`.trim(), {
    status,
    field: env?.field,
    requestId: header('x-request-id') ?? undefined,
    retryAfterS: retry ? Number(retry) : undefined,
    source: 'rest',
  })
}

export class RestClient {
  private readonly opts: ClientOptions
  private readonly observer: RestObserver

  constructor(opts: ClientOptions, observer: RestObserver = {}) {
    checkCredentials(opts)
    this.opts = opts
    this.observer = observer
  }

  private sawRooms<T extends { room_id: string; last_rev: number }>(rooms: T[]): void {
    if (this.observer.room) for (const r of rooms) this.observer.room(r)
  }

  /** Any tenant call: JSON in, JSON out, a ChatApiError for every non-2xx answer. */
  async request<T>(method: string, path: string, o: RequestOptions = {}): Promise<T> {
    const url = joinUrl(await resolve(this.opts.baseUrl), path)
    for (const [k, v] of Object.entries(o.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v))
    const headers: Record<string, string> = { accept: 'application/json', ...this.opts.headers, ...o.headers }
    Object.assign(headers, await this.credentialHeaders())
    let body: string | undefined
    if (o.body !== undefined) {
      body = JSON.stringify(o.body)
      headers['content-type'] = 'application/json'
    }
    const doFetch = this.opts.fetch ?? fetch
    let res: Response
    try {
      res = await doFetch(url.href, { method, headers, body, signal: o.signal })
    } catch (e) {
      throw new ChatClientError('NETWORK_ERROR', `${method} ${path} failed: ${(e as Error)?.message ?? e}`, { cause: e })
    }
    return answer<T>(res.status, await res.text(), (n) => res.headers.get(n), res.statusText)
  }

  private async credentialHeaders(): Promise<Record<string, string>> {
    if (this.opts.token !== undefined) return { authorization: `Bearer ${await resolve(this.opts.token)}` }
    return { 'x-api-key': this.opts.apiKey!, 'x-user-id': this.opts.userId! }
  }

  // Rooms
  /** Creates a room; a dm with the same pair answers the existing room (idempotent). */
  async createRoom(body: CreateRoomBody): Promise<Room> {
    const room = await this.request<Room>('POST', '/v1/rooms', { body })
    this.sawRooms([room])
    return room
  }
  /** The caller's rooms, most recently active first, with `unread_count`, `unread_mentions` and `last_message`. */
  async listRooms(query: PageQuery = {}): Promise<RoomList> {
    const list = await this.request<RoomList>('GET', '/v1/rooms', { query })
    this.sawRooms(list.rooms)
    return list
  }
  async getRoom(roomId: string): Promise<Room> {
    const room = await this.request<Room>('GET', `/v1/rooms/${enc(roomId)}`)
    this.sawRooms([room])
    return room
  }
  updateRoom(roomId: string, body: PatchRoomBody): Promise<Room> {
    return this.request('PATCH', `/v1/rooms/${enc(roomId)}`, { body })
  }
  /** The tenant's channels, for discovery. */
  listChannels(query: PageQuery = {}): Promise<ChannelList> {
    return this.request('GET', '/v1/channels', { query })
  }
  joinRoom(roomId: string): Promise<Member> {
    return this.request('POST', `/v1/rooms/${enc(roomId)}/join`)
  }

  // Members
  listMembers(roomId: string, query: PageQuery = {}): Promise<MemberList> {
    return this.request('GET', `/v1/rooms/${enc(roomId)}/members`, { query })
  }
  addMembers(roomId: string, body: AddMembersBody): Promise<AddedMembers> {
    return this.request('POST', `/v1/rooms/${enc(roomId)}/members`, { body })
  }
  /** Removes a member, or leaves the room when `userId` is the caller. */
  async removeMember(roomId: string, userId: string): Promise<void> {
    await this.request('DELETE', `/v1/rooms/${enc(roomId)}/members/${enc(userId)}`)
  }

  // Messages
  /** Sends over REST (the realtime client's `send` is the usual way); `client_msg_id` makes retries safe. */
  sendMessage(roomId: string, body: SendMessageBody): Promise<MessageAck> {
    return this.request('POST', `/v1/rooms/${enc(roomId)}/messages`, { body })
  }
  /** History in ascending seq: `after_seq` pages forward, `before_seq` back (default: the newest page). */
  listMessages(roomId: string, query: HistoryQuery = {}): Promise<MessagePage> {
    return this.request('GET', `/v1/rooms/${enc(roomId)}/messages`, { query })
  }
  getMessage(roomId: string, messageId: string): Promise<Message> {
    return this.request('GET', `/v1/rooms/${enc(roomId)}/messages/${enc(messageId)}`)
  }
  editMessage(roomId: string, messageId: string, body: PatchMessageBody): Promise<Message> {
    return this.request('PATCH', `/v1/rooms/${enc(roomId)}/messages/${enc(messageId)}`, { body })
  }
  async deleteMessage(roomId: string, messageId: string): Promise<void> {
    await this.request('DELETE', `/v1/rooms/${enc(roomId)}/messages/${enc(messageId)}`)
  }

  // Rich messages (SPEC §11): replies are sent with `parent_id`, mentions with `mentions`.
  /** A message's replies (its thread) in ascending seq, with history's paging rules. */
  listReplies(roomId: string, messageId: string, query: RepliesQuery = {}): Promise<MessagePage> {
    return this.request('GET', `/v1/rooms/${enc(roomId)}/messages/${enc(messageId)}/replies`, { query })
  }
  /** Adds the caller's reaction (an emoji or a shortcode); answers the message (unchanged when it was already there). */
  addReaction(roomId: string, messageId: string, key: string): Promise<Message> {
    return this.request('PUT', `/v1/rooms/${enc(roomId)}/messages/${enc(messageId)}/reactions/${enc(key)}`)
  }
  /** Removes the caller's reaction; answers the message (unchanged when there was none). */
  removeReaction(roomId: string, messageId: string, key: string): Promise<Message> {
    return this.request('DELETE', `/v1/rooms/${enc(roomId)}/messages/${enc(messageId)}/reactions/${enc(key)}`)
  }
  /** Every reaction of a message (or of one `key`), earliest first, paged by cursor. */
  listReactions(roomId: string, messageId: string, query: ReactorQuery = {}): Promise<ReactorList> {
    return this.request('GET', `/v1/rooms/${enc(roomId)}/messages/${enc(messageId)}/reactions`, { query })
  }
  pin(roomId: string, messageId: string): Promise<Message> {
    return this.request('PUT', `/v1/rooms/${enc(roomId)}/pins/${enc(messageId)}`)
  }
  unpin(roomId: string, messageId: string): Promise<Message> {
    return this.request('DELETE', `/v1/rooms/${enc(roomId)}/pins/${enc(messageId)}`)
  }
  /** The room's pinned messages, newest pin first. */
  listPins(roomId: string): Promise<PinnedList> {
    return this.request('GET', `/v1/rooms/${enc(roomId)}/pins`)
  }
  /**
   * Messages changed after `afterRev` (edits, deletes, reactions, pins, replies), each once in its
   * current state, in ascending rev. Keep `last_rev` when `has_more` is false; else continue from
   * the last message's rev.
   */
  changes(roomId: string, afterRev: number, query: Omit<ChangesQuery, 'after_rev'> = {}): Promise<ChangesPage> {
    return this.request('GET', `/v1/rooms/${enc(roomId)}/changes`, { query: { ...query, after_rev: afterRev } })
  }
  /** Messages that mention the caller, newest first, across the rooms they are a member of. */
  listMentions(query: PageQuery = {}): Promise<MentionList> {
    return this.request('GET', '/v1/mentions', { query })
  }

  // Uploads (SPEC §12)
  /**
   * Uploads a file (its bytes as the body, with its type and name); attach the answer's upload_id to
   * a message within UPLOAD_ORPHAN_TTL_MS. `onProgress(sent, total)` follows the bytes going out.
   */
  async uploadFile(file: UploadBody, o: UploadOptions = {}): Promise<Upload> {
    const { filename, contentType } = describeUpload(file, o)
    const url = joinUrl(await resolve(this.opts.baseUrl), '/v1/uploads')
    url.searchParams.set('filename', filename)
    const headers: Record<string, string> = { accept: 'application/json', ...this.opts.headers, ...(await this.credentialHeaders()), 'content-type': contentType }
    let sent
    try {
      sent = await sendFile(url.href, headers, file, o, this.opts.fetch ?? fetch)
    } catch (e) {
      throw new ChatClientError('NETWORK_ERROR', `POST /v1/uploads failed: ${(e as Error)?.message ?? e}`, { cause: e })
    }
    return answer<Upload>(sent.status, sent.text, sent.header)
  }
  /** A URL for the file that needs no headers (for `<img src>` or a link), valid UPLOAD_URL_TTL_S seconds. */
  uploadUrl(uploadId: string): Promise<SignedUrl> {
    return this.request('GET', `/v1/uploads/${enc(uploadId)}/url`)
  }
  /** The file's bytes (its uploader, or a member of a room with a message that lists it). */
  async downloadFile(uploadId: string, o: { signal?: AbortSignal } = {}): Promise<Blob> {
    const url = joinUrl(await resolve(this.opts.baseUrl), `/v1/uploads/${enc(uploadId)}`)
    const headers = { ...this.opts.headers, ...(await this.credentialHeaders()) }
    let res: Response
    try {
      res = await (this.opts.fetch ?? fetch)(url.href, { headers, signal: o.signal })
    } catch (e) {
      throw new ChatClientError('NETWORK_ERROR', `GET /v1/uploads/${uploadId} failed: ${(e as Error)?.message ?? e}`, { cause: e })
    }
    if (!res.ok) answer(res.status, await res.text(), (n) => res.headers.get(n), res.statusText)
    return res.blob()
  }

  // Search
  /** Messages matching `q` in your rooms, newest first; page with `cursor` until `next_cursor` is null. */
  search(query: SearchQuery): Promise<SearchResults> {
    return this.request('GET', '/v1/search', { query })
  }

  // Delivery state
  ack(roomId: string, seq: number): Promise<AckResult> {
    return this.request('POST', '/v1/acks', { body: { room_id: roomId, seq } })
  }
  markRead(roomId: string, seq: number): Promise<ReadResult> {
    return this.request('POST', `/v1/rooms/${enc(roomId)}/read`, { body: { seq } })
  }
  /** Presence of up to 100 users. */
  presence(userIds: string[]): Promise<PresenceList> {
    return this.request('GET', '/v1/presence', { query: { user_ids: userIds.join(',') } })
  }
  /** Mints a user token for a browser or mobile client (API key callers only). */
  createToken(body: CreateTokenBody): Promise<TokenResult> {
    return this.request('POST', '/v1/tokens', { body })
  }

  // Moderation of a room (SPEC §14): its owner or an admin
  /** Removes the user from the room and keeps them out until the ban ends (`duration_s`) or is lifted. */
  banFromRoom(roomId: string, body: BanBody): Promise<RoomBan> {
    return this.request('POST', `/v1/rooms/${enc(roomId)}/bans`, { body })
  }
  listRoomBans(roomId: string, query: PageQuery = {}): Promise<RoomBanList> {
    return this.request('GET', `/v1/rooms/${enc(roomId)}/bans`, { query })
  }
  async unbanFromRoom(roomId: string, userId: string): Promise<void> {
    await this.request('DELETE', `/v1/rooms/${enc(roomId)}/bans/${enc(userId)}`)
  }
  /** A muted member reads but cannot send until the mute ends or is lifted. */
  muteInRoom(roomId: string, body: MuteBody): Promise<RoomMute> {
    return this.request('POST', `/v1/rooms/${enc(roomId)}/mutes`, { body })
  }
  listRoomMutes(roomId: string, query: PageQuery = {}): Promise<RoomMuteList> {
    return this.request('GET', `/v1/rooms/${enc(roomId)}/mutes`, { query })
  }
  async unmuteInRoom(roomId: string, userId: string): Promise<void> {
    await this.request('DELETE', `/v1/rooms/${enc(roomId)}/mutes/${enc(userId)}`)
  }
  /** Only the owner and admins send in a read-only room. */
  setReadOnly(roomId: string, readOnly: boolean): Promise<Room> {
    return this.updateRoom(roomId, { read_only: readOnly })
  }

  // Blocks and reports: any user
  /** Blocks a user: neither of you opens a dm with the other or sends into your dm. */
  blockUser(userId: string): Promise<Block> {
    return this.request('PUT', `/v1/blocks/${enc(userId)}`)
  }
  async unblockUser(userId: string): Promise<void> {
    await this.request('DELETE', `/v1/blocks/${enc(userId)}`)
  }
  listBlocks(query: PageQuery = {}): Promise<BlockList> {
    return this.request('GET', '/v1/blocks', { query })
  }
  /** Reports a message (its sender) or a user of a room to the app's review queue. */
  report(body: CreateReportBody): Promise<Report> {
    return this.request('POST', '/v1/reports', { body })
  }

  // Moderation of the whole tenant (API key callers only)
  /** Bans a user from the tenant: every call 403, their sockets closed (1008) on every instance. */
  banUser(body: BanBody): Promise<UserBan> {
    return this.request('POST', '/v1/moderation/bans', { body })
  }
  listUserBans(query: PageQuery = {}): Promise<UserBanList> {
    return this.request('GET', '/v1/moderation/bans', { query })
  }
  async unbanUser(userId: string): Promise<void> {
    await this.request('DELETE', `/v1/moderation/bans/${enc(userId)}`)
  }
  /** The review queue, oldest first (`status: 'open'` for what is still to review). */
  listReports(query: ReportQuery = {}): Promise<ReportList> {
    return this.request('GET', '/v1/moderation/reports', { query })
  }
  /** Resolves a report and carries out its action (dismiss, delete_message, mute_user, ban_user). */
  resolveReport(reportId: string, body: ResolveReportBody): Promise<Report> {
    return this.request('POST', `/v1/moderation/reports/${enc(reportId)}/resolve`, { body })
  }
  /** The tenant's audit log of moderation and admin actions, newest first. */
  auditLog(query: PageQuery = {}): Promise<AuditList> {
    return this.request('GET', '/v1/moderation/audit', { query })
  }

  // Notifications
  /** Sends an app notification (API key callers only). */
  notify(body: NotifyBody): Promise<NotifyResult> {
    return this.request('POST', '/v1/notify', { body })
  }
  subscribe(body: SubscribeBody): Promise<Subscription> {
    return this.request('POST', '/v1/subscriptions', { body })
  }
  listSubscriptions(): Promise<SubscriptionList> {
    return this.request('GET', '/v1/subscriptions')
  }
  async unsubscribe(subscriptionId: string): Promise<void> {
    await this.request('DELETE', `/v1/subscriptions/${enc(subscriptionId)}`)
  }
}
