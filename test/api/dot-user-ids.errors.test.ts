// User ids made only of dots (`.`, `..`, `...`) are refused with 400 wherever a user id is accepted
// (issue 13 item 10, security probe L3): URL dot-segment normalisation turns
// DELETE /v1/rooms/R/members/.. into DELETE /v1/rooms, so such a member could never be removed.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { signUserToken } from '../../src/services/token'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'
import { expectError, room } from './helpers'

const DOTS = ['.', '..', '...']

let s: TestServer
let t: TestTenant
let g: string
beforeAll(async () => {
  s = await startTestServer()
  t = await s.newTenant()
  g = (await room(t.as('carol'), 'group', ['dave'])).room_id
})
afterAll(() => s.stop())

describe('dot-only user ids → 400', () => {
  test('create a room with members [.., ., dave]: 400 on members, nothing created', async () => {
    expectError(await t.as('carol')('POST', '/v1/rooms', { body: { type: 'group', members: ['..', '.', 'dave'] } }), 400, 'VALIDATION_ERROR', 'members')
    expect((await t.as('carol')('GET', '/v1/rooms')).body.rooms.map((r: { room_id: string }) => r.room_id)).toEqual([g])
  })

  test.each(DOTS)('X-User-Id %p → 400 on X-User-Id', async (id) => {
    expectError(await t.as(id)('GET', '/v1/rooms'), 400, 'VALIDATION_ERROR', 'X-User-Id')
  })

  test.each(DOTS)('add member %p → 400 on user_ids, members unchanged', async (id) => {
    expectError(await t.as('carol')('POST', `/v1/rooms/${g}/members`, { body: { user_ids: ['erin', id] } }), 400, 'VALIDATION_ERROR', 'user_ids')
    const members = (await t.as('carol')('GET', `/v1/rooms/${g}/members`)).body.members.map((m: { user_id: string }) => m.user_id)
    expect(members.sort()).toEqual(['carol', 'dave'])
  })

  test.each(DOTS)('dm with %p → 400 on members', async (id) => {
    expectError(await t.as('carol')('POST', '/v1/rooms', { body: { type: 'dm', members: [id] } }), 400, 'VALIDATION_ERROR', 'members')
  })

  test.each(DOTS)('token mint for %p → 400 on user_id', async (id) => {
    expectError(await t.as('carol')('POST', '/v1/tokens', { body: { user_id: id } }), 400, 'VALIDATION_ERROR', 'user_id')
  })

  test.each(DOTS)('notify targets %p → 400 on targets', async (id) => {
    const r = await t.as('carol')('POST', '/v1/notify', { body: { topic: 'x', payload: {}, targets: { user_ids: [id] } } })
    expectError(r, 400, 'VALIDATION_ERROR', 'targets')
  })

  test('a validly signed token whose sub is ".." is refused (401), over REST and WebSocket', async () => {
    const token = await signUserToken(t.user_token_secret, { sub: '..', tid: t.tenant_id, exp: Math.floor(Date.now() / 1000) + 600 })
    expectError(await s.call('GET', '/v1/rooms', { headers: { authorization: `Bearer ${token}` } }), 401, 'AUTHENTICATION_ERROR', undefined)
    const upgrade = await fetch(`${s.url}/ws?token=${token}`, { headers: { upgrade: 'websocket', connection: 'upgrade', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' } })
    expect(upgrade.status).toBe(401)
  })

  test('a WebSocket upgrade as X-User-Id ".." is refused before any upgrade', async () => {
    const r = await fetch(`${s.url}/ws`, { headers: { ...t.headers('..'), upgrade: 'websocket', connection: 'upgrade', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' } })
    expect(r.status).toBe(401) // SPEC §10: any credential problem on an upgrade is 401
  })

  test('ids with dots and something else stay valid: .a, a., a..b, ..x, .:.', async () => {
    const ids = ['.a', 'a.', 'a..b', '..x', '.:.']
    for (const id of ids) expect((await t.as(id)('GET', '/v1/rooms')).status).toBe(200)
    expect((await t.as('carol')('POST', `/v1/rooms/${g}/members`, { body: { user_ids: ids } })).status).toBe(200)
    for (const id of ids) expect((await t.as('carol')('DELETE', `/v1/rooms/${g}/members/${encodeURIComponent(id)}`)).status).toBe(204)
  })
})
