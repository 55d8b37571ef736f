// App-level calls (SPEC Revision 2, first correction): POST /v1/tokens and POST /v1/notify act for the
// parent app and take the API key alone. An X-User-Id sent with them is still validated and, for
// notify with a room_id, still limits the call to rooms that user can see. Every other tenant call
// still needs a user.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'
import { expectError, room } from './helpers'

let s: TestServer
let t: TestTenant
let other: TestTenant
beforeAll(async () => {
  s = await startTestServer()
  t = await s.newTenant()
  other = await s.newTenant()
})
afterAll(() => s.stop())

/** A call with the tenant's API key and no X-User-Id (plus any extra headers). */
const keyOnly = (tenant: TestTenant, extra: Record<string, string> = {}) => (method: string, path: string, body?: unknown) =>
  s.call(method, path, { headers: { 'x-api-key': tenant.api_key, ...extra }, body })
const notifyBody = (targets: Record<string, unknown>) => ({ topic: 'orders', payload: { n: 1 }, targets })

describe('POST /v1/tokens', () => {
  test('the API key alone mints a token that works for the named user', async () => {
    const r = await keyOnly(t)('POST', '/v1/tokens', { user_id: 'alice', ttl_s: 60 })
    expect(r.status).toBe(201)
    const rooms = await s.call('GET', '/v1/rooms', { headers: { authorization: `Bearer ${r.body.token}` } })
    expect(rooms.status).toBe(200)
    expect(rooms.body.rooms).toEqual([])
  })

  test('an X-User-Id sent along is still validated', async () => {
    for (const bad of ['bad id', '..', 'x'.repeat(129)])
      expectError(await keyOnly(t, { 'x-user-id': bad })('POST', '/v1/tokens', { user_id: 'alice' }), 400, 'VALIDATION_ERROR', 'X-User-Id')
    expect((await keyOnly(t, { 'x-user-id': 'backend' })('POST', '/v1/tokens', { user_id: 'alice' })).status).toBe(201)
  })

  test('credentials still come first: no key → 401, a user token → 403', async () => {
    expectError(await s.call('POST', '/v1/tokens', { body: { user_id: 'alice' } }), 401, 'AUTHENTICATION_ERROR')
    const token = (await keyOnly(t)('POST', '/v1/tokens', { user_id: 'alice' })).body.token
    const r = await s.call('POST', '/v1/tokens', { headers: { authorization: `Bearer ${token}` }, body: { user_id: 'mallory' } })
    expectError(r, 403, 'FORBIDDEN')
  })
})

describe('POST /v1/notify', () => {
  test('the API key alone notifies users', async () => {
    const r = await keyOnly(t)('POST', '/v1/notify', notifyBody({ user_ids: ['bob', 'carol'] }))
    expect(r.status).toBe(202)
    expect(r.body.recipients).toBe(2)
  })

  test('a malformed X-User-Id is refused', async () => {
    expectError(await keyOnly(t, { 'x-user-id': 'a b' })('POST', '/v1/notify', notifyBody({ user_ids: ['bob'] })), 400, 'VALIDATION_ERROR', 'X-User-Id')
  })

  test('without X-User-Id any room of the tenant is allowed; with one, only rooms that user can see', async () => {
    const group = (await room(t.as('alice'), 'group', ['bob', 'carol'])).room_id
    const channel = (await room(t.as('alice'), 'channel', ['bob'])).room_id
    const foreign = (await room(other.as('alice'), 'group', ['bob'])).room_id

    const anyRoom = await keyOnly(t)('POST', '/v1/notify', notifyBody({ room_id: group }))
    expect(anyRoom.status).toBe(202)
    expect(anyRoom.body.recipients).toBe(3)
    expect((await keyOnly(t)('POST', '/v1/notify', notifyBody({ room_id: channel }))).body.recipients).toBe(2)

    // A user named: §2 room access for that user (a group is invisible, a channel's members-only).
    expectError(await keyOnly(t, { 'x-user-id': 'mallory' })('POST', '/v1/notify', notifyBody({ room_id: group })), 404, 'NOT_FOUND')
    expectError(await keyOnly(t, { 'x-user-id': 'mallory' })('POST', '/v1/notify', notifyBody({ room_id: channel })), 403, 'FORBIDDEN')
    expect((await keyOnly(t, { 'x-user-id': 'carol' })('POST', '/v1/notify', notifyBody({ room_id: group }))).status).toBe(202)

    // Without a user the room must still exist in this tenant.
    expectError(await keyOnly(t)('POST', '/v1/notify', notifyBody({ room_id: 'room_doesnotexist' })), 404, 'NOT_FOUND')
    expectError(await keyOnly(t)('POST', '/v1/notify', notifyBody({ room_id: foreign })), 404, 'NOT_FOUND')
  })
})

test('every other tenant call still needs X-User-Id (400 on that header)', async () => {
  const g = (await room(t.as('alice'), 'group', ['bob'])).room_id
  const calls: [string, string, unknown?][] = [
    ['GET', '/v1/rooms'],
    ['POST', '/v1/rooms', { type: 'group', members: ['bob'] }],
    ['GET', `/v1/rooms/${g}`],
    ['GET', `/v1/rooms/${g}/messages`],
    ['POST', `/v1/rooms/${g}/messages`, { content: 'x' }],
    ['POST', `/v1/rooms/${g}/members`, { user_ids: ['carol'] }],
    ['POST', '/v1/acks', { room_id: g, seq: 0 }],
    ['GET', '/v1/channels'],
    ['GET', '/v1/presence?user_ids=bob'],
    ['POST', '/v1/subscriptions', { topic: 'orders' }],
    ['GET', '/v1/subscriptions'],
  ]
  for (const [method, path, body] of calls) expectError(await keyOnly(t)(method, path, body), 400, 'VALIDATION_ERROR', 'X-User-Id')
})
