// WebSocket server → client frames (SPEC §5, §10): one TypeBox schema per `type`, and the small
// constructors for the frames that more than one module builds.
//
// The schemas are closed (additionalProperties: false): they say exactly what this version sends,
// so the WS suites, which check every frame they receive against them, catch an undocumented field.
// Nothing checks frames at run time on the server: publish and send are typed with these, not validated.

import { Type as t, type Static, type TObject, type TProperties, type TUnion } from '@sinclair/typebox'
import { STATUS, type ErrorCode } from '../errors'
import { JsonObject, Timestamp } from './common'
import { Message, MessageAck } from './message'
import { MessageChange } from './change'
import { Role } from './room'

const frame = <T extends string, P extends TProperties>(type: T, properties: P, description: string) =>
  t.Object({ type: t.Literal(type), ...properties }, { additionalProperties: false, description })

/** The client frame's request_id, echoed on its direct answer (SPEC §5). */
const RequestId = t.Optional(t.String({ maxLength: 64, description: 'the request_id of the client frame this answers' }))
const RoomId = t.String({ description: 'room id' })
const UserId = t.String({ description: 'user id' })
const Seq = t.Integer({ minimum: 0 })

export const ErrorCodeName = t.Union(
  (Object.keys(STATUS) as ErrorCode[]).map((c) => t.Literal(c)),
  { description: 'one of the SPEC §3 error codes' },
)

export const ServerFrames = {
  connected: frame(
    'connected',
    {
      connection_id: t.String(),
      user_id: UserId,
      server_time: Timestamp,
      epoch: t.String({ description: 'changes when the server lost data (restore): clients then drop their cursors' }),
    },
    'first frame on every connection',
  ),
  message: frame('message', Message.properties, 'a new message (live, sync or redelivery); dedupe by message_id'),
  'message.updated': frame(
    'message.updated',
    { ...Message.properties, change: MessageChange },
    'a message after a change (edited, reaction.added/removed, pinned/unpinned, reply), live or from a sync by after_rev; apply it only when its rev is above the one held',
  ),
  'message.deleted': frame(
    'message.deleted',
    { ...Message.properties, change: MessageChange },
    'a message after its deletion (content emptied, deleted_at set, mentions, reactions and pin gone)',
  ),
  'message.sent': frame('message.sent', { request_id: RequestId, ...MessageAck.properties }, 'answer to send_message: stored'),
  'ack.received': frame('ack.received', { request_id: RequestId, room_id: RoomId, user_id: UserId, seq: Seq }, 'answer to ack, to the acking connection'),
  'read.updated': frame(
    'read.updated',
    { request_id: RequestId, room_id: RoomId, user_id: UserId, seq: Seq },
    "a read marker moved: the answer to read, to the reader's other connections and (read_receipts on, room of at most 100 members) to the room",
  ),
  typing: frame(
    'typing',
    { room_id: RoomId, user_id: UserId, action: t.Union([t.Literal('start'), t.Literal('stop')]) },
    'another member started or stopped typing (never sent to the connection that typed)',
  ),
  'presence.update': frame(
    'presence.update',
    { user_id: UserId, status: t.Union([t.Literal('online'), t.Literal('offline')]) },
    'a member of a shared room (of at most 100 members) came online or went offline (after PRESENCE_GRACE_MS)',
  ),
  'member.joined': frame('member.joined', { room_id: RoomId, user_id: UserId, role: Role }, 'a user was added to the room (the added user gets it too)'),
  'member.left': frame('member.left', { room_id: RoomId, user_id: UserId, role: Role }, 'a user left or was removed (the removed user gets it too, then no more of the room)'),
  notification: frame(
    'notification',
    { notification_id: t.String(), topic: t.String(), payload: JsonObject, created_at: Timestamp },
    'an app notification (live, or pending ones after connecting); answer with notification.ack',
  ),
  'sync.truncated': t.Union(
    [
      frame('sync.truncated', { room_id: RoomId, from_seq: t.Integer({ minimum: 1, description: 'the first seq not sent' }) }, 'a sync by seq stopped'),
      frame('sync.truncated', { room_id: RoomId, from_rev: t.Integer({ minimum: 1, description: 'the first rev not sent' }) }, 'a sync by after_rev stopped'),
    ],
    {
      description:
        'a sync stopped at SYNC_MAX_PER_ROOM frames: continue with sync after_seq = from_seq - 1 (or after_rev = from_rev - 1), or page over REST (history, or GET /v1/rooms/{room_id}/changes)',
    },
  ),
  'sync.done': frame(
    'sync.done',
    { room_id: t.Optional(RoomId), request_id: RequestId },
    'end of a sync: without room_id after connecting (every room synced), with room_id after an explicit sync',
  ),
  error: frame(
    'error',
    { code: ErrorCodeName, message: t.String(), field: t.Optional(t.String()), request_id: RequestId },
    'a client frame was refused; the connection stays up',
  ),
  'server.shutdown': frame(
    'server.shutdown',
    { reconnect_after_ms: t.Integer({ minimum: 0 }) },
    'the server is restarting: it closes with 1001 next; reconnect after reconnect_after_ms',
  ),
  pong: frame('pong', { request_id: RequestId }, 'answer to ping, once every frame received before it has been handled'),
} satisfies Record<string, TObject | TUnion<TObject[]>>

export type ServerFrameType = keyof typeof ServerFrames
export type ServerFrame<K extends ServerFrameType = ServerFrameType> = Static<(typeof ServerFrames)[K]>
/** Every server frame, one of ServerFrames (discriminated by `type`). */
export const ServerFrame = t.Union(Object.values(ServerFrames) as TObject[])

declare const serialized: unique symbol
/** A server frame already turned into its JSON text (serialized once, sent to many sockets). */
export type SerializedFrame = string & { readonly [serialized]: true }
export const serializeFrame = (f: ServerFrame): SerializedFrame => JSON.stringify(f) as SerializedFrame

// --- constructors of frames built in more than one place ---------------------------------------

/** A new message (live, sync, redelivery). */
export const messageFrame = (type: 'message', m: Message): ServerFrame<'message'> => ({ type, ...m })

/** A change to an existing message: message.deleted for a delete, message.updated for every other kind (SPEC §11.7). */
export const changeFrame = (m: Message, change: MessageChange): ServerFrame<'message.updated' | 'message.deleted'> =>
  ({ type: change.kind === 'deleted' ? 'message.deleted' : 'message.updated', ...m, change })

export const typingFrame = (roomId: string, userId: string, action: 'start' | 'stop'): ServerFrame<'typing'> =>
  ({ type: 'typing', room_id: roomId, user_id: userId, action })

export const readUpdatedFrame = (roomId: string, userId: string, seq: number, requestId?: string): ServerFrame<'read.updated'> =>
  ({ type: 'read.updated', ...(requestId && { request_id: requestId }), room_id: roomId, user_id: userId, seq })

export const memberFrame = (type: 'member.joined' | 'member.left', roomId: string, userId: string, role: Static<typeof Role>): ServerFrame<'member.joined' | 'member.left'> =>
  ({ type, room_id: roomId, user_id: userId, role })

export const notificationFrame = (n: Omit<ServerFrame<'notification'>, 'type'>): ServerFrame<'notification'> => ({ type: 'notification', ...n })

export const syncDoneFrame = (roomId?: string, requestId?: string): ServerFrame<'sync.done'> =>
  ({ type: 'sync.done', ...(roomId !== undefined && { room_id: roomId }), ...(requestId && { request_id: requestId }) })

export const shutdownFrame = (reconnectAfterMs: number): ServerFrame<'server.shutdown'> =>
  ({ type: 'server.shutdown', reconnect_after_ms: reconnectAfterMs })
