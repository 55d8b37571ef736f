// The UploadStore contract (SPEC §12) on both stores, with the same expected values: the quota as one
// atomic step (also across two clients of one database), tenant and owner scoping, attachments
// checked and linked inside the append, access through membership, release on tombstone, orphans,
// doomed rows and purge. The PostgreSQL half skips when the server is unreachable.

import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import type { NewMessage, NewUpload } from '../../src/db/rows'
import type { Store } from '../../src/db/types'
import { storeImpls, type OpenedStore } from '../support/stores'
import { AppError } from '../../src/errors'

const impls = storeImpls('upl-store')

const T0 = '2026-01-01T00:00:00.000Z'
const at = (s: number) => new Date(Date.parse(T0) + s * 1000).toISOString()
const upload = (id: string, extra: Partial<NewUpload> = {}): NewUpload => ({
  upload_id: id,
  tenant_id: 't1',
  uploader_id: 'alice',
  filename: `${id}.png`,
  content_type: 'image/png',
  bytes: 100,
  sha256: 'ab'.repeat(32),
  width: 4,
  height: 3,
  storage_key: `t1/${id}`,
  created_at: at(0),
  ...extra,
})
let n = 0
const msg = (ids: string[], extra: Partial<NewMessage> = {}): NewMessage => ({
  tenant_id: 't1',
  room_id: 'ra',
  sender_id: 'alice',
  message_id: `msg_${++n}`,
  content: 'c',
  meta: null,
  client_msg_id: null,
  created_at: at(10),
  parent_id: null,
  mentions: [],
  attachments: ids.length ? JSON.stringify(ids.map((upload_id) => ({ upload_id }))) : null,
  upload_ids: ids,
  ...extra,
})

async function seed(s: Store) {
  for (const t of ['t1', 't2'])
    await s.tenants.insert({ tenant_id: t, name: t, api_key_hash: `h${t}`, webhook_secret: 'w', user_token_secret: 'u', config: '{}', created_at: T0 })
  await s.rooms.create('t1', { room_id: 'ra', type: 'group', name: null, metadata: null, unique_key: null, created_at: T0, members: [{ user_id: 'alice', role: 'owner' }, { user_id: 'bob', role: 'member' }] })
}

for (const impl of impls) {
  describe.skipIf(!impl.enabled)(`upload store contract: ${impl.name}`, () => {
    let inst: OpenedStore
    let s: Store
    beforeEach(async () => {
      inst = await impl.open()
      s = inst.store
      await seed(s)
    })
    afterEach(() => inst.close())

    test('insert charges usage; over the quota nothing is stored; get is tenant-scoped; ownedBy is owner-scoped', async () => {
      expect(await s.uploads.insert(upload('u1'), 250)).toBe(true)
      expect(await s.uploads.insert(upload('u2'), 250)).toBe(true)
      expect(await s.uploads.insert(upload('u3'), 250)).toBe(false)
      expect(await s.uploads.get('t1', 'u3')).toBeNull()
      expect(await s.uploads.usage('t1')).toEqual({ uploads: 2, bytes: 200 })
      expect(await s.uploads.insert(upload('u4', { bytes: 50 }), 250)).toBe(true)
      expect(await s.uploads.insert(upload('u5', { tenant_id: 't2', uploader_id: 'bob', storage_key: 't2/u5' }), null)).toBe(true)
      expect(await s.uploads.usage('t2')).toEqual({ uploads: 1, bytes: 100 })
      expect(await s.uploads.get('t1', 'u1')).toMatchObject({ ...upload('u1'), attached_at: null, deleted_at: null })
      expect(await s.uploads.get('t2', 'u1')).toBeNull()
      expect((await s.uploads.getSigned('u5'))?.tenant_id).toBe('t2')
      expect((await s.uploads.ownedBy('t1', 'alice', ['u1', 'u5', 'u4', 'nope'])).map((r) => r.upload_id).sort()).toEqual(['u1', 'u4'])
      expect(await s.uploads.ownedBy('t1', 'bob', ['u1'])).toEqual([])
    })

    test('the quota holds for concurrent inserts through two clients of one database', async () => {
      const other = inst.second()
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? s : other).uploads.insert(upload(`c${i}`), 600)))
      expect(results.filter(Boolean)).toHaveLength(6)
      expect(await s.uploads.usage('t1')).toEqual({ uploads: 6, bytes: 600 })
    })

    test('an append links live uploads of the sender; members see them; a foreign or doomed upload fails that item alone', async () => {
      await s.uploads.insert(upload('u1'), null)
      await s.uploads.insert(upload('ub', { uploader_id: 'bob' }), null)
      const [ok, foreign] = await s.messages.appendBatch([msg(['u1']), msg(['ub'])])
      expect(ok).toMatchObject({ ok: true, created: true, row: { seq: 1, attachments: JSON.stringify([{ upload_id: 'u1' }]) } })
      expect(foreign.ok).toBe(false)
      expect(!foreign.ok && foreign.error instanceof AppError && foreign.error.field).toBe('attachments')
      expect((await s.uploads.get('t1', 'u1'))?.attached_at).toBe(at(10))
      expect(await s.uploads.visibleTo('u1', 'bob')).toBe(true)
      expect(await s.uploads.visibleTo('u1', 'carol')).toBe(false)
      expect(await s.uploads.visibleTo('ub', 'alice')).toBe(false) // never attached
      // The refused item took no seq: the next message is 2.
      const [next] = await s.messages.appendBatch([msg([])])
      expect(next.ok && next.row.seq).toBe(2)
    })

    test('orphans are doomed after the cutoff (attached ones never); doomed rows vanish from reads and usage, then purge', async () => {
      await s.uploads.insert(upload('old', { created_at: at(0) }), null)
      await s.uploads.insert(upload('new', { created_at: at(100) }), null)
      await s.uploads.insert(upload('kept', { created_at: at(0) }), null)
      await s.messages.appendBatch([msg(['kept'])])
      expect(await s.uploads.claimOrphans(at(50), at(200), 100)).toBe(1)
      expect(await s.uploads.claimOrphans(at(50), at(200), 100)).toBe(0)
      expect(await s.uploads.get('t1', 'old')).toBeNull()
      expect(await s.uploads.usage('t1')).toEqual({ uploads: 2, bytes: 200 })
      expect(await s.uploads.doomed(10)).toEqual([{ upload_id: 'old', storage_key: 't1/old' }])
      const [late] = await s.messages.appendBatch([msg(['old'])])
      expect(late.ok).toBe(false)
      await s.uploads.purge(['old'])
      expect(await s.uploads.doomed(10)).toEqual([])
    })

    test('a tombstone releases its uploads: doomed only once no other message lists them', async () => {
      await s.uploads.insert(upload('shared'), null)
      await s.uploads.insert(upload('single'), null)
      const [m1, m2] = await s.messages.appendBatch([msg(['shared', 'single']), msg(['shared'])])
      const { row, changed } = await s.messages.tombstone('ra', m1.ok ? m1.row.seq : -1, 'alice', at(20))
      expect(changed).toBe(true)
      expect(row).toMatchObject({ deleted_at: at(20), attachments: null, content: '', rev: 1 })
      expect((await s.uploads.doomed(10)).map((d) => d.upload_id)).toEqual(['single'])
      expect(await s.uploads.visibleTo('shared', 'bob')).toBe(true)
      expect(await s.uploads.usage('t1')).toEqual({ uploads: 1, bytes: 100 })
      await s.messages.tombstone('ra', m2.ok ? m2.row.seq : -1, 'alice', at(21))
      expect((await s.uploads.doomed(10)).map((d) => d.upload_id).sort()).toEqual(['shared', 'single'])
      expect(await s.uploads.visibleTo('shared', 'bob')).toBe(false)
      expect(await s.uploads.usage('t1')).toEqual({ uploads: 0, bytes: 0 })
    })

    // The data lifecycle (SPEC §15): "their uploads go with them".
    const job = (id: string, kind: 'room.delete' | 'user.erase' | 'tenant.delete', target: string) => ({ job_id: id, tenant_id: 't1', kind, target, created_at: at(30) })
    async function drain<R extends { finished: boolean }>(step: () => R | Promise<R>): Promise<R[]> {
      const out: R[] = []
      for (let i = 0; i < 100; i++) if ((out[out.length] = await step()).finished) return out
      throw new Error('job did not finish')
    }
    const doomedIds = async () => (await s.uploads.doomed(100)).map((d) => d.upload_id).sort()

    test('retention and a room delete release the uploads of the messages they remove (doomed once no message lists them)', async () => {
      for (const id of ['u1', 'u2', 'u3']) await s.uploads.insert(upload(id), null)
      await s.messages.appendBatch([msg(['u1', 'u2'], { created_at: at(1) }), msg([], { created_at: at(2) }), msg(['u2', 'u3'], { created_at: at(50) })])
      expect(await s.purge.expire('ra', at(20), 10, at(30))).toEqual({ removed: 2, first_seq: 3 })
      expect(await doomedIds()).toEqual(['u1'])
      expect(await s.uploads.usage('t1')).toEqual({ uploads: 2, bytes: 200 })
      expect(await s.uploads.visibleTo('u2', 'bob')).toBe(true) // the third message still lists it
      await s.rooms.markDeleted('t1', 'ra', at(30), job('jr', 'room.delete', 'ra'))
      await drain(() => s.purge.roomStep('jr', 'ra', 10, at(31)))
      expect(await doomedIds()).toEqual(['u1', 'u2', 'u3'])
      expect(await s.uploads.usage('t1')).toEqual({ uploads: 0, bytes: 0 })
    })

    test('a tenant delete dooms every upload of the tenant (attached or not) and nothing of another tenant', async () => {
      await s.uploads.insert(upload('att'), null)
      await s.uploads.insert(upload('orphan'), null)
      await s.uploads.insert(upload('other', { tenant_id: 't2', storage_key: 't2/other' }), null)
      await s.messages.appendBatch([msg(['att'])])
      await s.tenants.markDeleted('t1', at(30), job('jt', 'tenant.delete', 't1'))
      await drain(() => s.purge.tenantStep('jt', 't1', 2, at(31)))
      expect(await doomedIds()).toEqual(['att', 'orphan'])
      expect(await s.uploads.get('t2', 'other')).not.toBeNull()
      expect(await s.uploads.usage('t2')).toEqual({ uploads: 1, bytes: 100 })
      expect(await s.uploads.usage('t1')).toEqual({ uploads: 0, bytes: 0 })
    })

    test('a user erase dooms their uploads (attached or not), not anyone else\'s; the export pages their live uploads', async () => {
      for (const [id, who] of [['a1', 'alice'], ['a2', 'alice'], ['a3', 'alice'], ['b1', 'bob']] as const) await s.uploads.insert(upload(id, { uploader_id: who }), null)
      await s.messages.appendBatch([msg(['a1']), msg(['b1'], { sender_id: 'bob' })])
      const page1 = await s.exports.uploads('t1', 'alice', '', 2)
      expect(page1.map((u) => u.upload_id)).toEqual(['a1', 'a2'])
      expect((await s.exports.uploads('t1', 'alice', 'a2', 2)).map((u) => u.upload_id)).toEqual(['a3'])
      expect(page1[0]).toMatchObject({ ...upload('a1'), attached_at: at(10), deleted_at: null })
      await s.erase.begin(job('je', 'user.erase', 'alice'))
      await drain(() => s.erase.step('je', 't1', 'alice', 2, at(31)))
      expect(await doomedIds()).toEqual(['a1', 'a2', 'a3'])
      expect(await s.uploads.visibleTo('b1', 'alice')).toBe(false) // alice is no member any more
      expect(await s.uploads.get('t1', 'b1')).not.toBeNull()
      expect(await s.uploads.usage('t1')).toEqual({ uploads: 1, bytes: 100 })
      expect(await s.exports.uploads('t1', 'alice', '', 10)).toEqual([])
    })

    test('meta.setIfAbsent keeps the first value, for every client of the database', async () => {
      expect(await s.meta.setIfAbsent('k', 'first')).toBe('first')
      expect(await inst.second().meta.setIfAbsent('k', 'second')).toBe('first')
    })
  })
}
