// Shared arrangements of the SPEC §11 suites (rich-*.test.ts): a room with messages, paths, schema checks.

import { expect } from 'bun:test'
import { Value } from '@sinclair/typebox/value'
import { Message } from '../../src/schemas/message'
import { room, send, type As } from './helpers'

export const msgPath = (roomId: string, messageId = '', tail = '') => `/v1/rooms/${roomId}/messages${messageId ? `/${messageId}` : ''}${tail}`
export const reactionPath = (roomId: string, messageId: string, key: string) => msgPath(roomId, messageId, `/reactions/${encodeURIComponent(key)}`)
export const pinPath = (roomId: string, messageId = '') => `/v1/rooms/${roomId}/pins${messageId ? `/${messageId}` : ''}`

/** Asserts the body is a §11.2 message object (exactly the schema) and returns it. */
export function asMessage(body: unknown) {
  expect([...Value.Errors(Message, body)].map((e) => `${e.path} ${e.message}`)).toEqual([])
  return body as Message
}

/** A group owned by alice with bob and carol, and `n` messages by alice; returns the room id and the message ids. */
export async function groupWithMessages(as: (u: string) => As, n: number, type: 'group' | 'channel' = 'group') {
  const g = await room(as('alice'), type, ['bob', 'carol'])
  const ids: string[] = []
  for (let i = 0; i < n; i++) ids.push((await send(as('alice'), g.room_id, `m${i + 1}`)).message_id)
  return { roomId: g.room_id as string, ids }
}
