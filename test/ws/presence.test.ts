// Presence: online on the first connection, offline only after the grace, no blip on quick reconnect (SPEC §4, §5).
// The test server runs with PRESENCE_GRACE_MS=300.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'
import { onSqlite } from '../support/storage'
import { WsClient } from '../support/ws'
import { expectNone, ready, restSend, roomWith } from './helpers'

const GRACE = 300
let s: TestServer
beforeAll(async () => (s = await startTestServer({ PRESENCE_GRACE_MS: String(GRACE) })))
afterAll(() => s.stop())

const presence = (t: TestTenant, as: string, ids: string[]) => t.as(as)('GET', `/v1/presence?user_ids=${ids.join(',')}`)
const onlineFlags = async (t: TestTenant, as: string, room: string) => {
  const r = await t.as(as)('GET', `/v1/rooms/${room}/members`)
  expect(r.status).toBe(200)
  return Object.fromEntries(r.body.members.map((m: any) => [m.user_id, m.online]))
}

// The audience of an announcement never includes its subject, so this holds with Redis too.
test("the first connection announces online to the user's rooms; a second device does not", async () => {
  const t = await s.newTenant()
  await roomWith(t, 'alice', ['bob'])
  const bob = await ready(s.wsUrl, t.headers('bob'))
  const stranger = await ready(s.wsUrl, t.headers('stranger')) // shares no room with alice
  const alice = await ready(s.wsUrl, t.headers('alice'))
  expect(await bob.next('presence.update')).toEqual({ type: 'presence.update', user_id: 'alice', status: 'online' })
  const alice2 = await ready(s.wsUrl, t.headers('alice'))
  await expectNone(bob, 'presence.update', 150)
  expect(stranger.log.some((f) => f.type === 'presence.update')).toBe(false)
  expect(alice.log.some((f) => f.type === 'presence.update')).toBe(false) // not told about itself
  for (const c of [alice, alice2, bob, stranger]) c.close()
})

test('offline is announced only after the grace period, and only when the last device leaves', async () => {
  const t = await s.newTenant()
  await roomWith(t, 'alice', ['bob'])
  const bob = await ready(s.wsUrl, t.headers('bob'))
  const alice = await ready(s.wsUrl, t.headers('alice'))
  const alice2 = await ready(s.wsUrl, t.headers('alice'))
  await bob.next('presence.update', 3000, (f) => f.status === 'online')
  alice.close()
  await expectNone(bob, 'presence.update', GRACE + 200) // one device is still on
  const closedAt = Date.now()
  alice2.close()
  const off = await bob.next('presence.update', 3000)
  expect(off).toEqual({ type: 'presence.update', user_id: 'alice', status: 'offline' })
  expect(Date.now() - closedAt).toBeGreaterThanOrEqual(GRACE - 20)
  bob.close()
})

test.skipIf(!onSqlite)('a reconnect within the grace: no offline and no second online (no blip)', async () => {
  const t = await s.newTenant()
  await roomWith(t, 'alice', ['bob'])
  const bob = await ready(s.wsUrl, t.headers('bob'))
  const alice = await ready(s.wsUrl, t.headers('alice'))
  await bob.next('presence.update', 3000, (f) => f.status === 'online')
  alice.close()
  await alice.closed()
  const back = await ready(s.wsUrl, t.headers('alice'))
  await expectNone(bob, 'presence.update', GRACE + 300)
  expect((await presence(t, 'bob', ['alice'])).body.presence[0].status).toBe('online')
  // and when they do leave for good, offline still comes
  back.close()
  expect(await bob.next('presence.update', 3000)).toMatchObject({ user_id: 'alice', status: 'offline' })
  bob.close()
})

test('GET /v1/presence and the members online flag follow connections', async () => {
  const t = await s.newTenant()
  const room = await roomWith(t, 'alice', ['bob', 'carol'])
  const bob = await ready(s.wsUrl, t.headers('bob'))
  const alice = await ready(s.wsUrl, t.headers('alice'))
  await bob.next('presence.update', 3000, (f) => f.user_id === 'alice')

  const r = await presence(t, 'bob', ['alice', 'carol', 'nobody'])
  expect(r.status).toBe(200)
  const [a, c, n] = r.body.presence
  expect(a).toMatchObject({ user_id: 'alice', status: 'online' })
  expect(Date.parse(a.last_seen)).toBeGreaterThan(Date.now() - 5000)
  expect(c).toEqual({ user_id: 'carol', status: 'offline', last_seen: null })
  expect(n).toEqual({ user_id: 'nobody', status: 'offline', last_seen: null })
  expect(await onlineFlags(t, 'bob', room)).toEqual({ alice: true, bob: true, carol: false })

  alice.close()
  await bob.next('presence.update', 3000, (f) => f.status === 'offline')
  const after = (await presence(t, 'bob', ['alice'])).body.presence[0]
  expect(after.status).toBe('offline')
  expect(after.last_seen).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
  expect(await onlineFlags(t, 'bob', room)).toEqual({ alice: false, bob: true, carol: false })
  bob.close()
})

test('GET /v1/presence validates user_ids (1 to 100)', async () => {
  const t = await s.newTenant()
  for (const q of ['', '?user_ids=', `?user_ids=${Array.from({ length: 101 }, (_, i) => `u${i}`).join(',')}`]) {
    const r = await t.as('bob')('GET', `/v1/presence${q}`)
    expect(r.status).toBe(400)
    expect(r.body.error).toMatchObject({ code: 'VALIDATION_ERROR', field: 'user_ids' })
  }
})

test('presence feature off → 403 on GET /v1/presence, online null, no presence frames', async () => {
  const t = await s.newTenant({ features: { presence: false } })
  const room = await roomWith(t, 'alice', ['bob'])
  const bob = await ready(s.wsUrl, t.headers('bob'))
  const alice = await WsClient.connect(s.wsUrl, t.headers('alice'))
  await alice.next('sync.done')
  const r = await presence(t, 'bob', ['alice'])
  expect(r.status).toBe(403)
  expect(r.body.error.code).toBe('FORBIDDEN')
  expect(await onlineFlags(t, 'bob', room)).toEqual({ alice: null, bob: null })
  alice.close()
  await expectNone(bob, 'presence.update', GRACE + 200)
  bob.close()
})

test('rooms over FANOUT_RECEIPTS_MAX_MEMBERS get no presence fan-out', async () => {
  const small = await startTestServer({ FANOUT_RECEIPTS_MAX_MEMBERS: '2' })
  try {
    const t = await small.newTenant()
    await roomWith(t, 'alice', ['bob', 'carol']) // 3 members > 2
    const bob = await ready(small.wsUrl, t.headers('bob'))
    const alice = await ready(small.wsUrl, t.headers('alice'))
    await expectNone(bob, 'presence.update', 200)
    alice.close()
    bob.close()
  } finally {
    await small.stop()
  }
})

test('a user sharing three rooms: one presence.update per connection per change', async () => {
  const t = await s.newTenant()
  const rooms = [await roomWith(t, 'alice', ['bob']), await roomWith(t, 'alice', ['bob', 'carol']), await roomWith(t, 'bob', ['alice'], 'dm')]
  const bobs = [await ready(s.wsUrl, t.headers('bob')), await ready(s.wsUrl, t.headers('bob'))]
  const carol = await ready(s.wsUrl, t.headers('carol')) // shares one room with alice
  const everyone = [...bobs, carol]
  const presenceOf = (c: WsClient, status: string) => c.log.filter((f) => f.type === 'presence.update' && f.user_id === 'alice' && f.status === status)
  /** A message published after the announcement: once it arrived, every copy of the announcement has too. */
  const barrier = async (content: string) => {
    await restSend(t, 'alice', rooms[1], content)
    for (const c of everyone) await c.next('message', 3000, (f) => f.content === content)
  }

  const alice = await ready(s.wsUrl, t.headers('alice'))
  for (const c of everyone) await c.next('presence.update', 3000, (f) => f.user_id === 'alice' && f.status === 'online')
  await barrier('after online')
  for (const c of everyone) expect(presenceOf(c, 'online')).toEqual([{ type: 'presence.update', user_id: 'alice', status: 'online' }])

  alice.close()
  for (const c of everyone) await c.next('presence.update', 3000, (f) => f.user_id === 'alice' && f.status === 'offline')
  await barrier('after offline')
  for (const c of everyone) expect(presenceOf(c, 'offline')).toHaveLength(1)
  for (const c of everyone) c.close()
})
