// POST /v1/users/{user_id}/erase and the jobs API (SPEC §15): every effect of an erasure, the
// ownership transfer rule, webhook user.erased, and the errors. SQLite here; PostgreSQL with Redis in
// the PG+Redis pass.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'
import { ready, roomWith, restSend, collect } from '../ws/helpers'
import { Receiver, until } from '../delivery/helpers'
import { expectError, ISO_MS } from './helpers'

let s: TestServer
let rx: Receiver
beforeAll(async () => {
  s = await startTestServer({ ALLOW_HTTP_WEBHOOKS: '1', ACK_TIMEOUT_MS: '600000' })
  rx = new Receiver()
})
afterAll(async () => {
  rx.stop()
  await s.stop()
})

const app = (t: TestTenant) => (method: string, path: string, body?: unknown) =>
  s.call(method, path, { headers: { 'x-api-key': t.api_key }, body })

/** Polls GET /v1/jobs/{job_id} (API key alone) until the job is no longer running. */
async function finished(t: TestTenant, jobId: string) {
  return until(`job ${jobId} finished`, async () => {
    const r = await app(t)('GET', `/v1/jobs/${jobId}`)
    expect(r.status).toBe(200)
    return r.body.status === 'running' ? undefined : r.body
  }, 15_000, 20)
}

const members = async (t: TestTenant, as: string, room: string) =>
  Object.fromEntries((await t.as(as)('GET', `/v1/rooms/${room}/members`)).body.members.map((m: { user_id: string; role: string }) => [m.user_id, m.role]))

describe('erase a user', () => {
  test('every effect: messages deleted in every room, memberships gone with ownership passed on, the rest removed, webhook when done', async () => {
    const t = await s.newTenant({ webhook_url: rx.url('/erase'), webhook_events: ['user.erased'] })
    // g1: alice owns; bob joined first, carol is an admin added later: the admin takes it.
    const g1 = await roomWith(t, 'alice', ['bob'])
    expect((await t.as('alice')('POST', `/v1/rooms/${g1}/members`, { body: { user_ids: ['carol'], role: 'admin' } })).status).toBe(200)
    // c1: alice owns; dave then erin as plain members: the earliest-joined member takes it.
    const c1 = await roomWith(t, 'alice', ['dave'], 'channel')
    expect((await t.as('erin')('POST', `/v1/rooms/${c1}/join`)).status).toBe(200)
    const dm = (await t.as('alice')('POST', '/v1/rooms', { body: { type: 'dm', members: ['bob'] } })).body.room_id
    // a room alice posted in and then left
    const left = await roomWith(t, 'bob', ['alice'])
    const mine = [
      await restSend(t, 'alice', g1, 'a1', { meta: { secret: 1 } }),
      await restSend(t, 'alice', c1, 'a2'),
      await restSend(t, 'alice', dm, 'a3'),
      await restSend(t, 'alice', left, 'a4'),
    ]
    const theirs = [await restSend(t, 'bob', g1, 'b1', { mentions: ['alice'] }), await restSend(t, 'bob', left, 'b2')]
    // her reaction on bob's message, bob's on hers; her message mentions bob
    const thumbs = `/v1/rooms/${g1}/messages/${theirs[0].message_id}/reactions/${encodeURIComponent('👍')}`
    for (const u of ['alice', 'carol']) expect((await t.as(u)('PUT', thumbs)).status).toBe(200)
    expect((await t.as('bob')('PUT', `/v1/rooms/${g1}/messages/${mine[0].message_id}/reactions/ok`)).status).toBe(200)
    const mentionsBob = await restSend(t, 'alice', g1, 'hey bob', { mentions: ['bob'] })
    mine.push(mentionsBob)
    expect((await t.as('alice')('DELETE', `/v1/rooms/${left}/members/alice`)).status).toBe(204)
    expect((await t.as('alice')('POST', '/v1/subscriptions', { body: { topic: 'news' } })).status).toBe(201)
    expect((await t.as('bob')('POST', '/v1/subscriptions', { body: { topic: 'news' } })).status).toBe(201)
    expect((await app(t)('POST', '/v1/notify', { topic: 'news', payload: { n: 1 }, targets: { user_ids: ['alice', 'bob'] } })).status).toBe(202)
    const bob = await ready(s.wsUrl, t.headers('bob'))
    bob.drain('notification')

    const r = await app(t)('POST', '/v1/users/alice/erase')
    expect(r.status).toBe(202)
    expect(Object.keys(r.body)).toEqual(['job_id'])
    expect(r.body.job_id).toMatch(/^job_[A-Za-z0-9]{22}$/)
    const job = await finished(t, r.body.job_id)
    expect(job).toEqual({
      job_id: r.body.job_id,
      kind: 'user.erase',
      status: 'done',
      progress: { done: job.progress.total, total: job.progress.total },
      error: null,
      created_at: expect.stringMatching(ISO_MS),
      finished_at: expect.stringMatching(ISO_MS),
    })
    expect(job.progress.total).toBeGreaterThan(0)

    // live clients saw alice leave and her messages deleted
    const deleted = await collect(bob, 'message.deleted', 4)
    expect(deleted.map((f) => f.message_id).sort()).toEqual([mine[0], mine[2], mine[3], mentionsBob].map((m) => m.message_id).sort())
    expect(deleted.every((f) => f.content === '' && f.meta === null && f.deleted_at !== null && f.reactions.length === 0 && f.mentions.length === 0)).toBe(true)
    expect(deleted.every((f) => f.change.kind === 'deleted' && f.change.user_id === 'alice')).toBe(true)
    // her reaction went as a removal: bob's message keeps carol's, with a new rev
    const unreacted = await bob.next('message.updated', 3000, (f) => f.message_id === theirs[0].message_id)
    expect(unreacted.change).toEqual({ kind: 'reaction.removed', user_id: 'alice', key: '👍' })
    expect(unreacted.reactions).toEqual([{ key: '👍', count: 1, user_ids: ['carol'] }])
    expect((await bob.next('member.left', 3000, (f) => f.room_id === g1)).user_id).toBe('alice')

    // her messages are deletes (seq kept, content gone) in every room, the one she left included; others' stay
    for (const m of mine) {
      const reader = m.room_id === c1 ? 'dave' : 'bob'
      const got = (await t.as(reader)('GET', `/v1/rooms/${m.room_id}/messages/${m.message_id}`)).body
      expect(got).toMatchObject({ seq: m.seq, sender_id: 'alice', content: '', meta: null, deleted_at: expect.stringMatching(ISO_MS) })
    }
    for (const m of theirs) expect((await t.as('bob')('GET', `/v1/rooms/${m.room_id}/messages/${m.message_id}`)).body.deleted_at).toBeNull()
    // mentions: of her (bob's message) no longer in her list; hers of bob gone with her message
    expect((await t.as('alice')('GET', '/v1/mentions')).body.mentions).toEqual([])
    expect((await t.as('bob')('GET', '/v1/mentions')).body.mentions).toEqual([])

    // memberships (and with them her cursors) are gone; ownership passed on by the rule
    expect((await t.as('alice')('GET', '/v1/rooms')).body.rooms).toEqual([])
    expect(await members(t, 'carol', g1)).toEqual({ bob: 'member', carol: 'owner' })
    expect(await members(t, 'dave', c1)).toEqual({ dave: 'owner', erin: 'member' })
    expect(await members(t, 'bob', dm)).toEqual({ bob: 'member' })
    expect((await t.as('bob')('GET', `/v1/rooms/${g1}`)).body.member_count).toBe(2)
    // subscriptions and pending notifications
    expect((await t.as('alice')('GET', '/v1/subscriptions')).body.subscriptions).toEqual([])
    expect((await t.as('bob')('GET', '/v1/subscriptions')).body.subscriptions).toHaveLength(1)
    const alice = await ready(s.wsUrl, t.headers('alice'))
    expect(alice.log.filter((f) => f.type === 'notification')).toEqual([])
    alice.close()

    // what an export still holds of her: only the stubs of her deleted messages
    const remains = (await (await fetch(`${s.url}/v1/users/alice/export`, { headers: { 'x-api-key': t.api_key } })).text()).trim().split('\n').map((l) => JSON.parse(l))
    expect(remains.map((l) => l.type)).toEqual(Array(mine.length).fill('message'))
    expect(remains.every((l) => l.message.content === '' && l.message.meta === null && l.message.deleted_at !== null && l.message.attachments.length === 0)).toBe(true)

    const [hit] = await rx.waitFor(1, (h) => h.path === '/erase' && h.json?.type === 'user.erased')
    expect(hit.json.data).toEqual({ user_id: 'alice', job_id: r.body.job_id })
    // the audit log records who asked for it, and the job
    const audit = (await app(t)('GET', '/v1/moderation/audit')).body.entries
    expect(audit.filter((e: { action: string }) => e.action === 'user.erase')).toEqual([
      expect.objectContaining({ tenant_id: t.tenant_id, actor: 'api_key', action: 'user.erase', target: 'alice', data: { job_id: r.body.job_id } }),
    ])
    bob.close()
  })

  test('the user may be erased again (nothing left to do) and another tenant\'s user of the same id is untouched', async () => {
    const t = await s.newTenant()
    const other = await s.newTenant()
    const room = await roomWith(other, 'alice', ['bob'])
    await restSend(other, 'alice', room, 'keep me')
    for (let i = 0; i < 2; i++) {
      const r = await app(t)('POST', '/v1/users/alice/erase')
      expect(r.status).toBe(202)
      expect((await finished(t, r.body.job_id)).status).toBe('done')
    }
    expect((await other.as('bob')('GET', `/v1/rooms/${room}/messages`)).body.messages[0].content).toBe('keep me')
  })

  test('moderation rows: her blocks both ways, room bans and mutes, her tenant ban and the reports she filed or that name her go; others\' stay; the export lists her blocks first', async () => {
    const t = await s.newTenant()
    const g = await roomWith(t, 'bob', ['alice', 'carol', 'dave'])
    const h = await roomWith(t, 'bob', ['alice', 'carol'])
    const said = await restSend(t, 'alice', g, 'reported')
    const ok = (r: { status: number }, status: number) => expect(r.status).toBe(status)
    // reports: one about her message, one she files, one about dave by carol (stays)
    ok(await t.as('carol')('POST', '/v1/reports', { body: { room_id: g, message_id: said.message_id, reason: 'spam' } }), 201)
    ok(await t.as('alice')('POST', '/v1/reports', { body: { room_id: g, user_id: 'dave', reason: 'abuse' } }), 201)
    const kept = (await t.as('carol')('POST', '/v1/reports', { body: { room_id: g, user_id: 'dave', reason: 'other' } })).body.report_id
    ok(await t.as('alice')('PUT', '/v1/blocks/carol'), 200)
    ok(await t.as('dave')('PUT', '/v1/blocks/alice'), 200)
    ok(await t.as('dave')('PUT', '/v1/blocks/carol'), 200) // not hers: stays
    ok(await t.as('bob')('POST', `/v1/rooms/${g}/mutes`, { body: { user_id: 'alice' } }), 201)
    ok(await t.as('bob')('POST', `/v1/rooms/${g}/mutes`, { body: { user_id: 'carol' } }), 201)
    ok(await t.as('bob')('POST', `/v1/rooms/${h}/bans`, { body: { user_id: 'alice', reason: 'spam' } }), 201)
    ok(await app(t)('POST', '/v1/moderation/bans', { user_id: 'alice' }), 201)
    ok(await app(t)('POST', '/v1/moderation/bans', { user_id: 'erin' }), 201)
    expectError(await t.as('alice')('GET', '/v1/rooms'), 403, 'FORBIDDEN') // banned from the tenant

    // her export lists her blocks as GET /v1/blocks shows them (not dave's of her)
    const exported = async () => (await (await fetch(`${s.url}/v1/users/alice/export`, { headers: { 'x-api-key': t.api_key } })).text()).trim().split('\n').map((l) => JSON.parse(l))
    expect((await exported()).filter((l) => l.type === 'block')).toEqual([{ type: 'block', block: { user_id: 'carol', created_at: expect.stringMatching(ISO_MS) } }])
    expect((await app(t)('GET', '/v1/moderation/reports')).body.reports).toHaveLength(3)

    const r = await app(t)('POST', '/v1/users/alice/erase')
    expect(r.status).toBe(202)
    expect((await finished(t, r.body.job_id)).status).toBe('done')

    expect((await t.as('dave')('GET', '/v1/blocks')).body.blocks.map((b: { user_id: string }) => b.user_id)).toEqual(['carol'])
    expect((await t.as('alice')('GET', '/v1/blocks')).body.blocks).toEqual([])
    expect((await t.as('bob')('GET', `/v1/rooms/${g}/mutes`)).body.mutes.map((m: { user_id: string }) => m.user_id)).toEqual(['carol'])
    expect((await t.as('bob')('GET', `/v1/rooms/${h}/bans`)).body.bans).toEqual([])
    expect((await app(t)('GET', '/v1/moderation/bans')).body.bans.map((b: { user_id: string }) => b.user_id)).toEqual(['erin'])
    const reports = (await app(t)('GET', '/v1/moderation/reports')).body.reports
    expect(reports.map((x: { report_id: string }) => x.report_id)).toEqual([kept])
    // she is not banned any more (the request gate's cache forgot her too): the id may be used afresh
    expect((await t.as('alice')('GET', '/v1/rooms')).status).toBe(200)
    expect((await exported()).filter((l) => l.type === 'block')).toEqual([])
  })

  test('errors: a user token 403, a bad user id 400, no key 401; jobs: unknown, another tenant\'s, admin view', async () => {
    const t = await s.newTenant()
    const other = await s.newTenant()
    const token = (await app(t)('POST', '/v1/tokens', { user_id: 'alice' })).body.token
    const bearer = { authorization: `Bearer ${token}` }
    expectError(await s.call('POST', '/v1/users/alice/erase', { headers: bearer }), 403, 'FORBIDDEN')
    expectError(await app(t)('POST', '/v1/users/a%20b/erase'), 400, 'VALIDATION_ERROR', 'user_id')
    expectError(await s.call('POST', '/v1/users/alice/erase'), 401, 'AUTHENTICATION_ERROR')
    expectError(await s.call('POST', '/v1/users/alice/erase', { headers: { 'x-api-key': t.api_key, 'x-user-id': 'bad id' } }), 400, 'VALIDATION_ERROR', 'X-User-Id')
    const r = await t.as('someone')('POST', '/v1/users/alice/erase') // X-User-Id is allowed (checked), the path names who goes
    expect(r.status).toBe(202)
    await finished(t, r.body.job_id)
    expectError(await app(t)('GET', '/v1/jobs/job_nope'), 404, 'NOT_FOUND')
    expectError(await app(other)('GET', `/v1/jobs/${r.body.job_id}`), 404, 'NOT_FOUND')
    expectError(await s.call('GET', `/v1/jobs/${r.body.job_id}`, { headers: bearer }), 403, 'FORBIDDEN')
    const adminView = await s.admin('GET', `/v1/admin/jobs/${r.body.job_id}`)
    expect(adminView.status).toBe(200)
    expect(adminView.body).toMatchObject({ job_id: r.body.job_id, kind: 'user.erase', status: 'done' })
    expectError(await s.admin('GET', '/v1/admin/jobs/job_nope'), 404, 'NOT_FOUND')
    expectError(await s.call('GET', `/v1/admin/jobs/${r.body.job_id}`), 401, 'AUTHENTICATION_ERROR')
  })
})
