// User blocks (SPEC §14), black box: PUT/DELETE/GET /v1/blocks, and what a block does: neither user
// of the pair opens a new dm with the other or sends into their dm, both ways; groups unaffected.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { startTestServer, type TestServer } from '../support/server'
import { expectError, ISO_MS, room, send } from './helpers'

let s: TestServer
beforeAll(async () => {
  s = await startTestServer()
})
afterAll(() => s.stop())

test('PUT blocks (200, idempotent), GET lists them oldest first with paging, DELETE unblocks (204, idempotent)', async () => {
  const t = await s.newTenant()
  const alice = t.as('alice')
  const first = await alice('PUT', '/v1/blocks/mallory')
  expect(first.status).toBe(200)
  expect(first.body).toEqual({ user_id: 'mallory', created_at: expect.stringMatching(ISO_MS) })
  expect((await alice('PUT', '/v1/blocks/mallory')).body).toEqual(first.body) // already there: the same block
  expect((await alice('PUT', '/v1/blocks/oscar')).status).toBe(200)
  expect((await alice('PUT', '/v1/blocks/trent')).status).toBe(200)
  const p1 = await alice('GET', '/v1/blocks?limit=2')
  expect(p1.body.blocks.map((b: any) => b.user_id)).toEqual(['mallory', 'oscar'])
  const p2 = await alice('GET', `/v1/blocks?limit=2&cursor=${p1.body.next_cursor}`)
  expect(p2.body).toEqual({ blocks: [{ user_id: 'trent', created_at: expect.stringMatching(ISO_MS) }], next_cursor: null })
  expect((await t.as('bob')('GET', '/v1/blocks')).body).toEqual({ blocks: [], next_cursor: null }) // each user has their own
  expect((await alice('DELETE', '/v1/blocks/oscar')).status).toBe(204)
  expect((await alice('DELETE', '/v1/blocks/oscar')).status).toBe(204)
  expect((await alice('GET', '/v1/blocks')).body.blocks.map((b: any) => b.user_id)).toEqual(['mallory', 'trent'])
})

test('blocking yourself or a malformed id is a 400; blocks work with a user token too', async () => {
  const t = await s.newTenant()
  expectError(await t.as('alice')('PUT', '/v1/blocks/alice'), 400, 'VALIDATION_ERROR', 'user_id')
  expectError(await t.as('alice')('PUT', '/v1/blocks/no%20spaces'), 400, 'VALIDATION_ERROR', 'user_id')
  const token = (await t.as('x')('POST', '/v1/tokens', { body: { user_id: 'carol' } })).body.token
  const r = await s.call('PUT', '/v1/blocks/dave', { headers: { authorization: `Bearer ${token}` } })
  expect(r.status).toBe(200)
  expect((await t.as('carol')('GET', '/v1/blocks')).body.blocks.map((b: any) => b.user_id)).toEqual(['dave'])
})

test('either way: neither user opens a dm with the other, nor sends into their existing dm; a group is unaffected; unblocking restores', async () => {
  const t = await s.newTenant()
  const alice = t.as('alice')
  const mallory = t.as('mallory')
  const dm = (await room(alice, 'dm', ['mallory'])).room_id
  const group = (await room(alice, 'group', ['mallory'])).room_id
  await send(mallory, dm, 'hi')

  expect((await alice('PUT', '/v1/blocks/mallory')).status).toBe(200)
  expectError(await mallory('POST', `/v1/rooms/${dm}/messages`, { body: { content: 'hello?' } }), 403, 'FORBIDDEN')
  expectError(await alice('POST', `/v1/rooms/${dm}/messages`, { body: { content: 'the blocker too' } }), 403, 'FORBIDDEN')
  expectError(await mallory('POST', '/v1/rooms', { body: { type: 'dm', members: ['alice'] } }), 403, 'FORBIDDEN')
  expectError(await alice('POST', '/v1/rooms', { body: { type: 'dm', members: ['mallory'] } }), 403, 'FORBIDDEN')
  await send(mallory, group, 'groups are not affected')
  await send(alice, group, 'right')
  // The history stays readable; only new messages are refused.
  expect((await alice('GET', `/v1/rooms/${dm}/messages`)).body.messages.map((m: any) => m.content)).toEqual(['hi'])
  // Other pairs are untouched.
  expect((await room(mallory, 'dm', ['bob'])).room_id).toStartWith('room_')

  expect((await alice('DELETE', '/v1/blocks/mallory')).status).toBe(204)
  await send(mallory, dm, 'after the unblock')
  expect((await alice('POST', '/v1/rooms', { body: { type: 'dm', members: ['mallory'] } })).status).toBe(200)
})

test('a block by the other user of the pair has the same effect', async () => {
  const t = await s.newTenant()
  const dm = (await room(t.as('alice'), 'dm', ['bob'])).room_id
  expect((await t.as('bob')('PUT', '/v1/blocks/alice')).status).toBe(200)
  expectError(await t.as('alice')('POST', `/v1/rooms/${dm}/messages`, { body: { content: 'x' } }), 403, 'FORBIDDEN')
  expectError(await t.as('bob')('POST', `/v1/rooms/${dm}/messages`, { body: { content: 'x' } }), 403, 'FORBIDDEN')
  // Another tenant's alice and bob are other people.
  const u = await s.newTenant()
  expect((await u.as('alice')('POST', '/v1/rooms', { body: { type: 'dm', members: ['bob'] } })).status).toBe(201)
})
