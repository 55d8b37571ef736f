// Connecting: the `connected` frame, refused upgrades (401/403) and sockets closed by key changes (SPEC §2, §5, §10).

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startTestServer, type TestServer } from '../support/server'
import { WsClient } from '../support/ws'
import { alive, rawUpgrade, ready, upgradeStatus } from './helpers'

let s: TestServer
beforeAll(async () => (s = await startTestServer()))
afterAll(() => s.stop())

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

test('connected carries connection_id, user_id, server_time and the epoch of /health', async () => {
  const t = await s.newTenant()
  const before = Date.now()
  const c = await WsClient.connect(s.wsUrl, t.headers('alice'))
  const hello = await c.next('connected')
  expect(c.log[0].type).toBe('connected') // the very first frame
  expect(hello.user_id).toBe('alice')
  expect(hello.connection_id).toMatch(/^conn_[A-Za-z0-9]{16,}$/)
  expect(hello.server_time).toMatch(ISO_MS)
  const at = Date.parse(hello.server_time)
  expect(at).toBeGreaterThanOrEqual(before - 1000)
  expect(at).toBeLessThanOrEqual(Date.now() + 1000)
  const health = await s.call('GET', '/health')
  expect(hello.epoch).toBe(health.body.epoch)
  await c.next('sync.done')

  const other = await WsClient.connect(s.wsUrl, t.headers('alice'))
  expect((await other.next('connected')).connection_id).not.toBe(hello.connection_id)
  c.close()
  other.close()
})

test('connection ids: conn_ and 22 base62 characters, never repeated on one server or across servers', async () => {
  // The id is built from a per-process random prefix and the connection's number (no string kept
  // per idle socket); this holds it to the same shape and uniqueness as a random id.
  const t = await s.newTenant()
  const other = await startTestServer()
  try {
    const t2 = await other.newTenant()
    const clients = [
      ...(await Promise.all(Array.from({ length: 12 }, () => WsClient.connect(s.wsUrl, t.headers('alice'))))),
      ...(await Promise.all(Array.from({ length: 3 }, () => WsClient.connect(other.wsUrl, t2.headers('alice'))))),
    ]
    const ids = await Promise.all(clients.map(async (c) => (await c.next('connected')).connection_id as string))
    for (const id of ids) expect(id).toMatch(/^conn_[A-Za-z0-9]{22}$/)
    expect(new Set(ids).size).toBe(ids.length)
    for (const c of clients) c.close()
  } finally {
    await other.stop()
  }
})

test('an accepted upgrade answers 101 (the raw check below can tell refusals apart)', async () => {
  const t = await s.newTenant()
  expect(await upgradeStatus(s.wsUrl, { 'X-API-Key': t.api_key, 'X-User-Id': 'alice' })).toBe(101)
})

test('a plain GET /ws (no Upgrade header) gets the 400 envelope with X-Request-Id, not a socket', async () => {
  const t = await s.newTenant()
  const r = await s.call('GET', '/ws', { headers: t.headers('alice') })
  expect(r.status).toBe(400)
  expect(r.body.error.code).toBe('VALIDATION_ERROR')
  expect(r.body.error.message).toContain('WebSocket upgrade')
  expect(r.headers.get('x-request-id')).toBeTruthy()
})

test('the 101 answer carries X-Request-Id like every other response', async () => {
  const t = await s.newTenant()
  const r = await rawUpgrade(s.wsUrl, t.headers('alice'))
  r.sock.destroy()
  expect(r.status).toBe(101)
  expect(r.head).toMatch(/\r\nx-request-id: \S+/i)
})

describe('refused upgrades', () => {
  const cases: [string, (key: string) => Record<string, string>, string?][] = [
    ['no X-API-Key', () => ({ 'X-User-Id': 'alice' })],
    ['unknown X-API-Key', () => ({ 'X-API-Key': 'sk_doesnotexist0000000000000000', 'X-User-Id': 'alice' })],
    ['no X-User-Id', (k) => ({ 'X-API-Key': k })],
    ['malformed X-User-Id (space)', (k) => ({ 'X-API-Key': k, 'X-User-Id': 'al ice' })],
    ['malformed X-User-Id (129 chars)', (k) => ({ 'X-API-Key': k, 'X-User-Id': 'a'.repeat(129) })],
    ['malformed X-User-Id (pipe)', (k) => ({ 'X-API-Key': k, 'X-User-Id': 'a|b' })],
    ['?api_key= in the URL is not a credential', () => ({ 'X-User-Id': 'alice' }), '?api_key={key}'],
    ['?api_key=&user_id= in the URL', () => ({}), '?api_key={key}&user_id=alice'],
    ['malformed Authorization', (k) => ({ Authorization: 'Basic abc', 'X-API-Key': k, 'X-User-Id': 'alice' })],
    ['a bogus ?token=', () => ({}), '?token=not.a.jwt'],
  ]
  for (const [name, headers, query] of cases)
    test(`${name} → 401`, async () => {
      const t = await s.newTenant()
      const path = '/ws' + (query ?? '').replace('{key}', encodeURIComponent(t.api_key))
      expect(await upgradeStatus(s.wsUrl, headers(t.api_key), path)).toBe(401)
    })

  test("Bun's client sees the refusal as an error event and never opens", async () => {
    const t = await s.newTenant()
    const err = await WsClient.connect(s.wsUrl + '?api_key=' + t.api_key, { 'X-User-Id': 'alice' }).then(
      () => null,
      (e: Error) => e,
    )
    expect(err?.message).toContain('401')
  })

  test('key auth on a require_user_tokens tenant → 403', async () => {
    const t = await s.newTenant({ require_user_tokens: true })
    expect(await upgradeStatus(s.wsUrl, { 'X-API-Key': t.api_key, 'X-User-Id': 'alice' })).toBe(403)
    // a bad key stays a 401 even there: credentials are judged before the tenant's policy
    expect(await upgradeStatus(s.wsUrl, { 'X-API-Key': 'sk_nope', 'X-User-Id': 'alice' })).toBe(401)
  })
})

describe('sockets closed by tenant changes', () => {
  test('rotating the API key closes its open sockets with 1008; other tenants stay up', async () => {
    const t = await s.newTenant()
    const other = await s.newTenant()
    const a1 = await ready(s.wsUrl, t.headers('alice'))
    const a2 = await ready(s.wsUrl, t.headers('bob'))
    const bystander = await ready(s.wsUrl, other.headers('alice'))
    const r = await s.admin('POST', `/v1/admin/tenants/${t.tenant_id}/rotate-key`, { body: {} })
    expect(r.status).toBe(200)
    expect(r.body.api_key).toMatch(/^sk_/)
    expect((await a1.closed()).code).toBe(1008)
    expect((await a2.closed()).code).toBe(1008)
    await alive(bystander)
    // the old key is refused at once, the new one works
    expect(await upgradeStatus(s.wsUrl, { 'X-API-Key': t.api_key, 'X-User-Id': 'alice' })).toBe(401)
    const fresh = await ready(s.wsUrl, { 'X-API-Key': r.body.api_key, 'X-User-Id': 'alice' })
    await alive(fresh)
    fresh.close()
    bystander.close()
  })

  test('rotating another secret (webhook_secret) leaves sockets open', async () => {
    const t = await s.newTenant()
    const c = await ready(s.wsUrl, t.headers('alice'))
    const r = await s.admin('POST', `/v1/admin/tenants/${t.tenant_id}/rotate-key`, { body: { which: 'webhook_secret' } })
    expect(r.status).toBe(200)
    await alive(c)
    c.close()
  })

  test('turning require_user_tokens on closes key-authenticated sockets with 1008', async () => {
    const t = await s.newTenant()
    const c = await ready(s.wsUrl, t.headers('alice'))
    const r = await s.admin('PATCH', `/v1/admin/tenants/${t.tenant_id}`, { body: { config: { require_user_tokens: true } } })
    expect(r.status).toBe(200)
    expect((await c.closed()).code).toBe(1008)
    expect(await upgradeStatus(s.wsUrl, t.headers('alice'))).toBe(403)
  })

  test('user-token sockets (?token= or Bearer) survive a key rotation and require_user_tokens; key sockets do not', async () => {
    const t = await s.newTenant()
    const mint = async (user: string, key = t.api_key) => {
      const r = await s.call('POST', '/v1/tokens', { headers: { 'x-api-key': key, 'x-user-id': 'ops' }, body: { user_id: user } })
      expect(r.status).toBe(201)
      return r.body.token as string
    }
    const viaQuery = await ready(`${s.wsUrl}?token=${await mint('alice')}`, {})
    const viaHeader = await ready(s.wsUrl, { Authorization: `Bearer ${await mint('bob')}` })
    const viaKey = await ready(s.wsUrl, t.headers('carol'))
    expect(viaQuery.log[0]).toMatchObject({ type: 'connected', user_id: 'alice' })
    expect(viaHeader.log[0]).toMatchObject({ type: 'connected', user_id: 'bob' })

    expect((await s.admin('PATCH', `/v1/admin/tenants/${t.tenant_id}`, { body: { config: { require_user_tokens: true } } })).status).toBe(200)
    expect((await viaKey.closed()).code).toBe(1008)
    const r = await s.admin('POST', `/v1/admin/tenants/${t.tenant_id}/rotate-key`, { body: {} })
    expect(r.status).toBe(200)
    await alive(viaQuery)
    await alive(viaHeader)
    // and a token still opens a socket on a require_user_tokens tenant
    const later = await ready(`${s.wsUrl}?token=${await mint('dave', r.body.api_key)}`, {})
    await alive(later)
    for (const c of [viaQuery, viaHeader, later]) c.close()
  })
})
