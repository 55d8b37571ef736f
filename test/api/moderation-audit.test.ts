// The audit log (SPEC §14), black box: an entry for each moderation action and each admin action,
// newest first and paged, a tenant seeing only its own, and never a secret in any entry.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'
import { onSqlite } from '../support/storage'
import { expectError, ISO_MS, room, send } from './helpers'

let s: TestServer
beforeAll(async () => {
  s = await startTestServer({ RETRY_MAX_ATTEMPTS: '1' })
})
afterAll(() => s.stop())

const tenantAudit = (t: TestTenant, query = '') => s.call('GET', `/v1/moderation/audit${query}`, { headers: { 'x-api-key': t.api_key } })
const adminAudit = (query = '') => s.admin('GET', `/v1/admin/audit${query}`)
const brief = (entries: any[]) => entries.map((e) => [e.actor, e.action, e.target])

describe('moderation actions', () => {
  test('bans, mutes, read-only, tenant bans, blocks and reports each leave an entry, newest first', async () => {
    const t = await s.newTenant()
    const alice = t.as('alice')
    const key = { 'x-api-key': t.api_key }
    const channel = (await room(alice, 'channel', ['bob', 'mallory'])).room_id
    const spam = await send(t.as('mallory'), channel, 'ads')
    await alice('POST', `/v1/rooms/${channel}/mutes`, { body: { user_id: 'bob', duration_s: 60 } })
    await alice('DELETE', `/v1/rooms/${channel}/mutes/bob`)
    await alice('PATCH', `/v1/rooms/${channel}`, { body: { read_only: true } })
    await alice('PATCH', `/v1/rooms/${channel}`, { body: { name: 'renamed' } }) // not a moderation action: no entry
    await alice('POST', `/v1/rooms/${channel}/bans`, { body: { user_id: 'bob', reason: 'flooding' } })
    await alice('DELETE', `/v1/rooms/${channel}/bans/bob`)
    await alice('DELETE', `/v1/rooms/${channel}/bans/bob`) // nothing lifted: no entry
    await s.call('POST', '/v1/moderation/bans', { headers: key, body: { user_id: 'eve', reason: 'fraud' } })
    await s.call('DELETE', '/v1/moderation/bans/eve', { headers: key })
    await t.as('carol')('PUT', '/v1/blocks/mallory')
    await t.as('carol')('PUT', '/v1/blocks/mallory') // already there: no entry
    await t.as('carol')('DELETE', '/v1/blocks/mallory')
    const rep = (await alice('POST', '/v1/reports', { body: { room_id: channel, message_id: spam.message_id, reason: 'spam' } })).body
    await s.call('POST', `/v1/moderation/reports/${rep.report_id}/resolve`, { headers: key, body: { action: 'delete_message' } })

    const r = await tenantAudit(t)
    expect(r.status).toBe(200)
    expect(brief(r.body.entries)).toEqual([
      ['api_key', 'report.resolve', rep.report_id],
      ['alice', 'report.create', rep.report_id],
      ['carol', 'user.unblock', 'mallory'],
      ['carol', 'user.block', 'mallory'],
      ['api_key', 'user.unban', 'eve'],
      ['api_key', 'user.ban', 'eve'],
      ['alice', 'room.unban', 'bob'],
      ['alice', 'room.ban', 'bob'],
      ['alice', 'room.read_only', channel],
      ['alice', 'room.unmute', 'bob'],
      ['alice', 'room.mute', 'bob'],
      ['admin', 'tenant.create', t.tenant_id],
    ])
    const byAction = Object.fromEntries(r.body.entries.map((e: any) => [e.action, e]))
    expect(byAction['room.ban']).toEqual({
      audit_id: expect.stringMatching(/^aud_/),
      tenant_id: t.tenant_id,
      actor: 'alice',
      action: 'room.ban',
      target: 'bob',
      data: { room_id: channel, reason: 'flooding', duration_s: null },
      created_at: expect.stringMatching(ISO_MS),
    })
    expect(byAction['room.mute'].data).toEqual({ room_id: channel, duration_s: 60 })
    expect(byAction['room.read_only'].data).toEqual({ read_only: true })
    expect(byAction['user.ban'].data).toEqual({ reason: 'fraud', duration_s: null })
    expect(byAction['report.resolve'].data).toMatchObject({ action: 'delete_message', room_id: channel, message_id: spam.message_id, user_id: 'mallory' })
  })

  test('paged newest first with next_cursor; each tenant sees its own entries only; API key only', async () => {
    const t = await s.newTenant()
    const other = await s.newTenant()
    for (const u of ['u1', 'u2', 'u3', 'u4']) await t.as('alice')('PUT', `/v1/blocks/${u}`)
    const p1 = await tenantAudit(t, '?limit=3')
    expect(brief(p1.body.entries).map((e) => e[2])).toEqual(['u4', 'u3', 'u2'])
    const p2 = await tenantAudit(t, `?limit=3&cursor=${p1.body.next_cursor}`)
    expect(brief(p2.body.entries)).toEqual([
      ['alice', 'user.block', 'u1'],
      ['admin', 'tenant.create', t.tenant_id],
    ])
    expect(p2.body.next_cursor).toBeNull()
    expect(brief((await tenantAudit(other)).body.entries)).toEqual([['admin', 'tenant.create', other.tenant_id]])
    const token = (await t.as('x')('POST', '/v1/tokens', { body: { user_id: 'alice' } })).body.token
    expectError(await s.call('GET', '/v1/moderation/audit', { headers: { authorization: `Bearer ${token}` } }), 403, 'FORBIDDEN')
    expectError(await tenantAudit(t, '?limit=500'), 400, 'VALIDATION_ERROR', 'limit')
    expectError(await tenantAudit(t, '?cursor=%7B'), 400, 'VALIDATION_ERROR', 'cursor')
  })
})

describe('admin actions', () => {
  test('tenant create, config changes and every rotation are recorded by admin; no entry carries a secret', async () => {
    const created = await s.admin('POST', '/v1/admin/tenants', { body: { name: 'audited', config: { rate_limit_per_sec: 50 } } })
    const id = created.body.tenant_id
    await s.admin('PATCH', `/v1/admin/tenants/${id}`, {
      body: { name: 'audited 2', config: { presend_url: 'https://hooks.example.org/check?token=s3cr3t-in-query', blocklist: { terms: ['a', 'b', 'c'], action: 'mask' } } },
    })
    const rotated: string[] = []
    for (const which of ['api_key', 'webhook_secret', 'user_token_secret']) {
      const r = await s.admin('POST', `/v1/admin/tenants/${id}/rotate-key`, { body: { which } })
      rotated.push(r.body[which])
    }
    const r = await adminAudit(`?tenant_id=${id}`)
    expect(brief(r.body.entries)).toEqual([
      ['admin', 'tenant.rotate', id],
      ['admin', 'tenant.rotate', id],
      ['admin', 'tenant.rotate', id],
      ['admin', 'tenant.update', id],
      ['admin', 'tenant.create', id],
    ])
    expect(r.body.entries.map((e: any) => e.data.which).slice(0, 3)).toEqual(['user_token_secret', 'webhook_secret', 'api_key'])
    expect(r.body.entries[3].data).toEqual({ name: 'audited 2', config: { presend_url: 'https://hooks.example.org/check', blocklist: { terms: 3, action: 'mask' } } })
    expect(r.body.entries[4].data).toEqual({ name: 'audited', config: { rate_limit_per_sec: 50 } })
    const text = JSON.stringify((await adminAudit('?limit=200')).body)
    for (const secret of [created.body.api_key, created.body.webhook_secret, created.body.user_token_secret, ...rotated, 's3cr3t-in-query'])
      expect(text).not.toContain(secret)
  })

  test('dead-letter retry and delete are recorded with the tenant of the dead letter', async () => {
    const t = await s.newTenant()
    const group = (await room(t.as('alice'), 'group', ['bob'])).room_id
    const { ready } = await import('../ws/helpers')
    const bob = await ready(s.wsUrl, t.headers('bob')) // connected, never acks: redelivery runs out (RETRY_MAX_ATTEMPTS 1)
    await send(t.as('alice'), group, 'unacked')
    let dl: any
    for (let i = 0; i < 100 && !dl; i++) {
      dl = (await s.admin('GET', `/v1/admin/dead-letters?tenant_id=${t.tenant_id}`)).body.dead_letters[0]
      if (!dl) await Bun.sleep(50)
    }
    expect(dl).toMatchObject({ kind: 'message', target: 'bob', ref_id: group })
    expect((await s.admin('POST', `/v1/admin/dead-letters/${dl.id}/retry`)).status).toBe(202)
    expect((await s.admin('DELETE', `/v1/admin/dead-letters/${dl.id}`)).status).toBe(204)
    bob.close()
    const entries = (await tenantAudit(t)).body.entries
    expect(brief(entries).slice(0, 2)).toEqual([
      ['admin', 'dead_letter.delete', dl.id],
      ['admin', 'dead_letter.retry', dl.id],
    ])
    expect(entries[0].data).toEqual({ kind: 'message', ref_id: group })
  })

  test.skipIf(!onSqlite)('a backup is recorded without a tenant; GET /v1/admin/audit lists across tenants, newest first', async () => {
    const b = await s.admin('POST', '/v1/admin/backup')
    expect(b.status).toBe(201)
    const r = await adminAudit('?limit=1')
    expect(r.body.entries).toEqual([
      { audit_id: expect.any(String), tenant_id: null, actor: 'admin', action: 'backup', target: null, data: { path: b.body.path, bytes: b.body.bytes }, created_at: expect.stringMatching(ISO_MS) },
    ])
    expect(typeof r.body.next_cursor).toBe('string')
  })

  test('the admin audit needs the master key', async () => {
    expectError(await s.call('GET', '/v1/admin/audit'), 401, 'AUTHENTICATION_ERROR')
    expectError(await adminAudit('?limit=0'), 400, 'VALIDATION_ERROR', 'limit')
  })
})
