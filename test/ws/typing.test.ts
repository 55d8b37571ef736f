// Typing indicators: relayed to others but never back to the sending connection; auto-stop; stop on close (SPEC §5, §10).

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { startTestServer, type TestServer } from '../support/server'
import { alive, expectNone, ready, roomWith } from './helpers'

let s: TestServer
/** The auto-stop tests run with a short typing timeout (SPEC §5's 6 s is the default, dispatch.ts). */
const TIMEOUT_MS = 800
let quick: TestServer
beforeAll(async () => {
  s = await startTestServer()
  quick = await startTestServer({}, { typingTimeoutMs: TIMEOUT_MS })
})
afterAll(async () => {
  await s.stop()
  await quick.stop()
})

test("typing.start / typing.stop reach the room's other connections (the typer's other devices too), never the sender", async () => {
  const t = await s.newTenant()
  const room = await roomWith(t, 'alice', ['bob'])
  const alice = await ready(s.wsUrl, t.headers('alice'))
  const alice2 = await ready(s.wsUrl, t.headers('alice'))
  const bob = await ready(s.wsUrl, t.headers('bob'))
  alice.send({ type: 'typing.start', room_id: room })
  const start = { type: 'typing', room_id: room, user_id: 'alice', action: 'start' }
  expect(await bob.next('typing')).toEqual(start)
  expect(await alice2.next('typing')).toEqual(start)

  alice.send({ type: 'typing.stop', room_id: room })
  const stop = { ...start, action: 'stop' }
  expect(await bob.next('typing')).toEqual(stop)
  expect(await alice2.next('typing')).toEqual(stop)
  await alive(alice) // every frame above is processed...
  expect(alice.log.filter((f) => f.type === 'typing')).toEqual([]) // ...and none came back to the sender
  for (const c of [alice, alice2, bob]) c.close()
})

test('a refreshed typing.start is not relayed again; a stop without a start relays nothing', async () => {
  const t = await s.newTenant()
  const room = await roomWith(t, 'alice', ['bob'])
  const alice = await ready(s.wsUrl, t.headers('alice'))
  const bob = await ready(s.wsUrl, t.headers('bob'))
  alice.send({ type: 'typing.start', room_id: room })
  await bob.next('typing')
  alice.send({ type: 'typing.start', room_id: room })
  alice.send({ type: 'typing.stop', room_id: room })
  expect((await bob.next('typing')).action).toBe('stop')
  alice.send({ type: 'typing.stop', room_id: room })
  await alive(alice)
  await expectNone(bob, 'typing', 150)
  expect(bob.log.filter((f) => f.type === 'typing').map((f) => f.action)).toEqual(['start', 'stop'])
  alice.close()
  bob.close()
})

test('a start not refreshed within the typing timeout ends as a stop', async () => {
  const t = await quick.newTenant()
  const room = await roomWith(t, 'alice', ['bob'])
  const alice = await ready(quick.wsUrl, t.headers('alice'))
  const bob = await ready(quick.wsUrl, t.headers('bob'))
  alice.send({ type: 'typing.start', room_id: room })
  await bob.next('typing', 3000, (f) => f.action === 'start')
  const started = Date.now()
  const stop = await bob.next('typing', 8000)
  const after = Date.now() - started
  expect(stop).toEqual({ type: 'typing', room_id: room, user_id: 'alice', action: 'stop' })
  expect(after).toBeGreaterThan(TIMEOUT_MS * 0.9)
  expect(after).toBeLessThan(TIMEOUT_MS * 2)
  await alive(alice)
  expect(alice.log.filter((f) => f.type === 'typing')).toEqual([]) // the auto-stop is not echoed either
  alice.close()
  bob.close()
})

test('a refresh restarts the clock', async () => {
  const t = await quick.newTenant()
  const room = await roomWith(t, 'alice', ['bob'])
  const alice = await ready(quick.wsUrl, t.headers('alice'))
  const bob = await ready(quick.wsUrl, t.headers('bob'))
  alice.send({ type: 'typing.start', room_id: room })
  await bob.next('typing', 3000, (f) => f.action === 'start')
  const started = Date.now()
  await expectNone(bob, 'typing', TIMEOUT_MS / 2) // no early stop; then refresh
  alice.send({ type: 'typing.start', room_id: room })
  const stop = await bob.next('typing', 8000)
  expect(stop.action).toBe('stop')
  // counted from the refresh (≥ 1.5 timeouts after the first start), not from the first start
  expect(Date.now() - started).toBeGreaterThan(TIMEOUT_MS * 1.4)
  alice.close()
  bob.close()
})

test('closing the connection ends its typing as a stop', async () => {
  const t = await s.newTenant()
  const room = await roomWith(t, 'alice', ['bob'])
  const alice = await ready(s.wsUrl, t.headers('alice'))
  const bob = await ready(s.wsUrl, t.headers('bob'))
  alice.send({ type: 'typing.start', room_id: room })
  await bob.next('typing', 3000, (f) => f.action === 'start')
  const closedAt = Date.now()
  alice.close()
  expect(await bob.next('typing', 2000)).toEqual({ type: 'typing', room_id: room, user_id: 'alice', action: 'stop' })
  expect(Date.now() - closedAt).toBeLessThan(1500) // at once, not the 6 s timer
  bob.close()
})

test('typing feature off → error frame FORBIDDEN, nothing relayed, the socket stays up', async () => {
  const t = await s.newTenant({ features: { typing: false } })
  const room = await roomWith(t, 'alice', ['bob'])
  const alice = await ready(s.wsUrl, t.headers('alice'))
  const bob = await ready(s.wsUrl, t.headers('bob'))
  const err = await alice.request({ type: 'typing.start', room_id: room }, 'typing')
  expect(err).toMatchObject({ type: 'error', code: 'FORBIDDEN' })
  expect(typeof err.message).toBe('string')
  expect((await alice.request({ type: 'typing.stop', room_id: room }, 'typing')).code).toBe('FORBIDDEN')
  await alive(alice)
  await expectNone(bob, 'typing', 150)
  alice.close()
  bob.close()
})

test('typing in a room you are not in → error frame; members see nothing', async () => {
  const t = await s.newTenant()
  const room = await roomWith(t, 'alice', ['bob'])
  const eve = await ready(s.wsUrl, t.headers('eve'))
  const bob = await ready(s.wsUrl, t.headers('bob'))
  const err = await eve.request({ type: 'typing.start', room_id: room }, 'typing')
  expect(err).toMatchObject({ type: 'error', code: 'NOT_FOUND' })
  await expectNone(bob, 'typing', 150)
  eve.close()
  bob.close()
})
