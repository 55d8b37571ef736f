// Scenario tables: unknown routes, credentials (tenant and admin), the SPEC §3 failure order, X-Request-Id.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { MASTER_KEY, startTestServer, type TestServer, type TestTenant } from '../support/server'
import type { CallOptions } from '../support/http'
import { expectError, room } from './helpers'

let s: TestServer
let t: TestTenant
let channel: string
let group: string
let deletedMsg: string
beforeAll(async () => {
  s = await startTestServer()
  t = await s.newTenant()
  channel = (await room(t.as('alice'), 'channel')).room_id
  group = (await room(t.as('alice'), 'group', ['bob'])).room_id
  const m = await t.as('alice')('POST', `/v1/rooms/${group}/messages`, { body: { content: 'x' } })
  deletedMsg = m.body.message_id
  await t.as('alice')('DELETE', `/v1/rooms/${group}/messages/${deletedMsg}`)
})
afterAll(() => s.stop())

type Row = [name: string, method: string, path: string, opts: () => CallOptions, status: number, code: string, field?: string]
const key = () => ({ 'x-api-key': t.api_key, 'x-user-id': 'alice' })
const badKey = { 'x-api-key': 'sk_wrong', 'x-user-id': 'alice' }
const json = { 'content-type': 'application/json' }

describe('routes: unknown path or unsupported method → 404 NOT_FOUND', () => {
  const rows: Row[] = [
    ['unknown /v1 path', 'GET', '/v1/nope', key, 404, 'NOT_FOUND'],
    ['unknown root path', 'GET', '/nope', () => ({}), 404, 'NOT_FOUND'],
    ['PUT on /v1/rooms', 'PUT', '/v1/rooms', key, 404, 'NOT_FOUND'],
    ['DELETE on /v1/rooms/{id}', 'DELETE', '/v1/rooms/room_x', key, 404, 'NOT_FOUND'],
    ['POST on /health', 'POST', '/health', () => ({}), 404, 'NOT_FOUND'],
    ['GET on /v1/acks', 'GET', '/v1/acks', key, 404, 'NOT_FOUND'],
    ['PUT on admin tenants', 'PUT', '/v1/admin/tenants', () => ({ headers: { 'x-master-key': MASTER_KEY } }), 404, 'NOT_FOUND'],
  ]
  test.each(rows)('%s', async (...[, method, path, opts, status, code, field]: Row) => {
    const o = opts()
    const r = await s.call(method, path, 'x-api-key' in o ? { headers: o as Record<string, string> } : o)
    expectError(r, status, code, field)
    expect(r.headers.get('x-request-id')).toBeTruthy()
  })
})

describe('tenant credentials', () => {
  const rows: Row[] = [
    ['no X-API-Key', 'GET', '/v1/rooms', () => ({ headers: { 'x-user-id': 'alice' } }), 401, 'AUTHENTICATION_ERROR'],
    ['empty X-API-Key', 'GET', '/v1/rooms', () => ({ headers: { 'x-api-key': '', 'x-user-id': 'alice' } }), 401, 'AUTHENTICATION_ERROR'],
    ['unknown X-API-Key', 'GET', '/v1/rooms', () => ({ headers: badKey }), 401, 'AUTHENTICATION_ERROR'],
    ['key in the query string only', 'GET', '/v1/rooms?api_key=:key', () => ({ headers: { 'x-user-id': 'alice' } }), 401, 'AUTHENTICATION_ERROR'],
    ['malformed Authorization', 'GET', '/v1/rooms', () => ({ headers: { authorization: 'Basic abc' } }), 401, 'AUTHENTICATION_ERROR'],
    ['no X-User-Id', 'GET', '/v1/rooms', () => ({ headers: { 'x-api-key': t.api_key } }), 400, 'VALIDATION_ERROR', 'X-User-Id'],
    ...[
      ['empty', ''],
      ['129 chars', 'a'.repeat(129)],
      ['a space', 'alice bob'],
      ['a comma (two headers)', 'alice, bob'],
      ['a slash', '../x'],
      ['a percent', 'a%0d%0a'],
      ['a star', 'al*ce'],
      ['a pipe', 'a|b'],
    ].map(([n, v]): Row => [`X-User-Id with ${n}`, 'GET', '/v1/rooms', () => ({ headers: { 'x-api-key': t.api_key, 'x-user-id': v } }), 400, 'VALIDATION_ERROR', 'X-User-Id']),
  ]
  test.each(rows)('%s', async (...[, method, path, opts, status, code, field]: Row) => {
    expectError(await s.call(method, path.replace(':key', t.api_key), opts()), status, code, field)
  })

  test('the widest valid user ids are accepted', async () => {
    for (const u of ['a'.repeat(128), 'A.b_c:d@e-f9']) expect((await t.as(u)('GET', '/v1/rooms')).status).toBe(200)
  })
})

describe('admin credentials (MASTER_API_KEY set)', () => {
  test('missing and wrong X-Master-Key: 401 with the same body; a tenant key or a query key does not count', async () => {
    const missing = await s.call('GET', '/v1/admin/tenants')
    const wrong = await s.call('GET', '/v1/admin/tenants', { headers: { 'x-master-key': 'nope' } })
    const tenantKey = await s.call('GET', '/v1/admin/tenants', { headers: { 'x-api-key': t.api_key } })
    const query = await s.call('GET', `/v1/admin/tenants?master_key=${MASTER_KEY}`)
    for (const r of [missing, wrong, tenantKey, query]) {
      expectError(r, 401, 'AUTHENTICATION_ERROR')
      expect(r.body).toEqual(missing.body)
    }
    expectError(await s.call('POST', '/v1/admin/tenants', { body: { name: 'x' } }), 401, 'AUTHENTICATION_ERROR')
    expectError(await s.call('POST', `/v1/admin/tenants/${t.tenant_id}/rotate-key`, { headers: { 'x-master-key': MASTER_KEY + 'x' } }), 401, 'AUTHENTICATION_ERROR')
  })
})

describe('SPEC §3 failure order: the first failure answers', () => {
  const rows: Row[] = [
    ['unknown route + bad key → 404', 'POST', '/v1/nope', () => ({ headers: badKey, raw: '{', }), 404, 'NOT_FOUND'],
    ['unsupported method + no key → 404', 'PATCH', '/v1/channels', () => ({}), 404, 'NOT_FOUND'],
    ['bad key + malformed JSON → 401', 'POST', '/v1/rooms', () => ({ headers: { ...badKey, ...json }, raw: '{oops' }), 401, 'AUTHENTICATION_ERROR'],
    ['bad key + invalid body → 401 (no schema leak)', 'POST', '/v1/rooms', () => ({ headers: badKey, body: { type: 1 } }), 401, 'AUTHENTICATION_ERROR'],
    ['bad key + oversized body → 401', 'POST', '/v1/rooms', () => ({ headers: { ...badKey, ...json }, raw: 'x'.repeat(70_000) }), 401, 'AUTHENTICATION_ERROR'],
    ['bad key + wrong media type → 401', 'POST', '/v1/rooms', () => ({ headers: { ...badKey, 'content-type': 'text/plain' }, raw: 'hi' }), 401, 'AUTHENTICATION_ERROR'],
    ['bad X-User-Id + malformed JSON → 400 X-User-Id', 'POST', '/v1/rooms', () => ({ headers: { 'x-api-key': t.api_key, 'x-user-id': 'a b', ...json }, raw: '{' }), 400, 'VALIDATION_ERROR', 'X-User-Id'],
    ['no master key + invalid body → 401', 'POST', '/v1/admin/tenants', () => ({ body: { name: 7 } }), 401, 'AUTHENTICATION_ERROR'],
    ['oversized + wrong media type → 413', 'POST', '/v1/rooms', () => ({ headers: { ...key(), 'content-type': 'text/plain' }, raw: 'x'.repeat(70_000) }), 413, 'PAYLOAD_TOO_LARGE'],
    ['wrong media type + malformed JSON → 415', 'POST', '/v1/rooms', () => ({ headers: { ...key(), 'content-type': 'text/plain' }, raw: '{' }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['malformed JSON + unknown room → 400', 'POST', '/v1/rooms/room_nope/messages', () => ({ headers: { ...key(), ...json }, raw: '{' }), 400, 'VALIDATION_ERROR'],
    ['invalid body + unknown room → 400', 'POST', '/v1/rooms/room_nope/messages', () => ({ headers: key(), body: { content: '' } }), 400, 'VALIDATION_ERROR', 'content'],
    ['valid body + unknown room → 404', 'POST', '/v1/rooms/room_nope/messages', () => ({ headers: key(), body: { content: 'x' } }), 404, 'NOT_FOUND'],
    ['invalid body + channel non-member → 400', 'POST', '/v1/rooms/:channel/messages', () => ({ headers: { ...key(), 'x-user-id': 'zed' }, body: {} }), 400, 'VALIDATION_ERROR', 'content'],
    ['bad limit + group non-member → 400', 'GET', '/v1/rooms/:group/messages?limit=0', () => ({ headers: { ...key(), 'x-user-id': 'zed' } }), 400, 'VALIDATION_ERROR', 'limit'],
    ['non-sender edits a deleted message → 403 (access before state)', 'PATCH', '/v1/rooms/:group/messages/:msg', () => ({ headers: { ...key(), 'x-user-id': 'bob' }, body: { content: 'x' } }), 403, 'FORBIDDEN'],
    ['sender edits a deleted message → 409', 'PATCH', '/v1/rooms/:group/messages/:msg', () => ({ headers: key(), body: { content: 'x' } }), 409, 'CONFLICT'],
  ]
  test.each(rows)('%s', async (...[, method, path, opts, status, code, field]: Row) => {
    const p = path.replace(':channel', channel).replace(':group', group).replace(':msg', deletedMsg)
    const r = await s.call(method, p, opts())
    expectError(r, status, code, field)
    expect(JSON.stringify(r.body)).not.toMatch(/schema|expected|properties/i)
  })
})

describe('X-Request-Id', () => {
  const rid = async (value?: string, path = '/health', headers: Record<string, string> = {}) =>
    (await s.call('GET', path, { headers: value === undefined ? headers : { ...headers, 'x-request-id': value } })).headers.get('x-request-id')

  test.each(['abc', 'A-z_0.9:x', 'r'.repeat(128)])('a valid incoming id %p is echoed', async (v) => {
    expect(await rid(v)).toBe(v)
    expect(await rid(v, '/v1/rooms', key())).toBe(v)
    expect(await rid(v, '/v1/nope')).toBe(v)
    expect(await rid(v, '/v1/rooms', badKey)).toBe(v)
  })

  test.each(['', 'r'.repeat(129), 'a b', 'a/b', 'a,b', 'a"b'])('an invalid incoming id %p is replaced', async (v) => {
    const got = await rid(v)
    expect(got).toBeTruthy()
    expect(got).not.toBe(v)
    expect(got).toMatch(/^[A-Za-z0-9._:-]{1,128}$/)
  })

  test('a generated id is fresh for every request', async () => {
    const ids = await Promise.all([rid(), rid(), rid(undefined, '/v1/rooms', key())])
    expect(new Set(ids).size).toBe(3)
  })
})

describe('CORS_ORIGINS unset', () => {
  test('no CORS header on a simple request nor a preflight', async () => {
    const simple = await s.call('GET', '/v1/rooms', { headers: { ...key(), origin: 'https://app.example' } })
    expect(simple.status).toBe(200)
    const pre = await s.call('OPTIONS', '/v1/rooms', {
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-api-key' },
    })
    for (const r of [simple, pre]) for (const [k] of r.headers) expect(k).not.toMatch(/^access-control-/)
    expect(pre.status).not.toBe(204)
  })
})
