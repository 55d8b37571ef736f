// MASTER_API_KEY unset (SPEC §2, §10): the admin API answers 403 to every call, whatever the header says.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { MASTER_KEY, startTestServer, type TestServer } from '../support/server'
import { expectError } from './helpers'

let s: TestServer
beforeAll(async () => (s = await startTestServer({ MASTER_API_KEY: '' })))
afterAll(() => s.stop())

const calls: [string, string, unknown?][] = [
  ['POST', '/v1/admin/tenants', { name: 'x' }],
  ['GET', '/v1/admin/tenants'],
  ['GET', '/v1/admin/tenants/tnt_x'],
  ['PATCH', '/v1/admin/tenants/tnt_x', { name: 'y' }],
  ['POST', '/v1/admin/tenants/tnt_x/rotate-key'],
]

test.each(calls)('%s %s → 403 FORBIDDEN with no key, a wrong key or the usual test key', async (...[method, path, body]: (typeof calls)[number]) => {
  const variants: Record<string, string>[] = [{}, { 'x-master-key': 'wrong' }, { 'x-master-key': MASTER_KEY }, { 'x-master-key': '' }]
  for (const headers of variants) {
    const r = await s.call(method, path, { headers, body })
    expectError(r, 403, 'FORBIDDEN')
    expect(r.headers.get('x-request-id')).toBeTruthy()
  }
})

test('an unknown admin path is still 404 (route first), and tenant routes still authenticate', async () => {
  expectError(await s.call('GET', '/v1/admin/nope'), 404, 'NOT_FOUND')
  expectError(await s.call('GET', '/v1/rooms', { headers: { 'x-api-key': 'sk_x', 'x-user-id': 'a' } }), 401, 'AUTHENTICATION_ERROR')
})
