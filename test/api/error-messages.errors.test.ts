// Error messages name the input and the rule it broke (SPEC Revision 2, issue 15): schema failures
// are worded by one mapper from the schema (required, one-of, type, range, length, pattern), and
// the business rules the services check have their own plain text. REST bodies and WS frames alike.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'
import { ready } from '../ws/helpers'
import { room } from './helpers'

let s: TestServer
let t: TestTenant
let g: string
beforeAll(async () => {
  s = await startTestServer()
  t = await s.newTenant({ max_room_members: 3 })
  g = (await room(t.as('alice'), 'group', ['bob'])).room_id
})
afterAll(() => s.stop())

const USER_ID = '^(?!\\.+$)[A-Za-z0-9._:@-]{1,128}$'
/** [method, path (:g is the group), body, field, message] */
const rows: [string, string, unknown, string, string][] = [
  // required, per kind of room
  ['POST', '/v1/rooms', { type: 'group' }, 'members', 'members is required for a group'],
  ['POST', '/v1/rooms', { type: 'dm' }, 'members', 'members is required for a dm'],
  ['POST', '/v1/rooms', { members: [] }, 'type', 'type is required'],
  ['POST', '/v1/rooms/:g/members', {}, 'user_ids', 'user_ids is required'],
  ['POST', '/v1/acks', { room_id: ':g' }, 'seq', 'seq is required'],
  ['POST', '/v1/notify', { topic: 't', payload: {} }, 'targets', 'targets is required'],
  // one of
  ['POST', '/v1/rooms', { type: 'public', members: [] }, 'type', 'type must be one of dm, group, channel'],
  ['POST', '/v1/rooms', { type: 5, members: [] }, 'type', 'type must be one of dm, group, channel'],
  // types
  ['POST', '/v1/rooms', { type: 'group', members: 'bob' }, 'members', 'members must be an array'],
  ['POST', '/v1/rooms', { type: 'group', members: [1] }, 'members', 'members[0] must be a string'],
  ['POST', '/v1/rooms', { type: 'group', members: [], name: 5 }, 'name', 'name must be a string'],
  ['POST', '/v1/acks', { room_id: ':g', seq: '1' }, 'seq', 'seq must be an integer'],
  ['POST', '/v1/acks', { room_id: ':g', seq: 1.5 }, 'seq', 'seq must be an integer'],
  // ranges and lengths
  ['POST', '/v1/acks', { room_id: ':g', seq: -1 }, 'seq', 'seq must be at least 0'],
  ['POST', '/v1/rooms', { type: 'group', members: [], name: '' }, 'name', 'name must not be empty'],
  ['POST', '/v1/rooms', { type: 'group', members: [], name: 'n'.repeat(201) }, 'name', 'name must be at most 200 characters'],
  ['POST', '/v1/rooms/:g/members', { user_ids: [] }, 'user_ids', 'user_ids must have at least 1 item'],
  ['POST', '/v1/rooms/:g/messages', { content: '' }, 'content', 'content must not be empty'],
  // patterns
  ['POST', '/v1/rooms', { type: 'group', members: ['bad id'] }, 'members', `members[0] must match ${USER_ID}`],
  ['POST', '/v1/rooms/:g/members', { user_ids: ['ok', 'a/b'] }, 'user_ids', `user_ids[1] must match ${USER_ID}`],
  // business rules
  ['POST', '/v1/rooms', { type: 'dm', members: [] }, 'members', 'a dm needs exactly one other user in members (got 0)'],
  ['POST', '/v1/rooms', { type: 'dm', members: ['bob', 'carol'] }, 'members', 'a dm needs exactly one other user in members (got 2)'],
  ['POST', '/v1/rooms', { type: 'group', members: ['b', 'c', 'd'] }, 'members', 'a room holds at most 3 members, the creator included'],
  ['POST', '/v1/rooms/:g/members', { user_ids: ['x'], role: 'owner' }, 'role', 'role must be member or admin'],
  ['POST', '/v1/notify', { topic: 't', payload: {}, targets: {} }, 'targets', 'targets must name at least one of user_ids, room_id or topic_subscribers: true'],
]

test.each(rows)('%s %s %j → %s: %s', async (method, path, body, field, message) => {
  const fill = (v: unknown) => JSON.parse(JSON.stringify(v).replaceAll(':g', g))
  const r = await t.as('alice')(method, path.replace(':g', g), { body: fill(body) })
  expect(r.status).toBe(400)
  expect(r.body.error).toEqual({ code: 'VALIDATION_ERROR', field, message })
})

test('admin bodies use the same wording; tenant config checks name their key', async () => {
  const created = await s.admin('POST', '/v1/admin/tenants', { body: {} })
  expect(created.body.error).toEqual({ code: 'VALIDATION_ERROR', field: 'name', message: 'name is required' })
  const cfg = await s.admin('PATCH', `/v1/admin/tenants/${t.tenant_id}`, { body: { config: { require_user_tokens: 'yes' } } })
  expect(cfg.body.error).toEqual({ code: 'VALIDATION_ERROR', field: 'config.require_user_tokens', message: 'require_user_tokens must be a boolean' })
})

test('WebSocket frames: the frame type is the kind a field is required for', async () => {
  const c = await ready(s.wsUrl, t.headers('alice'))
  const cases: [unknown, string, string][] = [
    [{ type: 'send_message', content: 'hi' }, 'room_id', 'room_id is required for send_message'],
    [{ type: 'ack', room_id: g, seq: -1 }, 'seq', 'seq must be at least 0'],
    [{ type: 'send_message', room_id: g, content: 'x', client_msg_id: 'a b' }, 'client_msg_id', 'client_msg_id must match ^[A-Za-z0-9._:-]{1,64}$'],
  ]
  for (const [frame, field, message] of cases) {
    c.send(frame as Record<string, unknown>)
    expect(await c.next('error')).toMatchObject({ code: 'VALIDATION_ERROR', field, message })
  }
  c.close()
})
