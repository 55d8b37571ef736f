// CORS with CORS_ORIGINS=* (SPEC §4, TESTING D12): Allow-Origin *, and never credentials.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { startTestServer, type TestServer } from '../support/server'

let s: TestServer
beforeAll(async () => (s = await startTestServer({ CORS_ORIGINS: '*' })))
afterAll(() => s.stop())

test('any origin: preflight 204 and requests with Allow-Origin *, no credentials', async () => {
  const t = await s.newTenant()
  const pre = await s.call('OPTIONS', '/v1/rooms/room_x/messages', {
    headers: { origin: 'https://anyone.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-api-key' },
  })
  expect(pre.status).toBe(204)
  expect(pre.headers.get('access-control-allow-origin')).toBe('*')
  expect(pre.headers.get('access-control-allow-credentials')).toBeNull()
  const r = await t.as('alice')('GET', '/v1/rooms', { headers: { origin: 'https://anyone.example' } })
  expect(r.headers.get('access-control-allow-origin')).toBe('*')
  expect(r.headers.get('access-control-allow-credentials')).toBeNull()
})
