// The send path caches positive membership checks (src/services/access.ts createMemberCache): a
// removal or a leave must end the right to post at once, and ids stay time-ordered and unique.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { startTestServer, type TestServer } from '../support/server'
import { expectError, room, send } from './helpers'

let s: TestServer
beforeAll(async () => (s = await startTestServer()))
afterAll(() => s.stop())

const post = (roomId: string) => `/v1/rooms/${roomId}/messages`

test('a member who sent, then was removed, gets 404 (group) on the next send', async () => {
  const t = await s.newTenant()
  const g = await room(t.as('alice'), 'group', ['bob'])
  await send(t.as('bob'), g.room_id, 'before')
  expect((await t.as('alice')('DELETE', `/v1/rooms/${g.room_id}/members/bob`)).status).toBe(204)
  expectError(await t.as('bob')('POST', post(g.room_id), { body: { content: 'after' } }), 404, 'NOT_FOUND')
})

test('a channel member who sent and left gets 403, and may post again after joining', async () => {
  const t = await s.newTenant()
  const c = await room(t.as('alice'), 'channel', ['bob'])
  await send(t.as('bob'), c.room_id, 'before')
  expect((await t.as('bob')('DELETE', `/v1/rooms/${c.room_id}/members/bob`)).status).toBe(204)
  expectError(await t.as('bob')('POST', post(c.room_id), { body: { content: 'after' } }), 403, 'FORBIDDEN')
  expect((await t.as('bob')('POST', `/v1/rooms/${c.room_id}/join`)).status).toBe(200)
  expect((await send(t.as('bob'), c.room_id, 'again')).seq).toBe(2)
})

test('another tenant never passes the check through the cache', async () => {
  const t1 = await s.newTenant()
  const t2 = await s.newTenant()
  const g = await room(t1.as('alice'), 'group', ['bob'])
  await send(t1.as('bob'), g.room_id, 'mine')
  expectError(await t2.as('bob')('POST', post(g.room_id), { body: { content: 'theirs' } }), 404, 'NOT_FOUND')
})

test('message ids of later sends sort after earlier ones (time-ordered prefix) and never repeat', async () => {
  const t = await s.newTenant()
  const g = await room(t.as('alice'), 'group', [])
  const ids: string[] = []
  for (let i = 0; i < 5; i++) {
    ids.push((await send(t.as('alice'), g.room_id, `m${i}`)).message_id)
    await Bun.sleep(2)
  }
  expect([...ids].sort()).toEqual(ids)
  expect(new Set(ids).size).toBe(ids.length)
  for (const id of ids) expect(id).toMatch(/^msg_[0-9A-Za-z]{25}$/)
})
