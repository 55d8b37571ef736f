// Scenario table: 400 VALIDATION_ERROR with the faulty `field` (SPEC §3, §7, §10) on every tenant and admin route.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'
import { expectError, room, send } from './helpers'

let s: TestServer
let t: TestTenant
let g: string // a group alice owns, with bob; one message
let msg: string
beforeAll(async () => {
  s = await startTestServer()
  t = await s.newTenant({ max_room_members: 3 })
  g = (await room(t.as('alice'), 'group', ['bob'])).room_id
  msg = (await send(t.as('alice'), g, 'hello')).message_id
})
afterAll(() => s.stop())

const big = (bytes: number) => ({ pad: 'x'.repeat(bytes) }) // serializes to bytes + 10
const KiB8 = 8 * 1024
/** [name, method, path (:g and :m are replaced), body, field] */
type Row = [string, string, string, unknown, string]

const tenantRows: Row[] = [
  // POST /v1/rooms
  ['room: no type', 'POST', '/v1/rooms', { members: [] }, 'type'],
  ['room: unknown type', 'POST', '/v1/rooms', { type: 'public', members: [] }, 'type'],
  ['room: numeric type', 'POST', '/v1/rooms', { type: 5, members: [] }, 'type'],
  ['room: no members', 'POST', '/v1/rooms', { type: 'group' }, 'members'],
  ['room: members not a list', 'POST', '/v1/rooms', { type: 'group', members: 'bob' }, 'members'],
  ['room: member not a string', 'POST', '/v1/rooms', { type: 'group', members: [1] }, 'members'],
  ['room: malformed member id', 'POST', '/v1/rooms', { type: 'group', members: ['bad id'] }, 'members'],
  ['room: member id of 129 chars', 'POST', '/v1/rooms', { type: 'group', members: ['u'.repeat(129)] }, 'members'],
  ['room: dm with nobody', 'POST', '/v1/rooms', { type: 'dm', members: [] }, 'members'],
  ['room: dm with only the caller', 'POST', '/v1/rooms', { type: 'dm', members: ['alice'] }, 'members'],
  ['room: dm with two others', 'POST', '/v1/rooms', { type: 'dm', members: ['bob', 'carol'] }, 'members'],
  ['room: group past max_room_members', 'POST', '/v1/rooms', { type: 'group', members: ['b', 'c', 'd'] }, 'members'],
  ['room: channel past max_room_members', 'POST', '/v1/rooms', { type: 'channel', members: ['b', 'c', 'd'] }, 'members'],
  ['room: empty name', 'POST', '/v1/rooms', { type: 'group', members: [], name: '' }, 'name'],
  ['room: numeric name', 'POST', '/v1/rooms', { type: 'group', members: [], name: 5 }, 'name'],
  ['room: metadata a string', 'POST', '/v1/rooms', { type: 'group', members: [], metadata: 'x' }, 'metadata'],
  ['room: metadata a list', 'POST', '/v1/rooms', { type: 'group', members: [], metadata: [1] }, 'metadata'],
  ['room: metadata null', 'POST', '/v1/rooms', { type: 'group', members: [], metadata: null }, 'metadata'],
  ['room: metadata over 8 KiB', 'POST', '/v1/rooms', { type: 'group', members: [], metadata: big(KiB8) }, 'metadata'],
  ['patch room: empty name', 'PATCH', '/v1/rooms/:g', { name: '' }, 'name'],
  ['patch room: metadata a number', 'PATCH', '/v1/rooms/:g', { metadata: 5 }, 'metadata'],
  ['patch room: metadata over 8 KiB', 'PATCH', '/v1/rooms/:g', { metadata: big(KiB8) }, 'metadata'],
  // messages
  ['send: no content', 'POST', '/v1/rooms/:g/messages', {}, 'content'],
  ['send: empty content', 'POST', '/v1/rooms/:g/messages', { content: '' }, 'content'],
  ['send: numeric content', 'POST', '/v1/rooms/:g/messages', { content: 5 }, 'content'],
  ['send: content over 16 KiB in UTF-8 bytes (8,193 two-byte chars)', 'POST', '/v1/rooms/:g/messages', { content: 'é'.repeat(8193) }, 'content'],
  ['send: content of 16,385 ASCII bytes', 'POST', '/v1/rooms/:g/messages', { content: 'x'.repeat(16385) }, 'content'],
  ['send: meta a string', 'POST', '/v1/rooms/:g/messages', { content: 'x', meta: 'x' }, 'meta'],
  ['send: meta a number', 'POST', '/v1/rooms/:g/messages', { content: 'x', meta: 5 }, 'meta'],
  ['send: meta a list', 'POST', '/v1/rooms/:g/messages', { content: 'x', meta: [1] }, 'meta'],
  ['send: meta null', 'POST', '/v1/rooms/:g/messages', { content: 'x', meta: null }, 'meta'],
  ['send: meta over 8 KiB', 'POST', '/v1/rooms/:g/messages', { content: 'x', meta: big(KiB8) }, 'meta'],
  ['send: empty client_msg_id', 'POST', '/v1/rooms/:g/messages', { content: 'x', client_msg_id: '' }, 'client_msg_id'],
  ['send: client_msg_id of 65 chars', 'POST', '/v1/rooms/:g/messages', { content: 'x', client_msg_id: 'c'.repeat(65) }, 'client_msg_id'],
  ['send: client_msg_id with a space', 'POST', '/v1/rooms/:g/messages', { content: 'x', client_msg_id: 'a b' }, 'client_msg_id'],
  ['edit: empty content', 'PATCH', '/v1/rooms/:g/messages/:m', { content: '' }, 'content'],
  ['edit: content over 16 KiB', 'PATCH', '/v1/rooms/:g/messages/:m', { content: '€'.repeat(5462) }, 'content'],
  ['edit: meta over 8 KiB', 'PATCH', '/v1/rooms/:g/messages/:m', { meta: big(KiB8) }, 'meta'],
  ['edit: meta a string', 'PATCH', '/v1/rooms/:g/messages/:m', { meta: 'x' }, 'meta'],
  // members
  ['add: no user_ids', 'POST', '/v1/rooms/:g/members', {}, 'user_ids'],
  ['add: empty user_ids', 'POST', '/v1/rooms/:g/members', { user_ids: [] }, 'user_ids'],
  ['add: malformed user id', 'POST', '/v1/rooms/:g/members', { user_ids: ['a/b'] }, 'user_ids'],
  ['add: role owner', 'POST', '/v1/rooms/:g/members', { user_ids: ['x'], role: 'owner' }, 'role'],
  ['add: numeric role', 'POST', '/v1/rooms/:g/members', { user_ids: ['x'], role: 1 }, 'role'],
  // cursors
  ['ack: no room_id', 'POST', '/v1/acks', { seq: 1 }, 'room_id'],
  ['ack: no seq', 'POST', '/v1/acks', { room_id: ':g' }, 'seq'],
  ['ack: negative seq', 'POST', '/v1/acks', { room_id: ':g', seq: -1 }, 'seq'],
  ['ack: fractional seq', 'POST', '/v1/acks', { room_id: ':g', seq: 1.5 }, 'seq'],
  ['ack: string seq', 'POST', '/v1/acks', { room_id: ':g', seq: '1' }, 'seq'],
  ['ack: seq above last_seq', 'POST', '/v1/acks', { room_id: ':g', seq: 2 }, 'seq'],
  ['read: no seq', 'POST', '/v1/rooms/:g/read', {}, 'seq'],
  ['read: negative seq', 'POST', '/v1/rooms/:g/read', { seq: -1 }, 'seq'],
  ['read: seq above last_seq', 'POST', '/v1/rooms/:g/read', { seq: 99 }, 'seq'],
]

const queryRows: [string, string, string][] = [
  ...['0', '201', 'abc', '-1', '1.5', '1e2'].flatMap((l): [string, string, string][] => [
    [`history limit=${l}`, `/v1/rooms/:g/messages?limit=${l}`, 'limit'],
    [`rooms limit=${l}`, `/v1/rooms?limit=${l}`, 'limit'],
  ]),
  ['channels limit=0', '/v1/channels?limit=0', 'limit'],
  ['members limit=201', '/v1/rooms/:g/members?limit=201', 'limit'],
  ['history after_seq=abc', '/v1/rooms/:g/messages?after_seq=abc', 'after_seq'],
  ['history before_seq=-1', '/v1/rooms/:g/messages?before_seq=-1', 'before_seq'],
  ['history with both cursors', '/v1/rooms/:g/messages?after_seq=1&before_seq=5', 'before_seq'],
  ['rooms garbage cursor', '/v1/rooms?cursor=garbage', 'cursor'],
  ['channels garbage cursor', '/v1/channels?cursor=eyJ4IjoxfQ', 'cursor'],
  ['members garbage cursor', '/v1/rooms/:g/members?cursor=%%%', 'cursor'],
]

const fill = (x: string) => x.replace(':g', g).replace(':m', msg)
const fillBody = (b: unknown) => JSON.parse(fill(JSON.stringify(b)))

describe('tenant bodies → 400 with field', () => {
  test.each(tenantRows)('%s', async (...[, method, path, body, field]: Row) => {
    expectError(await t.as('alice')(method, fill(path), { body: fillBody(body) }), 400, 'VALIDATION_ERROR', field)
  })

  test('nothing above was stored: one message, two members, no extra rooms, metadata untouched', async () => {
    expect((await t.as('alice')('GET', `/v1/rooms/${g}`)).body).toMatchObject({ last_seq: 1, member_count: 2, metadata: null })
    expect((await t.as('alice')('GET', `/v1/rooms/${g}/messages/${msg}`)).body).toMatchObject({ content: 'hello', meta: null, edited_at: null })
    expect((await t.as('alice')('GET', '/v1/rooms')).body.rooms).toHaveLength(1)
    expect((await t.as('bob')('GET', `/v1/rooms/${g}/members`)).body.members.find((m: any) => m.user_id === 'bob').last_ack).toBe(0)
  })

  test('the limits themselves pass: 16 KiB of multibyte content, 8 KiB of meta', async () => {
    const r = await t.as('alice')('POST', `/v1/rooms/${g}/messages`, { body: { content: '€'.repeat(5461) + 'x', meta: big(KiB8 - 10) } })
    expect(r.status).toBe(201)
  })

  test('deeply nested JSON (within 64 KiB) is never a 5xx', async () => {
    const depth = 10_000
    const raw = `{"content":"x","meta":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`
    const r = await t.as('alice')('POST', `/v1/rooms/${g}/messages`, { headers: { 'content-type': 'application/json' }, raw })
    expect([201, 400]).toContain(r.status)
    const arr = await t.as('alice')('POST', `/v1/rooms/${g}/messages`, { headers: { 'content-type': 'application/json' }, raw: `{"content":"x","meta":{"a":${'['.repeat(depth)}${']'.repeat(depth)}}}` })
    expect([201, 400]).toContain(arr.status)
  })
})

describe('query parameters → 400 with field', () => {
  test.each(queryRows)('%s', async (...[, path, field]: [string, string, string]) => {
    expectError(await t.as('alice')('GET', fill(path)), 400, 'VALIDATION_ERROR', field)
  })

  test.each(['1', '200'])('limit=%s is fine everywhere', async (l) => {
    for (const p of [`/v1/rooms/${g}/messages`, '/v1/rooms', '/v1/channels', `/v1/rooms/${g}/members`])
      expect((await t.as('alice')('GET', `${p}?limit=${l}`)).status).toBe(200)
  })
})

describe('admin bodies → 400 with field (config.<key>)', () => {
  const rows: [string, unknown, string][] = [
    ['no name', {}, 'name'],
    ['empty name', { name: '' }, 'name'],
    ['config a string', { name: 'x', config: 'fast' }, 'config'],
    ['config a list', { name: 'x', config: [{ rate_limit_per_sec: 1 }] }, 'config'],
    ['config null', { name: 'x', config: null }, 'config'],
    ['rate_limit_per_sec 0', { name: 'x', config: { rate_limit_per_sec: 0 } }, 'config.rate_limit_per_sec'],
    ['rate_limit_per_sec above DEFAULT_RATE_LIMIT', { name: 'x', config: { rate_limit_per_sec: 100_001 } }, 'config.rate_limit_per_sec'],
    ['rate_limit_per_sec a string', { name: 'x', config: { rate_limit_per_sec: '5' } }, 'config.rate_limit_per_sec'],
    ['max_message_bytes above 16 KiB', { name: 'x', config: { max_message_bytes: 16385 } }, 'config.max_message_bytes'],
    ['max_room_members 1', { name: 'x', config: { max_room_members: 1 } }, 'config.max_room_members'],
    ['max_room_members above MAX_ROOM_MEMBERS', { name: 'x', config: { max_room_members: 10_001 } }, 'config.max_room_members'],
    ['webhook_url not a URL', { name: 'x', config: { webhook_url: 'nope' } }, 'config.webhook_url'],
    ['webhook_url plain http', { name: 'x', config: { webhook_url: 'http://hooks.example/x' } }, 'config.webhook_url'],
    ['webhook_events unknown', { name: 'x', config: { webhook_events: ['message.exploded'] } }, 'config.webhook_events'],
    ['require_user_tokens a string', { name: 'x', config: { require_user_tokens: 'yes' } }, 'config.require_user_tokens'],
    ['features a list', { name: 'x', config: { features: [] } }, 'config.features'],
    ['features.typing a string', { name: 'x', config: { features: { typing: 'no' } } }, 'config.features.typing'],
  ]
  test.each(rows)('create: %s', async (...[, body, field]: [string, unknown, string]) => {
    expectError(await s.admin('POST', '/v1/admin/tenants', { body }), 400, 'VALIDATION_ERROR', field)
  })

  test.each(rows.filter(([n]) => !n.includes('name')))('patch: %s (and nothing changes)', async (...[, body, field]: [string, unknown, string]) => {
    const before = (await s.admin('GET', `/v1/admin/tenants/${t.tenant_id}`)).body.config
    const { config } = body as { config: unknown }
    expectError(await s.admin('PATCH', `/v1/admin/tenants/${t.tenant_id}`, { body: { config } }), 400, 'VALIDATION_ERROR', field)
    expect((await s.admin('GET', `/v1/admin/tenants/${t.tenant_id}`)).body.config).toEqual(before)
  })
})
