// A small ChatAPI client typed only by what openapi-typescript generated from the served document
// (./chatapi.d.ts is written next to a copy of this file by test/openapi/types.test.ts, then tsc
// checks both). It creates a room, sends a message and changes a member; types.test.ts also runs it.

import type { components, operations, paths } from './chatapi'

type JsonOf<R> = R extends { content: { 'application/json': infer B } } ? B : never
type BodyOf<O> = O extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never

export type Room = components['schemas']['Room']
export type ApiError = components['schemas']['Error']
type CreateRoom = paths['/v1/rooms']['post']
type SendMessage = paths['/v1/rooms/{room_id}/messages']['post']
type AddMembers = paths['/v1/rooms/{room_id}/members']['post']
type RemoveMember = paths['/v1/rooms/{room_id}/members/{user_id}']['delete']
type ListRooms = paths['/v1/rooms']['get']
/** The header parameters the document gives every tenant operation (X-User-Id). */
type UserHeaders = NonNullable<operations['createRoom']['parameters']['header']>

// What the document promises, checked by the compiler: a 204 has no body; `limit` is a number.
const deletedHasNoBody: [NonNullable<RemoveMember['responses'][204]['content']>] extends [never] ? true : false = true
const firstPage: NonNullable<ListRooms['parameters']['query']> = { limit: 50 }
void deletedHasNoBody
void firstPage

export class ChatClient {
  constructor(
    private readonly base: string,
    private readonly apiKey: string,
    private readonly user: UserHeaders['X-User-Id'] & string,
  ) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; data: T }> {
    const headers: Record<string, string> = { 'x-api-key': this.apiKey, 'X-User-Id': this.user }
    if (body !== undefined) headers['content-type'] = 'application/json'
    const res = await fetch(this.base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
    const text = await res.text()
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${(JSON.parse(text) as ApiError).error.code}`)
    return { status: res.status, data: (text ? JSON.parse(text) : undefined) as T }
  }

  createRoom(body: BodyOf<CreateRoom>) {
    return this.call<JsonOf<CreateRoom['responses'][201]>>('POST', '/v1/rooms', body)
  }

  sendMessage(roomId: Room['room_id'], body: BodyOf<SendMessage>) {
    return this.call<JsonOf<SendMessage['responses'][201]>>('POST', `/v1/rooms/${encodeURIComponent(roomId)}/messages`, body)
  }

  addMembers(roomId: Room['room_id'], body: BodyOf<AddMembers>) {
    return this.call<JsonOf<AddMembers['responses'][200]>>('POST', `/v1/rooms/${encodeURIComponent(roomId)}/members`, body)
  }

  removeMember(roomId: Room['room_id'], userId: RemoveMember['parameters']['path']['user_id']) {
    return this.call<undefined>('DELETE', `/v1/rooms/${encodeURIComponent(roomId)}/members/${encodeURIComponent(userId)}`)
  }
}

/** The walk-through: a room, a message, a member added as admin and then removed. */
export async function walkThrough(base: string, apiKey: string) {
  const alice = new ChatClient(base, apiKey, 'alice')
  const created = await alice.createRoom({ type: 'group', name: 'Typed', members: ['bob'] })
  const room: Room = created.data
  const sent = await alice.sendMessage(room.room_id, { content: 'typed hello', client_msg_id: 'typed-1' })
  const seq: number = sent.data.seq
  const added = await alice.addMembers(room.room_id, { user_ids: ['carol'], role: 'admin' })
  const carol = added.data.members.find((m) => m.user_id === 'carol')
  const removed = await alice.removeMember(room.room_id, 'bob')
  return { room, seq, carolRole: carol?.role, removedStatus: removed.status }
}
