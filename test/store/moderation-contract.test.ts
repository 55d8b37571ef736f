// The store contract for moderation (SPEC §14, §9 "both passing the same test suite"): the same
// cases against the SQLite store (a temp file) and the PostgreSQL store (a fresh schema), with the
// same expected values: room bans with the membership they end, mutes, the send policy read,
// tenant bans, blocks, reports with their open-once rule, and the audit log's paging.

import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import type { AuditRow, ReportRow } from '../../src/db/moderation-rows'
import type { NewRoom } from '../../src/db/rows'
import type { Store } from '../../src/db/types'
import { reportRow, storeImpls, type OpenedStore } from '../support/stores'

const impls = storeImpls('modstore')

const T0 = '2026-01-01T00:00:00.000Z'
const at = (s: number) => new Date(Date.parse(T0) + s * 1000).toISOString()

const room = (id: string, type: NewRoom['type'], members: string[]): NewRoom => ({
  room_id: id,
  type,
  name: null,
  metadata: null,
  unique_key: type === 'dm' ? `dm:${members.join('|')}` : null,
  created_at: T0,
  members: members.map((u, i) => ({ user_id: u, role: type !== 'dm' && i === 0 ? 'owner' : 'member' })),
})

const report = (id: string, extra: Partial<ReportRow> = {}): ReportRow => reportRow({ report_id: id, ...extra })

for (const impl of impls) {
  describe.skipIf(!impl.enabled)(`moderation store: ${impl.name}`, () => {
    let o: OpenedStore
    let s: Store
    beforeEach(async () => {
      o = await impl.open()
      s = o.store
      for (const t of ['t1', 't2'])
        await s.tenants.insert({ tenant_id: t, name: t, api_key_hash: `h-${t}`, webhook_secret: 'w', user_token_secret: 'u', config: '{}', created_at: T0 })
      await s.rooms.create('t1', room('g1', 'group', ['alice', 'bob', 'mallory']))
      await s.rooms.create('t1', room('d1', 'dm', ['alice', 'bob']))
    })
    afterEach(() => o.close())

    test('banFromRoom ends the membership in the same step and returns it; a non-member ban returns null; bans gate members.add', async () => {
      const ban = { room_id: 'g1', user_id: 'mallory', tenant_id: 't1', reason: 'spam', created_by: 'alice', created_at: at(1), expires_at: null }
      const removed = await s.moderation.banFromRoom(ban)
      expect(removed).toEqual({ room_id: 'g1', user_id: 'mallory', tenant_id: 't1', role: 'member', joined_at: T0, last_ack: 0, last_read: 0 })
      expect(await s.members.get('g1', 'mallory')).toBeNull()
      expect((await s.rooms.get('t1', 'g1'))!.member_count).toBe(2)
      expect(await s.moderation.banFromRoom({ ...ban, user_id: 'zed' })).toBeNull()
      expect((await s.rooms.get('t1', 'g1'))!.member_count).toBe(2)
      expect(await s.moderation.bannedFromRoom('g1', ['mallory', 'zed', 'carol'], at(2))).toEqual(expect.arrayContaining(['mallory', 'zed']))
      const refused = await s.members.add('t1', 'g1', ['carol', 'mallory'], 'member', at(2), 100)
      expect(refused).toEqual({ rows: [], added: new Set(), banned: ['mallory'] })
      expect(await s.members.get('g1', 'carol')).toBeNull() // nobody added
      const ok = await s.members.add('t1', 'g1', ['carol'], 'member', at(2), 100)
      expect(ok.banned).toEqual([])
      expect([...ok.added]).toEqual(['carol'])
    })

    test('a ban in force until expires_at: ignored after it, listed before; lifting answers the ban in force or null', async () => {
      await s.moderation.banFromRoom({ room_id: 'g1', user_id: 'u1', tenant_id: 't1', reason: null, created_by: 'alice', created_at: at(1), expires_at: at(10) })
      await s.moderation.banFromRoom({ room_id: 'g1', user_id: 'u2', tenant_id: 't1', reason: null, created_by: 'alice', created_at: at(2), expires_at: null })
      await s.moderation.banFromRoom({ room_id: 'g1', user_id: 'u3', tenant_id: 't1', reason: null, created_by: 'alice', created_at: at(3), expires_at: null })
      expect(await s.moderation.bannedFromRoom('g1', ['u1'], at(9))).toEqual(['u1'])
      expect(await s.moderation.bannedFromRoom('g1', ['u1'], at(10))).toEqual([])
      const p1 = await s.moderation.roomBans('g1', at(5), 2)
      expect(p1.rows.map((b) => b.user_id)).toEqual(['u1', 'u2'])
      const p2 = await s.moderation.roomBans('g1', at(5), 2, p1.next_cursor!)
      expect(p2).toEqual({ rows: [expect.objectContaining({ user_id: 'u3', created_by: 'alice', expires_at: null })], next_cursor: null })
      expect((await s.moderation.roomBans('g1', at(11), 10)).rows.map((b) => b.user_id)).toEqual(['u2', 'u3'])
      expect(await s.moderation.unbanFromRoom('g1', 'u1', at(11))).toBeNull() // expired: removed, nothing was in force
      expect((await s.moderation.unbanFromRoom('g1', 'u2', at(11)))?.user_id).toBe('u2')
      expect(await s.moderation.unbanFromRoom('g1', 'u2', at(11))).toBeNull()
    })

    test('sendPolicy: read-only, role, mute (until), and either-way blocks in a dm only', async () => {
      const policy = (room: string, user: string, now = at(5)) => s.moderation.sendPolicy('t1', room, user, now)
      expect(await policy('g1', 'bob')).toEqual({ type: 'group', read_only: 0, role: 'member', muted: 0, muted_until: null, blocked: 0 })
      await s.rooms.update('t1', 'g1', { read_only: true })
      await s.moderation.muteInRoom({ room_id: 'g1', user_id: 'bob', tenant_id: 't1', created_by: 'alice', created_at: at(1), expires_at: at(10) })
      expect(await policy('g1', 'bob')).toEqual({ type: 'group', read_only: 1, role: 'member', muted: 1, muted_until: at(10), blocked: 0 })
      expect(await policy('g1', 'bob', at(10))).toMatchObject({ muted: 0, muted_until: null })
      expect(await policy('g1', 'alice')).toMatchObject({ role: 'owner', muted: 0 })
      expect(await policy('g1', 'stranger')).toMatchObject({ role: null })
      expect(await policy('nope', 'bob')).toBeNull()
      expect(await s.moderation.sendPolicy('t2', 'g1', 'bob', at(5))).toBeNull() // another tenant's room
      expect((await s.moderation.unmuteInRoom('g1', 'bob', at(5)))?.expires_at).toBe(at(10))
      expect(await policy('g1', 'bob')).toMatchObject({ muted: 0 })

      expect(await s.moderation.block({ tenant_id: 't1', user_id: 'bob', blocked_id: 'alice', created_at: at(1) })).toEqual({
        row: { tenant_id: 't1', user_id: 'bob', blocked_id: 'alice', created_at: at(1) },
        created: true,
      })
      expect(await policy('d1', 'alice')).toMatchObject({ type: 'dm', blocked: 1 })
      expect(await policy('d1', 'bob')).toMatchObject({ type: 'dm', blocked: 1 })
      expect(await s.moderation.blockedEitherWay('t1', 'alice', 'bob')).toBe(true)
      expect(await s.moderation.blockedEitherWay('t2', 'alice', 'bob')).toBe(false)
      await s.moderation.block({ tenant_id: 't1', user_id: 'bob', blocked_id: 'mallory', created_at: at(2) })
      expect(await policy('g1', 'bob')).toMatchObject({ blocked: 0 }) // a group is not affected
      expect(await s.moderation.block({ tenant_id: 't1', user_id: 'bob', blocked_id: 'alice', created_at: at(9) })).toMatchObject({ created: false, row: { created_at: at(1) } })
      const page = await s.moderation.blocksOf('t1', 'bob', 1)
      expect(page.rows.map((b) => b.blocked_id)).toEqual(['alice'])
      expect((await s.moderation.blocksOf('t1', 'bob', 1, page.next_cursor!)).rows.map((b) => b.blocked_id)).toEqual(['mallory'])
      expect(await s.moderation.unblock('t1', 'bob', 'alice')).toBe(true)
      expect(await s.moderation.unblock('t1', 'bob', 'alice')).toBe(false)
      expect(await policy('d1', 'alice')).toMatchObject({ blocked: 0 })
    })

    test('tenant bans: replace, in force until expires_at, listed, lifted', async () => {
      const ban = { tenant_id: 't1', user_id: 'eve', reason: 'a', created_by: 'api_key', created_at: at(1), expires_at: at(10) }
      await s.moderation.banFromTenant(ban)
      expect(await s.moderation.tenantBan('t1', 'eve', at(5))).toEqual(ban)
      expect(await s.moderation.tenantBan('t1', 'eve', at(10))).toBeNull()
      expect(await s.moderation.tenantBan('t2', 'eve', at(5))).toBeNull()
      await s.moderation.banFromTenant({ ...ban, reason: 'b', created_at: at(2), expires_at: null })
      expect(await s.moderation.tenantBan('t1', 'eve', at(50))).toMatchObject({ reason: 'b', expires_at: null })
      expect((await s.moderation.tenantBans('t1', at(50), 10)).rows).toHaveLength(1)
      expect((await s.moderation.unbanFromTenant('t1', 'eve', at(50)))?.reason).toBe('b')
      expect(await s.moderation.tenantBan('t1', 'eve', at(50))).toBeNull()
    })

    test('reports: one open report per reporter, room and target; resolve once; list by status, oldest first', async () => {
      const first = await s.reports.create(report('r1'))
      expect(first).toEqual({ row: report('r1'), created: true })
      expect(await s.reports.create(report('r2', { reason: 'abuse', created_at: at(1) }))).toEqual({ row: report('r1'), created: false })
      await s.reports.create(report('r3', { reporter_id: 'alice', created_at: at(2) }))
      const done = await s.reports.resolve('t1', 'r1', { action: 'ban_user', resolution_note: 'n', resolved_at: at(3) })
      expect(done).toEqual(report('r1', { status: 'resolved', action: 'ban_user', resolution_note: 'n', resolved_at: at(3) }))
      expect(await s.reports.resolve('t1', 'r1', { action: 'dismiss', resolution_note: null, resolved_at: at(4) })).toBeNull()
      expect(await s.reports.resolve('t2', 'r3', { action: 'dismiss', resolution_note: null, resolved_at: at(4) })).toBeNull()
      expect((await s.reports.create(report('r4', { created_at: at(5) }))).created).toBe(true) // r1 is resolved: a new one opens
      expect((await s.reports.list('t1', null, 10)).rows.map((r) => r.report_id)).toEqual(['r1', 'r3', 'r4'])
      expect((await s.reports.list('t1', 'open', 10)).rows.map((r) => r.report_id)).toEqual(['r3', 'r4'])
      const p1 = await s.reports.list('t1', 'open', 1)
      expect((await s.reports.list('t1', 'open', 1, p1.next_cursor!)).rows.map((r) => r.report_id)).toEqual(['r4'])
      expect(await s.reports.get('t2', 'r1')).toBeNull()
    })

    test('messages.byClientId finds what the sender stored under a client_msg_id (the pre-send hook skips replays)', async () => {
      const m = { tenant_id: 't1', room_id: 'g1', sender_id: 'bob', message_id: 'msg_1', content: 'x', meta: null, client_msg_id: 'c-1', created_at: at(1), parent_id: null, mentions: [] }
      await s.messages.appendBatch([m])
      expect(await s.messages.byClientId('g1', 'bob', 'c-1')).toMatchObject({ message_id: 'msg_1', seq: 1 })
      expect(await s.messages.byClientId('g1', 'alice', 'c-1')).toBeNull()
      expect(await s.messages.byClientId('g1', 'bob', 'c-2')).toBeNull()
    })

    test('audit: newest first, by tenant or all, paged', async () => {
      const entry = (id: string, tenant: string | null, sec: number): AuditRow => ({ audit_id: id, tenant_id: tenant, actor: 'admin', action: 'x', target: null, data: '{"a":1}', created_at: at(sec) })
      for (const e of [entry('a1', 't1', 1), entry('a2', 't2', 2), entry('a3', null, 3), entry('a4', 't1', 3)]) await s.audit.insert(e)
      expect((await s.audit.page('t1', 10)).rows).toEqual([entry('a4', 't1', 3), entry('a1', 't1', 1)])
      const p1 = await s.audit.page(undefined, 2)
      expect(p1.rows.map((r) => r.audit_id)).toEqual(['a4', 'a3'])
      const p2 = await s.audit.page(undefined, 2, p1.next_cursor!)
      expect(p2).toEqual({ rows: [entry('a2', 't2', 2), entry('a1', 't1', 1)], next_cursor: null })
    })
  })
}
