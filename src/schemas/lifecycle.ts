// Data lifecycle wire shapes (SPEC §15): jobs, and the lines of the NDJSON exports.

import { Type as t, type Static, type TSchema } from '@sinclair/typebox'
import { Nullable, Timestamp } from './common'
import { EX, exampleMember, exampleMessage, exampleRoom } from './examples'
import { Message } from './message'
import { Subscription } from './notification'
import { Member, Role, Room } from './room'
import { Upload } from './upload'
import { Block } from './moderation'

export const JobKind = t.Union([t.Literal('room.delete'), t.Literal('user.erase'), t.Literal('tenant.delete')], {
  description: 'room.delete (DELETE /v1/rooms/{room_id}), user.erase (POST /v1/users/{user_id}/erase), tenant.delete (DELETE /v1/admin/tenants/{tenant_id})',
})

const exampleJob = {
  job_id: EX.jobId,
  kind: 'user.erase',
  status: 'done',
  progress: { done: 14, total: 14 },
  error: null,
  created_at: EX.at,
  finished_at: EX.later,
}

export const Job = t.Object(
  {
    job_id: t.String(),
    kind: JobKind,
    status: t.Union([t.Literal('running'), t.Literal('done'), t.Literal('failed')]),
    progress: t.Object(
      { done: t.Integer({ minimum: 0 }), total: t.Integer({ minimum: 0 }) },
      { description: 'units done of an estimate made when the job started (deletes: rows; an erasure: memberships and rooms scanned); done = total once it is done' },
    ),
    error: Nullable(t.String({ description: 'why a failed job stopped' })),
    created_at: Timestamp,
    finished_at: Nullable(Timestamp),
  },
  { description: 'A background job; it survives a restart of the server (it resumes).', examples: [exampleJob] },
)
export type Job = Static<typeof Job>

export const JobAccepted = t.Object(
  { job_id: t.String({ description: 'follow it with GET /v1/jobs/{job_id} (or GET /v1/admin/jobs/{job_id})' }) },
  { examples: [{ job_id: EX.jobId }] },
)

/** A membership as the user export lists it: the member row of one room. */
export const Membership = t.Object({
  room_id: t.String(),
  role: Role,
  joined_at: Timestamp,
  last_ack: t.Integer(),
  last_read: t.Integer(),
})
export type Membership = Static<typeof Membership>

/** A reaction as the user export lists it: the reactor list's object (…/reactions) with its message. */
export const ExportedReaction = t.Object({
  room_id: t.String(),
  message_id: t.String(),
  user_id: t.String(),
  key: t.String(),
  created_at: Timestamp,
})

/** One NDJSON line: {"type": T, "<T>": object}. */
const line = <T extends string, S extends TSchema>(type: T, schema: S, description: string) =>
  t.Object({ type: t.Literal(type), [type]: schema } as { type: ReturnType<typeof t.Literal<T>> } & Record<T, S>, { description })

/** One line of GET /v1/users/{user_id}/export. */
export const UserExportLine = t.Union(
  [
    line('membership', Membership, 'a room the user is a member of, with their role and cursors'),
    line('message', Message, 'a message the user sent (deleted ones too, as the API returns them)'),
    line('reaction', ExportedReaction, 'a reaction of the user, with the message it is on'),
    line('upload', Upload, "a file the user uploaded (its metadata; the file is at GET /v1/uploads/{upload_id})"),
    line('subscription', Subscription, 'a topic subscription of the user'),
    line('block', Block, 'a user this user blocks'),
  ],
  {
    description: 'one line of a user export',
    examples: [{ type: 'membership', membership: { room_id: EX.roomId, role: 'owner', joined_at: EX.at, last_ack: 42, last_read: 40 } }, { type: 'message', message: exampleMessage }],
  },
)

/** One line of GET /v1/rooms/{room_id}/export: one `room`, then `member` lines, then every `message` in ascending seq. */
export const RoomExportLine = t.Union(
  [
    line('room', Room, 'the room, first'),
    line('member', Member, 'a member (online is null: an export holds stored data, not live state)'),
    line('message', Message, 'a message, in ascending seq'),
  ],
  {
    description: 'one line of a room export',
    examples: [{ type: 'room', room: exampleRoom }, { type: 'member', member: { ...exampleMember, online: null } }, { type: 'message', message: exampleMessage }],
  },
)
