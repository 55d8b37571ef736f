// Room and member wire shapes (SPEC §4 Rooms).

import { Type as t, type Static } from '@sinclair/typebox'
import { JsonObject, JsonObjectInput, Nullable, PathId, ServiceChecked, Timestamp, UserId } from './common'
import { EX, exampleMember, exampleMessage, exampleRoom } from './examples'
import { Message } from './message'

export const RoomType = t.Union([t.Literal('dm'), t.Literal('group'), t.Literal('channel')])
export type RoomType = Static<typeof RoomType>
/** Path parameters of the routes under /v1/rooms/{room_id}. */
export const RoomParams = t.Object({ room_id: PathId('The room (room_…).', EX.roomId) })

export const Role = t.Union([t.Literal('owner'), t.Literal('admin'), t.Literal('member')])
export type Role = Static<typeof Role>

export const Room = t.Object(
  {
    room_id: t.String(),
    type: RoomType,
    name: Nullable(t.String()),
    metadata: Nullable(JsonObject),
    unique_key: Nullable(t.String({ description: 'dm:<user>|<user> (the pair in byte order) for a dm, else null' })),
    last_seq: t.Integer({ description: 'seq of the newest message (0 before the first)' }),
    last_rev: t.Integer({ minimum: 0, description: "the room's change counter: the rev of its latest change to an existing message (0: none yet); keep it to catch up with GET …/changes" }),
    first_seq: t.Integer({ minimum: 1, description: 'the oldest seq still stored' }),
    member_count: t.Integer(),
    read_only: t.Boolean({ description: 'only the owner and admins may send (set with PATCH by an owner or admin)' }),
    created_at: Timestamp,
  },
  { description: 'A conversation: a dm (two members), a group (invite only) or a channel (anyone in the tenant may join).', examples: [exampleRoom] },
)
export type Room = Static<typeof Room>

export const RoomListItem = t.Object(
  {
    ...Room.properties,
    unread_count: t.Integer({ description: 'last_seq minus your read marker' }),
    unread_mentions: t.Integer({ minimum: 0, description: 'messages of the room that mention you, above your read marker' }),
    last_message: t.Optional(Message),
  },
  {
    description: 'A room in your list, with your unread counts and its newest message.',
    examples: [{ ...exampleRoom, unread_count: 2, unread_mentions: 1, last_message: exampleMessage }],
  },
)
export type RoomListItem = Static<typeof RoomListItem>

export const CreateRoomBody = t.Object(
  {
    type: RoomType,
    members: t.Array(UserId, {
      maxItems: 100_000,
      description: 'The other users (you are added yourself): exactly one for a dm; at most max_room_members in all for a group or channel.',
    }),
    name: t.Optional(t.String({ minLength: 1, maxLength: 200 })),
    metadata: t.Optional(JsonObjectInput),
  },
  { examples: [{ type: 'group', name: 'Design team', members: ['bob', 'carol'], metadata: { project: 'apollo' } }] },
)
export type CreateRoomBody = Static<typeof CreateRoomBody>

export const PatchRoomBody = t.Object(
  {
    name: t.Optional(t.String({ minLength: 1, maxLength: 200 })),
    metadata: t.Optional(JsonObjectInput),
    read_only: t.Optional(t.Boolean({ description: 'true: only the owner and admins may send' })),
  },
  { examples: [{ name: 'Design team (Q4)' }, { read_only: true }] },
)
export type PatchRoomBody = Static<typeof PatchRoomBody>

const NextCursor = Nullable(t.String({ description: 'pass as `cursor` for the next page; null on the last page' }))
export const RoomList = t.Object(
  { rooms: t.Array(RoomListItem), next_cursor: NextCursor },
  { examples: [{ rooms: [{ ...exampleRoom, unread_count: 2, unread_mentions: 1, last_message: exampleMessage }], next_cursor: null }] },
)
export const ChannelList = t.Object(
  { channels: t.Array(Room), next_cursor: NextCursor },
  { examples: [{ channels: [{ ...exampleRoom, room_id: EX.channelId, type: 'channel', name: 'general', metadata: null }], next_cursor: null }] },
)

export const Member = t.Object(
  {
    user_id: t.String(),
    role: Role,
    joined_at: Timestamp,
    last_ack: Nullable(t.Integer({ description: "delivery cursor; another user's is null unless read_receipts is on" })),
    last_read: Nullable(t.Integer({ description: "read marker; another user's is null unless read_receipts is on" })),
    online: Nullable(t.Boolean({ description: 'null when the presence feature is off' })),
  },
  { description: 'A user in a room, with their role and cursors.', examples: [exampleMember] },
)
export type Member = Static<typeof Member>

export const MemberList = t.Object(
  { members: t.Array(Member), next_cursor: NextCursor },
  { examples: [{ members: [{ ...exampleMember, user_id: 'alice', role: 'owner' }, exampleMember], next_cursor: null }] },
)
export const AddMembersBody = t.Object(
  {
    user_ids: t.Array(UserId, { minItems: 1, maxItems: 1000, description: 'users to add (existing members keep their role)' }),
    role: t.Optional(
      ServiceChecked(
        t.String(),
        t.Union([t.Literal('member'), t.Literal('admin')], { default: 'member', description: 'member (default) or admin; only the owner grants admin' }),
      ),
    ),
  },
  { examples: [{ user_ids: ['dave', 'erin'], role: 'member' }] },
)
export type AddMembersBody = Static<typeof AddMembersBody>
export const AddedMembers = t.Object({ members: t.Array(Member) }, { examples: [{ members: [{ ...exampleMember, user_id: 'dave', last_ack: null, last_read: null }] }] })
