// User tokens (SPEC §2): minting, REST and WS use, what a token may not do, and every way a token is refused.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createHmac } from 'node:crypto'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'
import { WsClient } from '../support/ws'

let s: TestServer
beforeAll(async () => (s = await startTestServer()))
afterAll(() => s.stop())

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')
function forge(secret: string, header: object, claims: object) {
  const body = `${b64(header)}.${b64(claims)}`
  return `${body}.${createHmac('sha256', Buffer.from(secret, 'utf8')).update(body).digest('base64url')}`
}
async function mint(t: TestTenant, user: string, ttl_s?: number) {
  const r = await t.as('backend')('POST', '/v1/tokens', { body: { user_id: user, ...(ttl_s && { ttl_s }) } })
  expect(r.status).toBe(201)
  return r.body.token as string
}
const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

test('a minted token acts as its user over REST and WebSocket', async () => {
  const t = await s.newTenant()
  const r = await t.as('backend')('POST', '/v1/tokens', { body: { user_id: 'alice', ttl_s: 60 } })
  expect(r.status).toBe(201)
  const exp = Date.parse(r.body.expires_at)
  expect(exp).toBeGreaterThan(Date.now() + 50_000)
  expect(exp).toBeLessThan(Date.now() + 70_000)
  const room = await s.call('POST', '/v1/rooms', { headers: bearer(r.body.token), body: { type: 'group', members: ['bob'] } })
  expect(room.status).toBe(201)
  const members = await t.as('bob')('GET', `/v1/rooms/${room.body.room_id}/members`)
  expect(members.body.members.find((m: { role: string }) => m.role === 'owner').user_id).toBe('alice')
  const ws = await WsClient.connect(`${s.wsUrl}?token=${r.body.token}`)
  expect((await ws.next('connected')).user_id).toBe('alice')
  ws.close()
})

test('a token may not notify, mint tokens or subscribe an endpoint (403)', async () => {
  const t = await s.newTenant()
  const token = await mint(t, 'alice')
  const h = { headers: bearer(token) }
  expect((await s.call('POST', '/v1/tokens', { ...h, body: { user_id: 'mallory' } })).status).toBe(403)
  expect((await s.call('POST', '/v1/notify', { ...h, body: { topic: 'x', payload: {}, targets: { user_ids: ['bob'] } } })).status).toBe(403)
  const sub = await s.call('POST', '/v1/subscriptions', { ...h, body: { topic: 'x', endpoint: 'https://example.com/h' } })
  expect(sub.status).toBe(403)
  expect((await s.call('POST', '/v1/subscriptions', { ...h, body: { topic: 'x' } })).status).toBe(201)
})

describe('refused tokens answer 401 on REST and on the WebSocket upgrade', () => {
  const cases: [string, (t: TestTenant, other: TestTenant) => string][] = [
    ['expired', (t) => forge(t.user_token_secret, { alg: 'HS256' }, { sub: 'a', tid: t.tenant_id, exp: Math.floor(Date.now() / 1000) - 5 })],
    ['no exp', (t) => forge(t.user_token_secret, { alg: 'HS256' }, { sub: 'a', tid: t.tenant_id })],
    ['wrong secret', (t) => forge('not-the-secret', { alg: 'HS256' }, { sub: 'a', tid: t.tenant_id, exp: 9e9 })],
    ['other tenant id with this secret', (t, o) => forge(t.user_token_secret, { alg: 'HS256' }, { sub: 'a', tid: o.tenant_id, exp: 9e9 })],
    ['alg none', (t) => `${b64({ alg: 'none' })}.${b64({ sub: 'a', tid: t.tenant_id, exp: 9e9 })}.`],
    ['alg HS512', (t) => forge(t.user_token_secret, { alg: 'HS512' }, { sub: 'a', tid: t.tenant_id, exp: 9e9 })],
    ['bad subject', (t) => forge(t.user_token_secret, { alg: 'HS256' }, { sub: 'a|b', tid: t.tenant_id, exp: 9e9 })],
    ['garbage', () => 'not.a.jwt'],
  ]
  for (const [name, make] of cases)
    test(name, async () => {
      const t = await s.newTenant()
      const other = await s.newTenant()
      const token = make(t, other)
      const r = await s.call('GET', '/v1/rooms', { headers: bearer(token) })
      expect(r.status).toBe(401)
      expect(r.body.error.code).toBe('AUTHENTICATION_ERROR')
      await expect(WsClient.connect(`${s.wsUrl}?token=${encodeURIComponent(token)}`)).rejects.toThrow()
    })
})

test('rotating user_token_secret kills existing tokens at once', async () => {
  const t = await s.newTenant()
  const token = await mint(t, 'alice')
  expect((await s.call('GET', '/v1/rooms', { headers: bearer(token) })).status).toBe(200)
  const rot = await s.admin('POST', `/v1/admin/tenants/${t.tenant_id}/rotate-key`, { body: { which: 'user_token_secret' } })
  expect(rot.status).toBe(200)
  expect((await s.call('GET', '/v1/rooms', { headers: bearer(token) })).status).toBe(401)
})

test('ttl_s out of range → 400 field ttl_s', async () => {
  const t = await s.newTenant()
  for (const ttl_s of [0, 2_592_001, 1.5]) {
    const r = await t.as('backend')('POST', '/v1/tokens', { body: { user_id: 'a', ttl_s } })
    expect(r.status).toBe(400)
    expect(r.body.error.field).toBe('ttl_s')
  }
})

test('require_user_tokens: key-authenticated sockets are refused (403) and closed 1008; tokens still work', async () => {
  const t = await s.newTenant()
  const keyed = await WsClient.connect(s.wsUrl, t.headers('alice'))
  await keyed.next('connected')
  const p = await s.admin('PATCH', `/v1/admin/tenants/${t.tenant_id}`, { body: { config: { require_user_tokens: true } } })
  expect(p.status).toBe(200)
  expect((await keyed.closed()).code).toBe(1008)
  const res = await fetch(s.url + '/ws', { headers: { ...t.headers('alice'), upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' } })
  expect(res.status).toBe(403)
  const ws = await WsClient.connect(`${s.wsUrl}?token=${await mint(t, 'alice')}`)
  expect((await ws.next('connected')).user_id).toBe('alice')
  ws.close()
})
