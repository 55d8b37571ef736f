// The store contract where the data lifecycle (SPEC §15) meets moderation (SPEC §14), on SQLite (a
// temp file) and PostgreSQL (a fresh schema) with the same expected values: a room delete takes the
// room's bans, mutes and reports in bounded steps; a tenant delete takes all its moderation rows and
// its own audit entries but not the admin's; an erasure takes the user's blocks both ways, bans,
// mutes, tenant ban and the reports they filed or that name them; the export pages their blocks.

import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import type { AuditRow, ReportRow } from '../../src/db/moderation-rows'
import type { Store } from '../../src/db/types'
import { groupRow, reportRow, storeImpls, type OpenedStore } from '../support/stores'

const impls = storeImpls('lcmod')

const T0 = '2026-01-01T00:00:00.000Z'
const at = (s: number) => new Date(Date.parse(T0) + s * 1000).toISOString()

const group = groupRow

const report = (id: string, room: string, reporter: string, about: string, tenant = 't1'): ReportRow =>
  reportRow({ report_id: id, tenant_id: tenant, room_id: room, user_id: about, reporter_id: reporter })

const job = (id: string, kind: 'room.delete' | 'user.erase' | 'tenant.delete', target: string, tenant = 't1') => ({ job_id: id, tenant_id: tenant, kind, target, created_at: at(9) })

async function drain<R extends { finished: boolean }>(step: () => R | Promise<R>, limit = 100): Promise<R[]> {
  const out: R[] = []
  for (let i = 0; i < limit; i++) {
    const r = await step()
    out.push(r)
    if (r.finished) return out
  }
  throw new Error('job did not finish')
}

for (const impl of impls) {
  describe.skipIf(!impl.enabled)(`lifecycle with moderation rows: ${impl.name}`, () => {
    let o: OpenedStore
    let s: Store
    const now = at(5)
    const ban = (room: string, user: string, tenant = 't1') => ({ room_id: room, user_id: user, tenant_id: tenant, reason: null, created_by: 'alice', created_at: at(1), expires_at: null })
    const mute = (room: string, user: string, tenant = 't1') => ({ room_id: room, user_id: user, tenant_id: tenant, created_by: 'alice', created_at: at(1), expires_at: null })
    const entry = (id: string, tenant: string, actor: string): AuditRow => ({ audit_id: id, tenant_id: tenant, actor, action: 'x', target: null, data: '{}', created_at: at(1) })

    beforeEach(async () => {
      o = await impl.open()
      s = o.store
      for (const t of ['t1', 't2'])
        await s.tenants.insert({ tenant_id: t, name: t, api_key_hash: `h-${t}`, webhook_secret: 'w', user_token_secret: 'u', config: '{}', created_at: T0 })
      await s.rooms.create('t1', group('g1', ['alice', 'bob', 'carol']))
      await s.rooms.create('t1', group('g2', ['alice', 'bob', 'carol']))
      await s.rooms.create('t2', group('x1', ['alice', 'bob']))
    })
    afterEach(() => o.close())

    test('room delete: its bans, mutes and reports go in steps of at most max rows, before its members; another room\'s stay', async () => {
      for (const r of ['g1', 'g2']) {
        await s.moderation.banFromRoom(ban(r, 'mallory'))
        await s.moderation.muteInRoom(mute(r, 'bob'))
        await s.reports.create(report(`rep-${r}`, r, 'bob', 'alice'))
      }
      await s.rooms.markDeleted('t1', 'g1', at(9), job('j1', 'room.delete', 'g1'))
      const first = await s.purge.roomStep('j1', 'g1', 1, at(10))
      expect(first.finished).toBe(false)
      expect((await s.moderation.roomBans('g1', now, 10)).rows).toEqual([])
      expect((await s.moderation.roomMutes('g1', now, 10)).rows).toHaveLength(1) // one row per step
      const rest = await drain(() => s.purge.roomStep('j1', 'g1', 1, at(10)))
      expect(rest.length).toBe(6) // the mute, the report, three members, the room
      expect((await s.moderation.roomMutes('g1', now, 10)).rows).toEqual([])
      expect((await s.reports.list('t1', null, 10)).rows.map((r) => r.report_id)).toEqual(['rep-g2'])
      expect((await s.moderation.roomBans('g2', now, 10)).rows.map((b) => b.user_id)).toEqual(['mallory'])
      expect((await s.moderation.roomMutes('g2', now, 10)).rows.map((m) => m.user_id)).toEqual(['bob'])
    })

    test('tenant delete: every moderation row and its own audit entries go; the admin\'s entries and another tenant\'s rows stay', async () => {
      for (const t of ['t1', 't2']) {
        const r = t === 't1' ? 'g1' : 'x1'
        await s.moderation.banFromRoom(ban(r, 'mallory', t))
        await s.moderation.muteInRoom(mute(r, 'bob', t))
        await s.moderation.banFromTenant({ tenant_id: t, user_id: 'eve', reason: null, created_by: 'api_key', created_at: at(1), expires_at: null })
        await s.moderation.block({ tenant_id: t, user_id: 'bob', blocked_id: 'alice', created_at: at(1) })
        await s.reports.create(report(`rep-${t}`, r, 'bob', 'alice', t))
        await s.audit.insert(entry(`mod-${t}`, t, 'alice'))
        await s.audit.insert(entry(`adm-${t}`, t, 'admin'))
      }
      await s.tenants.markDeleted('t1', at(9), job('j1', 'tenant.delete', 't1'))
      const steps = await drain(() => s.purge.tenantStep('j1', 't1', 2, at(10)))
      expect(steps.every((r) => r.removed <= 2)).toBe(true)
      expect((await s.moderation.roomBans('g1', now, 10)).rows).toEqual([])
      expect((await s.moderation.roomMutes('g1', now, 10)).rows).toEqual([])
      expect((await s.moderation.tenantBans('t1', now, 10)).rows).toEqual([])
      expect((await s.moderation.blocksOf('t1', 'bob', 10)).rows).toEqual([])
      expect((await s.reports.list('t1', null, 10)).rows).toEqual([])
      expect((await s.audit.page('t1', 10)).rows.map((e) => e.audit_id)).toEqual(['adm-t1'])
      // t2: all of it still there
      expect((await s.moderation.roomBans('x1', now, 10)).rows).toHaveLength(1)
      expect((await s.moderation.roomMutes('x1', now, 10)).rows).toHaveLength(1)
      expect((await s.moderation.tenantBans('t2', now, 10)).rows).toHaveLength(1)
      expect((await s.moderation.blocksOf('t2', 'bob', 10)).rows).toHaveLength(1)
      expect((await s.reports.list('t2', null, 10)).rows).toHaveLength(1)
      expect((await s.audit.page('t2', 10)).rows).toHaveLength(2)
    })

    test('erase: blocks both ways, room bans and mutes, the tenant ban, reports by or about them; the export pages their blocks', async () => {
      await s.moderation.block({ tenant_id: 't1', user_id: 'mallory', blocked_id: 'alice', created_at: at(1) })
      await s.moderation.block({ tenant_id: 't1', user_id: 'mallory', blocked_id: 'bob', created_at: at(2) })
      await s.moderation.block({ tenant_id: 't1', user_id: 'carol', blocked_id: 'mallory', created_at: at(1) })
      await s.moderation.block({ tenant_id: 't1', user_id: 'carol', blocked_id: 'bob', created_at: at(1) })
      await s.moderation.block({ tenant_id: 't2', user_id: 'mallory', blocked_id: 'alice', created_at: at(1) })
      const p1 = await s.exports.blocks('t1', 'mallory', '', 1)
      expect(p1).toEqual([{ tenant_id: 't1', user_id: 'mallory', blocked_id: 'alice', created_at: at(1) }])
      expect((await s.exports.blocks('t1', 'mallory', 'alice', 10)).map((b) => b.blocked_id)).toEqual(['bob'])
      for (const r of ['g1', 'g2']) await s.moderation.banFromRoom(ban(r, 'mallory'))
      await s.moderation.muteInRoom(mute('g1', 'mallory'))
      await s.moderation.muteInRoom(mute('g1', 'bob'))
      await s.moderation.banFromTenant({ tenant_id: 't1', user_id: 'mallory', reason: null, created_by: 'api_key', created_at: at(1), expires_at: null })
      await s.moderation.banFromTenant({ tenant_id: 't2', user_id: 'mallory', reason: null, created_by: 'api_key', created_at: at(1), expires_at: null })
      await s.reports.create(report('by', 'g1', 'mallory', 'bob'))
      await s.reports.create(report('about', 'g1', 'carol', 'mallory'))
      await s.reports.create(report('other', 'g1', 'carol', 'bob'))

      await s.erase.begin(job('j1', 'user.erase', 'mallory'))
      const steps = await drain(() => s.erase.step('j1', 't1', 'mallory', 2, at(10)))
      expect(steps.length).toBeGreaterThan(3) // 9 rows of the last phase, at most 2 a step
      expect(await s.exports.blocks('t1', 'mallory', '', 10)).toEqual([])
      expect((await s.moderation.blocksOf('t1', 'carol', 10)).rows.map((b) => b.blocked_id)).toEqual(['bob'])
      expect(await s.moderation.bannedFromRoom('g1', ['mallory'], now)).toEqual([])
      expect(await s.moderation.bannedFromRoom('g2', ['mallory'], now)).toEqual([])
      expect((await s.moderation.roomMutes('g1', now, 10)).rows.map((m) => m.user_id)).toEqual(['bob'])
      expect(await s.moderation.tenantBan('t1', 'mallory', now)).toBeNull()
      expect((await s.reports.list('t1', null, 10)).rows.map((r) => r.report_id)).toEqual(['other'])
      // the same id in another tenant is another user
      expect(await s.moderation.tenantBan('t2', 'mallory', now)).not.toBeNull()
      expect(await s.exports.blocks('t2', 'mallory', '', 10)).toHaveLength(1)
    })
  })
}
