// Redis broker across two real instances (SPEC §9): fan-out exactly once, membership changes,
// connection counts, re-subscription after the subscriber connection is killed, and degradation
// when Redis is unreachable.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { topics } from '../../src/broker/topics'
import type { ServerFrame } from '../../src/schemas/server-frames'
import { adminClient, cleanup, redisUp, sleep, startInstance, uniquePrefix, until, type Instance } from './helpers'

/** The broker carries any JSON object; these marker types exist only in this suite (the port takes ServerFrame). */
const marker = (type: string, fields: Record<string, unknown> = {}) => ({ type, ...fields }) as unknown as ServerFrame

describe.skipIf(!redisUp)('redis broker: two instances', () => {
  const prefix = uniquePrefix('broker')
  const admin = adminClient()
  let A: Instance
  let B: Instance
  const T = 'ten1'

  beforeAll(async () => {
    A = await startInstance('A', { prefix })
    B = await startInstance('B', { prefix })
  })
  afterAll(async () => {
    await A?.stop()
    await B?.stop()
    await cleanup(admin, prefix)
    admin.disconnect()
  })

  test('a socket on A receives a frame published through B exactly once; the publisher delivers its own once', async () => {
    const onA = await A.connect(T, 'alice')
    const onB = await B.connect(T, 'alice')
    await B.broker.publish(topics.user(T, 'alice'), marker('x', { n: 1 }))
    expect((await onA.next('x')).n).toBe(1)
    expect((await onB.next('x')).n).toBe(1)
    await sleep(300)
    expect(onA.log.filter((f) => f.type === 'x')).toHaveLength(1)
    expect(onB.log.filter((f) => f.type === 'x')).toHaveLength(1)
    onA.close()
    onB.close()
  })

  test('a frame for another tenant or user never reaches the socket', async () => {
    const c = await A.connect(T, 'bob')
    await B.broker.publish(topics.user('ten2', 'bob'), marker('other-tenant'))
    await B.broker.publish(topics.user(T, 'carol'), marker('other-user'))
    await B.broker.publish(topics.user(T, 'bob'), marker('mine'))
    await c.next('mine')
    expect(c.log.map((f) => f.type)).toEqual(['hello', 'mine'])
    c.close()
  })

  test("joinRoom on B subscribes A's sockets of that user; leaveRoom unsubscribes them", async () => {
    const a1 = await A.connect(T, 'dave')
    const a2 = await A.connect(T, 'dave')
    const other = await A.connect(T, 'erin')
    const room = topics.room(T, 'r1')
    // Not awaited: the control message and the frame keep their order through Redis.
    void B.broker.joinRoom(T, 'dave', 'r1')
    await B.broker.publish(room, { type: 'member.joined', room_id: 'r1', user_id: 'dave', role: 'member' })
    await a1.next('member.joined')
    await a2.next('member.joined')
    expect(A.local.subscriberCount(room)).toBe(2)

    // member.left is published before leaveRoom: the leaver still gets it, then nothing more.
    void B.broker.publish(room, { type: 'member.left', room_id: 'r1', user_id: 'dave', role: 'member' })
    await B.broker.leaveRoom(T, 'dave', 'r1')
    await a1.next('member.left')
    await a2.next('member.left')
    await until(() => A.local.subscriberCount(room) === 0)
    await B.broker.publish(room, marker('after-leave'))
    await sleep(200)
    expect(a1.log.some((f) => f.type === 'after-leave')).toBe(false)
    expect(other.log.some((f) => f.type.startsWith('member.'))).toBe(false)
    a1.close()
    a2.close()
    other.close()
  })

  test('messages of one room arrive in publish order', async () => {
    const c = await A.connect(T, 'frank')
    await B.broker.joinRoom(T, 'frank', 'r2')
    const sends = []
    for (let seq = 1; seq <= 200; seq++) sends.push(B.broker.publish(topics.room(T, 'r2'), marker('message', { seq })))
    await Promise.all(sends)
    await until(() => c.log.filter((f) => f.type === 'message').length === 200)
    expect(c.log.filter((f) => f.type === 'message').map((f) => f.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1))
    c.close()
  })

  test('connectionCount sums both instances, and a stopped instance stops counting', async () => {
    const T2 = 'ten-count'
    const socks = [await A.connect(T2, 'u1'), await B.connect(T2, 'u2'), await B.connect(T2, 'u3')]
    // B's counter update travels on B's connection: seen through A a moment later.
    await until(async () => (await A.broker.connectionCount(T2)) === 3, 2000)
    expect(await B.broker.connectionCount(T2)).toBe(3)
    socks[2].close()
    await until(async () => (await A.broker.connectionCount(T2)) === 2)

    // A third instance that dies without cleanup: its count disappears within its TTL.
    const C = await startInstance('C', { prefix, ttlMs: 800, heartbeatMs: 200 })
    await C.connect(T2, 'u4')
    await until(async () => (await A.broker.connectionCount(T2)) === 3)
    const t0 = Date.now()
    await C.stop({ cleanup: false })
    await until(async () => (await A.broker.connectionCount(T2)) === 2, 3000)
    expect(Date.now() - t0).toBeLessThan(800 + 500)
    socks[0].close()
    socks[1].close()
  })

  test('after its subscriber connection is killed, A re-subscribes and receives again', async () => {
    const c = await A.connect(T, 'gina')
    const name = `${prefix}${A.instanceId}:sub`
    const list = (await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string
    const line = list.split('\n').find((l) => l.includes(` name=${name} `))
    expect(line).toBeDefined()
    const id = /\bid=(\d+)/.exec(line!)![1]
    // Only this test's subscriber: other users of the shared Redis keep theirs.
    await admin.call('CLIENT', 'KILL', 'ID', id)
    await until(() => !A.broker.isSubscribed(), 3000, 5)
    await A.broker.ready()
    await B.broker.publish(topics.user(T, 'gina'), marker('after-restart'))
    await c.next('after-restart')
    // A's own publishes are still delivered exactly once.
    await A.broker.publish(topics.user(T, 'gina'), marker('own'))
    await c.next('own')
    await sleep(200)
    expect(c.log.filter((f) => f.type === 'own')).toHaveLength(1)
    expect(A.log.lines.some((l) => l.includes('redis unavailable') || l.includes('redis reconnected'))).toBe(true)
    c.close()
  })
})

describe.skipIf(!redisUp)('redis broker: Redis unreachable', () => {
  test('publish, joinRoom and counts still work on this instance', async () => {
    const prefix = uniquePrefix('down')
    const I = await startInstance('D', { prefix, redisUrl: 'redis://127.0.0.1:1', noWait: true })
    try {
      const c = await I.connect('t', 'u')
      expect(I.broker.isSubscribed()).toBe(false)
      await I.broker.joinRoom('t', 'u', 'r')
      await I.broker.publish(topics.room('t', 'r'), marker('local-only'))
      await c.next('local-only')
      await sleep(100)
      expect(c.log.filter((f) => f.type === 'local-only')).toHaveLength(1)
      expect(await I.broker.connectionCount('t')).toBe(1)
      expect(await I.broker.isOnline('t', 'u')).toBe(true) // presence falls back to this instance
      expect(I.log.lines.some((l) => l.includes('redis unavailable'))).toBe(true)
    } finally {
      await I.stop({ cleanup: false })
    }
  })
})
