// DELETE /v1/admin/tenants/{tenant_id} and GET /v1/admin/tenants paging (SPEC §15): keys and tokens
// dead at once, sockets closed 1008 (on every instance), the data gone once the job is done.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { SQL } from 'bun'
import { call } from '../support/http'
import { spawnServer, type ServerProcess } from '../support/process'
import { startTestServer, type TestServer } from '../support/server'
import { freshPgDatabase } from '../support/storage'
import { WsClient } from '../support/ws'
import { ready, roomWith, restSend } from '../ws/helpers'
import { until } from '../delivery/helpers'
import { expectError } from './helpers'

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

describe('on one server', () => {
  let s: TestServer
  beforeAll(async () => {
    s = await startTestServer({ ACK_TIMEOUT_MS: '600000' })
  })
  afterAll(() => s.stop())

  test('delete: 202 {job_id}; key, tokens and sockets dead at once; data gone when the job is done; others untouched', async () => {
    const t = await s.newTenant()
    const keep = await s.newTenant()
    const room = await roomWith(t, 'alice', ['bob'])
    for (let i = 0; i < 30; i++) await restSend(t, 'alice', room, `m${i}`)
    expect((await t.as('bob')('POST', '/v1/subscriptions', { body: { topic: 'x' } })).status).toBe(201)
    // moderation rows of every kind (each also writes an audit entry of the tenant)
    const ok = (r: { status: number }) => expect(r.status).toBeLessThan(300)
    ok(await t.as('alice')('POST', `/v1/rooms/${room}/mutes`, { body: { user_id: 'bob' } }))
    ok(await t.as('alice')('POST', `/v1/rooms/${room}/bans`, { body: { user_id: 'carol' } }))
    ok(await s.call('POST', '/v1/moderation/bans', { headers: { 'x-api-key': t.api_key }, body: { user_id: 'dave' } }))
    ok(await t.as('bob')('PUT', '/v1/blocks/alice'))
    ok(await t.as('bob')('POST', '/v1/reports', { body: { room_id: room, user_id: 'alice', reason: 'spam' } }))
    const keepRoom = await roomWith(keep, 'alice', ['bob'])
    await restSend(keep, 'alice', keepRoom, 'stays')
    const token = (await t.as('app')('POST', '/v1/tokens', { body: { user_id: 'bob' } })).body.token
    const keySocket = await ready(s.wsUrl, t.headers('alice'))
    const tokenSocket = await ready(s.wsUrl, bearer(token))
    const otherSocket = await ready(s.wsUrl, keep.headers('alice'))

    const r = await s.admin('DELETE', `/v1/admin/tenants/${t.tenant_id}`)
    expect(r.status).toBe(202)
    expect(Object.keys(r.body)).toEqual(['job_id'])
    expect(await keySocket.closed()).toEqual({ code: 1008, reason: 'tenant deleted' })
    expect(await tokenSocket.closed()).toEqual({ code: 1008, reason: 'tenant deleted' })
    expectError(await t.as('alice')('GET', '/v1/rooms'), 401, 'AUTHENTICATION_ERROR')
    expectError(await s.call('GET', '/v1/rooms', { headers: bearer(token) }), 401, 'AUTHENTICATION_ERROR')
    await expect(WsClient.connect(s.wsUrl, t.headers('alice'))).rejects.toThrow(/401/)
    expectError(await s.admin('GET', `/v1/admin/tenants/${t.tenant_id}`), 404, 'NOT_FOUND')
    expectError(await s.admin('PATCH', `/v1/admin/tenants/${t.tenant_id}`, { body: { name: 'x' } }), 404, 'NOT_FOUND')
    expectError(await s.admin('DELETE', `/v1/admin/tenants/${t.tenant_id}`), 404, 'NOT_FOUND')
    expect((await s.admin('GET', '/v1/admin/tenants?limit=200')).body.tenants.map((x: { tenant_id: string }) => x.tenant_id)).not.toContain(t.tenant_id)

    const job = await until('tenant job done', async () => {
      const j = await s.admin('GET', `/v1/admin/jobs/${r.body.job_id}`)
      expect(j.status).toBe(200)
      return j.body.status === 'running' ? undefined : j.body
    }, 15_000, 20)
    expect(job).toMatchObject({ kind: 'tenant.delete', status: 'done', error: null, progress: { done: 31, total: 31 } })
    const store = s.handle.store
    expect(await store.messages.after(room, 0, 10)).toEqual([])
    expect(await store.members.get(room, 'alice')).toBeNull()
    expect(await store.notifications.subscriptionsOf(t.tenant_id, 'bob')).toEqual([])
    expect(await store.tenants.get(t.tenant_id)).toBeNull()
    const now = new Date().toISOString()
    expect((await store.moderation.roomMutes(room, now, 10)).rows).toEqual([])
    expect((await store.moderation.roomBans(room, now, 10)).rows).toEqual([])
    expect((await store.moderation.tenantBans(t.tenant_id, now, 10)).rows).toEqual([])
    expect((await store.moderation.blocksOf(t.tenant_id, 'bob', 10)).rows).toEqual([])
    expect((await store.reports.list(t.tenant_id, null, 10)).rows).toEqual([])
    // the audit log keeps the admin's entries of it (its creation and its deletion), none of its own
    const audit = (await s.admin('GET', `/v1/admin/audit?tenant_id=${t.tenant_id}`)).body.entries
    expect(audit.map((e: { actor: string; action: string }) => `${e.actor} ${e.action}`)).toEqual(['admin tenant.delete', 'admin tenant.create'])
    expect(audit[0]).toMatchObject({ target: t.tenant_id, data: { job_id: r.body.job_id } })
    // the other tenant: its socket stayed up, its data is there
    expect((await otherSocket.request({ type: 'ping' }, 'pong')).type).toBe('pong')
    expect((await keep.as('bob')('GET', `/v1/rooms/${keepRoom}/messages`)).body.messages).toHaveLength(1)
    otherSocket.close()
  })

  test('errors: unknown tenant 404, no master key 401; a job of another kind is there for the admin only', async () => {
    expectError(await s.admin('DELETE', '/v1/admin/tenants/tnt_nope'), 404, 'NOT_FOUND')
    expectError(await s.call('DELETE', '/v1/admin/tenants/tnt_nope'), 401, 'AUTHENTICATION_ERROR')
  })

  test('GET /v1/admin/tenants pages oldest first with limit and cursor; bad limit or cursor 400', async () => {
    const made: string[] = []
    // Back to back, often in one millisecond: insertion order breaks the created_at tie (migration 0009).
    for (let i = 0; i < 5; i++) made.push((await s.newTenant()).tenant_id)
    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const r = await s.admin('GET', `/v1/admin/tenants?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
      expect(r.status).toBe(200)
      expect(r.body.tenants.length).toBeLessThanOrEqual(2)
      seen.push(...r.body.tenants.map((x: { tenant_id: string }) => x.tenant_id))
      cursor = r.body.next_cursor
    } while (cursor && ++pages < 100)
    expect(new Set(seen).size).toBe(seen.length)
    expect(seen.filter((id) => made.includes(id))).toEqual(made)
    const first = await s.admin('GET', '/v1/admin/tenants')
    expect(first.body.tenants.length).toBe(Math.min(50, seen.length))
    expect(Object.keys(first.body.tenants[0]).sort()).toEqual(['config', 'created_at', 'name', 'tenant_id'])
    expectError(await s.admin('GET', '/v1/admin/tenants?limit=0'), 400, 'VALIDATION_ERROR', 'limit')
    expectError(await s.admin('GET', '/v1/admin/tenants?limit=201'), 400, 'VALIDATION_ERROR', 'limit')
    expectError(await s.admin('GET', '/v1/admin/tenants?cursor=zz'), 400, 'VALIDATION_ERROR', 'cursor')
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

describe.skipIf(!twoInstances)('across two instances over PostgreSQL and Redis', () => {
  let db: Awaited<ReturnType<typeof freshPgDatabase>>
  let a: ServerProcess
  let b: ServerProcess
  beforeAll(async () => {
    db = await freshPgDatabase(PG)
    const env = { DATABASE_URL: db.url, REDIS_URL: REDIS, MASTER_API_KEY: 'mk' }
    ;[a, b] = await Promise.all([spawnServer(env), spawnServer(env)])
  })
  afterAll(async () => {
    for (const p of [a, b]) if (p && p.proc.exitCode === null) p.proc.kill('SIGTERM')
    await Promise.all([a?.exited, b?.exited])
    await db?.drop()
  })

  test('a tenant deleted on A: its sockets on B close 1008 at once and its key is refused on B', async () => {
    const created = await call(a.url, 'POST', '/v1/admin/tenants', { headers: { 'x-master-key': 'mk' }, body: { name: 'gone' } })
    const headers = { 'x-api-key': created.body.api_key, 'x-user-id': 'alice' }
    expect((await call(b.url, 'GET', '/v1/rooms', { headers })).status).toBe(200) // B has the key cached
    const onB = await ready(b.wsUrl, headers)
    const r = await call(a.url, 'DELETE', `/v1/admin/tenants/${created.body.tenant_id}`, { headers: { 'x-master-key': 'mk' } })
    expect(r.status).toBe(202)
    expect(await onB.closed()).toEqual({ code: 1008, reason: 'tenant deleted' })
    expect((await call(b.url, 'GET', '/v1/rooms', { headers })).status).toBe(401)
    const job = await until('job done (either instance runs it)', async () => {
      const j = await call(b.url, 'GET', `/v1/admin/jobs/${r.body.job_id}`, { headers: { 'x-master-key': 'mk' } })
      return j.body.status === 'done' ? j.body : undefined
    }, 20_000, 50)
    expect(job.kind).toBe('tenant.delete')
  }, 40_000)
})
