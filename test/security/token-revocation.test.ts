// Revoking user-token WebSockets (issue 13 item 1, probe H1): rotating user_token_secret closes
// every token socket of the tenant (1008), on every instance; a token socket closes at its exp
// (1008 "token expired"); api_key rotation and require_user_tokens close key sockets only, as before.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { SQL } from 'bun'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'
import { freshPgDatabase } from '../support/storage'
import { spawnServer, type ServerProcess } from '../support/process'
import { call } from '../support/http'
import { alive, ready } from '../ws/helpers'

const SWEEP_MS = 100
let s: TestServer
beforeAll(async () => (s = await startTestServer({}, { tokenExpirySweepMs: SWEEP_MS })))
afterAll(() => s.stop())

async function mint(t: TestTenant, user: string, ttl_s = 3600) {
  const r = await t.as('backend')('POST', '/v1/tokens', { body: { user_id: user, ttl_s } })
  expect(r.status).toBe(201)
  return r.body as { token: string; expires_at: string }
}
const rotate = (tenantId: string, which: string) => s.admin('POST', `/v1/admin/tenants/${tenantId}/rotate-key`, { body: { which } })

test('rotating user_token_secret closes every token socket of the tenant (1008) and no key socket', async () => {
  const t = await s.newTenant()
  const other = await s.newTenant()
  const alice = await ready(`${s.wsUrl}?token=${(await mint(t, 'alice')).token}`, {})
  const alice2 = await ready(`${s.wsUrl}?token=${(await mint(t, 'alice')).token}`, {})
  const bob = await ready(`${s.wsUrl}?token=${(await mint(t, 'bob')).token}`, {})
  const keyed = await ready(s.wsUrl, t.headers('carol'))
  const otherTenant = await ready(`${s.wsUrl}?token=${(await mint(other, 'alice')).token}`, {})

  expect((await rotate(t.tenant_id, 'user_token_secret')).status).toBe(200)
  for (const c of [alice, alice2, bob]) expect(await c.closed()).toEqual({ code: 1008, reason: 'user token secret rotated' })
  await alive(keyed)
  await alive(otherTenant)
  keyed.close()
  otherTenant.close()
})

test('rotating api_key closes key sockets (1008) as before; token sockets and tokens stay valid', async () => {
  const t = await s.newTenant()
  const minted = await mint(t, 'alice')
  const tokenSock = await ready(`${s.wsUrl}?token=${minted.token}`, {})
  const keyed = await ready(s.wsUrl, t.headers('bob'))
  expect((await rotate(t.tenant_id, 'api_key')).status).toBe(200)
  expect(await keyed.closed()).toEqual({ code: 1008, reason: 'api key rotated' })
  await alive(tokenSock)
  // Tokens are signed with user_token_secret, not the API key: they outlive an api_key rotation.
  expect((await s.call('GET', '/v1/rooms', { headers: { authorization: `Bearer ${minted.token}` } })).status).toBe(200)
  tokenSock.close()
})

test('rotating webhook_secret closes nothing', async () => {
  const t = await s.newTenant()
  const tokenSock = await ready(`${s.wsUrl}?token=${(await mint(t, 'alice')).token}`, {})
  const keyed = await ready(s.wsUrl, t.headers('bob'))
  expect((await rotate(t.tenant_id, 'webhook_secret')).status).toBe(200)
  await alive(tokenSock)
  await alive(keyed)
  tokenSock.close()
  keyed.close()
})

test('require_user_tokens closes key sockets (1008) and leaves token sockets open', async () => {
  const t = await s.newTenant()
  const tokenSock = await ready(`${s.wsUrl}?token=${(await mint(t, 'alice')).token}`, {})
  const keyed = await ready(s.wsUrl, t.headers('bob'))
  const p = await s.admin('PATCH', `/v1/admin/tenants/${t.tenant_id}`, { body: { config: { require_user_tokens: true } } })
  expect(p.status).toBe(200)
  expect(await keyed.closed()).toEqual({ code: 1008, reason: 'user tokens required' })
  await alive(tokenSock)
  tokenSock.close()
})

test('a token socket closes 1008 "token expired" once its exp has passed, not before', async () => {
  const t = await s.newTenant()
  const short = await mint(t, 'alice', 2) // exp = now (whole seconds) + 2: at least 1 s left to connect
  const long = await ready(`${s.wsUrl}?token=${(await mint(t, 'alice')).token}`, {})
  const c = await ready(`${s.wsUrl}?token=${short.token}`, {})
  const closed = await c.closed(5000)
  const at = Date.now()
  expect(closed).toEqual({ code: 1008, reason: 'token expired' })
  expect(at).toBeGreaterThanOrEqual(Date.parse(short.expires_at))
  await alive(long) // the same user's longer-lived token is untouched
  long.close()
})

test('token sockets close each at its own exp; one closed early by its client is no trouble to the sweep', async () => {
  // The sweep looks only at the seconds that have come (sockets are kept by the second their token
  // ends): sockets of different seconds, a key socket (no exp) and a token socket gone before its exp.
  const t = await s.newTenant()
  const [in2, in3, gone] = [await mint(t, 'alice', 2), await mint(t, 'bob', 3), await mint(t, 'carol', 2)]
  const a = await ready(`${s.wsUrl}?token=${in2.token}`, {})
  const b = await ready(`${s.wsUrl}?token=${in3.token}`, {})
  const c = await ready(`${s.wsUrl}?token=${gone.token}`, {})
  const keyed = await ready(s.wsUrl, t.headers('dave'))
  c.close()
  expect(await a.closed(5000)).toEqual({ code: 1008, reason: 'token expired' })
  const aAt = Date.now()
  expect(aAt).toBeGreaterThanOrEqual(Date.parse(in2.expires_at))
  expect(await b.closed(5000)).toEqual({ code: 1008, reason: 'token expired' })
  expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(in3.expires_at))
  await alive(keyed)
  // a socket opened after the others expired is swept as well
  const late = await ready(`${s.wsUrl}?token=${(await mint(t, 'erin', 2)).token}`, {})
  expect(await late.closed(5000)).toEqual({ code: 1008, reason: 'token expired' })
  await alive(keyed)
  keyed.close()
})

// --- two instances over one PostgreSQL database and one Redis --------------------------------------

// Runs whenever PostgreSQL and Redis answer (as test/scale/two-instances.test.ts), on the SQLite pass too.
const PG = process.env.CHATAPI_TEST_DATABASE_URL?.startsWith('postgres') ? process.env.CHATAPI_TEST_DATABASE_URL : 'postgres://postgres@127.0.0.1:5432/postgres'
const REDIS = process.env.CHATAPI_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
async function reachable(): Promise<boolean> {
  try {
    const sql = new SQL(PG, { max: 1, connectionTimeout: 2 })
    await sql`SELECT 1`
    await sql.close()
    const r = await Bun.connect({ hostname: new URL(REDIS).hostname, port: Number(new URL(REDIS).port || 6379), socket: { data() {} } })
    r.end()
    return true
  } catch {
    return false
  }
}

describe.skipIf(!(await reachable()))('two instances (PostgreSQL + Redis)', () => {
  let db: Awaited<ReturnType<typeof freshPgDatabase>>
  let a: ServerProcess
  let b: ServerProcess
  const MK = 'mk-two'
  const env = () => ({ DATABASE_URL: db.url, REDIS_URL: REDIS, MASTER_API_KEY: MK, ACK_TIMEOUT_MS: '60000', PRESENCE_GRACE_MS: '300' })

  beforeAll(async () => {
    db = await freshPgDatabase(PG)
    ;[a, b] = await Promise.all([spawnServer(env()), spawnServer(env())])
  }, 30_000)
  afterAll(async () => {
    for (const p of [a, b]) if (p && p.proc.exitCode === null) p.proc.kill('SIGTERM')
    await Promise.all([a?.exited, b?.exited])
    await db?.drop()
  })

  test('a user_token_secret rotation on A closes token sockets on B; an api_key rotation on A closes key sockets on B', async () => {
    const t = (await call(a.url, 'POST', '/v1/admin/tenants', { headers: { 'x-master-key': MK }, body: { name: 'two' } })).body
    const key = (user: string) => ({ 'x-api-key': t.api_key, 'x-user-id': user })
    const token = (await call(a.url, 'POST', '/v1/tokens', { headers: key('backend'), body: { user_id: 'alice' } })).body.token
    const onB = await ready(`${b.wsUrl}?token=${token}`, {})
    const keyOnB = await ready(b.wsUrl, key('bob'))
    const rot = (which: string) => call(a.url, 'POST', `/v1/admin/tenants/${t.tenant_id}/rotate-key`, { headers: { 'x-master-key': MK }, body: { which } })

    expect((await rot('user_token_secret')).status).toBe(200)
    expect(await onB.closed()).toEqual({ code: 1008, reason: 'user token secret rotated' })
    await alive(keyOnB)
    expect((await call(b.url, 'GET', '/v1/rooms', { headers: { authorization: `Bearer ${token}` } })).status).toBe(401)

    const fresh = (await call(b.url, 'POST', '/v1/tokens', { headers: key('backend'), body: { user_id: 'alice' } })).body.token
    const again = await ready(`${b.wsUrl}?token=${fresh}`, {})
    expect((await rot('api_key')).status).toBe(200)
    expect(await keyOnB.closed()).toEqual({ code: 1008, reason: 'api key rotated' })
    await alive(again)
    again.close()
  }, 20_000)
})
