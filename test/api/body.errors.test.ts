// Request bodies (SPEC §3, §7): 413 over MAX_BODY_BYTES (declared or chunked), 415 media type, malformed JSON.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'
import { expectError, room } from './helpers'

const MAX = 4096 // a small MAX_BODY_BYTES keeps the payloads cheap; the rule is the same
let s: TestServer
let t: TestTenant
let roomId: string
beforeAll(async () => {
  s = await startTestServer({ MAX_BODY_BYTES: String(MAX) })
  t = await s.newTenant()
  roomId = (await room(t.as('alice'), 'group')).room_id
})
afterAll(() => s.stop())

const sendPath = () => `/v1/rooms/${roomId}/messages`
/** A JSON message body of exactly `bytes` bytes. */
const bodyOf = (bytes: number) => {
  const shell = JSON.stringify({ content: '' })
  return JSON.stringify({ content: 'x'.repeat(bytes - shell.length) })
}

/** A streamed (chunked, no Content-Length) POST of `total` bytes. */
async function chunked(total: number, contentType = 'application/json') {
  const chunk = new TextEncoder().encode('x'.repeat(1024))
  let sent = 0
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      if (sent >= total) return c.close()
      c.enqueue(chunk.subarray(0, Math.min(chunk.length, total - sent)))
      sent += chunk.length
    },
  })
  const res = await fetch(s.url + sendPath(), {
    method: 'POST',
    headers: { ...t.headers('alice'), 'content-type': contentType, 'x-request-id': 'chunky-1' },
    body: stream,
  })
  return { status: res.status, headers: res.headers, body: await res.json().catch(() => null) }
}

describe('413 PAYLOAD_TOO_LARGE', () => {
  test('a body of exactly MAX_BODY_BYTES is read (and judged on its content)', async () => {
    const r = await t.as('alice')('POST', sendPath(), { raw: bodyOf(MAX), headers: { 'content-type': 'application/json' } })
    expect(r.status).toBe(201)
  })

  test('one byte over: 413 with the envelope, X-Request-Id and rate-limit headers; nothing stored', async () => {
    const before = (await t.as('alice')('GET', `/v1/rooms/${roomId}`)).body.last_seq
    const r = await t.as('alice')('POST', sendPath(), { raw: bodyOf(MAX + 1), headers: { 'content-type': 'application/json', 'x-request-id': 'big-1' } })
    expectError(r, 413, 'PAYLOAD_TOO_LARGE')
    expect(r.headers.get('x-request-id')).toBe('big-1')
    expect(r.headers.get('x-ratelimit-limit')).toBeTruthy()
    expect((await t.as('alice')('GET', `/v1/rooms/${roomId}`)).body.last_seq).toBe(before)
  })

  test('a chunked body with no Content-Length is counted as it arrives: 413 with the envelope', async () => {
    const r = await chunked(MAX * 3)
    expectError(r, 413, 'PAYLOAD_TOO_LARGE')
    expect(r.headers.get('x-request-id')).toBe('chunky-1')
  })

  test('a small chunked JSON body is accepted', async () => {
    const stream = new Blob([JSON.stringify({ content: 'streamed' })]).stream()
    const res = await fetch(s.url + sendPath(), { method: 'POST', headers: { ...t.headers('alice'), 'content-type': 'application/json' }, body: stream })
    expect(res.status).toBe(201)
  })

  test('admin bodies count too', async () => {
    const r = await s.admin('POST', '/v1/admin/tenants', { body: { name: 'x', config: { pad: 'x'.repeat(MAX) } } })
    expectError(r, 413, 'PAYLOAD_TOO_LARGE')
  })
})

describe('415 UNSUPPORTED_MEDIA_TYPE', () => {
  const rows: [string, Record<string, string>, string | Uint8Array][] = [
    ['text/plain', { 'content-type': 'text/plain' }, '{"content":"x"}'],
    ['form encoded', { 'content-type': 'application/x-www-form-urlencoded' }, 'content=x'],
    ['a json-like suffix', { 'content-type': 'application/json-patch+json' }, '{"content":"x"}'],
    ['no content type at all', {}, new TextEncoder().encode('{"content":"x"}')],
  ]
  test.each(rows)('%s → 415', async (...[, headers, raw]: (typeof rows)[number]) => {
    expectError(await t.as('alice')('POST', sendPath(), { headers, raw }), 415, 'UNSUPPORTED_MEDIA_TYPE')
  })

  test.each(['application/json; charset=utf-8', 'Application/JSON', 'application/json;charset=UTF-8'])('%p is JSON', async (ct) => {
    expect((await t.as('alice')('POST', sendPath(), { headers: { 'content-type': ct }, raw: '{"content":"x"}' })).status).toBe(201)
  })

  test('bodyless POSTs need no content type (join, rotate-key), even with a stray one', async () => {
    const c = await room(t.as('alice'), 'channel')
    expect((await t.as('bob')('POST', `/v1/rooms/${c.room_id}/join`)).status).toBe(200)
    expect((await t.as('carol')('POST', `/v1/rooms/${c.room_id}/join`, { headers: { 'content-type': 'text/plain' } })).status).toBe(200)
    const other = await s.newTenant()
    expect((await s.admin('POST', `/v1/admin/tenants/${other.tenant_id}/rotate-key`)).status).toBe(200)
  })
})

describe('malformed and hostile JSON', () => {
  test.each(['{', '{"content":}', "{'content':'x'}", '{"content":"x"} trailing', 'nul', '\u00ff'])('%p → 400 VALIDATION_ERROR', async (raw) => {
    const r = await t.as('alice')('POST', sendPath(), { headers: { 'content-type': 'application/json' }, raw })
    expectError(r, 400, 'VALIDATION_ERROR')
    expect(r.body.error.message).toMatch(/json/i)
  })

  test.each(['[]', '"text"', '42', 'null'])('a JSON %p instead of an object → 400 VALIDATION_ERROR', async (raw) => {
    expectError(await t.as('alice')('POST', sendPath(), { headers: { 'content-type': 'application/json' }, raw }), 400, 'VALIDATION_ERROR', 'content')
  })

  test('deeply nested meta (within the body limit) is a 400 or stored, never a 5xx', async () => {
    const depth = 600
    const raw = `{"content":"x","meta":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`
    const r = await t.as('alice')('POST', sendPath(), { headers: { 'content-type': 'application/json' }, raw })
    expect(r.status).toBeLessThan(500)
    expect([201, 400]).toContain(r.status)
  })

  test('__proto__ and constructor keys never become a prototype; nothing is polluted', async () => {
    const raw = '{"content":"x","meta":{"__proto__":{"polluted":true},"constructor":{"prototype":{"bad":1}}}}'
    const r = await t.as('alice')('POST', sendPath(), { headers: { 'content-type': 'application/json' }, raw })
    expect(r.status).toBe(201)
    const got = await t.as('alice')('GET', `${sendPath()}/${r.body.message_id}`)
    // the __proto__ key is dropped on the way in (safe); ordinary keys are kept as data
    expect(got.body.meta).toEqual({ constructor: { prototype: { bad: 1 } } })
    expect(({} as any).polluted).toBeUndefined()
    expect((await t.as('alice')('GET', '/v1/rooms')).status).toBe(200)
  })
})
