// Search (SPEC §13) refusals: bad input with the error envelope and its field, the tenant feature
// switch, credentials, and SPEC §3's failure order.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'
import { expectError, room, send } from './helpers'

let s: TestServer
let t: TestTenant
let roomId: string
beforeAll(async () => {
  s = await startTestServer()
  t = await s.newTenant()
  roomId = (await room(t.as('alice'), 'group')).room_id
  await send(t.as('alice'), roomId, 'kestrel')
})
afterAll(() => s.stop())

const get = (query: string, user = 'alice') => t.as(user)('GET', `/v1/search${query}`)

describe('bad input → 400 VALIDATION_ERROR with the field', () => {
  test('q: missing, empty, over 256 characters, or no word at all (operators only)', async () => {
    expectError(await get(''), 400, 'VALIDATION_ERROR', 'q')
    expectError(await get('?q='), 400, 'VALIDATION_ERROR', 'q')
    expectError(await get(`?q=${'a'.repeat(257)}`), 400, 'VALIDATION_ERROR', 'q')
    // 256 characters (code points, not UTF-16 units) is fine.
    expect((await get(`?q=${encodeURIComponent('😀'.repeat(255) + 'k')}`)).status).toBe(200)
    expectError(await get(`?q=${encodeURIComponent('😀'.repeat(257))}`), 400, 'VALIDATION_ERROR', 'q')
    for (const q of ['*', '""', '" *', '"" *', '  ', '!!! ---', '&<>']) expectError(await get(`?q=${encodeURIComponent(q)}`), 400, 'VALIDATION_ERROR', 'q')
  })

  test('q with U+0000 is refused before any store sees it', async () => {
    expectError(await get('?q=kes%00trel'), 400, 'VALIDATION_ERROR', 'q')
  })

  test('limit outside 1-200, a cursor that is not ours, a bad sender_id, an empty room_id', async () => {
    for (const l of ['0', '201', 'x', '-1', '1.5']) expectError(await get(`?q=kestrel&limit=${l}`), 400, 'VALIDATION_ERROR', 'limit')
    expect((await get('?q=kestrel&limit=200')).status).toBe(200)
    for (const c of ['', 'garbage', Buffer.from('[1,2,3]').toString('base64url'), Buffer.from('["x"]').toString('base64url'), Buffer.from('[-5]').toString('base64url')])
      expectError(await get(`?q=kestrel&cursor=${c}`), 400, 'VALIDATION_ERROR', 'cursor')
    expectError(await get('?q=kestrel&sender_id=has%20space'), 400, 'VALIDATION_ERROR', 'sender_id')
    expectError(await get('?q=kestrel&room_id='), 400, 'VALIDATION_ERROR', 'room_id')
  })

  test('SPEC §3 order: the credentials answer before the query is looked at', async () => {
    const r = await s.call('GET', '/v1/search?q=', { headers: { 'x-api-key': 'sk_wrong', 'x-user-id': 'alice' } })
    expectError(r, 401, 'AUTHENTICATION_ERROR')
    expectError(await s.call('GET', '/v1/search?q=kestrel', { headers: { 'x-api-key': t.api_key } }), 400, 'VALIDATION_ERROR', 'X-User-Id')
    expectError(await t.as('alice')('POST', '/v1/search?q=kestrel'), 404, 'NOT_FOUND') // known path, other method
  })
})

describe('the tenant feature switch features.search', () => {
  test('off → 403 FORBIDDEN for every search; on again → results', async () => {
    const off = await s.newTenant({ features: { search: false } })
    const g = await room(off.as('alice'), 'group')
    await send(off.as('alice'), g.room_id, 'kestrel hidden')
    expectError(await off.as('alice')('GET', '/v1/search?q=kestrel'), 403, 'FORBIDDEN')
    expectError(await off.as('alice')('GET', `/v1/search?q=kestrel&room_id=${g.room_id}`), 403, 'FORBIDDEN')
    const patched = await s.admin('PATCH', `/v1/admin/tenants/${off.tenant_id}`, { body: { config: { features: { search: true } } } })
    expect(patched.status).toBe(200)
    expect(patched.body.config.features.search).toBe(true)
    // Messages sent while it was off are indexed all the same (the switch gates the route, not the index).
    const deadline = performance.now() + 2000
    let found: string[] = []
    while (!found.length && performance.now() < deadline) {
      const r = await off.as('alice')('GET', '/v1/search?q=kestrel')
      expect(r.status).toBe(200)
      found = r.body.results.map((x: { message: { content: string } }) => x.message.content)
      if (!found.length) await Bun.sleep(20)
    }
    expect(found).toEqual(['kestrel hidden'])
  })

  test('the switch is validated like the others', async () => {
    const r = await s.admin('PATCH', `/v1/admin/tenants/${t.tenant_id}`, { body: { config: { features: { search: 'yes' } } } })
    expectError(r, 400, 'VALIDATION_ERROR', 'config.features.search')
  })
})

describe('SEARCH_ENABLED=false on the server', () => {
  test('every search answers 403 and no search worker runs', async () => {
    const off = await startTestServer({ SEARCH_ENABLED: 'false' })
    try {
      const ot = await off.newTenant()
      expectError(await ot.as('alice')('GET', '/v1/search?q=kestrel'), 403, 'FORBIDDEN')
      const h = await off.call('GET', '/health')
      expect(h.body.workers?.search).toBeUndefined()
    } finally {
      await off.stop()
    }
  })
})
