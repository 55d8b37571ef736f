// Presence across instances (SPEC §5, §9): a user connected to A is online through B; the grace
// period after the last disconnect; an instance that dies stops counting within its TTL.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { adminClient, cleanup, redisUp, sleep, startInstance, uniquePrefix, until, type Instance } from './helpers'

describe.skipIf(!redisUp)('redis presence: two instances', () => {
  const prefix = uniquePrefix('presence')
  const admin = adminClient()
  const GRACE = 300
  const TTL = 1200
  const HEARTBEAT = 200
  let A: Instance
  let B: Instance
  const T = 'ten1'

  beforeAll(async () => {
    A = await startInstance('A', { prefix, graceMs: GRACE, ttlMs: TTL, heartbeatMs: HEARTBEAT })
    B = await startInstance('B', { prefix, graceMs: GRACE, ttlMs: TTL, heartbeatMs: HEARTBEAT })
  })
  afterAll(async () => {
    await A?.stop()
    await B?.stop()
    await cleanup(admin, prefix)
    admin.disconnect()
  })

  test('a user never seen is offline with no last_seen', async () => {
    expect(await B.presence.isOnline(T, 'nobody')).toBe(false)
    expect(await B.presence.lastSeen(T, 'nobody')).toBeNull()
  })

  test('a user connected to A is online through B, and stays online past the TTL (heartbeat)', async () => {
    const c = await A.connect(T, 'alice')
    await until(() => B.presence.isOnline(T, 'alice') as Promise<boolean>, 2000)
    expect(await B.presence.connectedAnywhere(T, 'alice')).toBe(true)
    const seen = await B.presence.lastSeen(T, 'alice')
    expect(Math.abs(seen! - Date.now())).toBeLessThan(1000)
    expect(await B.broker.isOnline(T, 'alice')).toBe(true) // the broker answers through the presence
    await sleep(TTL + 300)
    expect(await B.presence.isOnline(T, 'alice')).toBe(true)
    c.close()
  })

  test('after the last disconnect: online during the grace period, then offline with last_seen', async () => {
    const a = await A.connect(T, 'bob')
    const b = await B.connect(T, 'bob')
    a.close()
    await until(() => !A.local.connected(T, 'bob'))
    await sleep(GRACE + 100)
    expect(await A.presence.isOnline(T, 'bob')).toBe(true) // still connected on B
    b.close()
    await until(() => !B.local.connected(T, 'bob'))
    const closedAt = Date.now()
    expect(await A.presence.connectedAnywhere(T, 'bob')).toBe(false)
    expect(await A.presence.isOnline(T, 'bob')).toBe(true) // grace
    await sleep(GRACE + 50)
    expect(await A.presence.isOnline(T, 'bob')).toBe(false)
    const seen = await A.presence.lastSeen(T, 'bob')
    expect(Math.abs(seen! - closedAt)).toBeLessThan(500)
  })

  test("a killed instance's users go offline on B within the TTL", async () => {
    const C = await startInstance('C', { prefix, graceMs: GRACE, ttlMs: TTL, heartbeatMs: HEARTBEAT })
    await C.connect(T, 'carol')
    await until(() => B.presence.isOnline(T, 'carol') as Promise<boolean>, 2000)
    await sleep(HEARTBEAT * 2) // a heartbeat or two have refreshed the entry
    const t0 = Date.now()
    await C.stop({ cleanup: false }) // no HDEL, no counter cleanup: as if the process were killed
    const elapsed = await until(async () => !(await B.presence.isOnline(T, 'carol')), TTL + 2000, 20)
    // Offline at most TTL after C's last heartbeat (plus the grace when it is longer than the TTL).
    expect(elapsed).toBeLessThanOrEqual(TTL + 150)
    expect(Date.now() - t0).toBeGreaterThan(TTL - HEARTBEAT - 150) // it did not vanish early
    const seen = await B.presence.lastSeen(T, 'carol')
    expect(seen).not.toBeNull()
    expect(t0 - seen!).toBeLessThan(HEARTBEAT + 200)
  })

  test('a graceful stop marks its users disconnected at once', async () => {
    const D = await startInstance('D', { prefix, graceMs: GRACE, ttlMs: TTL, heartbeatMs: HEARTBEAT })
    const c = await D.connect(T, 'dan')
    await until(() => B.presence.connectedAnywhere(T, 'dan'), 2000)
    await D.presence.close() // cleanup while the socket is still open
    expect(await B.presence.connectedAnywhere(T, 'dan')).toBe(false)
    c.close()
    await D.stop()
  })

  test('a dead instance leaves no stale field after a live one heartbeats the same user', async () => {
    const hkey = `${prefix}presence:${T}:erin`
    const E = await startInstance('E', { prefix, graceMs: GRACE, ttlMs: 400, heartbeatMs: 100 })
    await E.connect(T, 'erin')
    const b = await B.connect(T, 'erin')
    await until(async () => (await admin.hlen(hkey)) === 2, 2000)
    await E.stop({ cleanup: false })
    await until(async () => (await admin.hlen(hkey)) === 1, 3000)
    expect(await admin.hkeys(hkey)).toEqual([B.instanceId])
    b.close()
  })

  test('announcements are claimed once for the cluster: online by the first instance only, offline by one instance after the last disconnect', async () => {
    const u = 'fay'
    expect(await A.presence.claimOnline(T, u)).toBe(true)
    expect(await B.presence.claimOnline(T, u)).toBe(false) // a second connection, elsewhere
    expect(await A.presence.announced(T, u)).toBe(true)
    await A.presence.userDisconnected(T, u)
    expect(await A.presence.claimOffline(T, u)).toBe(false) // still connected on B
    await B.presence.userDisconnected(T, u)
    const claims = await Promise.all([A.presence.claimOffline(T, u), B.presence.claimOffline(T, u)])
    expect(claims.filter(Boolean)).toHaveLength(1)
    expect(await B.presence.announced(T, u)).toBe(false)
    expect(await B.presence.claimOnline(T, u)).toBe(true) // back after the offline: announced again
  })

  test('a reconnect elsewhere inside the grace announces nothing; an online mark whose offline never came goes stale', async () => {
    const u = 'gus'
    expect(await A.presence.claimOnline(T, u)).toBe(true)
    await A.presence.userDisconnected(T, u)
    expect(await B.presence.claimOnline(T, u)).toBe(false) // inside the grace: A's offline is still pending
    await B.presence.userDisconnected(T, u)
    // Nobody claims the offline (the instance that would have died): after the grace and its margin
    // the mark is stale, and the next connection announces online again.
    await sleep(GRACE + 2100)
    expect(await A.presence.claimOnline(T, u)).toBe(true)
  })
})
