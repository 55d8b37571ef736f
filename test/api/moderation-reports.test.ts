// Reports and the review queue (SPEC §14), black box: a member files a report (201, a repeat 200),
// the parent app lists the queue and resolves each report, and each action takes effect.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'
import { expectError, ISO_MS, room, send } from './helpers'

let s: TestServer
beforeAll(async () => {
  s = await startTestServer()
})
afterAll(() => s.stop())

/** A channel owned by alice with bob and mallory; mallory has posted a message. */
async function setup() {
  const t = await s.newTenant()
  const alice = t.as('alice')
  const channel = (await room(alice, 'channel', ['bob', 'mallory'])).room_id
  const spam = await send(t.as('mallory'), channel, 'buy cheap stuff')
  const key = { 'x-api-key': t.api_key }
  const app = (method: string, path: string, body?: unknown) => s.call(method, path, { headers: key, body })
  return { t, alice, bob: t.as('bob'), mallory: t.as('mallory'), channel, spam, app }
}

const report = async (t: TestTenant, user: string, body: Record<string, unknown>) => t.as(user)('POST', '/v1/reports', { body })

describe('filing reports', () => {
  test('a member reports a message: 201 with the sender as the reported user; the same again is 200 with the open report', async () => {
    const { t, channel, spam } = await setup()
    const r = await report(t, 'bob', { room_id: channel, message_id: spam.message_id, reason: 'spam', note: 'ads' })
    expect(r.status).toBe(201)
    expect(r.body).toEqual({
      report_id: expect.stringMatching(/^rpt_[0-9A-Za-z]{22}$/),
      room_id: channel,
      message_id: spam.message_id,
      user_id: 'mallory',
      reporter_id: 'bob',
      reason: 'spam',
      note: 'ads',
      status: 'open',
      action: null,
      resolution_note: null,
      resolved_at: null,
      created_at: expect.stringMatching(ISO_MS),
    })
    const again = await report(t, 'bob', { room_id: channel, message_id: spam.message_id, reason: 'abuse' })
    expect(again.status).toBe(200)
    expect(again.body).toEqual(r.body)
    // Another reporter files a report of their own.
    expect((await report(t, 'alice', { room_id: channel, message_id: spam.message_id, reason: 'spam' })).status).toBe(201)
  })

  test('a user report (no message); user_id must match the sender when both are given', async () => {
    const { t, channel, spam } = await setup()
    const r = await report(t, 'bob', { room_id: channel, user_id: 'mallory', reason: 'abuse' })
    expect(r.status).toBe(201)
    expect(r.body).toMatchObject({ message_id: null, user_id: 'mallory', reason: 'abuse', note: null })
    expect((await report(t, 'bob', { room_id: channel, user_id: 'mallory', reason: 'other' })).status).toBe(200)
    expect((await report(t, 'bob', { room_id: channel, message_id: spam.message_id, user_id: 'mallory', reason: 'spam' })).status).toBe(201)
    expectError(await report(t, 'alice', { room_id: channel, message_id: spam.message_id, user_id: 'bob', reason: 'spam' }), 400, 'VALIDATION_ERROR', 'user_id')
  })

  test('errors: neither message_id nor user_id 400; bad reason 400; unknown message 404; not a member 403 (channel) or 404 (group)', async () => {
    const { t, alice, channel } = await setup()
    expectError(await report(t, 'bob', { room_id: channel, reason: 'spam' }), 400, 'VALIDATION_ERROR', 'message_id')
    expectError(await report(t, 'bob', { room_id: channel, user_id: 'mallory', reason: 'rude' }), 400, 'VALIDATION_ERROR', 'reason')
    expectError(await report(t, 'bob', { room_id: channel, user_id: 'mallory', reason: 'spam', note: 'n'.repeat(1001) }), 400, 'VALIDATION_ERROR', 'note')
    expectError(await report(t, 'bob', { room_id: channel, message_id: 'msg_nope', reason: 'spam' }), 404, 'NOT_FOUND')
    expectError(await report(t, 'stranger', { room_id: channel, user_id: 'mallory', reason: 'spam' }), 403, 'FORBIDDEN')
    const group = (await room(alice, 'group', ['bob'])).room_id
    expectError(await report(t, 'stranger', { room_id: group, user_id: 'bob', reason: 'spam' }), 404, 'NOT_FOUND')
    expectError(await report(t, 'bob', { room_id: 'room_nope', user_id: 'x', reason: 'spam' }), 404, 'NOT_FOUND')
  })
})

describe('the review queue', () => {
  test('GET /v1/moderation/reports: oldest first, status filter, paging; API key only', async () => {
    const { t, channel, spam, app } = await setup()
    const a = (await report(t, 'bob', { room_id: channel, message_id: spam.message_id, reason: 'spam' })).body
    const b = (await report(t, 'alice', { room_id: channel, user_id: 'mallory', reason: 'abuse' })).body
    const c = (await report(t, 'bob', { room_id: channel, user_id: 'alice', reason: 'other' })).body
    expect((await app('POST', `/v1/moderation/reports/${b.report_id}/resolve`, { action: 'dismiss' })).status).toBe(200)
    const all = await app('GET', '/v1/moderation/reports')
    expect(all.body.reports.map((r: any) => r.report_id)).toEqual([a.report_id, b.report_id, c.report_id])
    expect((await app('GET', '/v1/moderation/reports?status=open')).body.reports.map((r: any) => r.report_id)).toEqual([a.report_id, c.report_id])
    expect((await app('GET', '/v1/moderation/reports?status=resolved')).body.reports.map((r: any) => r.report_id)).toEqual([b.report_id])
    const p1 = await app('GET', '/v1/moderation/reports?limit=2')
    expect(p1.body.reports.map((r: any) => r.report_id)).toEqual([a.report_id, b.report_id])
    const p2 = await app('GET', `/v1/moderation/reports?limit=2&cursor=${p1.body.next_cursor}`)
    expect(p2.body).toEqual({ reports: [c], next_cursor: null })
    expectError(await app('GET', '/v1/moderation/reports?status=pending'), 400, 'VALIDATION_ERROR', 'status')
    const token = (await app('POST', '/v1/tokens', { user_id: 'alice' })).body.token
    expectError(await s.call('GET', '/v1/moderation/reports', { headers: { authorization: `Bearer ${token}` } }), 403, 'FORBIDDEN')
    expectError(await s.call('POST', `/v1/moderation/reports/${a.report_id}/resolve`, { headers: { authorization: `Bearer ${token}` }, body: { action: 'dismiss' } }), 403, 'FORBIDDEN')
    const other = await s.newTenant()
    expect((await s.call('GET', '/v1/moderation/reports', { headers: { 'x-api-key': other.api_key } })).body.reports).toEqual([])
    expectError(await s.call('POST', `/v1/moderation/reports/${a.report_id}/resolve`, { headers: { 'x-api-key': other.api_key }, body: { action: 'dismiss' } }), 404, 'NOT_FOUND')
  })

  test('dismiss: 200 resolved with the note; resolving again is 409; an unknown report 404; a bad action 400', async () => {
    const { t, channel, spam, app } = await setup()
    const r = (await report(t, 'bob', { room_id: channel, message_id: spam.message_id, reason: 'spam' })).body
    const done = await app('POST', `/v1/moderation/reports/${r.report_id}/resolve`, { action: 'dismiss', note: 'not spam' })
    expect(done.status).toBe(200)
    expect(done.body).toEqual({ ...r, status: 'resolved', action: 'dismiss', resolution_note: 'not spam', resolved_at: expect.stringMatching(ISO_MS) })
    expectError(await app('POST', `/v1/moderation/reports/${r.report_id}/resolve`, { action: 'dismiss' }), 409, 'CONFLICT')
    expectError(await app('POST', '/v1/moderation/reports/rpt_nope/resolve', { action: 'dismiss' }), 404, 'NOT_FOUND')
    expectError(await app('POST', `/v1/moderation/reports/${r.report_id}/resolve`, { action: 'explode' }), 400, 'VALIDATION_ERROR', 'action')
    expectError(await app('POST', `/v1/moderation/reports/${r.report_id}/resolve`, { action: 'mute_user', duration_s: 0 }), 400, 'VALIDATION_ERROR', 'duration_s')
    // A new report of the same message after the first was resolved opens a new one.
    expect((await report(t, 'bob', { room_id: channel, message_id: spam.message_id, reason: 'spam' })).status).toBe(201)
  })

  test('delete_message deletes the reported message; a user report has none to delete (400)', async () => {
    const { t, alice, channel, spam, app } = await setup()
    const r = (await report(t, 'bob', { room_id: channel, message_id: spam.message_id, reason: 'spam' })).body
    expect((await app('POST', `/v1/moderation/reports/${r.report_id}/resolve`, { action: 'delete_message' })).body.action).toBe('delete_message')
    const m = await alice('GET', `/v1/rooms/${channel}/messages/${spam.message_id}`)
    expect(m.body).toMatchObject({ content: '', meta: null, deleted_at: expect.stringMatching(ISO_MS) })
    const u = (await report(t, 'bob', { room_id: channel, user_id: 'mallory', reason: 'abuse' })).body
    expectError(await app('POST', `/v1/moderation/reports/${u.report_id}/resolve`, { action: 'delete_message' }), 400, 'VALIDATION_ERROR', 'action')
    expect((await app('GET', '/v1/moderation/reports?status=open')).body.reports.map((x: any) => x.report_id)).toEqual([u.report_id])
  })

  test('mute_user mutes the reported user in the room (for duration_s); ban_user removes and keeps them out', async () => {
    const { t, alice, mallory, channel, spam, app } = await setup()
    const r = (await report(t, 'bob', { room_id: channel, message_id: spam.message_id, reason: 'spam' })).body
    expect((await app('POST', `/v1/moderation/reports/${r.report_id}/resolve`, { action: 'mute_user', duration_s: 3600 })).status).toBe(200)
    expectError(await mallory('POST', `/v1/rooms/${channel}/messages`, { body: { content: 'more ads' } }), 403, 'FORBIDDEN')
    const mutes = (await alice('GET', `/v1/rooms/${channel}/mutes`)).body.mutes
    expect(mutes).toEqual([expect.objectContaining({ user_id: 'mallory', created_by: 'api_key', expires_at: expect.stringMatching(ISO_MS) })])

    const r2 = (await report(t, 'bob', { room_id: channel, user_id: 'mallory', reason: 'abuse' })).body
    expect((await app('POST', `/v1/moderation/reports/${r2.report_id}/resolve`, { action: 'ban_user', note: 'repeat offender' })).status).toBe(200)
    expect((await alice('GET', `/v1/rooms/${channel}/members`)).body.members.map((m: any) => m.user_id).sort()).toEqual(['alice', 'bob'])
    expectError(await mallory('POST', `/v1/rooms/${channel}/join`), 403, 'FORBIDDEN')
    expect((await alice('GET', `/v1/rooms/${channel}/bans`)).body.bans).toEqual([
      expect.objectContaining({ user_id: 'mallory', created_by: 'api_key', reason: 'repeat offender', expires_at: null }),
    ])
  })

  test('the owner of the room is never muted or banned through a report (403), and the report stays open', async () => {
    const { t, alice, channel, app } = await setup()
    const own = await send(alice, channel, 'owner speaking')
    const r = (await report(t, 'bob', { room_id: channel, message_id: own.message_id, reason: 'abuse' })).body
    expectError(await app('POST', `/v1/moderation/reports/${r.report_id}/resolve`, { action: 'ban_user' }), 403, 'FORBIDDEN')
    expectError(await app('POST', `/v1/moderation/reports/${r.report_id}/resolve`, { action: 'mute_user' }), 403, 'FORBIDDEN')
    expect((await app('GET', '/v1/moderation/reports?status=open')).body.reports.map((x: any) => x.report_id)).toEqual([r.report_id])
  })
})
