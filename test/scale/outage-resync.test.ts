// Tenant changes and tenant bans made while Redis is away (SPEC §2, §14 on several instances): their
// cross-instance notices are lost, so each instance compares with the store once Redis returns and
// applies what it missed. Two instances over PostgreSQL and a private Redis, stopped and started
// by the test: during the outage instance 0 rotates a tenant's API key and user_token_secret and
// bans a user of another tenant; once Redis is back, instance 1 closes the sockets those changes
// end (1008, the same reasons as a live notice gives) and refuses the old API key.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { MASTER, pgAndRedisReachable, startCluster, type Cluster } from '../support/cluster'
import { redisServerBin, startPrivateRedis, type PrivateRedis } from '../support/private-servers'
import { call } from '../support/http'
import { alive, ready } from '../ws/helpers'

const sharedPg = await pgAndRedisReachable()
const canRedis = redisServerBin !== null
if (!sharedPg || !canRedis) console.warn('skipped: the outage resync test needs PostgreSQL and redis-server')

const redisState = async (url: string) => ((await (await fetch(`${url}/health`)).json()) as { cluster?: { redis: string } }).cluster?.redis

async function until(pred: () => Promise<boolean>, ms: number) {
  const deadline = Date.now() + ms
  while (!(await pred())) {
    if (Date.now() > deadline) return false
    await Bun.sleep(25)
  }
  return true
}

describe.skipIf(!sharedPg || !canRedis)('changes made during a Redis outage reach the other instance when Redis returns', () => {
  let redis: PrivateRedis
  let c: Cluster

  beforeAll(async () => {
    redis = await startPrivateRedis()
    c = await startCluster(2, { redisUrl: redis.url, env: { DEFAULT_RATE_LIMIT: '100000' } })
  }, 60_000)
  afterAll(async () => {
    await c?.stop()
    await redis?.stop()
  })

  test('rotated key and token secret close sockets on instance 1 and the old key is refused there; a ban closes the user', async () => {
    const master = { 'x-master-key': MASTER }
    // A second tenant, for the ban: its rotation-free sockets show what the ban alone does.
    const other = await call(c.nodes[0].url, 'POST', '/v1/admin/tenants', { headers: master, body: { name: 'other' } })
    expect(other.status).toBe(201)
    const otherHeaders = (u: string) => ({ 'x-api-key': other.body.api_key as string, 'x-user-id': u })

    const minted = await c.as(0, 'alice')('POST', '/v1/tokens', { user_id: 'alice', ttl_s: 3600 })
    expect(minted.status).toBe(201)
    const node1 = c.nodes[1]
    const tokenSock = await ready(`${node1.wsUrl}?token=${minted.body.token}`, {})
    const keySock = await ready(node1.wsUrl, c.headers('bob'))
    const banned = await ready(node1.wsUrl, otherHeaders('carol'))
    const bystander = await ready(node1.wsUrl, otherHeaders('dave'))
    // Instance 1 has read (and cached) both tenants and carol's standing before the outage.
    expect((await call(node1.url, 'GET', '/v1/rooms', { headers: c.headers('bob') })).status).toBe(200)
    expect((await call(node1.url, 'GET', '/v1/rooms', { headers: otherHeaders('carol') })).status).toBe(200)

    await redis.stop()
    for (const n of c.nodes) expect(await until(async () => (await redisState(n.url)) === 'unreachable', 5000)).toBe(true)
    const rotate = (which: string) => call(c.nodes[0].url, 'POST', `/v1/admin/tenants/${c.tenantId}/rotate-key`, { headers: master, body: { which } })
    const newKey = (await rotate('api_key')).body.api_key as string
    expect(newKey).toBeString()
    expect((await rotate('user_token_secret')).status).toBe(200)
    const ban = await call(c.nodes[0].url, 'POST', '/v1/moderation/bans', { headers: { 'x-api-key': other.body.api_key }, body: { user_id: 'carol' } })
    expect(ban.status).toBe(201)

    await redis.start()
    expect(await tokenSock.closed(10_000)).toEqual({ code: 1008, reason: 'user token secret rotated' })
    expect(await keySock.closed(10_000)).toEqual({ code: 1008, reason: 'api key rotated' })
    expect(await banned.closed(10_000)).toEqual({ code: 1008, reason: 'user banned' })
    await alive(bystander) // not banned, tenant unchanged: stays open
    expect(await redisState(node1.url)).toBe('ok')

    // REST on instance 1: the old key is refused, the new one works, the banned user is refused.
    expect((await call(node1.url, 'GET', '/v1/rooms', { headers: c.headers('bob') })).status).toBe(401)
    expect((await call(node1.url, 'GET', '/v1/rooms', { headers: { 'x-api-key': newKey, 'x-user-id': 'bob' } })).status).toBe(200)
    expect((await call(node1.url, 'GET', '/v1/rooms', { headers: otherHeaders('carol') })).status).toBe(403)
    bystander.close()
  }, 60_000)
})
