// WebSocket client frames (SPEC §5), discriminated by `type`, checked with compiled TypeBox validators.

import { Type as t, type Static, type TSchema } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { CLIENT_ID_PATTERN, fieldWithNul, JsonObject, MAX_JSON_DEPTH, NUL_MESSAGE } from './common'
import { describeValueError } from './error-text'
import { AttachmentsInput, MentionsInput } from './message'

const RequestId = t.Optional(t.String({ maxLength: 64 }))
const RoomId = t.String({ minLength: 1, maxLength: 64 })
const Seq = t.Integer({ minimum: 0 })

export const ClientFrames = {
  send_message: t.Object({
    type: t.Literal('send_message'),
    request_id: RequestId,
    room_id: RoomId,
    content: t.String({ minLength: 1 }),
    meta: t.Optional(JsonObject),
    client_msg_id: t.Optional(t.String({ pattern: CLIENT_ID_PATTERN })),
    parent_id: t.Optional(t.String({ minLength: 1, maxLength: 64, description: 'reply to this top-level message of the same room' })),
    mentions: t.Optional(MentionsInput),
    attachments: t.Optional(AttachmentsInput),
  }),
  ack: t.Object({ type: t.Literal('ack'), request_id: RequestId, room_id: RoomId, seq: Seq }),
  read: t.Object({ type: t.Literal('read'), request_id: RequestId, room_id: RoomId, seq: Seq }),
  'typing.start': t.Object({ type: t.Literal('typing.start'), request_id: RequestId, room_id: RoomId }),
  'typing.stop': t.Object({ type: t.Literal('typing.stop'), request_id: RequestId, room_id: RoomId }),
  // Exactly one cursor: after_seq re-streams messages, after_rev streams changes (SPEC §11.1); the
  // dispatcher refuses both or neither.
  sync: t.Object({
    type: t.Literal('sync'),
    request_id: RequestId,
    room_id: RoomId,
    after_seq: t.Optional(t.Integer({ minimum: 0, description: 're-stream the messages with seq above this' })),
    after_rev: t.Optional(t.Integer({ minimum: 0, description: 'stream message.updated frames for the messages changed after this rev' })),
  }),
  'notification.ack': t.Object({
    type: t.Literal('notification.ack'),
    request_id: RequestId,
    notification_id: t.String({ minLength: 1, maxLength: 64 }),
  }),
  ping: t.Object({ type: t.Literal('ping'), request_id: RequestId }),
} satisfies Record<string, TSchema>

export type ClientFrameType = keyof typeof ClientFrames
export type ClientFrame<K extends ClientFrameType = ClientFrameType> = Static<(typeof ClientFrames)[K]>

const checkers = Object.fromEntries(
  Object.entries(ClientFrames).map(([k, s]) => [k, TypeCompiler.Compile(s)]),
) as { [K in ClientFrameType]: ReturnType<typeof TypeCompiler.Compile<(typeof ClientFrames)[K]>> }

export type ParsedFrame =
  | { ok: true; frame: ClientFrame }
  | { ok: false; message: string; field?: string; request_id?: string }

/** Parses one incoming frame (already JSON-decoded, or a raw string that failed to decode). */
export function parseClientFrame(data: unknown): ParsedFrame {
  if (typeof data !== 'object' || data === null || Array.isArray(data) || Buffer.isBuffer(data))
    return { ok: false, message: 'a frame must be a JSON object' }
  const obj = data as Record<string, unknown>
  const rid = typeof obj.request_id === 'string' && obj.request_id.length <= 64 && !obj.request_id.includes('\0') ? obj.request_id : undefined
  if (obj.request_id !== undefined && rid === undefined) {
    const nul = typeof obj.request_id === 'string' && obj.request_id.includes('\0')
    return { ok: false, message: nul ? NUL_MESSAGE : 'request_id must be a string of at most 64 characters', field: 'request_id' }
  }
  const nul = fieldWithNul(obj)
  if (nul !== null) return { ok: false, message: NUL_MESSAGE, field: nul || undefined, request_id: rid }
  if (typeof obj.type !== 'string') return { ok: false, message: 'a frame needs a string type', field: 'type', request_id: rid }
  if (!Object.hasOwn(checkers, obj.type)) return { ok: false, message: `unknown frame type "${obj.type.slice(0, 40)}"`, field: 'type', request_id: rid }
  if (deeperThan(obj, MAX_JSON_DEPTH)) return { ok: false, message: `a frame may nest at most ${MAX_JSON_DEPTH} levels`, request_id: rid }
  const checker = checkers[obj.type as ClientFrameType]
  if (!checker.Check(obj)) {
    const first = checker.Errors(obj).First()
    if (!first) return { ok: false, message: 'invalid frame', request_id: rid }
    const { field, message } = describeValueError(first, { kind: obj.type, root: 'frame' })
    return { ok: false, message, field, request_id: rid }
  }
  return { ok: true, frame: obj as ClientFrame }
}

/** True when objects/arrays nest deeper than `max` (the same limit as REST bodies); iterative, stops early. */
function deeperThan(root: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[root, 1]]
  while (stack.length) {
    const [v, depth] = stack.pop()!
    if (depth > max) return true
    for (const child of Object.values(v as object)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1])
  }
  return false
}
