// The lists ordered by created_at, on SQLite and PostgreSQL with the same expected values: rows made
// in one millisecond (the stores take their timestamps from the caller, so these share one) come in
// the order they were made, not the order of their random ids, and paging through them in pages of
// two loses and repeats nothing (migration 0009: rowid / ord as the tie-breaker, carried in the cursor).

import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import type { AuditRow, Page, ReportRow } from '../../src/db/moderation-rows'
import type { NewMessage } from '../../src/db/rows'
import type { Store } from '../../src/db/types'
import { groupRow, reportRow, storeImpls, type OpenedStore } from '../support/stores'

const T0 = '2026-01-01T00:00:00.000Z'
/** Made in this order; their ids sort otherwise (ascending and descending both differ from it). */
const MADE = ['c', 'a', 'e', 'b', 'd']

/** Every row of a paged list, following next_cursor; throws on a page that never ends. */
async function pageAll<R>(read: (cursor?: string) => Page<R> | Promise<Page<R>>): Promise<{ rows: R[]; pages: number }> {
  const rows: R[] = []
  let cursor: string | undefined
  for (let pages = 1; pages <= 20; pages++) {
    const p = await read(cursor)
    rows.push(...p.rows)
    if (!p.next_cursor) return { rows, pages }
    cursor = p.next_cursor
  }
  throw new Error('paging did not end')
}

const report = (id: string): ReportRow => reportRow({ report_id: `rpt_${id}`, user_id: `user_${id}` })

const room = (id: string) => groupRow(id, ['alice', 'bob'])

for (const impl of storeImpls('list-order')) {
  describe.skipIf(!impl.enabled)(`lists by created_at, ties in one millisecond: ${impl.name}`, () => {
    let o: OpenedStore
    let s: Store
    beforeEach(async () => {
      o = await impl.open()
      s = o.store
    })
    afterEach(() => o.close())

    const tenant = (id: string) => ({ tenant_id: id, name: id, api_key_hash: `h-${id}`, webhook_secret: 'w', user_token_secret: 'u', config: '{}', created_at: T0 })

    test('tenants: oldest first in the order made, paged without loss or repeat; list() in the same order', async () => {
      for (const id of MADE) await s.tenants.insert(tenant(`tnt_${id}`))
      const all = await pageAll((c) => s.tenants.page(2, c))
      expect(all.rows.map((t) => t.tenant_id)).toEqual(MADE.map((id) => `tnt_${id}`))
      expect(all.pages).toBe(3)
      expect(all.rows[0]).toEqual(tenant('tnt_c')) // the tie-breaker is no part of the row
      expect((await s.tenants.list()).map((t) => t.tenant_id)).toEqual(MADE.map((id) => `tnt_${id}`))
    })

    test('reports: oldest first in the order filed, with and without a status, paged without loss or repeat', async () => {
      await s.tenants.insert(tenant('t1'))
      for (const id of MADE) expect((await s.reports.create(report(id))).row).toEqual(report(id))
      const want = MADE.map((id) => `rpt_${id}`)
      expect((await pageAll((c) => s.reports.list('t1', null, 2, c))).rows.map((r) => r.report_id)).toEqual(want)
      const open = await pageAll((c) => s.reports.list('t1', 'open', 2, c))
      expect(open.rows.map((r) => r.report_id)).toEqual(want)
      expect(open.rows[4]).toEqual(report('d'))
      expect(await s.reports.get('t1', 'rpt_a')).toEqual(report('a'))
    })

    test('audit: newest first, one millisecond newest first too, by tenant or all, paged without loss or repeat', async () => {
      await s.tenants.insert(tenant('t1'))
      const entry = (id: string, tenantId: string | null): AuditRow => ({ audit_id: `aud_${id}`, tenant_id: tenantId, actor: 'admin', action: 'x', target: null, data: '{}', created_at: T0 })
      for (const id of MADE) await s.audit.insert(entry(id, 't1'))
      await s.audit.insert(entry('0', null))
      const newestFirst = [...MADE].reverse().map((id) => `aud_${id}`)
      expect((await pageAll((c) => s.audit.page('t1', 2, c))).rows.map((r) => r.audit_id)).toEqual(newestFirst)
      const all = await pageAll((c) => s.audit.page(undefined, 2, c))
      expect(all.rows.map((r) => r.audit_id)).toEqual(['aud_0', ...newestFirst])
      expect(all.rows[0]).toEqual(entry('0', null))
    })

    test('pending notifications: oldest first in the order made', async () => {
      await s.tenants.insert(tenant('t1'))
      const ntf = (id: string) => ({ notification_id: `ntf_${id}`, tenant_id: 't1', topic: 'news', payload: '{}', created_at: T0, expires_at: 9000 })
      for (const id of MADE) await s.notifications.create(ntf(id), ['alice'])
      expect(await s.notifications.pendingFor('t1', 'alice', 1000)).toEqual(MADE.map(ntf))
    })

    test('mentions: newest first across rooms in one millisecond, paged without loss or repeat', async () => {
      // Mentions are ordered (created_at, room_id, seq), all descending: within a room the seq is the
      // order they were sent in; rooms of one millisecond have no order between them, only a stable one.
      await s.tenants.insert(tenant('t1'))
      for (const r of ['ra', 'rb', 'rc']) await s.rooms.create('t1', room(r))
      let n = 0
      const msg = (roomId: string): NewMessage => ({
        tenant_id: 't1',
        room_id: roomId,
        sender_id: 'alice',
        message_id: `msg_${++n}`,
        content: `c${n}`,
        meta: null,
        client_msg_id: null,
        created_at: T0,
        parent_id: null,
        mentions: ['bob'],
      })
      for (let i = 0; i < 3; i++) await s.messages.appendBatch([msg('rb'), msg('ra'), msg('rc')])
      const all = await pageAll((c) => s.mentions.listForUser('t1', 'bob', 2, c))
      const ids = all.rows.map((r) => r.message_id)
      expect(new Set(ids).size).toBe(9)
      expect(ids.length).toBe(9)
      expect(all.pages).toBe(5)
      for (const r of ['ra', 'rb', 'rc']) {
        const seqs = all.rows.filter((m) => m.room_id === r).map((m) => m.seq)
        expect(seqs).toEqual([3, 2, 1])
      }
    })
  })
}
