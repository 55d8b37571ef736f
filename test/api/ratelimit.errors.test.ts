// Per-tenant token bucket (SPEC §2, §10): X-RateLimit-* headers, 429 with Retry-After, its place in the §3 order.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { startTestServer, type TestServer } from '../support/server'
import type { CallResult } from '../support/http'
import { expectError } from './helpers'

let s: TestServer
beforeAll(async () => (s = await startTestServer()))
afterAll(() => s.stop())

const limits = (r: CallResult) => ({
  limit: r.headers.get('x-ratelimit-limit'),
  remaining: r.headers.get('x-ratelimit-remaining'),
  reset: Number(r.headers.get('x-ratelimit-reset')),
})

test('headers on every tenant response: Limit = burst (2x rate), Remaining counts down, Reset in unix seconds', async () => {
  const t = await s.newTenant({ rate_limit_per_sec: 2 })
  const a = t.as('alice')
  const now = Math.floor(Date.now() / 1000)
  const seen: string[] = []
  for (let i = 0; i < 4; i++) {
    const r = i === 3 ? await a('GET', '/v1/rooms/room_nope') : await a('GET', '/v1/rooms') // errors carry them too
    const l = limits(r)
    expect(l.limit).toBe('4')
    expect(l.reset).toBeGreaterThanOrEqual(now)
    expect(l.reset).toBeLessThanOrEqual(now + 4)
    seen.push(l.remaining!)
  }
  expect(seen).toEqual(['3', '2', '1', '0'])
})

test('over the limit: 429 RATE_LIMIT_EXCEEDED, Retry-After >= 1, Remaining 0, X-Request-Id; nothing processed', async () => {
  const t = await s.newTenant({ rate_limit_per_sec: 1 })
  const a = t.as('alice')
  expect((await a('GET', '/v1/rooms')).status).toBe(200)
  expect((await a('GET', '/v1/rooms')).status).toBe(200)
  const r = await a('POST', '/v1/rooms', { body: { type: 'group', members: [] }, headers: { 'x-request-id': 'limited-1' } })
  expectError(r, 429, 'RATE_LIMIT_EXCEEDED')
  expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
  expect(Number.isInteger(Number(r.headers.get('retry-after')))).toBe(true)
  expect(limits(r)).toMatchObject({ limit: '2', remaining: '0' })
  expect(r.headers.get('x-request-id')).toBe('limited-1')
  const usage = await s.admin('GET', `/v1/admin/tenants/${t.tenant_id}`)
  expect(usage.body.usage.rooms).toBe(0)
})

test('the bucket is per tenant, shared by its users; another tenant is unaffected', async () => {
  const t = await s.newTenant({ rate_limit_per_sec: 1 })
  const other = await s.newTenant({ rate_limit_per_sec: 1 })
  expect((await t.as('alice')('GET', '/v1/rooms')).status).toBe(200)
  expect((await t.as('bob')('GET', '/v1/rooms')).status).toBe(200)
  expectError(await t.as('carol')('GET', '/v1/rooms'), 429, 'RATE_LIMIT_EXCEEDED')
  const r = await other.as('alice')('GET', '/v1/rooms')
  expect(r.status).toBe(200)
  expect(limits(r).remaining).toBe('1')
})

test('requests with a wrong key never spend a tenant\'s tokens (keyed by the authenticated tenant)', async () => {
  const t = await s.newTenant({ rate_limit_per_sec: 1 })
  for (let i = 0; i < 5; i++) {
    const r = await s.call('GET', '/v1/rooms', { headers: { 'x-api-key': t.api_key + 'x', 'x-user-id': 'alice' } })
    expectError(r, 401, 'AUTHENTICATION_ERROR')
  }
  expect(limits(await t.as('alice')('GET', '/v1/rooms')).remaining).toBe('1')
})

test('SPEC §3 order around 429: 404 and 401 come first; 413, 415, bad JSON and validation come after', async () => {
  const t = await s.newTenant({ rate_limit_per_sec: 1 })
  const a = t.as('alice')
  await a('GET', '/v1/rooms')
  await a('GET', '/v1/rooms')
  expectError(await a('GET', '/v1/nope'), 404, 'NOT_FOUND')
  expectError(await s.call('GET', '/v1/rooms', { headers: { 'x-api-key': 'sk_bad', 'x-user-id': 'a' } }), 401, 'AUTHENTICATION_ERROR')
  const json = { 'content-type': 'application/json' }
  expectError(await a('POST', '/v1/rooms', { headers: json, raw: 'x'.repeat(70_000) }), 429, 'RATE_LIMIT_EXCEEDED')
  expectError(await a('POST', '/v1/rooms', { headers: { 'content-type': 'text/plain' }, raw: 'x' }), 429, 'RATE_LIMIT_EXCEEDED')
  expectError(await a('POST', '/v1/rooms', { headers: json, raw: '{' }), 429, 'RATE_LIMIT_EXCEEDED')
  expectError(await a('POST', '/v1/rooms', { body: { type: 'nope' } }), 429, 'RATE_LIMIT_EXCEEDED')
})

test('admin calls and /health are not limited and carry no rate-limit headers', async () => {
  const t = await s.newTenant({ rate_limit_per_sec: 1 })
  for (let i = 0; i < 5; i++) {
    const r = await s.admin('GET', `/v1/admin/tenants/${t.tenant_id}`)
    expect(r.status).toBe(200)
    expect(r.headers.get('x-ratelimit-limit')).toBeNull()
  }
  expect((await s.call('GET', '/health')).headers.get('x-ratelimit-limit')).toBeNull()
})

test('a PATCHed rate_limit_per_sec shows as the new burst on the next response', async () => {
  const t = await s.newTenant({ rate_limit_per_sec: 1 })
  await t.as('alice')('GET', '/v1/rooms')
  await t.as('alice')('GET', '/v1/rooms')
  expect((await t.as('alice')('GET', '/v1/rooms')).status).toBe(429)
  await s.admin('PATCH', `/v1/admin/tenants/${t.tenant_id}`, { body: { config: { rate_limit_per_sec: 50 } } })
  const r = await t.as('alice')('GET', '/v1/rooms')
  expect(limits(r).limit).toBe('100')
})
