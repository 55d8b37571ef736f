// Tenant isolation and room invisibility (SPEC §2, TESTING D1/D2/B3): on every id-taking route, another
// tenant's room or message id answers exactly like a missing one, and a group/dm is a 404 to non-members.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'
import type { CallResult } from '../support/http'

let s: TestServer
let A: TestTenant // the caller's tenant
let B: TestTenant // the victim tenant; its users reuse the caller's user ids on purpose
const own: Record<string, string> = {}
const foreign: Record<string, string> = {}
const MISSING_ROOM = 'room_0000000000000000000000'
const MISSING_MSG = 'msg_0000000000000000000000'

const created = async (r: Promise<CallResult>) => {
  const x = await r
  if (x.status !== 201) throw new Error(`setup: ${x.status} ${JSON.stringify(x.body)}`)
  return x.body
}

beforeAll(async () => {
  s = await startTestServer()
  A = await s.newTenant()
  B = await s.newTenant()
  for (const [t, out] of [[A, own], [B, foreign]] as const) {
    const alice = t.as('alice')
    out.group = (await created(alice('POST', '/v1/rooms', { body: { type: 'group', members: ['bob'], name: 'g' } }))).room_id
    out.channel = (await created(alice('POST', '/v1/rooms', { body: { type: 'channel', members: ['bob'], name: 'c' } }))).room_id
    out.dm = (await created(alice('POST', '/v1/rooms', { body: { type: 'dm', members: ['bob'] } }))).room_id
    out.msg = (await created(alice('POST', `/v1/rooms/${out.group}/messages`, { body: { content: 'secret', client_msg_id: 'same' } }))).message_id
    out.channelMsg = (await created(alice('POST', `/v1/rooms/${out.channel}/messages`, { body: { content: 'secret' } }))).message_id
  }
})
afterAll(() => s.stop())

/** Every route that takes a room id (and the message routes, which take both). */
const ROOM_ROUTES: [string, string, (room: string) => unknown][] = [
  ['GET', '/v1/rooms/:room', () => undefined],
  ['PATCH', '/v1/rooms/:room', () => ({ name: 'pwned' })],
  ['POST', '/v1/rooms/:room/join', () => undefined],
  ['GET', '/v1/rooms/:room/members', () => undefined],
  ['POST', '/v1/rooms/:room/members', () => ({ user_ids: ['mallory'] })],
  ['DELETE', '/v1/rooms/:room/members/bob', () => undefined],
  ['DELETE', '/v1/rooms/:room/members/alice', () => undefined],
  ['GET', '/v1/rooms/:room/messages', () => undefined],
  ['GET', '/v1/rooms/:room/messages?after_seq=0', () => undefined],
  ['POST', '/v1/rooms/:room/messages', () => ({ content: 'pwned' })],
  ['GET', '/v1/rooms/:room/messages/:msg', () => undefined],
  ['PATCH', '/v1/rooms/:room/messages/:msg', () => ({ content: 'pwned' })],
  ['DELETE', '/v1/rooms/:room/messages/:msg', () => undefined],
  ['POST', '/v1/acks', (room) => ({ room_id: room, seq: 0 })],
  ['POST', '/v1/rooms/:room/read', () => ({ seq: 0 })],
  // SPEC Revision 2 (§11-§15): the same §2 rules on every new route that names a room
  ['PATCH', '/v1/rooms/:room', () => ({ read_only: true })],
  ['DELETE', '/v1/rooms/:room', () => undefined],
  ['GET', '/v1/rooms/:room/changes', () => undefined],
  ['GET', '/v1/rooms/:room/messages/:msg/replies', () => undefined],
  ['PUT', '/v1/rooms/:room/messages/:msg/reactions/%F0%9F%91%8D', () => undefined],
  ['DELETE', '/v1/rooms/:room/messages/:msg/reactions/%F0%9F%91%8D', () => undefined],
  ['GET', '/v1/rooms/:room/messages/:msg/reactions', () => undefined],
  ['PUT', '/v1/rooms/:room/pins/:msg', () => undefined],
  ['DELETE', '/v1/rooms/:room/pins/:msg', () => undefined],
  ['GET', '/v1/rooms/:room/pins', () => undefined],
  ['POST', '/v1/rooms/:room/bans', () => ({ user_id: 'bob' })],
  ['GET', '/v1/rooms/:room/bans', () => undefined],
  ['DELETE', '/v1/rooms/:room/bans/bob', () => undefined],
  ['POST', '/v1/rooms/:room/mutes', () => ({ user_id: 'bob' })],
  ['GET', '/v1/rooms/:room/mutes', () => undefined],
  ['DELETE', '/v1/rooms/:room/mutes/bob', () => undefined],
  ['GET', '/v1/search?q=secret&room_id=:room', () => undefined],
  ['POST', '/v1/reports', (room) => ({ room_id: room, user_id: 'bob', reason: 'spam' })],
  ['GET', '/v1/rooms/:room/export', () => undefined],
]

const hit = (t: TestTenant, user: string, method: string, path: string, room: string, msg: string, body: unknown) =>
  t.as(user)(method, path.replace(':room', room).replace(':msg', msg), { body })
const shape = (r: CallResult) => ({ status: r.status, body: r.body })

describe("another tenant's ids answer exactly like missing ones (404)", () => {
  for (const kind of ['group', 'channel', 'dm'] as const) {
    test.each(ROOM_ROUTES)(`${kind}: %s %s`, async (...[method, path, body]: (typeof ROOM_ROUTES)[number]) => {
      const msg = kind === 'channel' ? foreign.channelMsg : foreign.msg
      const theirs = await hit(A, 'alice', method, path, foreign[kind], msg, body(foreign[kind]))
      const missing = await hit(A, 'alice', method, path, MISSING_ROOM, MISSING_MSG, body(MISSING_ROOM))
      expect(theirs.status).toBe(404)
      expect(theirs.body.error.code).toBe('NOT_FOUND')
      expect(shape(theirs)).toEqual(shape(missing))
    })
  }

  const MSG_ROUTES = ROOM_ROUTES.filter(([, p]) => p.includes(':msg'))
  test.each(MSG_ROUTES)("their message id in our own room: %s %s", async (...[method, path, body]: (typeof MSG_ROUTES)[number]) => {
    const theirs = await hit(A, 'alice', method, path, own.group, foreign.msg, body(own.group))
    const missing = await hit(A, 'alice', method, path, own.group, MISSING_MSG, body(own.group))
    expect(theirs.status).toBe(404)
    expect(shape(theirs)).toEqual(shape(missing))
  })

  test('lists never show the other tenant, though the user ids are the same', async () => {
    const rooms = (await A.as('alice')('GET', '/v1/rooms')).body.rooms.map((r: any) => r.room_id).sort()
    expect(rooms).toEqual([own.group, own.channel, own.dm].sort())
    const channels = (await A.as('zed')('GET', '/v1/channels')).body.channels.map((r: any) => r.room_id)
    expect(channels).toEqual([own.channel])
  })

  test('dm pairs and client_msg_ids are scoped by tenant', async () => {
    const dm = await A.as('bob')('POST', '/v1/rooms', { body: { type: 'dm', members: ['alice'] } })
    expect(dm.status).toBe(200)
    expect(dm.body.room_id).toBe(own.dm)
    const ack = (await A.as('alice')('POST', `/v1/rooms/${own.group}/messages`, { body: { content: 'x', client_msg_id: 'same' } })).body
    expect(ack.message_id).not.toBe(foreign.msg)
  })

  test("after all of the above, the other tenant's data is untouched", async () => {
    const b = B.as('alice')
    expect((await b('GET', `/v1/rooms/${foreign.group}`)).body).toMatchObject({ name: 'g', last_seq: 1, member_count: 2 })
    expect((await b('GET', `/v1/rooms/${foreign.channel}`)).body).toMatchObject({ name: 'c', last_seq: 1, member_count: 2 })
    const members = (await b('GET', `/v1/rooms/${foreign.group}/members`)).body.members
    expect(members.map((m: any) => [m.user_id, m.role, m.last_read])).toEqual([['alice', 'owner', 1], ['bob', 'member', 0]])
    expect((await b('GET', `/v1/rooms/${foreign.group}/messages/${foreign.msg}`)).body).toMatchObject({ content: 'secret', deleted_at: null, edited_at: null })
    expect((await b('GET', `/v1/rooms/${foreign.dm}/members`)).body.members).toHaveLength(2)
    expect((await s.admin('GET', `/v1/admin/tenants/${B.tenant_id}`)).body.usage).toMatchObject({ rooms: 3, messages: 2 })
  })
})

describe('a group or dm is invisible to a non-member of the same tenant (404 like a missing room)', () => {
  for (const kind of ['group', 'dm'] as const) {
    test.each(ROOM_ROUTES)(`${kind}: %s %s`, async (...[method, path, body]: (typeof ROOM_ROUTES)[number]) => {
      const theirs = await hit(A, 'zed', method, path, own[kind], own.msg, body(own[kind]))
      const missing = await hit(A, 'zed', method, path, MISSING_ROOM, MISSING_MSG, body(MISSING_ROOM))
      expect(theirs.status).toBe(404)
      expect(shape(theirs)).toEqual(shape(missing))
    })
  }

  test('a channel is visible (GET 200) but everything else is 403 for a non-member', async () => {
    const zed = A.as('zed')
    expect((await zed('GET', `/v1/rooms/${own.channel}`)).status).toBe(200)
    for (const [method, path, body] of ROOM_ROUTES.filter(([m, p]) => !(m === 'GET' && p === '/v1/rooms/:room') && !p.endsWith('/join'))) {
      const r = await hit(A, 'zed', method, path, own.channel, own.channelMsg, body(own.channel))
      expect({ route: `${method} ${path}`, status: r.status, code: r.body.error?.code }).toEqual({ route: `${method} ${path}`, status: 403, code: 'FORBIDDEN' })
    }
  })
})
