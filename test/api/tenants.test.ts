import { afterAll, beforeAll, expect, test } from 'bun:test'
import { startTestServer, type TestServer } from '../support/server'

let s: TestServer
beforeAll(async () => (s = await startTestServer()))
afterAll(() => s.stop())

test('a created tenant authenticates and the key is shown only once', async () => {
  const t = await s.newTenant()
  expect(t.api_key).toMatch(/^sk_/)
  const list = await s.admin('GET', '/v1/admin/tenants')
  expect(list.status).toBe(200)
  expect(JSON.stringify(list.body)).not.toContain(t.api_key)
  const r = await t.as('alice')('GET', '/v1/rooms')
  expect(r.status).toBe(200)
  expect(r.body).toEqual({ rooms: [], next_cursor: null })
})
