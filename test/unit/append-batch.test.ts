// store.messages.appendBatch (the group commit's flush): gap-free seqs per room, isolated item
// failures, client_msg_id replays, and the per-batch room/sender updates (src/db/sqlite/messages.ts).

import { beforeEach, expect, test } from 'bun:test'
import { openSqlite } from '../../src/db/open'
import { runMigrations } from '../../src/db/migrate'
import { sqliteMigrations } from '../../src/db/migrations'
import { createSqliteStore } from '../../src/db/sqlite'
import type { NewMessage } from '../../src/db/rows'
import type { Database } from 'bun:sqlite'

let db: Database
let store: ReturnType<typeof createSqliteStore>
let n = 0

beforeEach(() => {
  db = openSqlite(':memory:')
  runMigrations(db, sqliteMigrations)
  store = createSqliteStore(db)
  for (const t of ['t1', 't2']) db.run(`INSERT INTO tenants VALUES (?, ?, ?, 'w', 'u', '{}', 'now')`, [t, t, `h${t}`])
  for (const [room, tenant] of [['ra', 't1'], ['rb', 't1'], ['rc', 't2']]) {
    store.rooms.create(tenant, {
      room_id: room,
      type: 'group',
      name: null,
      metadata: null,
      unique_key: null,
      created_at: '2026-01-01T00:00:00.000Z',
      members: [
        { user_id: 'alice', role: 'owner' },
        { user_id: 'bob', role: 'member' },
      ],
    })
  }
})

const msg = (room: string, extra: Partial<NewMessage> = {}): NewMessage => ({
  tenant_id: 't1',
  room_id: room,
  sender_id: 'alice',
  message_id: `msg_${++n}`,
  content: `c${n}`,
  meta: null,
  client_msg_id: null,
  created_at: `2026-01-01T00:00:0${n % 10}.000Z`,
  parent_id: null,
  mentions: [],
  ...extra,
})
const seqOf = (r: ReturnType<typeof store.messages.appendBatch>[number]) => (r.ok ? r.row.seq : null)
const room = (id: string) => db.query<{ last_seq: number; last_activity_at: string }, [string]>('SELECT last_seq, last_activity_at FROM rooms WHERE room_id = ?').get(id)!

test('seqs count up per room in batch order; rooms and the sender’s cursors move to the last seq', () => {
  const r = store.messages.appendBatch([msg('ra'), msg('rb'), msg('ra'), msg('ra', { sender_id: 'bob' }), msg('rb')])
  expect(r.map(seqOf)).toEqual([1, 1, 2, 3, 2])
  expect(room('ra').last_seq).toBe(3)
  expect(room('rb').last_seq).toBe(2)
  expect(store.members.get('ra', 'alice')).toMatchObject({ last_ack: 2, last_read: 2 })
  expect(store.members.get('ra', 'bob')).toMatchObject({ last_ack: 3, last_read: 3 })
  expect(store.members.get('rb', 'bob')).toMatchObject({ last_ack: 0, last_read: 0 })
  // the next batch continues where this one ended
  expect(store.messages.appendBatch([msg('ra')]).map(seqOf)).toEqual([4])
  expect(store.messages.after('ra', 0, 10).map((m) => m.seq)).toEqual([1, 2, 3, 4])
})

test('the room whose last message came later in the batch has the later activity key', () => {
  store.messages.appendBatch([msg('ra'), msg('rb'), msg('ra')])
  expect(room('ra').last_activity_at > room('rb').last_activity_at).toBe(true)
  store.messages.appendBatch([msg('ra'), msg('rb')])
  expect(room('rb').last_activity_at > room('ra').last_activity_at).toBe(true)
})

test('a failing item is reported alone and leaves no gap; the others are stored', () => {
  const first = msg('ra')
  const r = store.messages.appendBatch([first, msg('ra', { message_id: first.message_id }), msg('ra'), msg('rb')])
  expect(r.map((x) => x.ok)).toEqual([true, false, true, true])
  expect(r.map(seqOf)).toEqual([1, null, 2, 1])
  expect(room('ra').last_seq).toBe(2)
  expect(store.messages.after('ra', 0, 10).map((m) => m.seq)).toEqual([1, 2])
})

test('a missing room or another tenant’s room fails only that item and changes nothing of it', () => {
  const r = store.messages.appendBatch([msg('nope'), msg('rc'), msg('ra')])
  expect(r.map((x) => x.ok)).toEqual([false, false, true])
  expect(room('rc').last_seq).toBe(0)
  expect(store.messages.after('rc', 0, 10)).toEqual([])
})

test('a client_msg_id reused in the same batch or a later one returns the original row', () => {
  const a = store.messages.appendBatch([msg('ra', { client_msg_id: 'k1' }), msg('ra', { client_msg_id: 'k1', content: 'other' }), msg('ra')])
  expect(a.map((x) => (x.ok ? [x.row.seq, x.created] : null))).toEqual([[1, true], [1, false], [2, true]])
  const b = store.messages.appendBatch([msg('ra', { client_msg_id: 'k1' })])
  expect(b[0].ok && [b[0].row.seq, b[0].created, b[0].row.content]).toEqual([1, false, a[0].ok ? a[0].row.content : ''])
  expect(room('ra').last_seq).toBe(2)
})
