// Secret rotation takes effect at once (issue 13 item 11), on the store under test (SQLite, or
// PostgreSQL with CHATAPI_TEST_DATABASE_URL) and across two instances over PostgreSQL and Redis:
// after webhook_secret is rotated the next delivery is signed with the new secret (verified at a
// local receiver), a rotated api_key or user_token_secret refuses the old credential everywhere.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { SQL } from 'bun'
import { createHmac } from 'node:crypto'
import { call } from '../support/http'
import { spawnServer, type ServerProcess } from '../support/process'
import { startTestServer, type TestServer } from '../support/server'
import { freshPgDatabase } from '../support/storage'
import { ofType, Receiver, type Hit } from '../delivery/helpers'

/** Which of the given secrets produced the hit's Standard Webhooks signature (null: none). */
function signer(hit: Hit, secrets: Record<string, string>): string | null {
  const id = hit.headers.get('webhook-id')
  const ts = hit.headers.get('webhook-timestamp')
  const sig = hit.headers.get('webhook-signature')
  for (const [name, secret] of Object.entries(secrets)) {
    const key = Buffer.from(secret.slice('whsec_'.length), 'base64')
    if (sig === `v1,${createHmac('sha256', key).update(`${id}.${ts}.${hit.body}`).digest('base64')}`) return name
  }
  return null
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
const contentOf = (content: string) => (h: Hit) => h.json?.data?.content === content

describe('on one server', () => {
  let s: TestServer
  let rx: Receiver
  beforeAll(async () => {
    s = await startTestServer({ ALLOW_HTTP_WEBHOOKS: '1' })
    rx = new Receiver()
  })
  afterAll(async () => {
    rx.stop()
    await s.stop()
  })

  test('webhook_secret: the delivery after a rotation is signed with the new secret', async () => {
    const t = await s.newTenant({ webhook_url: rx.url('/rot'), webhook_events: ['message.created'] })
    const room = (await t.as('alice')('POST', '/v1/rooms', { body: { type: 'group', members: ['bob'] } })).body.room_id
    const send = async (content: string) => {
      expect((await t.as('alice')('POST', `/v1/rooms/${room}/messages`, { body: { content } })).status).toBe(201)
      const [hit] = await rx.waitFor(1, contentOf(content))
      return hit
    }
    const old = t.webhook_secret
    expect(signer(await send('before'), { old })).toBe('old') // the delivery worker has now seen the tenant
    const r = await s.admin('POST', `/v1/admin/tenants/${t.tenant_id}/rotate-key`, { body: { which: 'webhook_secret' } })
    expect(r.status).toBe(200)
    const fresh = r.body.webhook_secret
    for (const content of ['after 1', 'after 2']) expect(signer(await send(content), { old, new: fresh })).toBe('new')
  })

  test('api_key: the old key is refused at once after use warmed the caches; the new one works', async () => {
    const t = await s.newTenant()
    expect((await t.as('alice')('GET', '/v1/rooms')).status).toBe(200)
    const r = await s.admin('POST', `/v1/admin/tenants/${t.tenant_id}/rotate-key`)
    expect((await t.as('alice')('GET', '/v1/rooms')).status).toBe(401)
    expect((await s.call('GET', '/v1/rooms', { headers: { 'x-api-key': r.body.api_key, 'x-user-id': 'alice' } })).status).toBe(200)
  })

  test('user_token_secret: a token minted before is refused, one minted after works', async () => {
    const t = await s.newTenant()
    const before = (await t.as('app')('POST', '/v1/tokens', { body: { user_id: 'alice' } })).body.token
    expect((await s.call('GET', '/v1/rooms', { headers: bearer(before) })).status).toBe(200)
    expect((await s.admin('POST', `/v1/admin/tenants/${t.tenant_id}/rotate-key`, { body: { which: 'user_token_secret' } })).status).toBe(200)
    expect((await s.call('GET', '/v1/rooms', { headers: bearer(before) })).status).toBe(401)
    const after = (await t.as('app')('POST', '/v1/tokens', { body: { user_id: 'alice' } })).body.token
    expect((await s.call('GET', '/v1/rooms', { headers: bearer(after) })).status).toBe(200)
  })
})

const PG = process.env.CHATAPI_TEST_DATABASE_URL?.startsWith('postgres') ? process.env.CHATAPI_TEST_DATABASE_URL : 'postgres://postgres@127.0.0.1:5432/postgres'
const REDIS = process.env.CHATAPI_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

async function reachable(): Promise<boolean> {
  try {
    const sql = new SQL(PG, { max: 1, connectionTimeout: 2 })
    await sql`SELECT 1`
    await sql.close()
    const r = await Bun.connect({ hostname: '127.0.0.1', port: Number(new URL(REDIS).port || 6379), socket: { data() {} } })
    r.end()
    return true
  } catch {
    return false
  }
}
const twoInstances = await reachable()
if (!twoInstances) console.warn('skipped: two-instance rotation tests need PostgreSQL at', PG, 'and Redis at', REDIS)

describe.skipIf(!twoInstances)('across two instances over PostgreSQL and Redis', () => {
  let db: Awaited<ReturnType<typeof freshPgDatabase>>
  let a: ServerProcess
  let b: ServerProcess
  let rx: Receiver
  const admin = (s: ServerProcess, method: string, path: string, body?: unknown) => call(s.url, method, path, { headers: { 'x-master-key': 'mk' }, body })
  const as = (s: ServerProcess, key: string, user: string) => (method: string, path: string, body?: unknown) =>
    call(s.url, method, path, { headers: { 'x-api-key': key, 'x-user-id': user }, body })

  beforeAll(async () => {
    db = await freshPgDatabase(PG)
    const env = { DATABASE_URL: db.url, REDIS_URL: REDIS, MASTER_API_KEY: 'mk', ALLOW_HTTP_WEBHOOKS: '1', RETRY_BASE_MS: '100' }
    ;[a, b] = await Promise.all([spawnServer(env), spawnServer(env)])
    rx = new Receiver()
  })
  afterAll(async () => {
    rx?.stop()
    for (const s of [a, b]) if (s && s.proc.exitCode === null) s.proc.kill('SIGTERM')
    await Promise.all([a?.exited, b?.exited])
    await db?.drop()
  })

  test('webhook_secret rotated on A: every later delivery, from either instance, is signed with the new secret', async () => {
    const created = await admin(a, 'POST', '/v1/admin/tenants', { name: 'rot', config: { webhook_url: rx.url('/two'), webhook_events: ['message.created'] } })
    expect(created.status).toBe(201)
    const key = created.body.api_key
    const room = (await as(a, key, 'alice')('POST', '/v1/rooms', { type: 'group', members: ['bob'] })).body.room_id
    // One at a time through both instances, so both delivery workers get to see the tenant's secret.
    const sendAll = async (tag: string, n: number) => {
      const hits: Hit[] = []
      for (let i = 0; i < n; i++) {
        const content = `${tag} ${i}`
        expect((await as(i % 2 ? b : a, key, 'alice')('POST', `/v1/rooms/${room}/messages`, { content })).status).toBe(201)
        hits.push(...(await rx.waitFor(1, (h) => ofType('message.created')(h) && contentOf(content)(h))))
      }
      return hits
    }
    const old = created.body.webhook_secret
    expect((await sendAll('before', 8)).map((h) => signer(h, { old }))).toEqual(Array(8).fill('old'))
    const r = await admin(a, 'POST', `/v1/admin/tenants/${created.body.tenant_id}/rotate-key`, { which: 'webhook_secret' })
    expect(r.status).toBe(200)
    const signers = (await sendAll('after', 8)).map((h) => signer(h, { old, new: r.body.webhook_secret }))
    expect(signers).toEqual(Array(8).fill('new'))
  }, 30_000)

  test('api_key rotated on A is refused on B at once (B had it cached); the new key works on B', async () => {
    const created = await admin(a, 'POST', '/v1/admin/tenants', { name: 'key' })
    const oldKey = created.body.api_key
    for (const s of [a, b]) expect((await as(s, oldKey, 'alice')('GET', '/v1/rooms')).status).toBe(200)
    const r = await admin(a, 'POST', `/v1/admin/tenants/${created.body.tenant_id}/rotate-key`)
    expect(r.status).toBe(200)
    for (const s of [b, a]) expect((await as(s, oldKey, 'alice')('GET', '/v1/rooms')).status).toBe(401)
    for (const s of [b, a]) expect((await as(s, r.body.api_key, 'alice')('GET', '/v1/rooms')).status).toBe(200)
  })

  test('user_token_secret rotated on B: a token minted before is refused on A and B; one minted after works on both', async () => {
    const created = await admin(a, 'POST', '/v1/admin/tenants', { name: 'tok' })
    const key = created.body.api_key
    const mint = async (s: ServerProcess) => (await as(s, key, 'app')('POST', '/v1/tokens', { user_id: 'alice' })).body.token as string
    const before = await mint(a)
    for (const s of [a, b]) expect((await call(s.url, 'GET', '/v1/rooms', { headers: bearer(before) })).status).toBe(200)
    expect((await admin(b, 'POST', `/v1/admin/tenants/${created.body.tenant_id}/rotate-key`, { which: 'user_token_secret' })).status).toBe(200)
    for (const s of [a, b]) expect((await call(s.url, 'GET', '/v1/rooms', { headers: bearer(before) })).status).toBe(401)
    const after = await mint(a)
    for (const s of [a, b]) expect((await call(s.url, 'GET', '/v1/rooms', { headers: bearer(after) })).status).toBe(200)
  })
})
