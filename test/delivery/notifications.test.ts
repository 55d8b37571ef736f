// Notifications (SPEC §4, §6, §10): POST /v1/notify targets and errors, WebSocket delivery live and
// on connect until notification.ack, subscriptions CRUD, signed endpoint calls, outbound URL refusals.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'
import { expectError, ISO_MS } from '../api/helpers'
import { alive, expectNone, ready } from '../ws/helpers'
import type { Frame } from '../support/ws'
import { expectSigned, onPath, Receiver } from './helpers'

let s: TestServer
let rx: Receiver
beforeAll(async () => {
  s = await startTestServer({ ALLOW_HTTP_WEBHOOKS: '1', MAX_NOTIFICATION_BYTES: '1024' })
  rx = new Receiver()
})
afterAll(async () => {
  rx.stop()
  await s.stop()
})

const notify = (t: TestTenant, body: Record<string, unknown>, as = 'app') => t.as(as)('POST', '/v1/notify', { body })
async function notifyOk(t: TestTenant, targets: Record<string, unknown>, topic = 'orders', payload: Record<string, unknown> = { n: 1 }, as = 'app') {
  const r = await notify(t, { topic, payload, targets }, as)
  if (r.status !== 202) throw new Error(`notify: ${r.status} ${JSON.stringify(r.body)}`)
  return r.body as { notification_id: string; recipients: number; created_at: string }
}
const isNtf = (id: string) => (f: Frame) => f.notification_id === id

describe('POST /v1/notify', () => {
  test('202 with recipients = distinct users across user_ids, room members and topic subscribers', async () => {
    const t = await s.newTenant()
    const room = (await t.as('alice')('POST', '/v1/rooms', { body: { type: 'group', members: ['bob', 'dave'] } })).body.room_id
    for (const u of ['erin', 'carol']) expect((await t.as(u)('POST', '/v1/subscriptions', { body: { topic: 'orders' } })).status).toBe(201)
    expect((await t.as('zed')('POST', '/v1/subscriptions', { body: { topic: 'other' } })).status).toBe(201)

    const r = await notify(t, { topic: 'orders', payload: { id: 7 }, targets: { user_ids: ['bob', 'carol', 'bob'], room_id: room, topic_subscribers: true } }, 'alice')
    expect(r.status).toBe(202)
    expect(Object.keys(r.body).sort()).toEqual(['created_at', 'notification_id', 'recipients'])
    expect(r.body.notification_id).toMatch(/^ntf_[A-Za-z0-9]{22}$/)
    expect(r.body.created_at).toMatch(ISO_MS)
    expect(r.body.recipients).toBe(5) // alice, bob, dave (room) + carol, erin (subscribers; bob and carol once)

    expect((await notifyOk(t, { user_ids: ['x', 'y', 'x'] })).recipients).toBe(2)
    expect((await notifyOk(t, { room_id: room }, 'orders', {}, 'bob')).recipients).toBe(3)
    expect((await notifyOk(t, { topic_subscribers: true }, 'orders')).recipients).toBe(2)
    expect((await notifyOk(t, { topic_subscribers: true }, 'nobody-listens')).recipients).toBe(0)
  })

  test('no target → 400; oversized payload → 400 payload; unknown or invisible room → 404', async () => {
    const t = await s.newTenant()
    const other = await s.newTenant()
    expectError(await notify(t, { topic: 'x', payload: {}, targets: {} }), 400, 'VALIDATION_ERROR', 'targets')
    expectError(await notify(t, { topic: 'x', payload: {}, targets: { user_ids: [], topic_subscribers: false } }), 400, 'VALIDATION_ERROR', 'targets')
    expectError(await notify(t, { topic: 'x', payload: { big: 'y'.repeat(1100) }, targets: { user_ids: ['bob'] } }), 400, 'VALIDATION_ERROR', 'payload')
    expect((await notify(t, { topic: 'x', payload: { fits: 'y'.repeat(900) }, targets: { user_ids: ['bob'] } })).status).toBe(202)

    const group = (await t.as('alice')('POST', '/v1/rooms', { body: { type: 'group', members: ['bob'] } })).body.room_id
    const foreign = (await other.as('alice')('POST', '/v1/rooms', { body: { type: 'group', members: ['bob'] } })).body.room_id
    expectError(await notify(t, { topic: 'x', payload: {}, targets: { room_id: 'room_doesnotexist' } }), 404, 'NOT_FOUND')
    expectError(await notify(t, { topic: 'x', payload: {}, targets: { room_id: group } }, 'mallory'), 404, 'NOT_FOUND') // not a member
    expectError(await notify(t, { topic: 'x', payload: {}, targets: { room_id: foreign } }, 'alice'), 404, 'NOT_FOUND') // other tenant
  })
})

describe('WebSocket delivery', () => {
  test('an online target gets the notification live', async () => {
    const t = await s.newTenant()
    const bob = await ready(s.wsUrl, t.headers('bob'))
    const n = await notifyOk(t, { user_ids: ['bob'] }, 'orders', { order: 42 })
    const f = await bob.next('notification', 3000, isNtf(n.notification_id))
    expect(f).toEqual({ type: 'notification', notification_id: n.notification_id, topic: 'orders', payload: { order: 42 }, created_at: n.created_at })
    bob.close()
  })

  test('an offline target gets it on connect; acked ones are not redelivered, unacked ones are', async () => {
    const t = await s.newTenant()
    const n1 = await notifyOk(t, { user_ids: ['carol'] }, 'a', { i: 1 })
    // Back to back, often in one millisecond: insertion order breaks the created_at tie (migration 0009).
    const n2 = await notifyOk(t, { user_ids: ['carol'] }, 'b', { i: 2 })

    let carol = await ready(s.wsUrl, t.headers('carol'))
    const first = [await carol.next('notification'), await carol.next('notification')]
    expect(first.map((f) => f.notification_id)).toEqual([n1.notification_id, n2.notification_id]) // oldest first
    expect(first[0]).toEqual({ type: 'notification', notification_id: n1.notification_id, topic: 'a', payload: { i: 1 }, created_at: n1.created_at })
    carol.send({ type: 'notification.ack', notification_id: n1.notification_id })
    await alive(carol) // frames are handled in order: the ack is stored
    carol.close()
    await carol.closed()

    carol = await ready(s.wsUrl, t.headers('carol'))
    const again = await carol.next('notification')
    expect(again.notification_id).toBe(n2.notification_id)
    carol.send({ type: 'notification.ack', notification_id: n2.notification_id })
    await alive(carol)
    expect(carol.log.filter((f) => f.type === 'notification')).toHaveLength(1)
    carol.close()
    await carol.closed()

    carol = await ready(s.wsUrl, t.headers('carol'))
    await alive(carol) // pending frames would have come before this pong
    expect(carol.log.filter((f) => f.type === 'notification')).toEqual([])
    carol.close()
  })

  test('a live notification stays pending until acked, on every device of the user', async () => {
    const t = await s.newTenant()
    const [d1, d2] = [await ready(s.wsUrl, t.headers('dan')), await ready(s.wsUrl, t.headers('dan'))]
    const n = await notifyOk(t, { user_ids: ['dan'] })
    await d1.next('notification', 3000, isNtf(n.notification_id))
    await d2.next('notification', 3000, isNtf(n.notification_id))
    d1.close()
    const d3 = await ready(s.wsUrl, t.headers('dan')) // not acked yet: delivered again on connect
    await d3.next('notification', 3000, isNtf(n.notification_id))
    d3.send({ type: 'notification.ack', notification_id: n.notification_id })
    await alive(d3)
    const d4 = await ready(s.wsUrl, t.headers('dan'))
    await alive(d4)
    expect(d4.log.filter((f) => f.type === 'notification')).toEqual([])
    for (const c of [d2, d3, d4]) c.close()
  })

  test('acking an unknown, foreign or already-acked id → error NOT_FOUND; the socket stays up', async () => {
    const t = await s.newTenant()
    const n = await notifyOk(t, { user_ids: ['eve'] })
    const other = await ready(s.wsUrl, t.headers('frank')) // not a recipient
    const eve = await ready(s.wsUrl, t.headers('eve'))
    await eve.next('notification', 3000, isNtf(n.notification_id))
    const unknown = await eve.request({ type: 'notification.ack', notification_id: 'ntf_doesnotexist' }, 'error')
    expect(unknown).toMatchObject({ type: 'error', code: 'NOT_FOUND' })
    expect((await other.request({ type: 'notification.ack', notification_id: n.notification_id }, 'error')).code).toBe('NOT_FOUND')
    eve.send({ type: 'notification.ack', notification_id: n.notification_id })
    await alive(eve)
    expect((await eve.request({ type: 'notification.ack', notification_id: n.notification_id }, 'error')).code).toBe('NOT_FOUND')
    await alive(eve)
    await expectNone(eve, 'notification', 50)
    eve.close()
    other.close()
  })
})

describe('subscriptions', () => {
  test('create 201 with the object shape, list, delete 204; another user cannot see or delete it', async () => {
    const t = await s.newTenant()
    const me = t.as('alice')
    const r = await me('POST', '/v1/subscriptions', { body: { topic: 'orders.eu' } })
    expect(r.status).toBe(201)
    expect(Object.keys(r.body).sort()).toEqual(['created_at', 'endpoint', 'subscription_id', 'topic'])
    expect(r.body).toMatchObject({ topic: 'orders.eu', endpoint: null })
    expect(r.body.subscription_id).toMatch(/^sub_[A-Za-z0-9]{22}$/)
    expect(r.body.created_at).toMatch(ISO_MS)
    const withEndpoint = await me('POST', '/v1/subscriptions', { body: { topic: 'orders.us', endpoint: rx.url('/sub-crud') } })
    expect(withEndpoint.status).toBe(201)
    expect(withEndpoint.body.endpoint).toBe(rx.url('/sub-crud'))

    const list = await me('GET', '/v1/subscriptions')
    expect(list.status).toBe(200)
    expect(list.body).toEqual({ subscriptions: [r.body, withEndpoint.body] })
    expect((await t.as('bob')('GET', '/v1/subscriptions')).body).toEqual({ subscriptions: [] })

    expectError(await t.as('bob')('DELETE', `/v1/subscriptions/${r.body.subscription_id}`), 404, 'NOT_FOUND')
    const other = await s.newTenant()
    expectError(await other.as('alice')('DELETE', `/v1/subscriptions/${r.body.subscription_id}`), 404, 'NOT_FOUND')
    expect((await me('DELETE', `/v1/subscriptions/${r.body.subscription_id}`)).status).toBe(204)
    expectError(await me('DELETE', `/v1/subscriptions/${r.body.subscription_id}`), 404, 'NOT_FOUND')
    expect((await me('GET', '/v1/subscriptions')).body).toEqual({ subscriptions: [withEndpoint.body] })
    expectError(await me('POST', '/v1/subscriptions', { body: { topic: 'bad topic!' } }), 400, 'VALIDATION_ERROR', 'topic')
  })

  test('an endpoint subscriber gets a signed POST {type, notification_id, topic, payload, created_at}', async () => {
    const t = await s.newTenant()
    await t.as('erin')('POST', '/v1/subscriptions', { body: { topic: 'alerts', endpoint: rx.url('/erin') } })
    await t.as('gus')('POST', '/v1/subscriptions', { body: { topic: 'alerts', endpoint: rx.url('/gus') } })
    const n = await notifyOk(t, { user_ids: ['erin'] }, 'alerts', { level: 'high' }) // targets erin only
    const [hit] = await rx.waitFor(1, onPath('/erin'))
    expectSigned(hit, t.webhook_secret)
    expect(hit.json).toEqual({ type: 'notification', notification_id: n.notification_id, topic: 'alerts', payload: { level: 'high' }, created_at: n.created_at })
    const all = await notifyOk(t, { topic_subscribers: true }, 'alerts', { level: 'low' })
    expect(all.recipients).toBe(2)
    const [gus] = await rx.waitFor(1, onPath('/gus'))
    expect(gus.json.notification_id).toBe(all.notification_id) // gus was not a target of the first one
    await rx.waitFor(2, onPath('/erin'))
    await notifyOk(t, { user_ids: ['erin'] }, 'unrelated')
    await Bun.sleep(200) // bounded: another topic does not call the alerts endpoint
    expect(rx.matching(onPath('/erin'))).toHaveLength(2)
  })
})

describe('outbound URLs on a server without ALLOW_HTTP_WEBHOOKS', () => {
  let strict: TestServer
  beforeAll(async () => (strict = await startTestServer()))
  afterAll(() => strict.stop())

  const REFUSED = [
    'http://example.com/hook',
    'ftp://example.com/hook',
    'https://user:pw@example.com/hook',
    'not a url',
    'https://localhost/hook',
    'https://localhost./hook',
    'https://api.localhost/hook',
    'https://127.0.0.1/hook',
    'https://127.1/hook',
    'https://0x7f000001/hook',
    'https://10.0.0.5/hook',
    'https://172.16.3.4/hook',
    'https://192.168.1.10/hook',
    'https://169.254.169.254/latest/meta-data',
    'https://100.64.0.1/hook',
    'https://0.0.0.0/hook',
    'https://[::1]/hook',
    'https://[::]/hook',
    'https://[::ffff:127.0.0.1]/hook',
    'https://[::ffff:10.0.0.1]/hook',
    'https://[fd00::1]/hook',
    'https://[fe80::1]/hook',
    'https://[64:ff9b::a00:1]/hook',
  ]
  for (const endpoint of REFUSED)
    test(`refuses ${endpoint}`, async () => {
      const t = await strict.newTenant()
      expectError(await t.as('alice')('POST', '/v1/subscriptions', { body: { topic: 'x', endpoint } }), 400, 'VALIDATION_ERROR', 'endpoint')
      expect((await t.as('alice')('GET', '/v1/subscriptions')).body).toEqual({ subscriptions: [] })
    })

  test('a subscription without endpoint is fine; a user token may not set an endpoint or notify (403)', async () => {
    const t = await strict.newTenant()
    expect((await t.as('alice')('POST', '/v1/subscriptions', { body: { topic: 'x' } })).status).toBe(201)
    const tok = await t.as('app')('POST', '/v1/tokens', { body: { user_id: 'alice' } })
    expect(tok.status).toBe(201)
    const bearer = { authorization: `Bearer ${tok.body.token}` }
    const post = (path: string, body: unknown) => strict.call('POST', path, { headers: bearer, body })
    expectError(await post('/v1/subscriptions', { topic: 'y', endpoint: 'https://example.com/hook' }), 403, 'FORBIDDEN')
    expectError(await post('/v1/notify', { topic: 'y', payload: {}, targets: { user_ids: ['bob'] } }), 403, 'FORBIDDEN')
    expect((await post('/v1/subscriptions', { topic: 'y' })).status).toBe(201)
  })
})
