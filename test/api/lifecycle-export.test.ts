// Exports (SPEC §15): GET /v1/rooms/{room_id}/export and GET /v1/users/{user_id}/export stream
// application/x-ndjson, one {"type": T, "<T>": object} per line, the objects as the API returns them.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { Value } from '@sinclair/typebox/value'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'
import { roomWith, restSend } from '../ws/helpers'
import { expectError } from './helpers'
import { RoomExportLine, UserExportLine } from '../../src/schemas/lifecycle'
import '../support/frame-check' // registers the date-time format for Value.Check

let s: TestServer
beforeAll(async () => {
  s = await startTestServer({ ACK_TIMEOUT_MS: '600000' })
})
afterAll(() => s.stop())

/** GET as the parent app (API key alone); returns status, content type and the body's lines. */
async function exportOf(t: TestTenant, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(s.url + path, { headers: { 'x-api-key': t.api_key, ...headers } })
  const text = await res.text()
  return { status: res.status, type: res.headers.get('content-type'), headers: res.headers, text, lines: res.ok ? text.split('\n') : [] }
}
const parse = (lines: string[]) => {
  expect(lines.at(-1)).toBe('') // every line, the last one too, ends with \n
  return lines.slice(0, -1).map((l) => JSON.parse(l))
}

async function allHistory(t: TestTenant, user: string, room: string) {
  const out: unknown[] = []
  for (let after = 0; ; ) {
    const r = await t.as(user)('GET', `/v1/rooms/${room}/messages?after_seq=${after}&limit=200`)
    out.push(...r.body.messages)
    if (!r.body.has_more) return out
    after = r.body.messages.at(-1).seq
  }
}

describe('room export', () => {
  test('one room line, then every member by join order, then every message in ascending seq, equal to what the API returns', async () => {
    const t = await s.newTenant()
    const room = await roomWith(t, 'alice', ['bob', 'carol'])
    for (let i = 0; i < 450; i++) await restSend(t, i % 2 ? 'bob' : 'alice', room, `m${i}`, i === 3 ? { meta: { k: 'v' } } : {})
    const gone = await restSend(t, 'bob', room, 'to be deleted')
    expect((await t.as('bob')('DELETE', `/v1/rooms/${room}/messages/${gone.message_id}`)).status).toBe(204)
    expect((await t.as('carol')('POST', '/v1/acks', { body: { room_id: room, seq: 7 } })).status).toBe(200)

    const r = await exportOf(t, `/v1/rooms/${room}/export`)
    expect(r.status).toBe(200)
    expect(r.type).toBe('application/x-ndjson')
    expect(r.headers.get('x-request-id')).toBeTruthy() // a streamed answer carries the headers every answer does
    expect(r.headers.get('x-ratelimit-limit')).toBeTruthy()
    const lines = parse(r.lines)
    for (const l of lines) expect(Value.Check(RoomExportLine, l)).toBe(true)
    expect(lines[0]).toEqual({ type: 'room', room: (await t.as('alice')('GET', `/v1/rooms/${room}`)).body })
    const apiMembers = (await t.as('alice')('GET', `/v1/rooms/${room}/members`)).body.members
    expect(lines.slice(1, 4)).toEqual(apiMembers.map((m: Record<string, unknown>) => ({ type: 'member', member: { ...m, online: null } })))
    expect(lines[3].member).toMatchObject({ user_id: 'carol', last_ack: 7, last_read: 0, online: null })
    const messages = lines.slice(4)
    expect(messages.every((l) => l.type === 'message')).toBe(true)
    expect(messages.map((l) => l.message)).toEqual(await allHistory(t, 'alice', room))
    expect(messages).toHaveLength(451)
    expect(messages.at(-1).message).toMatchObject({ message_id: gone.message_id, content: '', deleted_at: expect.any(String) })
    // Through call() too: every line is checked against the document's NDJSON schema (support/openapi-check.ts).
    const checked = await s.call('GET', `/v1/rooms/${room}/export`, { headers: { 'x-api-key': t.api_key } })
    expect(checked.status).toBe(200)
  })

  test('access: the API key alone sees any room of its tenant; an X-User-Id limits it to what that user sees; a token is 403', async () => {
    const t = await s.newTenant()
    const other = await s.newTenant()
    const group = await roomWith(t, 'alice', ['bob'])
    const ch = await roomWith(t, 'alice', [], 'channel')
    expect((await exportOf(t, `/v1/rooms/${group}/export`, { 'x-user-id': 'bob' })).status).toBe(200)
    expectError(await t.as('eve')('GET', `/v1/rooms/${group}/export`), 404, 'NOT_FOUND')
    expectError(await t.as('eve')('GET', `/v1/rooms/${ch}/export`), 403, 'FORBIDDEN')
    expectError(await other.as('alice')('GET', `/v1/rooms/${group}/export`), 404, 'NOT_FOUND')
    expectError(await s.call('GET', `/v1/rooms/${group}/export`, { headers: { 'x-api-key': other.api_key } }), 404, 'NOT_FOUND')
    const token = (await s.call('POST', '/v1/tokens', { headers: { 'x-api-key': t.api_key }, body: { user_id: 'alice' } })).body.token
    expectError(await s.call('GET', `/v1/rooms/${group}/export`, { headers: { authorization: `Bearer ${token}` } }), 403, 'FORBIDDEN')
    expectError(await s.call('GET', `/v1/rooms/${group}/export`), 401, 'AUTHENTICATION_ERROR')
    expect((await t.as('alice')('DELETE', `/v1/rooms/${group}`)).status).toBe(204)
    expectError(await s.call('GET', `/v1/rooms/${group}/export`, { headers: { 'x-api-key': t.api_key } }), 404, 'NOT_FOUND')
  })
})

describe('user export', () => {
  test('memberships, every message they sent (rooms they left too), subscriptions; nothing of anyone else', async () => {
    const t = await s.newTenant()
    const other = await s.newTenant()
    const g = await roomWith(t, 'alice', ['bob'])
    const ch = await roomWith(t, 'bob', ['alice'], 'channel')
    const left = await roomWith(t, 'bob', ['alice'])
    const sent: { message_id: string }[] = []
    for (let i = 0; i < 5; i++) sent.push(await restSend(t, 'alice', g, `g${i}`))
    await restSend(t, 'bob', g, 'not hers')
    sent.push(await restSend(t, 'alice', ch, 'in the channel'))
    sent.push(await restSend(t, 'alice', left, 'before leaving'))
    const bobs = await restSend(t, 'bob', left, 'react to me')
    const keyPath = `/v1/rooms/${left}/messages/${bobs.message_id}/reactions/${encodeURIComponent('👍')}`
    expect((await t.as('alice')('PUT', keyPath)).status).toBe(200)
    expect((await t.as('alice')('DELETE', `/v1/rooms/${left}/members/alice`)).status).toBe(204)
    expect((await t.as('alice')('POST', '/v1/subscriptions', { body: { topic: 'news' } })).status).toBe(201)
    const otherRoom = await roomWith(other, 'alice', ['bob'])
    await restSend(other, 'alice', otherRoom, 'another tenant')

    const r = await exportOf(t, '/v1/users/alice/export')
    expect(r.status).toBe(200)
    expect(r.type).toBe('application/x-ndjson')
    const lines = parse(r.lines)
    for (const l of lines) expect(Value.Check(UserExportLine, l)).toBe(true)
    const of = (type: string) => lines.filter((l) => l.type === type).map((l) => l[type])
    expect(of('membership').map((m) => m.room_id).sort()).toEqual([g, ch].sort())
    expect(of('membership').find((m) => m.room_id === g)).toMatchObject({ role: 'owner', last_ack: 5, last_read: 5, joined_at: expect.any(String) })
    const msgs = of('message')
    expect(msgs.map((m) => m.message_id).sort()).toEqual(sent.map((m) => m.message_id).sort())
    expect(msgs.every((m) => m.sender_id === 'alice')).toBe(true)
    const full = (await t.as('alice')('GET', `/v1/rooms/${g}/messages/${sent[0].message_id}`)).body
    expect(msgs.find((m) => m.message_id === sent[0].message_id)).toEqual(full)
    expect(of('reaction')).toEqual([{ room_id: left, message_id: bobs.message_id, user_id: 'alice', key: '👍', created_at: expect.any(String) }])
    expect(of('subscription')).toEqual((await t.as('alice')('GET', '/v1/subscriptions')).body.subscriptions)
    expect(lines.map((l) => l.type)).toEqual([...Array(2).fill('membership'), ...Array(7).fill('message'), 'reaction', 'subscription'])
  })

  test('a user with nothing gives an empty export; a token 403; a bad user id 400', async () => {
    const t = await s.newTenant()
    const r = await exportOf(t, '/v1/users/nobody/export')
    expect(r.status).toBe(200)
    expect(r.text).toBe('')
    const token = (await s.call('POST', '/v1/tokens', { headers: { 'x-api-key': t.api_key }, body: { user_id: 'alice' } })).body.token
    expectError(await s.call('GET', '/v1/users/alice/export', { headers: { authorization: `Bearer ${token}` } }), 403, 'FORBIDDEN')
    expectError(await s.call('GET', '/v1/users/a%20b/export', { headers: { 'x-api-key': t.api_key } }), 400, 'VALIDATION_ERROR', 'user_id')
  })
})
