// Two ChatAPI processes over one PostgreSQL database and one Redis (SPEC §9): cross-instance
// fan-out, gap-free seqs with concurrent writers, shared presence and rate limits, SIGKILL of an
// instance, and Redis connections dropped under live traffic. Skips when PostgreSQL or Redis is absent.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { SQL } from 'bun'
import { freshPgDatabase } from '../support/storage'
import { spawnServer, type ServerProcess } from '../support/process'
import { call } from '../support/http'
import { WsClient } from '../support/ws'
import { redisServerBin, startPrivateRedis, type PrivateRedis } from '../support/private-servers'

const PG = process.env.CHATAPI_TEST_DATABASE_URL?.startsWith('postgres') ? process.env.CHATAPI_TEST_DATABASE_URL : 'postgres://postgres@127.0.0.1:5432/postgres'
const SHARED_REDIS = process.env.CHATAPI_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
// A Redis of its own when redis-server is installed: the cluster figures count only these two
// instances, and dropping "every ChatAPI connection" below touches no other process's.
let ownRedis: PrivateRedis | null = null
let REDIS = SHARED_REDIS

async function reachable(): Promise<boolean> {
  try {
    const sql = new SQL(PG, { max: 1, connectionTimeout: 2 })
    await sql`SELECT 1`
    await sql.close()
    if (redisServerBin) return true // the suite starts its own
    const r = await Bun.connect({ hostname: '127.0.0.1', port: Number(new URL(REDIS).port || 6379), socket: { data() {} } })
    r.end()
    return true
  } catch {
    return false
  }
}
const available = await reachable()
if (!available) console.warn('skipped: two-instance tests need PostgreSQL at', PG, 'and Redis at', REDIS)

describe.skipIf(!available)('two instances over PostgreSQL and Redis', () => {
  let db: Awaited<ReturnType<typeof freshPgDatabase>>
  let a: ServerProcess
  let b: ServerProcess
  let key = ''
  let tenantId = ''
  const env = () => ({ DATABASE_URL: db.url, REDIS_URL: REDIS, MASTER_API_KEY: 'mk', ACK_TIMEOUT_MS: '60000', PRESENCE_GRACE_MS: '300' })
  const as = (s: ServerProcess, user: string) => (method: string, path: string, body?: unknown) =>
    call(s.url, method, path, { headers: { 'x-api-key': key, 'x-user-id': user }, body })
  const hdr = (user: string) => ({ 'x-api-key': key, 'x-user-id': user })

  beforeAll(async () => {
    if (redisServerBin) {
      ownRedis = await startPrivateRedis()
      REDIS = ownRedis.url
    }
    db = await freshPgDatabase(PG)
    a = await spawnServer(env())
    b = await spawnServer(env())
    const t = await call(a.url, 'POST', '/v1/admin/tenants', { headers: { 'x-master-key': 'mk' }, body: { name: 'two', config: { rate_limit_per_sec: 100 } } })
    expect(t.status).toBe(201)
    key = t.body.api_key
    tenantId = t.body.tenant_id
  })
  afterAll(async () => {
    for (const s of [a, b]) if (s && s.proc.exitCode === null) s.proc.kill('SIGTERM')
    await Promise.all([a?.exited, b?.exited])
    await db?.drop()
    await ownRedis?.stop()
  })

  test('a socket on A receives a message sent through B, exactly once', async () => {
    const room = (await as(a, 'alice')('POST', '/v1/rooms', { type: 'group', members: ['bob'] })).body.room_id
    const bob = await WsClient.connect(a.wsUrl, hdr('bob'))
    await bob.next('sync.done')
    const sent = await as(b, 'alice')('POST', `/v1/rooms/${room}/messages`, { content: 'from B' })
    expect(sent.status).toBe(201)
    const m = await bob.next('message')
    expect(m).toMatchObject({ message_id: sent.body.message_id, content: 'from B', seq: 1 })
    await expect(bob.next('message', 300)).rejects.toThrow() // not twice
    bob.close()
  })

  test('SPEC §11: a reaction made on A reaches a socket on B once, with its rev; reactions through both instances take distinct revs', async () => {
    const room = (await as(a, 'alice')('POST', '/v1/rooms', { type: 'group', members: ['bob'] })).body.room_id
    const sent = await as(a, 'alice')('POST', `/v1/rooms/${room}/messages`, { content: 'react to me' })
    const bob = await WsClient.connect(b.wsUrl, hdr('bob'))
    await bob.next('sync.done', 5000, (f) => f.room_id === undefined)
    const path = (key: string) => `/v1/rooms/${room}/messages/${sent.body.message_id}/reactions/${encodeURIComponent(key)}`
    expect((await as(a, 'alice')('PUT', path('👍'))).status).toBe(200)
    const f = await bob.next('message.updated', 5000)
    expect(f).toMatchObject({ message_id: sent.body.message_id, rev: 1, change: { kind: 'reaction.added', user_id: 'alice', key: '👍' } })
    await expect(bob.next('message.updated', 300)).rejects.toThrow() // not twice
    const users = Array.from({ length: 20 }, (_, i) => `r${i}`)
    await as(a, 'alice')('POST', `/v1/rooms/${room}/members`, { user_ids: users })
    const rs = await Promise.all(users.map((u, i) => as(i % 2 ? a : b, u)('PUT', path('🔥'))))
    expect(rs.every((r) => r.status === 200)).toBe(true)
    expect(new Set(rs.map((r) => r.body.rev)).size).toBe(20)
    const after = await as(b, 'bob')('GET', `/v1/rooms/${room}/changes?after_rev=0`)
    expect(after.body).toMatchObject({ last_rev: 21, has_more: false })
    expect(after.body.messages[0].reactions.map((r: { key: string; count: number }) => [r.key, r.count])).toEqual([['👍', 1], ['🔥', 20]])
    bob.close()
  })

  test('concurrent sends to one room through both instances give seqs 1..N with no gap', async () => {
    const room = (await as(a, 'alice')('POST', '/v1/rooms', { type: 'group', members: ['bob'] })).body.room_id
    const N = 120
    const results = await Promise.all(
      Array.from({ length: N }, (_, i) => as(i % 2 ? a : b, i % 3 ? 'alice' : 'bob')('POST', `/v1/rooms/${room}/messages`, { content: `m${i}` })),
    )
    expect(results.every((r) => r.status === 201)).toBe(true)
    expect(results.map((r) => r.body.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: N }, (_, i) => i + 1))
    const seqs: number[] = []
    for (let after = 0; ; ) {
      const page = await as(b, 'bob')('GET', `/v1/rooms/${room}/messages?after_seq=${after}&limit=200`)
      seqs.push(...page.body.messages.map((m: { seq: number }) => m.seq))
      if (!page.body.has_more) break
      after = seqs.at(-1)!
    }
    expect(seqs).toEqual(Array.from({ length: N }, (_, i) => i + 1))
  })

  test('a client_msg_id retried on the other instance is stored once', async () => {
    const room = (await as(a, 'alice')('POST', '/v1/rooms', { type: 'group', members: ['bob'] })).body.room_id
    const [x, y] = await Promise.all([
      as(a, 'alice')('POST', `/v1/rooms/${room}/messages`, { content: 'once', client_msg_id: 'c-1' }),
      as(b, 'alice')('POST', `/v1/rooms/${room}/messages`, { content: 'once', client_msg_id: 'c-1' }),
    ])
    expect([x.status, y.status].sort()).toEqual([200, 201])
    expect(x.body.message_id).toBe(y.body.message_id)
  })

  test('presence of a user connected to A is seen through B, and ends after the grace', async () => {
    const carol = await WsClient.connect(a.wsUrl, hdr('carol'))
    await carol.next('connected')
    const seen = await as(b, 'dave')('GET', '/v1/presence?user_ids=carol')
    expect(seen.body.presence[0]).toMatchObject({ user_id: 'carol', status: 'online' })
    carol.close()
    await carol.closed()
    let status = 'online'
    for (let i = 0; i < 50 && status === 'online'; i++) {
      await Bun.sleep(100) // bounded poll for the grace period (300 ms) to pass on the other instance
      status = (await as(b, 'dave')('GET', '/v1/presence?user_ids=carol')).body.presence[0].status
    }
    expect(status).toBe('offline')
  })

  test('presence: one presence.update per socket per change on either instance, however many rooms are shared', async () => {
    const rooms: string[] = []
    for (let i = 0; i < 3; i++) rooms.push((await as(a, 'erin')('POST', '/v1/rooms', { type: 'group', members: ['frank'] })).body.room_id)
    const franks = [await WsClient.connect(a.wsUrl, hdr('frank')), await WsClient.connect(b.wsUrl, hdr('frank'))]
    for (const f of franks) await f.next('sync.done', 5000, (x) => x.room_id === undefined)
    const erinFrames = (f: WsClient, status: string) => f.log.filter((x) => x.type === 'presence.update' && x.user_id === 'erin' && x.status === status)
    const barrier = async (content: string) => {
      expect((await as(a, 'erin')('POST', `/v1/rooms/${rooms[2]}/messages`, { content })).status).toBe(201)
      for (const f of franks) await f.next('message', 5000, (x) => x.content === content)
    }
    const erin = await WsClient.connect(b.wsUrl, hdr('erin'))
    for (const f of franks) await f.next('presence.update', 5000, (x) => x.user_id === 'erin' && x.status === 'online')
    await barrier('erin is online')
    for (const f of franks) expect(erinFrames(f, 'online')).toHaveLength(1)
    erin.close()
    for (const f of franks) await f.next('presence.update', 5000, (x) => x.user_id === 'erin' && x.status === 'offline')
    await barrier('erin is offline')
    for (const f of franks) expect(erinFrames(f, 'offline')).toHaveLength(1)
    for (const f of franks) f.close()
  })

  test("presence is the cluster's: a second connection on the other instance announces nothing; offline only after the last one anywhere", async () => {
    const room = (await as(a, 'gina')('POST', '/v1/rooms', { type: 'group', members: ['hal'] })).body.room_id
    const hal = await WsClient.connect(a.wsUrl, hdr('hal'))
    await hal.next('sync.done', 5000, (x) => x.room_id === undefined)
    const ginaFrames = (status: string) => hal.log.filter((x) => x.type === 'presence.update' && x.user_id === 'gina' && x.status === status)
    /** A message through the room after which every earlier frame to hal has arrived (same instance, one socket). */
    const barrier = async (content: string) => {
      expect((await as(b, 'gina')('POST', `/v1/rooms/${room}/messages`, { content })).status).toBe(201)
      await hal.next('message', 5000, (x) => x.content === content)
    }
    const onA = await WsClient.connect(a.wsUrl, hdr('gina'))
    await hal.next('presence.update', 5000, (x) => x.user_id === 'gina' && x.status === 'online')
    const onB = await WsClient.connect(b.wsUrl, hdr('gina'))
    await onB.next('sync.done', 5000, (x) => x.room_id === undefined)
    // The first connection closes; gina is still connected on B: no offline after the grace (300 ms).
    onA.close()
    await onA.closed()
    await Bun.sleep(700)
    await barrier('gina still on B')
    expect(ginaFrames('online')).toHaveLength(1)
    expect(ginaFrames('offline')).toHaveLength(0)
    // She moves back to A within the grace period: no offline, no second online.
    onB.close()
    await onB.closed()
    const again = await WsClient.connect(a.wsUrl, hdr('gina'))
    await again.next('sync.done', 5000, (x) => x.room_id === undefined)
    await Bun.sleep(700)
    await barrier('gina back on A')
    expect(ginaFrames('online')).toHaveLength(1)
    expect(ginaFrames('offline')).toHaveLength(0)
    again.close()
    await hal.next('presence.update', 5000, (x) => x.user_id === 'gina' && x.status === 'offline')
    await barrier('gina gone')
    expect(ginaFrames('offline')).toHaveLength(1)
    hal.close()
  })

  test('/health: `connections` counts this instance, `cluster` every live instance', async () => {
    const socks = [await WsClient.connect(a.wsUrl, hdr('ivy')), await WsClient.connect(b.wsUrl, hdr('ivy')), await WsClient.connect(b.wsUrl, hdr('jon'))]
    for (const w of socks) await w.next('connected')
    const health = async (s: ServerProcess) => (await call(s.url, 'GET', '/health')).body
    let ha = await health(a)
    for (let i = 0; i < 100 && ha.cluster?.connections !== 3; i++) ha = (await Bun.sleep(20), await health(a)) // counters follow each open
    const hb = await health(b)
    expect(ha.connections).toBe(1)
    expect(hb.connections).toBe(2)
    expect(ha.cluster).toEqual({ redis: 'ok', instances: 2, connections: 3 })
    expect(hb.cluster).toMatchObject({ redis: 'ok', instances: 2 })
    expect(ha.status).toBe('ok')
    for (const w of socks) w.close()
  })

  test('the tenant rate limit is one bucket across both instances', async () => {
    const p = await call(a.url, 'PATCH', `/v1/admin/tenants/${tenantId}`, { headers: { 'x-master-key': 'mk' }, body: { config: { rate_limit_per_sec: 5 } } })
    expect(p.status).toBe(200)
    await Bun.sleep(2500) // let the bucket refill to its burst (10) after the earlier tests
    // 30 requests at once, half through each instance: one shared bucket lets about its burst through.
    const codes = (await Promise.all(Array.from({ length: 30 }, (_, i) => as(i % 2 ? a : b, 'erin')('GET', '/v1/rooms')))).map((r) => r.status)
    const ok = codes.filter((c) => c === 200).length
    expect(ok).toBeGreaterThanOrEqual(10)
    expect(ok).toBeLessThanOrEqual(12) // two private buckets would let 20 through
    expect(codes).toContain(429)
    await call(a.url, 'PATCH', `/v1/admin/tenants/${tenantId}`, { headers: { 'x-master-key': 'mk' }, body: { config: { rate_limit_per_sec: 100 } } })
    await Bun.sleep(1100)
  })

  test("a tenant's max_connections counts both instances: at its cap on the cluster, B refuses (429) what A holds", async () => {
    const t = await call(a.url, 'POST', '/v1/admin/tenants', { headers: { 'x-master-key': 'mk' }, body: { name: 'capped', config: { max_connections: 2 } } })
    expect(t.status).toBe(201)
    const h = (user: string) => ({ 'x-api-key': t.body.api_key, 'x-user-id': user })
    const connections = async () => (await call(b.url, 'GET', `/v1/admin/tenants/${t.body.tenant_id}`, { headers: { 'x-master-key': 'mk' } })).body.usage.connections
    const onA = [await WsClient.connect(a.wsUrl, h('u1')), await WsClient.connect(a.wsUrl, h('u2'))]
    for (let i = 0; i < 100 && (await connections()) !== 2; i++) await Bun.sleep(20) // the shared counters are updated after each open
    expect(await connections()).toBe(2)
    await expect(WsClient.connect(b.wsUrl, h('u3'))).rejects.toThrow('429')
    onA[0].close()
    await onA[0].closed()
    for (let i = 0; i < 100 && (await connections()) !== 1; i++) await Bun.sleep(20)
    const onB = await WsClient.connect(b.wsUrl, h('u3'))
    await onB.next('sync.done')
    onA[1].close()
    onB.close()
  })

  test('dropped Redis connections do not stop live delivery', async () => {
    const room = (await as(a, 'alice')('POST', '/v1/rooms', { type: 'group', members: ['bob'] })).body.room_id
    const bob = await WsClient.connect(a.wsUrl, hdr('bob'))
    await bob.next('sync.done')
    // Kill every ChatAPI connection to Redis (what a Redis restart does to them); both instances reconnect.
    const list = await Bun.$`redis-cli -u ${REDIS} CLIENT LIST`.text()
    const ids = [...list.matchAll(/id=(\d+) .*name=chatapi:/g)].map((m) => m[1])
    expect(ids.length).toBeGreaterThan(0)
    for (const id of ids) await Bun.$`redis-cli -u ${REDIS} CLIENT KILL ID ${id}`.quiet()
    let got = false
    for (let i = 0; i < 30 && !got; i++) {
      const r = await as(b, 'alice')('POST', `/v1/rooms/${room}/messages`, { content: `after drop ${i}` })
      expect(r.status).toBe(201)
      got = await bob.next('message', 500).then(() => true, () => false)
    }
    expect(got).toBe(true)
    bob.close()
  })

  test('SIGKILL of A loses no stored message; its client reconnects to B and syncs from its ack', async () => {
    const room = (await as(b, 'alice')('POST', '/v1/rooms', { type: 'group', members: ['zoe'] })).body.room_id
    const zoe = await WsClient.connect(a.wsUrl, hdr('zoe'))
    await zoe.next('sync.done')
    const first = await as(a, 'alice')('POST', `/v1/rooms/${room}/messages`, { content: 'before' })
    const m1 = await zoe.next('message', 3000, (m) => m.room_id === room)
    zoe.send({ type: 'ack', room_id: room, seq: m1.seq })
    await zoe.next('ack.received')
    a.proc.kill('SIGKILL')
    expect((await zoe.closed()).code).not.toBe(1000)
    const later = []
    for (let i = 0; i < 5; i++) later.push((await as(b, 'alice')('POST', `/v1/rooms/${room}/messages`, { content: `while away ${i}` })).body)
    const again = await WsClient.connect(b.wsUrl, hdr('zoe'))
    const synced = []
    for (let i = 0; i < 5; i++) synced.push(await again.next('message', 3000, (m) => m.room_id === room))
    await again.next('sync.done')
    expect(synced.map((m) => m.seq)).toEqual(later.map((m) => m.seq))
    expect(synced.map((m) => m.seq)[0]).toBe(first.body.seq + 1)
    const hist = await as(b, 'zoe')('GET', `/v1/rooms/${room}/messages`)
    expect(hist.body.messages.map((m: { seq: number }) => m.seq)).toEqual([1, 2, 3, 4, 5, 6])
    again.close()
  })
})
