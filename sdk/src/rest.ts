// RestClient: one typed method per tenant endpoint of SPEC §4 (admin endpoints are not for apps).

import { ChatApiError, ChatClientError, codeForStatus } from './errors'
import { checkCredentials, joinUrl, resolve, type ClientOptions } from './options'
import type {
  AckResult,
  AddMembersBody,
  AddedMembers,
  ChannelList,
  CreateRoomBody,
  CreateTokenBody,
  ErrorBody,
  ErrorCode,
  HistoryQuery,
  Member,
  MemberList,
  Message,
  MessageAck,
  MessagePage,
  NotifyBody,
  NotifyResult,
  PageQuery,
  PatchMessageBody,
  PatchRoomBody,
  PresenceList,
  SearchQuery,
  SearchResults,
  ReadResult,
  Room,
  RoomList,
  SendMessageBody,
  SubscribeBody,
  Subscription,
  SubscriptionList,
  TokenResult,
} from './types'

type Query = Record<string, string | number | undefined>

export interface RequestOptions {
  body?: unknown
  query?: Query
  /** Extra headers for this call (an `X-Request-Id`, say). */
  headers?: Record<string, string>
  signal?: AbortSignal
}

const enc = encodeURIComponent

export class RestClient {
  private readonly opts: ClientOptions

  constructor(opts: ClientOptions) {
    checkCredentials(opts)
    this.opts = opts
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
    const text = await res.text()
    let parsed: unknown = undefined
    if (text) {
      try {
        parsed = JSON.parse(text)
      } catch {
        parsed = undefined
      }
    }
    if (res.ok) return parsed as T
    const env = (parsed as Partial<ErrorBody> | undefined)?.error
    const retry = res.headers.get('retry-after')
    throw new ChatApiError((env?.code as ErrorCode) ?? codeForStatus(res.status), env?.message ?? `${res.status} ${res.statusText}`, {
      status: res.status,
      field: env?.field,
      requestId: res.headers.get('x-request-id') ?? undefined,
      retryAfterS: retry ? Number(retry) : undefined,
      source: 'rest',
    })
  }

  private async credentialHeaders(): Promise<Record<string, string>> {
    if (this.opts.token !== undefined) return { authorization: `Bearer ${await resolve(this.opts.token)}` }
    return { 'x-api-key': this.opts.apiKey!, 'x-user-id': this.opts.userId! }
  }

  // Rooms
  /** Creates a room; a dm with the same pair answers the existing room (idempotent). */
  createRoom(body: CreateRoomBody): Promise<Room> {
    return this.request('POST', '/v1/rooms', { body })
  }
  /** The caller's rooms, most recently active first, with `unread_count` and `last_message`. */
  listRooms(query: PageQuery = {}): Promise<RoomList> {
    return this.request('GET', '/v1/rooms', { query })
  }
  getRoom(roomId: string): Promise<Room> {
    return this.request('GET', `/v1/rooms/${enc(roomId)}`)
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
