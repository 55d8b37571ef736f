// SPEC §3: unknown body fields are ignored and never stored (mass assignment, OWASP API3). Read back to check.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { startTestServer, type TestServer } from '../support/server'
import { call } from '../support/http'
import { expectError, room, send } from './helpers'

let s: TestServer
beforeAll(async () => (s = await startTestServer()))
afterAll(() => s.stop())

const ROOM_KEYS = ['created_at', 'first_seq', 'last_rev', 'last_seq', 'member_count', 'metadata', 'name', 'read_only', 'room_id', 'type', 'unique_key']
const MSG_KEYS = [
  'attachments', 'client_msg_id', 'content', 'created_at', 'deleted_at', 'edited_at', 'last_reply_at', 'mentions', 'message_id', 'meta',
  'parent_id', 'pinned_at', 'pinned_by', 'reactions', 'reply_count', 'rev', 'room_id', 'sender_id', 'seq',
]

test('room creation ignores server-owned fields', async () => {
  const t = await s.newTenant()
  const other = await s.newTenant()
  const r = await t.as('alice')('POST', '/v1/rooms', {
    body: {
      type: 'group', members: ['bob'], name: 'n',
      room_id: 'room_mine', tenant_id: other.tenant_id, unique_key: 'dm:x|y', last_seq: 99, member_count: 1000,
      created_at: '2000-01-01T00:00:00.000Z', owner: 'mallory', role: 'admin',
    },
  })
  expect(r.status).toBe(201)
  const got = await t.as('alice')('GET', `/v1/rooms/${r.body.room_id}`)
  expect(Object.keys(got.body).sort()).toEqual(ROOM_KEYS)
  expect(got.body).toMatchObject({ unique_key: null, last_seq: 0, member_count: 2 })
  expect(got.body.room_id).not.toBe('room_mine')
  expect(got.body.created_at).not.toBe('2000-01-01T00:00:00.000Z')
  expect((await other.as('alice')('GET', '/v1/rooms')).body.rooms).toEqual([])
  const members = (await t.as('alice')('GET', `/v1/rooms/${r.body.room_id}/members`)).body.members
  expect(members.map((m: any) => [m.user_id, m.role])).toEqual([['alice', 'owner'], ['bob', 'member']])
})

test('PATCH room cannot change type, key, counters or membership', async () => {
  const t = await s.newTenant()
  const g = await room(t.as('alice'), 'group', ['bob'])
  const r = await t.as('alice')('PATCH', `/v1/rooms/${g.room_id}`, {
    body: { name: 'ok', type: 'channel', unique_key: 'k', last_seq: 5, member_count: 9, room_id: 'room_x', members: ['eve'] },
  })
  expect(r.status).toBe(200)
  expect(r.body).toEqual({ ...g, name: 'ok' })
  expect((await t.as('zed')('GET', '/v1/channels')).body.channels).toEqual([]) // still a group, not discoverable
  expectError(await t.as('eve')('GET', `/v1/rooms/${g.room_id}`), 404, 'NOT_FOUND')
})

test('a message ignores seq, sender, ids and timestamps from the body', async () => {
  const t = await s.newTenant()
  const g = await room(t.as('alice'), 'group', ['bob'])
  const r = await t.as('alice')('POST', `/v1/rooms/${g.room_id}/messages`, {
    body: {
      content: 'real', seq: 999, sender_id: 'bob', message_id: 'msg_mine', room_id: 'room_other', tenant_id: 'tnt_x',
      created_at: '2000-01-01T00:00:00.000Z', edited_at: '2000-01-01T00:00:00.000Z', deleted_at: '2000-01-01T00:00:00.000Z',
      rev: 50, reply_count: 9, last_reply_at: '2000-01-01T00:00:00.000Z', reactions: [{ key: 'x', count: 3, user_ids: ['eve'] }],
      pinned_at: '2000-01-01T00:00:00.000Z', pinned_by: 'eve',
    }, // attachments is a client field since SPEC §12 (upload ids, tested in test/api/uploads*)
  })
  expect(r.status).toBe(201)
  expect(r.body.seq).toBe(1)
  const got = await t.as('bob')('GET', `/v1/rooms/${g.room_id}/messages/${r.body.message_id}`)
  expect(Object.keys(got.body).sort()).toEqual(MSG_KEYS)
  expect(got.body).toMatchObject({ seq: 1, sender_id: 'alice', room_id: g.room_id, edited_at: null, deleted_at: null, content: 'real' })
  expect(got.body).toMatchObject({ rev: 0, reply_count: 0, last_reply_at: null, reactions: [], pinned_at: null, pinned_by: null, attachments: [] })
  expect(got.body.message_id).not.toBe('msg_mine')
  expect(got.body.created_at).not.toBe('2000-01-01T00:00:00.000Z')
})

test('an edit ignores everything but content and meta', async () => {
  const t = await s.newTenant()
  const g = await room(t.as('alice'), 'group', ['bob'])
  const m = await send(t.as('alice'), g.room_id, 'v1')
  const r = await t.as('alice')('PATCH', `/v1/rooms/${g.room_id}/messages/${m.message_id}`, {
    body: { content: 'v2', sender_id: 'bob', seq: 7, deleted_at: '2000-01-01T00:00:00.000Z', client_msg_id: 'x' },
  })
  expect(r.status).toBe(200)
  expect(r.body).toMatchObject({ content: 'v2', sender_id: 'alice', seq: 1, deleted_at: null, client_msg_id: null })
  // bob still cannot edit: sender_id was not reassigned
  expect((await t.as('bob')('PATCH', `/v1/rooms/${g.room_id}/messages/${m.message_id}`, { body: { content: 'x' } })).status).toBe(403)
})

test('adding members: extra fields cannot raise a role; join and acks ignore extra fields', async () => {
  const t = await s.newTenant()
  const a = t.as('alice')
  const g = await room(a, 'group', ['bob'])
  const r = await a('POST', `/v1/rooms/${g.room_id}/members`, { body: { user_ids: ['carol'], is_admin: true, roles: { carol: 'owner' }, owner: 'carol' } })
  expect(r.body.members).toMatchObject([{ user_id: 'carol', role: 'member' }])
  await send(a, g.room_id, 'one')
  const ack = await t.as('bob')('POST', '/v1/acks', { body: { room_id: g.room_id, seq: 1, user_id: 'carol', last_read: 1 } })
  expect(ack.body).toEqual({ room_id: g.room_id, last_ack: 1 })
  const read = await t.as('bob')('POST', `/v1/rooms/${g.room_id}/read`, { body: { seq: 0, room_id: 'room_x', user_id: 'carol' } })
  expect(read.body).toEqual({ room_id: g.room_id, last_read: 0 })
  const carol = (await a('GET', `/v1/rooms/${g.room_id}/members`)).body.members.find((m: any) => m.user_id === 'carol')
  expect(carol).toMatchObject({ role: 'member', last_ack: 0, last_read: 0 })
})

test('tenant create and patch ignore ids, secrets and unknown config keys', async () => {
  const r = await s.admin('POST', '/v1/admin/tenants', {
    body: { name: 'n', tenant_id: 'tnt_mine', api_key: 'sk_mine', webhook_secret: 'whsec_mine', created_at: '2000-01-01T00:00:00.000Z', config: { rate_limit_per_sec: 5, unknown_knob: 1 } },
  })
  expect(r.status).toBe(201)
  expect(r.body.tenant_id).not.toBe('tnt_mine')
  expect(r.body.api_key).not.toBe('sk_mine')
  expect(r.body.webhook_secret).not.toBe('whsec_mine')
  expect(r.body.config).toEqual({ rate_limit_per_sec: 5 })
  expect((await call(s.url, 'GET', '/v1/rooms', { headers: { 'x-api-key': 'sk_mine', 'x-user-id': 'a' } })).status).toBe(401)
  const p = await s.admin('PATCH', `/v1/admin/tenants/${r.body.tenant_id}`, { body: { api_key: 'sk_mine2', tenant_id: 'tnt_x', config: { nope: true, features: { typing: false, extra: true } } } })
  expect(p.status).toBe(200)
  expect(p.body.tenant_id).toBe(r.body.tenant_id)
  expect((await s.admin('GET', `/v1/admin/tenants/${r.body.tenant_id}`)).body.config).toEqual({ rate_limit_per_sec: 5, features: { typing: false } })
  expect((await call(s.url, 'GET', '/v1/rooms', { headers: { 'x-api-key': r.body.api_key, 'x-user-id': 'a' } })).status).toBe(200)
  expect((await call(s.url, 'GET', '/v1/rooms', { headers: { 'x-api-key': 'sk_mine2', 'x-user-id': 'a' } })).status).toBe(401)
})
