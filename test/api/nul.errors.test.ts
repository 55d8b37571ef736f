// U+0000 in any string input → 400 VALIDATION_ERROR, the same on SQLite and PostgreSQL (issue 13
// item 9, security probe L2: PostgreSQL `text` cannot hold NUL and answered 500, SQLite stored it).
// Every case of the probe's list, over REST and WebSocket, plus nested JSON (meta, metadata, payload,
// config) and object keys; nothing of it is stored. Runs on PostgreSQL too (scripts/test-shared.sh).

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'
import { WsClient } from '../support/ws'
import { expectError, room, send } from './helpers'

let s: TestServer
let t: TestTenant
let g: string // alice's group with bob, one message
let msg: string
let ntf: string
beforeAll(async () => {
  s = await startTestServer()
  t = await s.newTenant()
  g = (await room(t.as('alice'), 'group', ['bob'], { name: 'g', metadata: { k: 'v' } })).room_id
  msg = (await send(t.as('alice'), g, 'hello')).message_id
  await t.as('alice')('POST', '/v1/subscriptions', { body: { topic: 'news' } })
  ntf = (await t.as('alice')('POST', '/v1/notify', { body: { topic: 'news', payload: { x: 1 }, targets: { user_ids: ['alice'] } } })).body.notification_id
})
afterAll(() => s.stop())

const NUL = '\u0000'
const cursor = (key: string[]) => Buffer.from(JSON.stringify(key)).toString('base64url')
const fill = (x: string) => x.replaceAll(':g', g).replaceAll(':m', msg).replaceAll(':t', t.tenant_id)

/** [name, method, path, body, field]: as alice, or with the master key for /v1/admin paths. */
type Row = [string, string, string, unknown, string]
const rows: Row[] = [
  // ids in the path (the probe's list first)
  ['room id %00', 'GET', '/v1/rooms/%00', undefined, 'room_id'],
  ['room id with %00 inside, history', 'GET', '/v1/rooms/room_%00x/messages', undefined, 'room_id'],
  ['message id with %00', 'GET', '/v1/rooms/:g/messages/msg_%00', undefined, 'message_id'],
  ['subscription id with %00', 'DELETE', '/v1/subscriptions/sub_%00', undefined, 'subscription_id'],
  ['member id %00', 'DELETE', '/v1/rooms/:g/members/%00', undefined, 'user_id'],
  ['join a room id with %00', 'POST', '/v1/rooms/r%00/join', undefined, 'room_id'],
  ['edit a message id with %00', 'PATCH', '/v1/rooms/:g/messages/m%00', { content: 'x' }, 'message_id'],
  ['admin: tenant id %00', 'GET', '/v1/admin/tenants/%00', undefined, 'tenant_id'],
  ['admin: rotate a tenant id with %00', 'POST', '/v1/admin/tenants/t%00/rotate-key', { which: 'api_key' }, 'tenant_id'],
  ['admin: dead letter id with %00', 'DELETE', '/v1/admin/dead-letters/d%00', undefined, 'id'],
  // query strings and cursors
  ['admin: dead letters tenant_id=%00', 'GET', '/v1/admin/dead-letters?tenant_id=%00', undefined, 'tenant_id'],
  ['presence user_ids with %00', 'GET', '/v1/presence?user_ids=a%00b', undefined, 'user_ids'],
  ['rooms cursor holding NUL', 'GET', `/v1/rooms?cursor=${cursor([NUL, 'x'])}`, undefined, 'cursor'],
  ['channels cursor holding NUL', 'GET', `/v1/channels?cursor=${cursor([NUL, 'x'])}`, undefined, 'cursor'],
  ['members cursor holding NUL', 'GET', `/v1/rooms/:g/members?cursor=${cursor(['x', NUL])}`, undefined, 'cursor'],
  // bodies: ids, content, names
  ['ack: room_id with NUL', 'POST', '/v1/acks', { room_id: `r${NUL}`, seq: 1 }, 'room_id'],
  ['send: content with NUL', 'POST', '/v1/rooms/:g/messages', { content: `nul${NUL}inside` }, 'content'],
  ['create room: name with NUL', 'POST', '/v1/rooms', { type: 'group', name: `n${NUL}`, members: [] }, 'name'],
  ['patch room: name with NUL', 'PATCH', '/v1/rooms/:g', { name: `a${NUL}b` }, 'name'],
  ['edit: content with NUL', 'PATCH', '/v1/rooms/:g/messages/:m', { content: `e${NUL}` }, 'content'],
  ['add members: user id with NUL', 'POST', '/v1/rooms/:g/members', { user_ids: [`u${NUL}`] }, 'user_ids'],
  ['token: user_id with NUL', 'POST', '/v1/tokens', { user_id: `u${NUL}` }, 'user_id'],
  ['subscribe: topic with NUL', 'POST', '/v1/subscriptions', { topic: `t${NUL}` }, 'topic'],
  ['admin: tenant name with NUL', 'POST', '/v1/admin/tenants', { name: `t${NUL}` }, 'name'],
  // nested JSON and keys: refused the same way, although these would be stored JSON-escaped
  ['send: NUL deep in meta', 'POST', '/v1/rooms/:g/messages', { content: 'x', meta: { a: [{ b: `c${NUL}` }] } }, 'meta'],
  ['send: NUL in a meta key', 'POST', '/v1/rooms/:g/messages', { content: 'x', meta: { [`k${NUL}`]: 1 } }, 'meta'],
  ['patch room: NUL in metadata', 'PATCH', '/v1/rooms/:g', { metadata: { k: NUL } }, 'metadata'],
  ['notify: NUL in payload', 'POST', '/v1/notify', { topic: 'news', payload: { p: NUL }, targets: { user_ids: ['alice'] } }, 'payload'],
  ['admin: NUL in a config value', 'PATCH', '/v1/admin/tenants/:t', { config: { webhook_events: [`m${NUL}`] } }, 'config'],
  ['NUL in an unknown top-level key', 'POST', '/v1/rooms/:g/messages', { content: 'x', [`z${NUL}`]: 1 }, 'body'],
]

async function callRow(method: string, path: string, body: unknown) {
  const p = fill(path)
  if (p.startsWith('/v1/admin/')) return s.admin(method, p, { body })
  return t.as('alice')(method, p, { body })
}

/** What the cases could have changed if they were accepted. */
async function snapshot() {
  const alice = t.as('alice')
  return {
    room: (await alice('GET', `/v1/rooms/${g}`)).body,
    history: (await alice('GET', `/v1/rooms/${g}/messages?limit=200`)).body,
    rooms: (await alice('GET', '/v1/rooms')).body,
    members: (await alice('GET', `/v1/rooms/${g}/members`)).body,
    subscriptions: (await alice('GET', '/v1/subscriptions')).body,
    tenants: (await s.admin('GET', '/v1/admin/tenants')).body.tenants.length,
    tenant: (await s.admin('GET', `/v1/admin/tenants/${t.tenant_id}`)).body.config,
  }
}

describe('REST: U+0000 anywhere → 400 VALIDATION_ERROR, nothing stored', () => {
  let before: Awaited<ReturnType<typeof snapshot>>
  beforeAll(async () => (before = await snapshot()))

  test.each(rows)('%s', async (...[, method, path, body, field]: Row) => {
    expectError(await callRow(method, path, body), 400, 'VALIDATION_ERROR', field)
  })

  test('a raw NUL byte in a JSON body is malformed JSON (400)', async () => {
    const r = await t.as('alice')('POST', `/v1/rooms/${g}/messages`, { headers: { 'content-type': 'application/json' }, raw: `{"content":"a${NUL}b"}` })
    expectError(r, 400, 'VALIDATION_ERROR', undefined)
  })

  test('nothing above was stored', async () => {
    expect(await snapshot()).toEqual(before)
  })

  test('look-alikes are not NUL: an escaped backslash before u0000, %2500, U+2400', async () => {
    const alice = t.as('alice')
    const text = '\\u0000 and \\\\u0000 and ␀'
    const raw = `{"content":${JSON.stringify(text)},"meta":{"k":"\\\\u0000"}}`
    expect(raw).toContain('\\\\u0000') // the body holds a backslash escape followed by u0000
    const sent = await alice('POST', `/v1/rooms/${g}/messages`, { headers: { 'content-type': 'application/json' }, raw })
    expect(sent.status).toBe(201)
    expect((await alice('GET', `/v1/rooms/${g}/messages/${sent.body.message_id}`)).body).toMatchObject({ content: text, meta: { k: '\\u0000' } })
    expectError(await alice('GET', '/v1/rooms/r%2500'), 404, 'NOT_FOUND', undefined)
  })
})

describe('WebSocket: U+0000 in any frame string → error VALIDATION_ERROR, nothing stored', () => {
  const frames: [string, () => Record<string, unknown>, string][] = [
    ['send_message content', () => ({ type: 'send_message', room_id: g, content: `nul${NUL}inside` }), 'content'],
    ['send_message room_id', () => ({ type: 'send_message', room_id: `r${NUL}`, content: 'x' }), 'room_id'],
    ['send_message meta (nested)', () => ({ type: 'send_message', room_id: g, content: 'x', meta: { a: { b: [NUL] } } }), 'meta'],
    ['send_message meta key', () => ({ type: 'send_message', room_id: g, content: 'x', meta: { [NUL]: 1 } }), 'meta'],
    ['ack room_id', () => ({ type: 'ack', room_id: `r${NUL}`, seq: 1 }), 'room_id'],
    ['read room_id', () => ({ type: 'read', room_id: `${g}${NUL}`, seq: 1 }), 'room_id'],
    ['sync room_id', () => ({ type: 'sync', room_id: `r${NUL}`, after_seq: 0 }), 'room_id'],
    ['typing.start room_id', () => ({ type: 'typing.start', room_id: `r${NUL}` }), 'room_id'],
    ['notification.ack notification_id', () => ({ type: 'notification.ack', notification_id: `n${NUL}` }), 'notification_id'],
  ]
  let ws: WsClient
  let before: Awaited<ReturnType<typeof snapshot>>
  beforeAll(async () => {
    ws = await WsClient.connect(s.wsUrl, t.headers('alice'))
    await ws.next('sync.done')
    before = await snapshot() // with alice online (members show presence)
  })
  afterAll(() => ws.close())

  test.each(frames)('%s', async (_, frame, field) => {
    const reply = await ws.request(frame(), 'never')
    expect(reply).toMatchObject({ type: 'error', code: 'VALIDATION_ERROR', field })
  })

  test('a NUL in request_id is refused too, and the socket stays usable', async () => {
    ws.send({ type: 'ping', request_id: `p${NUL}` })
    expect(await ws.next('error')).toMatchObject({ code: 'VALIDATION_ERROR', field: 'request_id' })
    expect(await ws.request({ type: 'ping' }, 'pong')).toMatchObject({ type: 'pong' })
  })

  test('nothing was stored, and the real ids still work after the refused ones', async () => {
    expect(await snapshot()).toEqual(before)
    // notification.ack answers nothing on success: a ping after it is the barrier (pong once it is handled).
    ws.send({ type: 'notification.ack', notification_id: ntf, request_id: 'real-ack' })
    await ws.request({ type: 'ping' }, 'pong')
    expect(ws.log.filter((f) => f.request_id === 'real-ack')).toEqual([])
  })
})
