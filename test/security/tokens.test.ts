// User tokens (SPEC §2): minting, REST and WS use, what a token may not do, and every way a token is refused.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createHmac, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { systemClock } from '../../src/clock'
import { loadConfig } from '../../src/config'
import { openStore, type OpenedStore } from '../../src/db/open-store'
import { createLogger } from '../../src/log'
import { createEventBus } from '../../src/services/events'
import { createTenantService } from '../../src/services/tenant'
import { createAuditLog } from '../../src/services/audit'
import { createTokenService, tokenCacheEviction } from '../../src/services/token'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'
import { freshPgDatabase, TEST_PG_URL } from '../support/storage'
import { WsClient } from '../support/ws'

let s: TestServer
beforeAll(async () => (s = await startTestServer()))
afterAll(() => s.stop())

/** A JSON value, or raw JSON text (for numbers JSON.stringify cannot write, such as 1e999), in base64url. */
const b64 = (o: unknown) => Buffer.from(typeof o === 'string' ? o : JSON.stringify(o)).toString('base64url')
const hs256 = (secret: string, body: string) => createHmac('sha256', Buffer.from(secret, 'utf8')).update(body).digest()
function forge(secret: string, header: object, claims: object | string) {
  const body = `${b64(header)}.${b64(claims)}`
  return `${body}.${hs256(secret, body).toString('base64url')}`
}
/** The same token with its signature segment re-encoded by `f` (the bytes it decodes to stay the same). */
function resign(token: string, f: (sig: Buffer, given: string) => string) {
  const [h, p, sig] = token.split('.')
  return `${h}.${p}.${f(Buffer.from(sig, 'base64url'), sig)}`
}
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const nowS = () => Math.floor(Date.now() / 1000)
const DAY = 86_400
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
  const ok = (t: TestTenant, extra: Record<string, unknown> = {}) => ({ sub: 'a', tid: t.tenant_id, exp: nowS() + 3600, ...extra })
  const good = (t: TestTenant) => forge(t.user_token_secret, { alg: 'HS256' }, ok(t))
  const cases: [string, (t: TestTenant, other: TestTenant) => string][] = [
    ['expired', (t) => forge(t.user_token_secret, { alg: 'HS256' }, ok(t, { exp: nowS() - 5 }))],
    ['no exp', (t) => forge(t.user_token_secret, { alg: 'HS256' }, { sub: 'a', tid: t.tenant_id })],
    ['string exp', (t) => forge(t.user_token_secret, { alg: 'HS256' }, ok(t, { exp: String(nowS() + 3600) }))],
    ['wrong secret', (t) => forge('not-the-secret', { alg: 'HS256' }, ok(t))],
    ['other tenant id with this secret', (t, o) => forge(t.user_token_secret, { alg: 'HS256' }, { ...ok(t), tid: o.tenant_id })],
    ['alg none', (t) => `${b64({ alg: 'none' })}.${b64(ok(t))}.`],
    ['alg HS512', (t) => forge(t.user_token_secret, { alg: 'HS512' }, ok(t))],
    ['bad subject', (t) => forge(t.user_token_secret, { alg: 'HS256' }, ok(t, { sub: 'a|b' }))],
    ['numeric subject', (t) => forge(t.user_token_secret, { alg: 'HS256' }, ok(t, { sub: 42 }))],
    ['numeric tid', (t) => forge(t.user_token_secret, { alg: 'HS256' }, ok(t, { tid: 7 }))],
    ['garbage', () => 'not.a.jwt'],
    // Probe I1: one signature, many spellings. Only the canonical base64url form is the token.
    ['signature in standard base64 with padding', (t) => resign(good(t), (sig) => sig.toString('base64'))],
    ['signature with trailing characters', (t) => resign(good(t), (_, given) => given + '!!')],
    ['signature with trailing padding', (t) => resign(good(t), (_, given) => given + '=')],
    ['signature with non-zero unused bits', (t) => resign(good(t), (_, given) => given.slice(0, -1) + ALPHABET[ALPHABET.indexOf(given.at(-1)!) ^ 1])],
    ['exp 1e308', (t) => forge(t.user_token_secret, { alg: 'HS256' }, ok(t, { exp: 1e308 }))],
    ['exp 1e999 (Infinity once parsed)', (t) => forge(t.user_token_secret, { alg: 'HS256' }, `{"sub":"a","tid":"${t.tenant_id}","exp":1e999}`)],
    ['exp beyond 30 days', (t) => forge(t.user_token_secret, { alg: 'HS256' }, ok(t, { exp: nowS() + 31 * DAY }))],
    ['nbf in the future', (t) => forge(t.user_token_secret, { alg: 'HS256' }, ok(t, { nbf: nowS() + 600 }))],
    ['unknown crit header', (t) => forge(t.user_token_secret, { alg: 'HS256', crit: ['x-policy'], 'x-policy': 1 }, ok(t))],
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

test('a token signed by the parent backend (HS256, exp within 30 days, nbf past, no typ) is accepted', async () => {
  const t = await s.newTenant()
  for (const claims of [
    { sub: 'alice', tid: t.tenant_id, exp: nowS() + 29 * DAY },
    { sub: 'alice', tid: t.tenant_id, exp: nowS() + 60, nbf: nowS() - 60, iat: nowS() - 60 },
  ]) {
    const token = forge(t.user_token_secret, { alg: 'HS256' }, claims)
    expect((await s.call('GET', '/v1/rooms', { headers: bearer(token) })).status).toBe(200)
    const ws = await WsClient.connect(`${s.wsUrl}?token=${token}`)
    expect((await ws.next('connected')).user_id).toBe('alice')
    ws.close()
  }
})

test('refusals keep their SPEC §2 messages', async () => {
  const t = await s.newTenant()
  const msg = async (token: string) => (await s.call('GET', '/v1/rooms', { headers: bearer(token) })).body.error.message
  const claims = { sub: 'a', tid: t.tenant_id, exp: nowS() + 3600 }
  expect(await msg(forge(t.user_token_secret, { alg: 'HS256' }, { ...claims, exp: nowS() - 5 }))).toBe('token expired')
  expect(await msg(forge('nope', { alg: 'HS256' }, claims))).toBe('invalid token')
  expect(await msg(forge(t.user_token_secret, { alg: 'HS512' }, claims))).toBe('token algorithm must be HS256')
  expect(await msg(forge(t.user_token_secret, { alg: 'HS256' }, { sub: 'a', tid: t.tenant_id }))).toBe('token must carry sub, tid and exp')
  expect(await msg(forge(t.user_token_secret, { alg: 'HS256' }, { ...claims, sub: 'a|b' }))).toBe('invalid token subject')
  expect(await msg('not.a.jwt')).toBe('malformed token')
  expect(await msg(forge(t.user_token_secret, { alg: 'HS256' }, { ...claims, nbf: nowS() + 600 }))).toBe('token not yet valid')
  expect(await msg(forge(t.user_token_secret, { alg: 'HS256' }, { ...claims, exp: nowS() + 31 * DAY }))).toBe('token exp is more than 30 days ahead')
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

// Probe I2: the verifier's tenant cache, on a real store whose tenant reads are counted and can be held.
describe('tenant caches (SQLite, or PostgreSQL under CHATAPI_TEST_DATABASE_URL)', () => {
  let dir: string
  let pg: Awaited<ReturnType<typeof freshPgDatabase>> | null = null
  let opened: OpenedStore
  const reads = { get: 0, byKeyHash: 0 }
  /** The next read of that kind reads at once, then answers only when `release` is called. */
  const held: { get?: Gate; byKeyHash?: Gate } = {}
  type Gate = { read: Promise<void>; readDone(): void; release(): void; released: Promise<void> }
  function hold(kind: 'get' | 'byKeyHash'): Gate {
    let readDone!: () => void
    let release!: () => void
    const g: Gate = { read: new Promise((r) => (readDone = r)), readDone: () => readDone(), released: new Promise((r) => (release = r)), release: () => release() }
    held[kind] = g
    return g
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'chatapi-token-cache-'))
    pg = TEST_PG_URL ? await freshPgDatabase(TEST_PG_URL) : null
    opened = await openStore(loadConfig({ DATABASE_URL: pg?.url ?? join(dir, 'c.db'), LOG_LEVEL: 'error' }))
    for (const kind of ['get', 'byKeyHash'] as const) {
      const orig = opened.store.tenants[kind].bind(opened.store.tenants)
      opened.store.tenants[kind] = (async (arg: string) => {
        reads[kind]++
        const gate = held[kind]
        held[kind] = undefined
        const row = await orig(arg)
        if (gate) {
          gate.readDone()
          await gate.released
        }
        return row
      }) as never
    }
  })
  afterAll(async () => {
    await opened?.close(false)
    await pg?.drop()
    rmSync(dir, { recursive: true, force: true })
  })

  async function setup() {
    const config = loadConfig({ DATABASE_URL: ':memory:' })
    const events = createEventBus(createLogger('error'))
    const tenants = createTenantService({ store: opened.store, clock: systemClock, config, events, audit: createAuditLog({ store: opened.store, clock: systemClock }) })
    const tokens = createTokenService({ tenants, clock: systemClock })
    events.subscribe(tokenCacheEviction(tokens)) // as the composition root wires it (src/core.ts)
    const created = await tenants.create('cache')
    const tenant = (await tenants.authById(created.tenant_id))!
    const { token } = await tokens.mint({ tenant, userId: 'backend', via: 'key' }, { user_id: 'alice' })
    return { tenants, tokens, created, token }
  }

  test('a flood of tokens with unknown tids does not evict a real tenant from the cache', async () => {
    const { tokens, token } = await setup()
    await tokens.verify(token)
    const before = reads.get
    await tokens.verify(token)
    expect(reads.get).toBe(before) // cached
    const secret = 'attacker-' + randomBytes(8).toString('hex')
    for (let i = 0; i < 10_050; i += 250) {
      const batch = Array.from({ length: 250 }, (_, j) => forge(secret, { alg: 'HS256' }, { sub: 'x', tid: `tnt_${i + j}_${randomBytes(6).toString('hex')}`, exp: nowS() + 60 }))
      const out = await Promise.allSettled(batch.map((b) => tokens.verify(b)))
      expect(out.every((o) => o.status === 'rejected')).toBe(true)
    }
    const afterFlood = reads.get
    expect((await tokens.verify(token)).userId).toBe('alice')
    expect(reads.get).toBe(afterFlood) // still cached: the flood touched no positive entry
  }, 60_000)

  test('a cache miss in flight across a user_token_secret rotation cannot re-cache the old secret', async () => {
    const { tenants, tokens, created, token } = await setup()
    const gate = hold('get')
    const inFlight = tokens.verify(token).catch((e) => e) // reads the tenant (old secret), then waits
    await gate.read
    await tenants.rotate(created.tenant_id, 'user_token_secret')
    gate.release()
    await inFlight // began before the rotation; either answer is acceptable for this one
    await expect(tokens.verify(token)).rejects.toMatchObject({ code: 'AUTHENTICATION_ERROR', message: 'invalid token' })
  })

  test('an API-key lookup in flight across an api_key rotation cannot re-cache the old key', async () => {
    const { tenants, created } = await setup()
    const gate = hold('byKeyHash')
    const inFlight = tenants.authenticate(created.api_key).catch((e) => e)
    await gate.read
    await tenants.rotate(created.tenant_id, 'api_key')
    gate.release()
    await inFlight
    await expect(tenants.authenticate(created.api_key)).rejects.toMatchObject({ code: 'AUTHENTICATION_ERROR' })
  })
})
