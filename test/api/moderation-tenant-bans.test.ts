// Tenant-wide bans (SPEC §14), black box: API key only, every REST call of the banned user 403
// (key or token), new WebSocket connections 403, other users untouched, lift and expiry.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { startTestServer, type TestServer } from '../support/server'
import { upgradeStatus } from '../ws/helpers'
import { expectError, ISO_MS, room, send } from './helpers'

let s: TestServer
beforeAll(async () => {
  s = await startTestServer()
})
afterAll(() => s.stop())

const token = async (t: { as(u: string): any }, user: string) => (await t.as('backend')('POST', '/v1/tokens', { body: { user_id: user } })).body.token as string

test('POST /v1/moderation/bans with the key alone: 201; every call of the user is 403 (key or token), others go on; lifting restores', async () => {
  const t = await s.newTenant()
  const alice = t.as('alice')
  const bob = t.as('bob')
  const r0 = (await room(alice, 'group', ['bob'])).room_id
  const bobToken = await token(t, 'bob')
  const r = await s.call('POST', '/v1/moderation/bans', { headers: { 'x-api-key': t.api_key }, body: { user_id: 'bob', reason: 'fraud' } })
  expect(r.status).toBe(201)
  expect(r.body).toEqual({ user_id: 'bob', reason: 'fraud', created_by: 'api_key', created_at: expect.stringMatching(ISO_MS), expires_at: null })

  expectError(await bob('GET', '/v1/rooms'), 403, 'FORBIDDEN')
  expectError(await bob('POST', `/v1/rooms/${r0}/messages`, { body: { content: 'hi' } }), 403, 'FORBIDDEN')
  expectError(await s.call('GET', '/v1/rooms', { headers: { authorization: `Bearer ${bobToken}` } }), 403, 'FORBIDDEN')
  // An app-level call made as the banned user is refused too; the same call without a user is not.
  expectError(await s.call('POST', '/v1/tokens', { headers: { 'x-api-key': t.api_key, 'x-user-id': 'bob' }, body: { user_id: 'carol' } }), 403, 'FORBIDDEN')
  expect((await s.call('POST', '/v1/tokens', { headers: { 'x-api-key': t.api_key }, body: { user_id: 'bob' } })).status).toBe(201)
  expect(await upgradeStatus(s.wsUrl, t.headers('bob'))).toBe(403)
  expect(await upgradeStatus(`${s.wsUrl}?token=${bobToken}`, {})).toBe(403)
  expect(await upgradeStatus(s.wsUrl, t.headers('alice'))).toBe(101)
  await send(alice, r0, 'alice is fine')
  // Memberships stay: the ban is about the user, not their rooms.
  expect((await alice('GET', `/v1/rooms/${r0}/members`)).body.members.map((m: any) => m.user_id).sort()).toEqual(['alice', 'bob'])

  const list = await s.call('GET', '/v1/moderation/bans', { headers: { 'x-api-key': t.api_key } })
  expect(list.body).toEqual({ bans: [r.body], next_cursor: null })
  expect((await s.call('DELETE', '/v1/moderation/bans/bob', { headers: { 'x-api-key': t.api_key } })).status).toBe(204)
  expect((await bob('GET', '/v1/rooms')).status).toBe(200)
  expect(await upgradeStatus(s.wsUrl, t.headers('bob'))).toBe(101)
  expect((await s.call('DELETE', '/v1/moderation/bans/bob', { headers: { 'x-api-key': t.api_key } })).status).toBe(204)
})

test('a ban with duration_s ends on its own', async () => {
  const t = await s.newTenant()
  const r = await s.call('POST', '/v1/moderation/bans', { headers: { 'x-api-key': t.api_key }, body: { user_id: 'bob', duration_s: 1 } })
  expect(Date.parse(r.body.expires_at) - Date.parse(r.body.created_at)).toBe(1000)
  expectError(await t.as('bob')('GET', '/v1/rooms'), 403, 'FORBIDDEN')
  const deadline = Date.now() + 5000
  let status = 403
  while (status === 403 && Date.now() < deadline) {
    await Bun.sleep(100)
    status = (await t.as('bob')('GET', '/v1/rooms')).status
  }
  expect(status).toBe(200)
  expect((await s.call('GET', '/v1/moderation/bans', { headers: { 'x-api-key': t.api_key } })).body.bans).toEqual([])
})

test('the moderation routes need the API key (a token gets 403) and validate their input; tenants are apart', async () => {
  const t = await s.newTenant()
  const other = await s.newTenant()
  const bearer = { authorization: `Bearer ${await token(t, 'alice')}` }
  expectError(await s.call('POST', '/v1/moderation/bans', { headers: bearer, body: { user_id: 'bob' } }), 403, 'FORBIDDEN')
  expectError(await s.call('GET', '/v1/moderation/bans', { headers: bearer }), 403, 'FORBIDDEN')
  expectError(await s.call('DELETE', '/v1/moderation/bans/bob', { headers: bearer }), 403, 'FORBIDDEN')
  expectError(await s.call('GET', '/v1/moderation/bans'), 401, 'AUTHENTICATION_ERROR')
  const key = { 'x-api-key': t.api_key }
  expectError(await s.call('POST', '/v1/moderation/bans', { headers: key, body: { user_id: '' } }), 400, 'VALIDATION_ERROR', 'user_id')
  expectError(await s.call('POST', '/v1/moderation/bans', { headers: key, body: { user_id: 'bob', duration_s: -1 } }), 400, 'VALIDATION_ERROR', 'duration_s')
  expectError(await s.call('GET', '/v1/moderation/bans?limit=201', { headers: key }), 400, 'VALIDATION_ERROR', 'limit')
  expectError(await s.call('POST', '/v1/moderation/bans', { headers: { ...key, 'x-user-id': 'bad id' }, body: { user_id: 'bob' } }), 400, 'VALIDATION_ERROR', 'X-User-Id')

  expect((await s.call('POST', '/v1/moderation/bans', { headers: key, body: { user_id: 'bob' } })).status).toBe(201)
  expect((await other.as('bob')('GET', '/v1/rooms')).status).toBe(200) // bob of another tenant is someone else
  expect((await s.call('GET', '/v1/moderation/bans', { headers: { 'x-api-key': other.api_key } })).body.bans).toEqual([])
})

test('banning again replaces the ban (reason and end); the list pages oldest first', async () => {
  const t = await s.newTenant()
  const key = { 'x-api-key': t.api_key }
  for (const u of ['u1', 'u2', 'u3']) expect((await s.call('POST', '/v1/moderation/bans', { headers: key, body: { user_id: u } })).status).toBe(201)
  const again = await s.call('POST', '/v1/moderation/bans', { headers: key, body: { user_id: 'u1', reason: 'second time', duration_s: 3600 } })
  expect(again.body).toMatchObject({ user_id: 'u1', reason: 'second time', expires_at: expect.stringMatching(ISO_MS) })
  const p1 = await s.call('GET', '/v1/moderation/bans?limit=2', { headers: key })
  expect(p1.body.bans.map((b: any) => b.user_id)).toEqual(['u2', 'u3'])
  const p2 = await s.call('GET', `/v1/moderation/bans?limit=2&cursor=${p1.body.next_cursor}`, { headers: key })
  expect(p2.body).toEqual({ bans: [again.body], next_cursor: null })
})
