// Room and member wire shapes (SPEC §4 Rooms).

import { Type as t, type Static } from '@sinclair/typebox'
import { JsonObject, JsonObjectInput, Nullable, Timestamp, UserId } from './common'
import { Message } from './message'

export const RoomType = t.Union([t.Literal('dm'), t.Literal('group'), t.Literal('channel')])
export type RoomType = Static<typeof RoomType>
export const Role = t.Union([t.Literal('owner'), t.Literal('admin'), t.Literal('member')])
export type Role = Static<typeof Role>

export const Room = t.Object({
  room_id: t.String(),
  type: RoomType,
  name: Nullable(t.String()),
  metadata: Nullable(JsonObject),
  unique_key: Nullable(t.String()),
  last_seq: t.Integer(),
  last_rev: t.Integer({ minimum: 0, description: "the room's change counter: the rev of its latest change to an existing message (0: none yet)" }),
  first_seq: t.Integer({ minimum: 1, description: 'the oldest seq still stored' }),
  member_count: t.Integer(),
  created_at: Timestamp,
})
export type Room = Static<typeof Room>

export const RoomListItem = t.Object({
  ...Room.properties,
  unread_count: t.Integer(),
  unread_mentions: t.Integer({ minimum: 0, description: 'messages of the room mentioning the caller above their read marker' }),
  last_message: t.Optional(Message),
})
export type RoomListItem = Static<typeof RoomListItem>

export const CreateRoomBody = t.Object({
  type: RoomType,
  members: t.Array(UserId, { maxItems: 100_000 }),
  name: t.Optional(t.String({ minLength: 1, maxLength: 200 })),
  metadata: t.Optional(JsonObjectInput),
})
export type CreateRoomBody = Static<typeof CreateRoomBody>

export const PatchRoomBody = t.Object({
  name: t.Optional(t.String({ minLength: 1, maxLength: 200 })),
  metadata: t.Optional(JsonObjectInput),
})
export type PatchRoomBody = Static<typeof PatchRoomBody>

export const RoomList = t.Object({ rooms: t.Array(RoomListItem), next_cursor: Nullable(t.String()) })
export const ChannelList = t.Object({ channels: t.Array(Room), next_cursor: Nullable(t.String()) })

export const Member = t.Object({
  user_id: t.String(),
  role: Role,
  joined_at: Timestamp,
  last_ack: Nullable(t.Integer()),
  last_read: Nullable(t.Integer()),
  online: Nullable(t.Boolean()),
})
export type Member = Static<typeof Member>

export const MemberList = t.Object({ members: t.Array(Member), next_cursor: Nullable(t.String()) })
export const AddMembersBody = t.Object({
  user_ids: t.Array(UserId, { minItems: 1, maxItems: 1000 }),
  role: t.Optional(t.String({ description: 'member (default) or admin' })),
})
export type AddMembersBody = Static<typeof AddMembersBody>
export const AddedMembers = t.Object({ members: t.Array(Member) })
