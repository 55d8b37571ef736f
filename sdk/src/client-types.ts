// The realtime client's public types: its options, the socket it accepts, what it reports and the
// events it emits (exported from the package through client.ts and index.ts).

import type { BackoffOptions } from './backoff'
import type { ChatApiError, ChatClientError } from './errors'
import type { ClientOptions } from './options'
import type {
  AckReceivedFrame,
  MemberFrame,
  Message,
  MessageChange,
  NotificationFrame,
  PresenceStatus,
  ReadUpdatedFrame,
  ServerFrame,
  TypingFrame,
} from './types'

/**
 * A handler slot that each implementation's own event type fits (the DOM's MessageEvent, the ws
 * package's): declared as a method, so TypeScript compares its parameter both ways.
 */
type Handler<E> = { handle(ev: E): void }['handle'] | null

/** The parts of a WebSocket the client uses (the browser's, Bun's, Node.js 22's, or the `ws` package's). */
export interface WebSocketLike {
  readonly readyState: number
  send(data: string): void
  close(code?: number, reason?: string): void
  onopen: Handler<unknown>
  onmessage: Handler<{ data: unknown }>
  onclose: Handler<{ code: number; reason: string }>
  onerror: Handler<unknown>
}
/**
 * A WebSocket class. The client calls it as `new WebSocket(url)` (browsers) or
 * `new WebSocket(url, { headers })` (Bun, Node.js, the ws package); implementations type that
 * second argument differently (protocols, options), hence `any`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type WebSocketCtor = new (url: string, init?: any) => WebSocketLike

export interface ChatClientOptions extends ClientOptions {
  /** Ack every delivered message automatically (default true). Off: call `ack()` yourself. */
  autoAck?: boolean
  /** Acks are coalesced per room over this many ms (default 20). */
  ackDelayMs?: number
  /** Send `notification.ack` for every notification delivered (default true). */
  autoAckNotifications?: boolean
  /** Reconnect policy (exponential backoff with jitter), or false to stay closed after a drop. */
  reconnect?: Partial<BackoffOptions> | false
  /** From opening the socket to the `connected` frame (default 10 000 ms). */
  connectTimeoutMs?: number
  /** Idle time after which the client pings (default 25 000 ms; 0 turns the heartbeat off). */
  heartbeatIntervalMs?: number
  /** A ping unanswered this long drops the connection and reconnects (default 10 000 ms). */
  heartbeatTimeoutMs?: number
  /** How long `send`/`markRead` wait for their answer, reconnects included (default 30 000 ms). */
  requestTimeoutMs?: number
  /** A gap in a room's seqs waits this long (without progress) for its `sync` before it is skipped (default 10 000 ms). */
  gapTimeoutMs?: number
  /** Outgoing frames per second (default 40, burst twice that), under the server's WS_MSG_RATE (50). */
  maxFramesPerSecond?: number
  /** A typing indicator stops this long after the last `typing()` call (default 3000 ms). */
  typingIdleMs?: number
  /** WebSocket implementation (default: the global one). */
  WebSocket?: WebSocketCtor
}

/** A message in its state after a change, with what the change was. */
export type ChangedMessage = Message & { change: MessageChange }

export interface SendOptions {
  meta?: Record<string, unknown>
  /** The idempotency key (default: a fresh one; kept across resends). */
  clientMsgId?: string
  /** Makes the message a reply to this top-level message of the room (its thread). */
  parentId?: string
  /** User ids the message mentions (members of the room, at most 50). */
  mentions?: string[]
  /** upload_ids from rest.uploadFile. */
  attachments?: string[]
}

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed'

export interface ConnectedInfo {
  connection_id: string
  user_id: string
  server_time: string
  epoch: string
  /** True when this is not the first connection of this client. */
  reconnected: boolean
  /** True when the server's epoch differs from the previous connection's (cursors were dropped). */
  epochChanged: boolean
}

export interface ChatEvents {
  state: ConnectionState
  /** A `connected` frame: the server is syncing what this user has not acked. */
  connected: ConnectedInfo
  /** The sync after connecting is over: what follows is live. */
  synced: { connection_id: string }
  disconnected: { code: number; reason: string; willReconnect: boolean }
  reconnecting: { attempt: number; delayMs: number }
  /** The server said it is going away; the client reconnects after `reconnect_after_ms`. */
  shutdown: { reconnect_after_ms: number }
  epoch: { previous: string; current: string }
  /** A new message, once, in ascending seq per room. */
  message: Message
  /** A change to a message (edit, reaction, pin, reply…), once per rev, only when newer than the copy held. */
  'message.updated': ChangedMessage
  /** A message was deleted (content "", mentions, reactions and pin gone); once, like message.updated. */
  'message.deleted': ChangedMessage
  /** A room's change catch-up after (re)connecting is over: its copies are current up to `rev`. */
  'changes.synced': { room_id: string; rev: number }
  typing: Omit<TypingFrame, 'type'>
  presence: { user_id: string; status: PresenceStatus }
  /** A read marker moved (the caller's own, or another member's with read receipts on). */
  read: Omit<ReadUpdatedFrame, 'type' | 'request_id'>
  /** The server confirmed this connection's ack. */
  ack: Omit<AckReceivedFrame, 'type' | 'request_id'>
  'member.joined': Omit<MemberFrame, 'type'>
  'member.left': Omit<MemberFrame, 'type'>
  notification: Omit<NotificationFrame, 'type'>
  /** An `error` frame that answers no pending request, or a connection-level failure. */
  error: ChatApiError | ChatClientError
  /** Every frame as received (for debugging and frame types newer than this SDK). */
  frame: ServerFrame
}
