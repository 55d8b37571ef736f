// The response check that call() runs on every answer (support/openapi-check.ts) can fail: fed
// answers that break the served document, it names each problem; fed the real answers, it passes.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { violationsOf, type Exchange } from '../support/openapi-check'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'

let s: TestServer
let t: TestTenant
beforeAll(async () => {
  s = await startTestServer()
  t = await s.newTenant()
})
afterAll(() => s?.stop())

/** A real exchange, then the same with one thing changed. */
async function real(method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<Exchange> {
  const res = await fetch(s.url + path, { method, headers: { ...headers, ...(body !== undefined && { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) })
  return { method, path, status: res.status, headers: res.headers, text: await res.text() }
}
const withHeaders = (x: Exchange, change: (h: Headers) => void) => {
  const h = new Headers(x.headers)
  change(h)
  return { ...x, headers: h }
}

test('real answers pass; broken ones are named: status, body, media type, required and undocumented headers, 204 with a body', async () => {
  const user = t.headers('alice')
  const created = await real('POST', '/v1/rooms', user, { type: 'group', members: ['bob'] })
  expect(created.status).toBe(201)
  expect(await violationsOf(s.url, created)).toEqual([])
  const roomId = JSON.parse(created.text).room_id as string

  expect(await violationsOf(s.url, { ...created, status: 418 })).toEqual([expect.stringContaining('status not documented')])
  expect(await violationsOf(s.url, { ...created, text: JSON.stringify({ ...JSON.parse(created.text), last_seq: 'many' }) })).toEqual([
    expect.stringMatching(/body .*last_seq must be integer/),
  ])
  expect(await violationsOf(s.url, { ...created, text: '' })).toEqual([expect.stringContaining('no body')])
  expect(await violationsOf(s.url, withHeaders(created, (h) => h.set('content-type', 'text/html')))).toEqual([expect.stringContaining('content-type text/html is not documented')])
  expect(await violationsOf(s.url, withHeaders(created, (h) => h.delete('x-request-id')))).toEqual([expect.stringContaining('required header x-request-id missing')])
  expect(await violationsOf(s.url, withHeaders(created, (h) => h.set('x-ratelimit-remaining', 'lots')))).toEqual([expect.stringContaining('header x-ratelimit-remaining')])

  const tenants = await real('GET', '/v1/admin/tenants', { 'x-master-key': 'test-master-key' })
  expect(await violationsOf(s.url, tenants)).toEqual([])
  expect(await violationsOf(s.url, withHeaders(tenants, (h) => h.set('retry-after', '1')))).toEqual([expect.stringContaining('header retry-after is sent but not documented')])

  const left = await real('DELETE', `/v1/rooms/${roomId}/members/alice`, user)
  expect(left.status).toBe(409) // the owner cannot leave while bob remains: a documented 409
  expect(await violationsOf(s.url, left)).toEqual([])
  const removed = await real('DELETE', `/v1/rooms/${roomId}/members/bob`, user)
  expect(removed.status).toBe(204)
  expect(await violationsOf(s.url, removed)).toEqual([])
  expect(await violationsOf(s.url, { ...removed, text: '{}' })).toEqual([expect.stringContaining('a body is sent but none is documented')])

  // Not an operation of the document: nothing to check against.
  expect(await violationsOf(s.url, { ...removed, method: 'PUT' })).toBeNull()
})
