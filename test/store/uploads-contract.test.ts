// The UploadStore contract (SPEC §12) on both stores, with the same expected values: the quota as one
// atomic step (also across two clients of one database), tenant and owner scoping, attachments
// checked and linked inside the append, access through membership, release on tombstone, orphans,
// doomed rows and purge. The PostgreSQL half skips when the server is unreachable.

import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runMigrations } from '../../src/db/migrate'
import { sqliteMigrations } from '../../src/db/migrations'
import { openSqlite } from '../../src/db/open'
import { createSqliteStore } from '../../src/db/sqlite'
import { createPostgresStore } from '../../src/db/postgres'
import type { NewMessage, NewUpload } from '../../src/db/rows'
import type { Store } from '../../src/db/types'
import { AppError } from '../../src/errors'
import { freshSchema, pgUp } from './pg'

interface Instance {
  store: Store
  second(): Store
  close(): Promise<void>
}

const impls = [
  {
    name: 'sqlite',
    enabled: true,
    async open(): Promise<Instance> {
      const dir = mkdtempSync(join(tmpdir(), 'chatapi-upl-store-'))
      const file = join(dir, 'store.db')
      const dbs = [openSqlite(file)]
      runMigrations(dbs[0], sqliteMigrations)
      return {
        store: createSqliteStore(dbs[0]),
        second: () => createSqliteStore(dbs[dbs.push(openSqlite(file)) - 1]),
        async close() {
          for (const d of dbs) d.close()
          rmSync(dir, { recursive: true, force: true })
        },
      }
    },
  },
  {
    name: 'postgres',
    enabled: pgUp,
    async open(): Promise<Instance> {
      const schema = await freshSchema()
      return { store: createPostgresStore(schema.client()), second: () => createPostgresStore(schema.client()), close: () => schema.drop() }
    },
  },
]

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
    let inst: Instance
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

    test('meta.setIfAbsent keeps the first value, for every client of the database', async () => {
      expect(await s.meta.setIfAbsent('k', 'first')).toBe('first')
      expect(await inst.second().meta.setIfAbsent('k', 'second')).toBe('first')
    })
  })
}
