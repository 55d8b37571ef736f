// The moderation webhook events (SPEC §14): member.banned/unbanned, member.muted/unmuted,
// user.banned/unbanned, report.created/resolved, signed like every webhook, with their data; a
// room ban also sends member.removed; webhook_events selects them like any other event.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { startTestServer, type TestServer } from '../support/server'
import { expectSigned, Receiver } from '../delivery/helpers'
import { room, send } from './helpers'

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

test('each moderation action sends its event with its data, signed', async () => {
  const path = '/mod'
  const t = await s.newTenant({ webhook_url: rx.url(path) })
  const alice = t.as('alice')
  const key = { 'x-api-key': t.api_key }
  const channel = (await room(alice, 'channel', ['bob', 'mallory'])).room_id
  const spam = await send(t.as('mallory'), channel, 'ads')
  const ban = (await alice('POST', `/v1/rooms/${channel}/bans`, { body: { user_id: 'bob', reason: 'r', duration_s: 60 } })).body
  await alice('DELETE', `/v1/rooms/${channel}/bans/bob`)
  const mute = (await alice('POST', `/v1/rooms/${channel}/mutes`, { body: { user_id: 'mallory' } })).body
  await alice('DELETE', `/v1/rooms/${channel}/mutes/mallory`)
  const userBan = (await s.call('POST', '/v1/moderation/bans', { headers: key, body: { user_id: 'eve' } })).body
  await s.call('DELETE', '/v1/moderation/bans/eve', { headers: key })
  const report = (await alice('POST', '/v1/reports', { body: { room_id: channel, message_id: spam.message_id, reason: 'spam' } })).body
  const resolved = (await s.call('POST', `/v1/moderation/reports/${report.report_id}/resolve`, { headers: key, body: { action: 'dismiss' } })).body

  const want: [string, unknown][] = [
    ['member.banned', ban],
    ['member.unbanned', { room_id: channel, user_id: 'bob' }],
    ['member.muted', mute],
    ['member.unmuted', { room_id: channel, user_id: 'mallory' }],
    ['user.banned', userBan],
    ['user.unbanned', { user_id: 'eve' }],
    ['report.created', report],
    ['report.resolved', resolved],
    ['member.removed', { room_id: channel, user_id: 'bob', role: 'member' }],
  ]
  for (const [type, data] of want) {
    const [hit] = await rx.waitFor(1, on(path, type))
    expect({ type, data: hit.json.data }).toEqual({ type, data })
    expect(hit.json).toMatchObject({ type, tenant_id: t.tenant_id })
    expectSigned(hit, t.webhook_secret)
  }
})

test('webhook_events chooses among them: a tenant that asks for user.banned gets only that', async () => {
  const path = '/only-user-banned'
  const t = await s.newTenant({ webhook_url: rx.url(path), webhook_events: ['user.banned'] })
  const channel = (await room(t.as('alice'), 'channel', ['bob'])).room_id
  await t.as('alice')('POST', `/v1/rooms/${channel}/bans`, { body: { user_id: 'bob' } })
  await s.call('POST', '/v1/moderation/bans', { headers: { 'x-api-key': t.api_key }, body: { user_id: 'eve' } })
  await rx.waitFor(1, on(path, 'user.banned'))
  // The room ban was committed before the tenant ban; its events would have been queued first.
  expect(rx.matching((h) => h.path === path).map((h) => h.json.type)).toEqual(['user.banned'])
  expect((await s.admin('PATCH', `/v1/admin/tenants/${t.tenant_id}`, { body: { config: { webhook_events: ['report.made'] } } })).status).toBe(400)
})
