// Webhooks default to every event (SPEC Revision 2): a tenant with webhook_url and no webhook_events
// gets all of them, `webhook_events: []` gets none, and null puts the default back. Message
// webhooks carry room_id and seq so a receiver can order and deduplicate.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { startTestServer, type TestServer } from '../support/server'
import { Receiver } from './helpers'

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

const on = (path: string, type: string) => (h: { path: string; json: any }) => h.path === path && h.json?.type === type
const typesAt = (path: string) => rx.matching((h) => h.path === path).map((h) => h.json.type)

test('webhook_url without webhook_events: every event is sent; message events carry room_id and seq', async () => {
  const path = '/all'
  const t = await s.newTenant({ webhook_url: rx.url(path) })
  const alice = t.as('alice')
  const room = (await alice('POST', '/v1/rooms', { body: { type: 'group', members: ['bob'] } })).body.room_id
  await alice('POST', `/v1/rooms/${room}/members`, { body: { user_ids: ['carol'] } })
  await alice('DELETE', `/v1/rooms/${room}/members/carol`)
  const sent = (await alice('POST', `/v1/rooms/${room}/messages`, { body: { content: 'a' } })).body
  await alice('PATCH', `/v1/rooms/${room}/messages/${sent.message_id}`, { body: { content: 'b' } })
  await alice('DELETE', `/v1/rooms/${room}/messages/${sent.message_id}`)
  expect((await alice('POST', '/v1/notify', { body: { topic: 't', payload: {}, targets: { user_ids: ['bob'] } } })).status).toBe(202)

  const all = ['room.created', 'member.added', 'member.removed', 'message.created', 'message.updated', 'message.deleted', 'notification.created']
  for (const type of all) await rx.waitFor(1, on(path, type))
  expect(typesAt(path).sort()).toEqual([...all].sort())
  for (const type of ['message.created', 'message.updated', 'message.deleted']) {
    const [hit] = rx.matching(on(path, type))
    expect(hit.json.data).toMatchObject({ room_id: room, seq: sent.seq, message_id: sent.message_id })
    expect(hit.headers.get('webhook-id')).toStartWith('evt_')
  }
})

test('webhook_events: [] sends nothing; null puts the default (every event) back', async () => {
  const path = '/none'
  const t = await s.newTenant({ webhook_url: rx.url(path), webhook_events: [] })
  const shown = await s.admin('GET', `/v1/admin/tenants/${t.tenant_id}`)
  expect(shown.body.config).toEqual({ webhook_url: rx.url(path), webhook_events: [] })
  const room = (await t.as('alice')('POST', '/v1/rooms', { body: { type: 'group', members: ['bob'] } })).body.room_id
  await t.as('alice')('POST', `/v1/rooms/${room}/messages`, { body: { content: 'quiet' } })

  const reset = await s.admin('PATCH', `/v1/admin/tenants/${t.tenant_id}`, { body: { config: { webhook_events: null } } })
  expect(reset.status).toBe(200)
  expect(reset.body.config).toEqual({ webhook_url: rx.url(path) })
  expect((await s.admin('GET', `/v1/admin/tenants/${t.tenant_id}`)).body.config).toEqual({ webhook_url: rx.url(path) })
  // The barrier: once this message's event arrives, the earlier ones would have been queued before it.
  const loud = (await t.as('alice')('POST', `/v1/rooms/${room}/messages`, { body: { content: 'loud' } })).body
  const [hit] = await rx.waitFor(1, on(path, 'message.created'))
  expect(hit.json.data).toMatchObject({ room_id: room, seq: loud.seq, content: 'loud' })
  expect(typesAt(path)).toEqual(['message.created'])
})

test('the stored config keeps absent and [] apart on create and patch', async () => {
  const created = await s.admin('POST', '/v1/admin/tenants', { body: { name: 'x', config: { webhook_url: rx.url('/cfg') } } })
  expect(created.body.config).toEqual({ webhook_url: rx.url('/cfg') })
  const id = created.body.tenant_id
  const emptied = await s.admin('PATCH', `/v1/admin/tenants/${id}`, { body: { config: { webhook_events: [] } } })
  expect(emptied.body.config).toEqual({ webhook_url: rx.url('/cfg'), webhook_events: [] })
  const listed = (await s.admin('GET', '/v1/admin/tenants')).body.tenants.find((x: any) => x.tenant_id === id)
  expect(listed.config).toEqual({ webhook_url: rx.url('/cfg'), webhook_events: [] })
  const bad = await s.admin('PATCH', `/v1/admin/tenants/${id}`, { body: { config: { webhook_events: ['message.created', 'nope'] } } })
  expect(bad.status).toBe(400)
  expect(bad.body.error.field).toBe('config.webhook_events')
})
