// The store contract (SPEC §9: "both passing the same test suite"): one behavioural suite run against
// the SQLite store (a temp file) and the PostgreSQL store (a fresh schema per test), with the same
// expected values, plus a transcript of one scripted session that must come out equal on both.
// The PostgreSQL half skips with a message when the server is unreachable (test/store/pg.ts).

import { afterAll, afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AppError } from '../../src/errors'
import { runMigrations } from '../../src/db/migrate'
import { sqliteMigrations } from '../../src/db/migrations'
import { openSqlite } from '../../src/db/open'
import { createSqliteStore } from '../../src/db/sqlite'
import { createDeliveryReader } from '../../src/db/sqlite/deliveries'
import type { AppendResult, DeadLetterRow, DeliveryRow, NewDelivery, NewMessage, NewRoom, ResultPolicy } from '../../src/db/rows'
import { createPgDeliveryReader, createPostgresStore } from '../../src/db/postgres'
import type { Store } from '../../src/db/types'
import { parseSearchQuery, type SearchRequest } from '../../src/db/search-query'
import { freshSchema, pgUp } from './pg'

type Reader = { due(now: number, limit: number, skipUrls?: string[]): DeliveryRow[] | Promise<DeliveryRow[]> }

interface Instance {
  store: Store
  /** Another client of the same database (another "instance"): its own connection or pool. */
  second(): Store
  /** The delivery worker's reader (PostgreSQL: leasing, on its own pool). */
  reader(leaseMs?: number): Reader
  close(): Promise<void>
}

interface Impl {
  name: 'sqlite' | 'postgres'
  enabled: boolean
  open(): Promise<Instance>
}

const sqliteImpl: Impl = {
  name: 'sqlite',
  enabled: true,
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'chatapi-store-'))
    const file = join(dir, 'store.db')
    const dbs = [openSqlite(file)]
    runMigrations(dbs[0], sqliteMigrations)
    const db = () => {
      const d = openSqlite(file)
      dbs.push(d)
      return d
    }
    return {
      store: createSqliteStore(dbs[0]),
      second: () => createSqliteStore(db()),
      reader: () => createDeliveryReader(db()),
      async close() {
        for (const d of dbs) d.close()
        rmSync(dir, { recursive: true, force: true })
      },
    }
  },
}

const postgresImpl: Impl = {
  name: 'postgres',
  enabled: pgUp,
  async open() {
    const schema = await freshSchema()
    return {
      store: createPostgresStore(schema.client()),
      second: () => createPostgresStore(schema.client()),
      reader: (leaseMs?: number) => createPgDeliveryReader(schema.client(2), { leaseMs }),
      close: () => schema.drop(),
    }
  },
}

// ---------------------------------------------------------------------------------------------
// fixtures

const T0 = '2026-01-01T00:00:00.000Z'
const at = (s: number) => new Date(Date.parse(T0) + s * 1000).toISOString()
const ACTIVITY = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z#\d{12}$/

const tenant = (id: string, extra: Partial<Parameters<Store['tenants']['insert']>[0]> = {}) => ({
  tenant_id: id,
  name: `name-${id}`,
  api_key_hash: `hash-${id}`,
  webhook_secret: `wh-${id}`,
  user_token_secret: `ut-${id}`,
  config: '{}',
  created_at: T0,
  ...extra,
})

const room = (id: string, members: string[] = ['alice', 'bob'], extra: Partial<NewRoom> = {}): NewRoom => ({
  room_id: id,
  type: 'group',
  name: null,
  metadata: null,
  unique_key: null,
  created_at: T0,
  members: members.map((u, i) => ({ user_id: u, role: i === 0 ? 'owner' : 'member' })),
  ...extra,
})

let n = 0
const msg = (roomId: string, extra: Partial<NewMessage> = {}): NewMessage => ({
  tenant_id: 't1',
  room_id: roomId,
  sender_id: 'alice',
  message_id: `msg_${++n}`,
  content: `c${n}`,
  meta: null,
  client_msg_id: null,
  created_at: at(n % 50),
  parent_id: null,
  mentions: [],
  ...extra,
})

/** The columns SPEC §11 added to a new message row, at their defaults. */
const NEW_ROW_DEFAULTS = {
  rev: 0,
  parent_id: null,
  reply_count: 0,
  last_reply_at: null,
  mentions: null,
  reactions: null,
  pinned_at: null,
  pinned_by: null,
  pin_rev: null,
  last_change: null,
  attachments: null,
}
/** The fields SPEC §11.2 added to a new message object, at their defaults. */
const NEW_MESSAGE_DEFAULTS = {
  rev: 0,
  parent_id: null,
  reply_count: 0,
  last_reply_at: null,
  mentions: [],
  attachments: [],
  reactions: [],
  pinned_at: null,
  pinned_by: null,
}

const delivery = (id: string, extra: Partial<NewDelivery> = {}): NewDelivery => ({
  delivery_id: id,
  tenant_id: 't1',
  kind: 'webhook',
  url: 'https://hooks.example/a',
  event_id: `evt_${id}`,
  ref_id: `evt_${id}`,
  body: `{"id":"${id}"}`,
  next_attempt_at: 1000,
  created_at: T0,
  ...extra,
})

const deadLetter = (id: string, extra: Partial<DeadLetterRow> = {}): DeadLetterRow => ({
  id,
  kind: 'webhook',
  tenant_id: 't1',
  target: 'https://hooks.example/a',
  ref_id: `evt_${id}`,
  from_seq: null,
  to_seq: null,
  delivery_id: null,
  attempts: 6,
  last_error: 'HTTP 500',
  created_at: T0,
  last_attempt_at: T0,
  ...extra,
})

const seqOf = (r: AppendResult) => (r.ok ? r.row.seq : null)
/** Runs a store call that may throw synchronously (SQLite) or reject (PostgreSQL) as a promise. */
const attempt = <T>(f: () => T | Promise<T>) => Promise.resolve().then(f)

/** One reaction change through the batch method: its change, or its own error thrown. */
async function react(st: Store, op: 'add' | 'remove', roomId: string, seq: number, key: string, userId: string, at = T0) {
  const [r] = await st.reactions.apply([{ op, room_id: roomId, seq, key, user_id: userId, at }])
  if (!r.ok) throw r.error
  return { row: r.row, changed: r.changed }
}

async function seed(s: Store, tenants = ['t1'], rooms: [string, string][] = [['ra', 't1'], ['rb', 't1']]) {
  for (const t of tenants) await s.tenants.insert(tenant(t))
  for (const [r, t] of rooms) await s.rooms.create(t, room(r))
}

// ---------------------------------------------------------------------------------------------
// the suite, once per implementation

for (const impl of [sqliteImpl, postgresImpl]) {
  describe.skipIf(!impl.enabled)(`store contract: ${impl.name}`, () => {
    let inst: Instance
    let s: Store
    beforeEach(async () => {
      inst = await impl.open()
      s = inst.store
    })
    afterEach(() => inst.close())

    describe('tenants', () => {
      test('insert, get, lookup by key hash, list in creation order; unknown ids are null', async () => {
        await s.tenants.insert(tenant('t2', { created_at: at(2) }))
        await s.tenants.insert(tenant('t1', { created_at: at(1) }))
        await s.tenants.insert(tenant('t3', { created_at: at(1) }))
        expect(await s.tenants.get('t1')).toEqual(tenant('t1', { created_at: at(1) }))
        expect(await s.tenants.byKeyHash('hash-t2')).toEqual(tenant('t2', { created_at: at(2) }))
        expect(await s.tenants.get('nope')).toBeNull()
        expect(await s.tenants.byKeyHash('nope')).toBeNull()
        expect((await s.tenants.list()).map((t) => t.tenant_id)).toEqual(['t1', 't3', 't2'])
      })

      test('a second tenant with the same key hash is refused', async () => {
        await s.tenants.insert(tenant('t1'))
        await expect(attempt(() => s.tenants.insert(tenant('t2', { api_key_hash: 'hash-t1' })))).rejects.toThrow()
        expect(await s.tenants.list()).toHaveLength(1)
      })

      test('update patches name and/or config; an unknown tenant gives null', async () => {
        await s.tenants.insert(tenant('t1'))
        expect(await s.tenants.update('t1', { name: 'renamed' })).toEqual(tenant('t1', { name: 'renamed' }))
        expect(await s.tenants.update('t1', { config: '{"rate_limit_per_sec":5}' })).toEqual(
          tenant('t1', { name: 'renamed', config: '{"rate_limit_per_sec":5}' }),
        )
        expect(await s.tenants.update('nope', { name: 'x' })).toBeNull()
      })

      test('secret rotation: the old key hash stops matching at once, the other secrets change alone', async () => {
        await s.tenants.insert(tenant('t1'))
        expect(await s.tenants.setSecret('t1', 'api_key_hash', 'hash-new')).toBe(true)
        expect(await s.tenants.byKeyHash('hash-t1')).toBeNull()
        expect((await s.tenants.byKeyHash('hash-new'))?.tenant_id).toBe('t1')
        expect(await s.tenants.setSecret('t1', 'webhook_secret', 'wh2')).toBe(true)
        expect(await s.tenants.setSecret('t1', 'user_token_secret', 'ut2')).toBe(true)
        expect(await s.tenants.get('t1')).toEqual(tenant('t1', { api_key_hash: 'hash-new', webhook_secret: 'wh2', user_token_secret: 'ut2' }))
        expect(await s.tenants.setSecret('nope', 'webhook_secret', 'x')).toBe(false)
      })

      test('usage counts rooms and stored messages, as numbers', async () => {
        await seed(s)
        expect(await s.tenants.usage('t1')).toEqual({ rooms: 2, messages: 0 })
        await s.messages.appendBatch([msg('ra'), msg('ra'), msg('rb')])
        expect(await s.tenants.usage('t1')).toEqual({ rooms: 2, messages: 3 })
        expect(await s.tenants.usage('nope')).toEqual({ rooms: 0, messages: 0 })
      })
    })

    describe('rooms', () => {
      test('create stores the room and its members; the row has the exact shape', async () => {
        await seed(s, ['t1', 't2'], [])
        const r = await s.rooms.create('t1', room('r1', ['alice', 'bob'], { name: 'Team', metadata: '{"a":1}', type: 'channel' }))
        expect(r.created).toBe(true)
        expect(r.room).toEqual({
          room_id: 'r1',
          tenant_id: 't1',
          type: 'channel',
          name: 'Team',
          metadata: '{"a":1}',
          unique_key: null,
          last_seq: 0,
          member_count: 2,
          read_only: 0,
          created_at: T0,
          last_activity_at: expect.stringMatching(ACTIVITY),
          last_rev: 0,
          first_seq: 1,
        })
        expect(r.room.last_activity_at.startsWith(T0)).toBe(true)
        expect(await s.rooms.get('t1', 'r1')).toEqual(r.room)
        expect(await s.rooms.get('t2', 'r1')).toBeNull() // another tenant's room is invisible
        expect(await s.members.get('r1', 'alice')).toEqual({
          room_id: 'r1',
          user_id: 'alice',
          tenant_id: 't1',
          role: 'owner',
          joined_at: T0,
          last_ack: 0,
          last_read: 0,
        })
        expect((await s.members.get('r1', 'bob'))?.role).toBe('member')
      })

      test('a dm key already used returns that room (created=false) and changes nothing', async () => {
        await seed(s, ['t1', 't2'], [])
        const a = await s.rooms.create('t1', room('d1', ['alice', 'bob'], { type: 'dm', unique_key: 'alice|bob' }))
        const b = await s.rooms.create('t1', room('d2', ['alice', 'bob', 'carol'], { type: 'dm', unique_key: 'alice|bob' }))
        expect(a.created).toBe(true)
        expect(b).toEqual({ room: a.room, created: false })
        expect(await s.rooms.get('t1', 'd2')).toBeNull()
        expect(await s.members.get('d1', 'carol')).toBeNull()
        // the key is per tenant
        expect((await s.rooms.create('t2', room('d3', ['alice', 'bob'], { type: 'dm', unique_key: 'alice|bob' }))).created).toBe(true)
      })

      test('concurrent dm creations from two instances converge on one room', async () => {
        await seed(s, ['t1'], [])
        const other = inst.second()
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            (i % 2 ? other : s).rooms.create('t1', room(`dm${i}`, ['alice', 'bob'], { type: 'dm', unique_key: 'alice|bob' })),
          ),
        )
        expect(results.filter((r) => r.created)).toHaveLength(1)
        expect(new Set(results.map((r) => r.room.room_id)).size).toBe(1)
        const winner = results[0].room.room_id
        expect((await s.members.page(winner, 10)).rows.map((m) => m.user_id)).toEqual(['alice', 'bob'])
      })

      test('update patches name and/or metadata; unknown or foreign room gives null', async () => {
        await seed(s, ['t1', 't2'])
        const r = await s.rooms.update('t1', 'ra', { name: 'New' })
        expect(r).toMatchObject({ room_id: 'ra', name: 'New', metadata: null })
        expect(await s.rooms.update('t1', 'ra', { metadata: '{"x":true}' })).toMatchObject({ name: 'New', metadata: '{"x":true}' })
        expect(await s.rooms.update('t2', 'ra', { name: 'x' })).toBeNull()
        expect(await s.rooms.update('t1', 'nope', { name: 'x' })).toBeNull()
      })

      test('listForUser: most recently active first, unread counts, last message, cursor paging', async () => {
        await seed(s, ['t1'], [
          ['r1', 't1'],
          ['r2', 't1'],
          ['r3', 't1'],
          ['r4', 't1'],
        ])
        await s.rooms.create('t1', room('r5', ['carol']))
        // activity: r2 then r4 then r1 (r3 only created); same millisecond for all
        await s.messages.appendBatch([msg('r2', { created_at: at(1) }), msg('r4', { created_at: at(1), sender_id: 'bob' })])
        await s.messages.appendBatch([msg('r1', { created_at: at(1), sender_id: 'bob', meta: '{"k":1}', client_msg_id: 'c1' })])
        const first = await s.rooms.listForUser('t1', 'alice', 2)
        expect(first.rooms.map((r) => r.room_id)).toEqual(['r1', 'r4'])
        expect(first.rooms[0]).toEqual({
          room_id: 'r1',
          type: 'group',
          name: null,
          metadata: null,
          unique_key: null,
          last_seq: 1,
          last_rev: 0,
          first_seq: 1,
          member_count: 2,
          read_only: false,
          created_at: T0,
          unread_count: 1,
          unread_mentions: 0,
          last_message: {
            ...NEW_MESSAGE_DEFAULTS,
            message_id: expect.any(String),
            room_id: 'r1',
            seq: 1,
            sender_id: 'bob',
            content: expect.any(String),
            meta: { k: 1 },
            client_msg_id: 'c1',
            created_at: at(1),
            edited_at: null,
            deleted_at: null,
            attachments: [],
          },
        })
        expect(first.next_cursor).toEqual(expect.any(String))
        const second = await s.rooms.listForUser('t1', 'alice', 2, first.next_cursor!)
        expect(second.rooms.map((r) => [r.room_id, r.unread_count])).toEqual([
          ['r2', 0], // alice sent it: her read marker moved
          ['r3', 0],
        ])
        expect(second.rooms[1].last_message).toBeUndefined()
        expect(second.next_cursor).toBeNull()
        expect((await s.rooms.listForUser('t1', 'alice', 10)).rooms.map((r) => r.room_id)).toEqual(['r1', 'r4', 'r2', 'r3'])
        expect((await s.rooms.listForUser('t1', 'nobody', 10)).rooms).toEqual([])
      })

      test('listForUser over many rooms: rooms small and large, shared seconds, rooms crossing 100 members; every page size', async () => {
        await seed(s, ['t1', 't2'], [])
        const ms = (sec: number, milli: number) => new Date(Date.parse(T0) + sec * 1000 + milli).toISOString()
        const crowd = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}${i}`)
        // 40 rooms of 2, four created in each second (activity seconds shared by several rooms)
        for (let i = 0; i < 40; i++) await s.rooms.create('t1', room(`s${String(i).padStart(2, '0')}`, ['u', `p${i}`], { created_at: ms(Math.floor(i / 4), i * 7) }))
        // large rooms (over 100 members): their member rows carry no activity second
        for (let i = 0; i < 4; i++) await s.rooms.create('t1', room(`L${i}`, ['u', ...crowd(110, `l${i}_`)], { created_at: ms(2 * i + 1, 500) }))
        await s.rooms.create('t1', room('up', ['u', ...crowd(99, 'up')], { created_at: ms(3, 1) })) // 100 members, will grow
        await s.rooms.create('t1', room('down', ['u', ...crowd(100, 'dn')], { created_at: ms(4, 1) })) // 101, will shrink
        await s.rooms.create('t1', room('notmine', ['p1', 'p2'], { created_at: ms(50, 0) }))
        await s.rooms.create('t2', room('other', ['u', 'x'], { created_at: ms(60, 0) })) // same user id, other tenant
        const mine = ['up', 'down', ...Array.from({ length: 40 }, (_, i) => `s${String(i).padStart(2, '0')}`), 'L0', 'L1', 'L2', 'L3']

        const expected = async () => {
          const keyed: [string, string][] = []
          for (const id of mine) keyed.push([(await s.rooms.get('t1', id))!.last_activity_at, id])
          const cmp = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b))
          return keyed.sort((a, b) => cmp(b[0], a[0]) || cmp(b[1], a[1])).map(([, id]) => id)
        }
        const check = async (label: string) => {
          const want = await expected()
          for (const limit of [1, 2, 3, 5, 7, 50]) {
            const got: string[] = []
            let cursor: string | undefined
            for (let pages = 0; pages < 100; pages++) {
              const p = await s.rooms.listForUser('t1', 'u', limit, cursor)
              expect(p.rooms.length).toBeLessThanOrEqual(limit)
              expect(p.large_memberships).toBe(4 + largeNow.size) // L0-L3 and the room now over 100
              got.push(...p.rooms.map((r) => r.room_id))
              if (!p.next_cursor) break
              cursor = p.next_cursor
            }
            expect({ label, limit, got }).toEqual({ label, limit, got: want })
          }
        }
        const largeNow = new Set(['down'])

        await check('created')
        // messages in seconds shared with other rooms and moving rooms across seconds, small and large
        await s.messages.appendBatch([msg('s03', { created_at: ms(20, 5) }), msg('L2', { created_at: ms(20, 5) }), msg('s17', { created_at: ms(20, 5) })])
        await s.messages.appendBatch([msg('s00', { created_at: ms(20, 900) }), msg('s03', { created_at: ms(21, 0) })])
        await s.messages.appendBatch([msg('s39', { created_at: ms(5, 0) }), msg('down', { created_at: ms(20, 1) }), msg('up', { created_at: ms(9, 0) })])
        await check('after sends')
        // 'up' grows to 101 members, 'down' shrinks to 100: the member rows follow
        await s.members.add('t1', 'up', ['up-new'], 'member', ms(30, 0), 10_000)
        await s.members.remove('down', 'dn0')
        largeNow.delete('down')
        largeNow.add('up')
        await check('after crossing 100')
        await s.messages.appendBatch([msg('down', { created_at: ms(22, 0) }), msg('up', { created_at: ms(21, 500) }), msg('s10', { created_at: ms(22, 0) })])
        await check('after sends in the crossed rooms')
        // the other members' lists too: a member of a small room sees it at its new place
        const p3 = await s.rooms.listForUser('t1', 'p10', 5)
        expect(p3.rooms.map((r) => r.room_id)).toEqual(['s10'])
        expect((await s.rooms.listForUser('t2', 'u', 5)).rooms.map((r) => r.room_id)).toEqual(['other'])
      })

      test('listChannels pages channels in creation order; a bad cursor is a VALIDATION_ERROR on cursor', async () => {
        await seed(s, ['t1', 't2'], [])
        for (const [id, sec] of [['c3', 3], ['c1', 1], ['c2', 1], ['c4', 4]] as const)
          await s.rooms.create('t1', room(id, ['alice'], { type: 'channel', created_at: at(sec) }))
        await s.rooms.create('t1', room('g1', ['alice']))
        await s.rooms.create('t2', room('other', ['alice'], { type: 'channel' }))
        const p1 = await s.rooms.listChannels('t1', 3)
        expect(p1.channels.map((c) => c.room_id)).toEqual(['c1', 'c2', 'c3'])
        expect(p1.channels[0]).toEqual({
          room_id: 'c1',
          type: 'channel',
          name: null,
          metadata: null,
          unique_key: null,
          last_seq: 0,
          last_rev: 0,
          first_seq: 1,
          member_count: 1,
          read_only: false,
          created_at: at(1),
        })
        const p2 = await s.rooms.listChannels('t1', 3, p1.next_cursor!)
        expect(p2).toEqual({ channels: [expect.objectContaining({ room_id: 'c4' })], next_cursor: null })
        for (const bad of ['%%%', Buffer.from('[1,2]').toString('base64url'), Buffer.from('"x"').toString('base64url')]) {
          const e = await attempt(() => s.rooms.listChannels('t1', 3, bad)).catch((x) => x)
          expect(e).toBeInstanceOf(AppError)
          expect(e).toMatchObject({ code: 'VALIDATION_ERROR', field: 'cursor' })
        }
      })

      test('ids and cursors sort by bytes (upper case before lower case), as in SQLite', async () => {
        await seed(s, ['t1'], [])
        for (const id of ['cb', 'cB', 'ca', 'C_', 'c-']) await s.rooms.create('t1', room(id, ['alice'], { type: 'channel' }))
        const order = (await s.rooms.listChannels('t1', 10)).channels.map((c) => c.room_id)
        expect(order).toEqual(['C_', 'c-', 'cB', 'ca', 'cb'])
        const paged: string[] = []
        let cursor: string | undefined
        do {
          const p = await s.rooms.listChannels('t1', 2, cursor)
          paged.push(...p.channels.map((c) => c.room_id))
          cursor = p.next_cursor ?? undefined
        } while (cursor)
        expect(paged).toEqual(order)
      })
    })

    describe('members', () => {
      test('add: new users with the role, existing ones keep theirs; rows for every name; count moves', async () => {
        await seed(s)
        const r = await s.members.add('t1', 'ra', ['bob', 'carol', 'dave', 'carol'], 'admin', at(5), 100)
        expect(r.rows.map((m) => [m.user_id, m.role])).toEqual([
          ['bob', 'member'],
          ['carol', 'admin'],
          ['dave', 'admin'],
        ])
        expect(r.rows[1]).toEqual({ room_id: 'ra', user_id: 'carol', tenant_id: 't1', role: 'admin', joined_at: at(5), last_ack: 0, last_read: 0 })
        expect([...r.added].sort()).toEqual(['carol', 'dave'])
        expect((await s.rooms.get('t1', 'ra'))?.member_count).toBe(4)
      })

      test('add past maxMembers throws the CONFLICT AppError and adds nobody', async () => {
        await seed(s)
        const e = await attempt(() => s.members.add('t1', 'ra', ['carol', 'dave'], 'member', at(5), 3)).catch((x) => x)
        expect(e).toBeInstanceOf(AppError)
        expect(e).toMatchObject({ code: 'CONFLICT', message: 'room is full (max 3 members)' })
        expect(await s.members.get('ra', 'carol')).toBeNull()
        expect((await s.rooms.get('t1', 'ra'))?.member_count).toBe(2)
        // existing members do not count as new
        expect((await s.members.add('t1', 'ra', ['alice', 'bob', 'carol'], 'member', at(5), 3)).added).toEqual(new Set(['carol']))
      })

      test('remove: true once, then false; the count follows', async () => {
        await seed(s)
        expect(await s.members.remove('ra', 'bob')).toBe(true)
        expect(await s.members.remove('ra', 'bob')).toBe(false)
        expect(await s.members.remove('nope', 'bob')).toBe(false)
        expect(await s.members.get('ra', 'bob')).toBeNull()
        expect((await s.rooms.get('t1', 'ra'))?.member_count).toBe(1)
      })

      test('page by join time then user id, with cursors; userIds', async () => {
        await seed(s, ['t1'], [['ra', 't1']])
        await s.members.add('t1', 'ra', ['zed', 'carol'], 'member', at(1), 100)
        await s.members.add('t1', 'ra', ['Abe'], 'member', at(2), 100)
        const all: string[] = []
        let cursor: string | undefined
        do {
          const p = await s.members.page('ra', 2, cursor)
          expect(p.rows.length).toBeLessThanOrEqual(2)
          all.push(...p.rows.map((m) => m.user_id))
          cursor = p.next_cursor ?? undefined
        } while (cursor)
        expect(all).toEqual(['alice', 'bob', 'carol', 'zed', 'Abe'])
        expect((await s.members.userIds('ra')).sort()).toEqual(['Abe', 'alice', 'bob', 'carol', 'zed'])
        expect(await s.members.userIds('nope')).toEqual([])
      })

      test('userIdsIn: the distinct members of several rooms', async () => {
        await seed(s, ['t1'], [
          ['ra', 't1'],
          ['rb', 't1'],
          ['rc', 't1'],
        ])
        await s.members.add('t1', 'rb', ['carol'], 'member', at(1), 100)
        await s.members.add('t1', 'rc', ['dave'], 'member', at(1), 100)
        expect((await s.members.userIdsIn(['ra', 'rb', 'nope'])).sort()).toEqual(['alice', 'bob', 'carol'])
        expect(await s.members.userIdsIn([])).toEqual([])
      })

      test('acks and read markers never move backwards; non-members get null', async () => {
        await seed(s)
        await s.messages.appendBatch(Array.from({ length: 6 }, () => msg('ra', { sender_id: 'bob' })))
        expect(await s.members.advanceAck('ra', 'alice', 5)).toBe(5)
        expect(await s.members.advanceAck('ra', 'alice', 3)).toBe(5)
        expect(await s.members.advanceRead('ra', 'alice', 2)).toEqual({ last_read: 2, last_ack: 5 })
        expect(await s.members.advanceRead('ra', 'alice', 6)).toEqual({ last_read: 6, last_ack: 6 })
        expect(await s.members.advanceRead('ra', 'alice', 1)).toEqual({ last_read: 6, last_ack: 6 })
        expect(await s.members.advanceAck('ra', 'carol', 1)).toBeNull()
        expect(await s.members.advanceRead('ra', 'carol', 1)).toBeNull()
      })

      test('membershipsOf and laggards', async () => {
        await seed(s, ['t1', 't2'], [
          ['ra', 't1'],
          ['rb', 't1'],
          ['rc', 't2'],
        ])
        await s.messages.appendBatch([msg('ra'), msg('ra'), msg('rb', { sender_id: 'bob' })])
        const mine = (await s.members.membershipsOf('t1', 'alice')).sort((a, b) => a.room_id.localeCompare(b.room_id))
        expect(mine).toEqual([
          { room_id: 'ra', last_ack: 2, last_seq: 2, member_count: 2 },
          { room_id: 'rb', last_ack: 0, last_seq: 1, member_count: 2 },
        ])
        expect(await s.members.laggards('ra')).toEqual([{ user_id: 'bob', last_ack: 0, last_seq: 2 }])
        await s.members.advanceAck('ra', 'bob', 2)
        expect(await s.members.laggards('ra')).toEqual([])
      })

      test('membershipsOf is all a WebSocket connect reads first: every room of the user, last_seq > last_ack exactly where a message is unacked', async () => {
        await seed(s, ['t1', 't2'], [])
        const ids = Array.from({ length: 120 }, (_, i) => `r${String(i).padStart(3, '0')}`)
        for (const id of ids) await s.rooms.create('t1', room(id, ['alice', 'carol']))
        await s.rooms.create('t2', room('other', ['mallory', 'carol']))
        await s.messages.appendBatch([msg('r005'), msg('r005'), msg('r050'), msg('r119'), msg('r007'), msg('other', { tenant_id: 't2', sender_id: 'mallory' })])
        await s.members.advanceAck('r050', 'carol', 1)
        await s.members.advanceRead('r119', 'carol', 1)
        await s.members.remove('r007', 'carol')
        const rows = await s.members.membershipsOf('t1', 'carol')
        expect(rows.map((m) => m.room_id).sort()).toEqual(ids.filter((id) => id !== 'r007'))
        expect(rows.filter((m) => m.last_seq > m.last_ack)).toEqual([{ room_id: 'r005', last_ack: 0, last_seq: 2, member_count: 2 }])
        expect(rows.find((m) => m.room_id === 'r050')).toEqual({ room_id: 'r050', last_ack: 1, last_seq: 1, member_count: 2 })
        expect(await s.members.membershipsOf('t2', 'carol')).toEqual([{ room_id: 'other', last_ack: 0, last_seq: 1, member_count: 2 }])
      })
    })

    describe('messages', () => {
      test('appendBatch: seqs count up per room in batch order, gap-free; room and sender cursors move', async () => {
        await seed(s)
        const r = await s.messages.appendBatch([msg('ra'), msg('rb'), msg('ra'), msg('ra', { sender_id: 'bob' }), msg('rb')])
        expect(r.map(seqOf)).toEqual([1, 1, 2, 3, 2])
        expect(r.every((x) => x.ok && x.created)).toBe(true)
        const created = r[0].ok ? r[0].row : null
        expect(await s.messages.get('ra', created!.message_id)).toEqual(created)
        expect((await s.rooms.get('t1', 'ra'))?.last_seq).toBe(3)
        expect(await s.members.get('ra', 'alice')).toMatchObject({ last_ack: 2, last_read: 2 })
        expect(await s.members.get('ra', 'bob')).toMatchObject({ last_ack: 3, last_read: 3 })
        expect(await s.members.get('rb', 'bob')).toMatchObject({ last_ack: 0, last_read: 0 })
        expect((await s.messages.appendBatch([msg('ra')])).map(seqOf)).toEqual([4])
        expect((await s.messages.after('ra', 0, 10)).map((m) => m.seq)).toEqual([1, 2, 3, 4])
        expect(await s.messages.appendBatch([])).toEqual([])
      })

      test('the stored row is what appendBatch returned, field for field', async () => {
        await seed(s)
        const m = msg('ra', { meta: '{"x":[1,2]}', client_msg_id: 'cm-1', content: 'héllo 👋 "quoted"' })
        const [r] = await s.messages.appendBatch([m])
        const row = {
          message_id: m.message_id,
          room_id: 'ra',
          seq: 1,
          tenant_id: 't1',
          sender_id: 'alice',
          content: 'héllo 👋 "quoted"',
          meta: '{"x":[1,2]}',
          client_msg_id: 'cm-1',
          created_at: m.created_at,
          edited_at: null,
          deleted_at: null,
          ...NEW_ROW_DEFAULTS,
        }
        expect(r).toEqual({ ok: true, row, created: true })
        expect(await s.messages.bySeq('ra', 1)).toEqual(row)
        expect(await s.messages.get('ra', m.message_id)).toEqual(row)
        expect(await s.messages.get('rb', m.message_id)).toBeNull()
        expect(await s.messages.bySeq('ra', 2)).toBeNull()
      })

      test('a client_msg_id reused in the same batch or a later one (any instance) returns the original row', async () => {
        await seed(s)
        const a = await s.messages.appendBatch([
          msg('ra', { client_msg_id: 'k1' }),
          msg('ra', { client_msg_id: 'k1', content: 'other' }),
          msg('ra'),
          msg('ra', { client_msg_id: 'k1', sender_id: 'bob' }), // another sender: a new message
        ])
        expect(a.map((x) => (x.ok ? [x.row.seq, x.created] : null))).toEqual([
          [1, true],
          [1, false],
          [2, true],
          [3, true],
        ])
        const original = a[0].ok ? a[0].row : null
        const b = await inst.second().messages.appendBatch([msg('ra', { client_msg_id: 'k1' })])
        expect(b).toEqual([{ ok: true, row: original!, created: false }])
        // a replay that reuses the original message id as well
        expect(await s.messages.appendBatch([msg('ra', { client_msg_id: 'k1', message_id: original!.message_id })])).toEqual([
          { ok: true, row: original!, created: false },
        ])
        expect((await s.rooms.get('t1', 'ra'))?.last_seq).toBe(3)
      })

      test('a failing item is reported alone and leaves no gap; the others are stored', async () => {
        await seed(s)
        const first = msg('ra')
        const r = await s.messages.appendBatch([first, msg('ra', { message_id: first.message_id }), msg('ra'), msg('rb')])
        expect(r.map((x) => x.ok)).toEqual([true, false, true, true])
        expect(r.map(seqOf)).toEqual([1, null, 2, 1])
        expect(r[1].ok ? null : r[1].error).toBeInstanceOf(Error)
        expect((await s.rooms.get('t1', 'ra'))?.last_seq).toBe(2)
        expect((await s.messages.after('ra', 0, 10)).map((m) => m.seq)).toEqual([1, 2])
      })

      test('a missing room or another tenant’s room fails only that item and changes nothing of it', async () => {
        await seed(s, ['t1', 't2'], [
          ['ra', 't1'],
          ['rc', 't2'],
        ])
        const r = await s.messages.appendBatch([msg('nope'), msg('rc'), msg('ra')])
        expect(r.map((x) => x.ok)).toEqual([false, false, true])
        expect((await s.rooms.get('t2', 'rc'))?.last_seq).toBe(0)
        expect(await s.messages.after('rc', 0, 10)).toEqual([])
      })

      test('the room whose last message came later in the batch has the later activity key', async () => {
        await seed(s)
        await s.messages.appendBatch([msg('ra', { created_at: at(1) }), msg('rb', { created_at: at(1) }), msg('ra', { created_at: at(1) })])
        const a = (await s.rooms.get('t1', 'ra'))!.last_activity_at
        const b = (await s.rooms.get('t1', 'rb'))!.last_activity_at
        expect(a).toMatch(ACTIVITY)
        expect(a > b).toBe(true)
        await s.messages.appendBatch([msg('ra', { created_at: at(1) }), msg('rb', { created_at: at(1) })])
        expect((await s.rooms.get('t1', 'rb'))!.last_activity_at > (await s.rooms.get('t1', 'ra'))!.last_activity_at).toBe(true)
        // three rooms: the order of their LAST items in the batch decides (rc, then ra, then rb)
        await s.rooms.create('t1', room('rc'))
        await s.messages.appendBatch(['ra', 'rb', 'rc', 'ra', 'rb'].map((r) => msg(r, { created_at: at(1) })))
        const keys = await Promise.all(['rc', 'ra', 'rb'].map(async (r) => (await s.rooms.get('t1', r))!.last_activity_at))
        expect([...keys].sort()).toEqual(keys)
        expect((await s.rooms.listForUser('t1', 'alice', 10)).rooms.map((r) => r.room_id)).toEqual(['rb', 'ra', 'rc'])
      })

      test('history: after and before page ascending', async () => {
        await seed(s)
        await s.messages.appendBatch(Array.from({ length: 10 }, () => msg('ra')))
        expect((await s.messages.after('ra', 0, 3)).map((m) => m.seq)).toEqual([1, 2, 3])
        expect((await s.messages.after('ra', 8, 5)).map((m) => m.seq)).toEqual([9, 10])
        expect(await s.messages.after('ra', 10, 5)).toEqual([])
        expect((await s.messages.before('ra', 11, 3)).map((m) => m.seq)).toEqual([8, 9, 10])
        expect((await s.messages.before('ra', 3, 5)).map((m) => m.seq)).toEqual([1, 2])
        expect(await s.messages.before('ra', 1, 5)).toEqual([])
        expect(await s.messages.after('rb', 0, 5)).toEqual([])
      })

      test('edit changes content and/or meta and stamps edited_at; tombstone clears both; each takes the next rev', async () => {
        await seed(s)
        const [r] = await s.messages.appendBatch([msg('ra', { meta: '{"a":1}' })])
        const orig = r.ok ? r.row : null
        const edited = (rev: number) => ({ rev, last_change: '{"kind":"edited","user_id":"alice"}' })
        const keep = { content: null, meta: null, mentions: null }
        expect(await s.messages.edit('ra', 1, { ...keep, content: 'new text' }, 'alice', at(9))).toEqual({ ...orig!, content: 'new text', edited_at: at(9), ...edited(1) })
        expect(await s.messages.edit('ra', 1, { ...keep, meta: '{"b":2}' }, 'alice', at(10))).toEqual({
          ...orig!,
          content: 'new text',
          meta: '{"b":2}',
          edited_at: at(10),
          ...edited(2),
        })
        expect(await s.messages.tombstone('ra', 1, 'bob', at(11))).toEqual({
          row: {
            ...orig!,
            content: '',
            meta: null,
            edited_at: at(10),
            deleted_at: at(11),
            rev: 3,
            last_change: '{"kind":"deleted","user_id":"bob"}',
          },
          changed: true,
        })
        expect((await s.messages.bySeq('ra', 1))?.deleted_at).toBe(at(11))
        // deleting again changes nothing; editing a deleted message is a CONFLICT
        expect(await s.messages.tombstone('ra', 1, 'alice', at(12))).toMatchObject({ changed: false, row: { rev: 3, deleted_at: at(11) } })
        await expect(attempt(() => s.messages.edit('ra', 1, { ...keep, content: 'x' }, 'alice', at(13)))).rejects.toMatchObject({ code: 'CONFLICT' })
        expect((await s.rooms.get('t1', 'ra'))?.last_rev).toBe(3)
      })
    })

    describe('rich messages (SPEC §11)', () => {
      const ok = (r: AppendResult) => {
        if (!r.ok) throw r.error
        return r
      }
      const errOf = (r: AppendResult) => (r.ok ? null : { code: (r.error as AppError).code, field: (r.error as AppError).field })

      test('a reply takes the next seq and counts on its parent with a new rev; bad parents fail alone, leaving no gap', async () => {
        await seed(s)
        const [top] = await s.messages.appendBatch([msg('ra')])
        const parentId = ok(top).row.message_id
        const rs = await s.messages.appendBatch([
          msg('ra', { parent_id: parentId, sender_id: 'bob', created_at: at(20) }),
          msg('ra', { parent_id: 'msg_nope' }),
          msg('rb', { parent_id: parentId }), // another room's message
          msg('ra', { parent_id: parentId, created_at: at(21) }),
        ])
        expect(rs.map(seqOf)).toEqual([2, null, null, 3])
        expect(rs.map(errOf)).toEqual([null, { code: 'VALIDATION_ERROR', field: 'parent_id' }, { code: 'VALIDATION_ERROR', field: 'parent_id' }, null])
        const first = ok(rs[0])
        expect(first.row).toMatchObject({ parent_id: parentId, rev: 0, reply_count: 0 })
        expect(first.parent).toMatchObject({ message_id: parentId, reply_count: 1, last_reply_at: at(20), rev: 1, last_change: '{"kind":"reply","user_id":"bob"}' })
        expect(ok(rs[3]).parent).toMatchObject({ reply_count: 2, last_reply_at: at(21), rev: 2 })
        expect((await s.rooms.get('t1', 'ra'))).toMatchObject({ last_seq: 3, last_rev: 2 })
        // one level only; a deleted parent is a CONFLICT
        const [nested] = await s.messages.appendBatch([msg('ra', { parent_id: first.row.message_id })])
        expect(errOf(nested)).toEqual({ code: 'VALIDATION_ERROR', field: 'parent_id' })
        await s.messages.tombstone('ra', 1, 'alice', at(30))
        const [late] = await s.messages.appendBatch([msg('ra', { parent_id: parentId })])
        expect(errOf(late)).toEqual({ code: 'CONFLICT', field: undefined })
        expect((await s.rooms.get('t1', 'ra'))?.last_seq).toBe(3)
        // replies page like history; top-level pages leave them out
        expect((await s.messages.replies('ra', parentId, 0, 10)).map((m) => m.seq)).toEqual([2, 3])
        expect((await s.messages.replies('ra', parentId, 3, 10, true)).map((m) => m.seq)).toEqual([2])
        expect((await s.messages.after('ra', 0, 10, true)).map((m) => m.seq)).toEqual([1])
        expect((await s.messages.before('ra', 99, 10, true)).map((m) => m.seq)).toEqual([1])
        expect((await s.messages.after('ra', 0, 10)).map((m) => m.seq)).toEqual([1, 2, 3])
      })

      test('a batch holding one client_msg_id twice still checks parents, counts the reply once and writes its mentions', async () => {
        await seed(s)
        const parentId = ok((await s.messages.appendBatch([msg('ra')]))[0]).row.message_id
        const reply = () => msg('ra', { parent_id: parentId, mentions: ['bob'], client_msg_id: 'twice', created_at: at(5) })
        const rs = await s.messages.appendBatch([reply(), reply(), msg('ra', { parent_id: 'msg_nope' })])
        expect(rs.map(seqOf)).toEqual([2, 2, null])
        expect(rs.map(errOf)).toEqual([null, null, { code: 'VALIDATION_ERROR', field: 'parent_id' }])
        expect(ok(rs[0]).created).toBe(true)
        expect(ok(rs[1]).created).toBe(false)
        expect(ok(rs[0]).parent).toMatchObject({ message_id: parentId, reply_count: 1, rev: 1 })
        expect((await s.rooms.get('t1', 'ra'))).toMatchObject({ last_seq: 2, last_rev: 1 })
        expect(await s.mentions.unreadCounts('t1', 'bob', ['ra'])).toEqual({ ra: 1 })
      })

      test('mentions: rows with the message, unread above the read marker, replaced by an edit, gone with a delete', async () => {
        await seed(s, ['t1'], [['ra', 't1'], ['rb', 't1']])
        await s.members.add('t1', 'ra', ['carol'], 'member', T0, 100)
        await s.messages.appendBatch([
          msg('ra', { mentions: ['bob', 'carol'], created_at: at(1) }),
          msg('ra', { created_at: at(2) }),
          msg('ra', { mentions: ['bob'], created_at: at(3) }),
          msg('rb', { mentions: ['bob'], created_at: at(4) }),
        ])
        expect(ok((await s.messages.appendBatch([msg('ra', { mentions: ['carol'] })]))[0]).row.mentions).toBe('["carol"]')
        expect(await s.mentions.unreadCounts('t1', 'bob', ['ra', 'rb', 'nope'])).toEqual({ ra: 2, rb: 1 })
        await s.members.advanceRead('ra', 'bob', 1)
        expect(await s.mentions.unreadCounts('t1', 'bob', ['ra', 'rb'])).toEqual({ ra: 1, rb: 1 })
        expect(await s.mentions.unreadCounts('t1', 'bob', [])).toEqual({})
        expect(await s.mentions.membersAmong('ra', ['bob', 'zed', 'carol'])).toEqual(expect.arrayContaining(['bob', 'carol']))
        expect(await s.mentions.membersAmong('ra', ['zed'])).toEqual([])

        const p1 = await s.mentions.listForUser('t1', 'bob', 2)
        expect(p1.rows.map((r) => [r.room_id, r.seq])).toEqual([['rb', 1], ['ra', 3]])
        const p2 = await s.mentions.listForUser('t1', 'bob', 2, p1.next_cursor!)
        expect(p2).toEqual({ rows: [expect.objectContaining({ room_id: 'ra', seq: 1, mentions: '["bob","carol"]' })], next_cursor: null })

        const edited = await s.messages.edit('ra', 1, { content: null, meta: null, mentions: ['carol'] }, 'alice', at(9))
        expect(edited).toMatchObject({ mentions: '["carol"]', rev: 1 })
        expect((await s.mentions.listForUser('t1', 'bob', 10)).rows.map((r) => r.seq)).toEqual([1, 3])
        expect((await s.mentions.listForUser('t1', 'carol', 10)).rows.map((r) => r.seq)).toEqual([4, 1])
        await s.messages.tombstone('ra', 4, 'alice', at(10))
        expect((await s.mentions.listForUser('t1', 'carol', 10)).rows.map((r) => r.seq)).toEqual([1])
        expect((await s.messages.bySeq('ra', 4))?.mentions).toBeNull()
        // a room the user left no longer lists its mentions
        await s.members.remove('rb', 'bob')
        expect((await s.mentions.listForUser('t1', 'bob', 10)).rows.map((r) => r.room_id)).toEqual(['ra'])
        await expect(attempt(() => s.mentions.listForUser('t1', 'bob', 10, 'bm9wZQ'))).rejects.toMatchObject({ code: 'VALIDATION_ERROR', field: 'cursor' })
      })

      test('reactions: add once (a repeat changes nothing), summary in order of first use, 25 reactors listed, refilled on removal', async () => {
        await seed(s)
        await s.messages.appendBatch([msg('ra')])
        const users = Array.from({ length: 27 }, (_, i) => `u${String(i).padStart(2, '0')}`)
        const first = await react(s, 'add', 'ra', 1, '👍', users[0], at(1))
        expect(first).toMatchObject({ changed: true, row: { rev: 1, reactions: '[{"key":"👍","count":1,"user_ids":["u00"]}]' } })
        expect(JSON.parse(first.row.last_change!)).toEqual({ kind: 'reaction.added', user_id: 'u00', key: '👍' })
        expect(await react(s, 'add', 'ra', 1, '👍', users[0], at(2))).toMatchObject({ changed: false, row: { rev: 1 } })
        await react(s, 'add', 'ra', 1, '+1', users[1], at(3))
        for (const u of users.slice(1)) await react(s, 'add', 'ra', 1, '👍', u, at(4))
        let summary = JSON.parse((await s.messages.bySeq('ra', 1))!.reactions!)
        expect(summary.map((r: { key: string; count: number }) => [r.key, r.count])).toEqual([['👍', 27], ['+1', 1]])
        expect(summary[0].user_ids).toEqual(users.slice(0, 25))
        // a listed reactor leaves: the 26th moves up
        const removed = await react(s, 'remove', 'ra', 1, '👍', users[3])
        expect(removed.changed).toBe(true)
        summary = JSON.parse(removed.row.reactions!)
        expect(summary[0]).toEqual({ key: '👍', count: 26, user_ids: [...users.slice(0, 3), ...users.slice(4, 26)] })
        expect(await react(s, 'remove', 'ra', 1, '👍', users[3])).toMatchObject({ changed: false })
        // the last reactor of a key removes the key
        const gone = await react(s, 'remove', 'ra', 1, '+1', users[1])
        expect(JSON.parse(gone.row.reactions!).map((r: { key: string }) => r.key)).toEqual(['👍'])
        expect((await s.rooms.get('t1', 'ra'))?.last_rev).toBe(gone.row.rev)
        // the complete list, paged by when each reaction was made, optionally one key
        const p1 = await s.reactions.list('ra', 1, null, 20)
        expect(p1.reactions).toHaveLength(20)
        expect(p1.reactions[0]).toEqual({ user_id: 'u00', key: '👍', created_at: at(1) })
        const p2 = await s.reactions.list('ra', 1, '👍', 20, p1.next_cursor!)
        expect(p2.reactions.map((r) => r.user_id)).toEqual(users.slice(21))
        expect(p2.next_cursor).toBeNull()
        expect((await s.reactions.list('ra', 1, '+1', 20)).reactions).toEqual([])
      })

      test('reactions are applied in batches: one result per op in order, a failing op alone, revs in op order', async () => {
        await seed(s)
        await s.messages.appendBatch([msg('ra'), msg('ra'), msg('rb')])
        await s.messages.tombstone('ra', 2, 'alice', at(1)) // rev 1
        const op = (o: 'add' | 'remove', roomId: string, seq: number, key: string, user: string) => ({ op: o, room_id: roomId, seq, key, user_id: user, at: at(2) })
        const rs = await s.reactions.apply([
          op('add', 'ra', 1, '👍', 'bob'),
          op('add', 'ra', 2, '👍', 'bob'), // deleted: CONFLICT
          op('add', 'rb', 1, '🎉', 'alice'),
          op('add', 'ra', 1, '👍', 'bob'), // already there
          op('remove', 'ra', 1, 'nope', 'bob'), // nothing to remove
          op('add', 'ra', 1, '+1', 'carol'),
        ])
        expect(rs.map((r) => (r.ok ? [r.changed, r.row.seq, r.row.rev] : (r.error as AppError).code))).toEqual([
          [true, 1, 2],
          'CONFLICT',
          [true, 1, 1],
          [false, 1, 2],
          [false, 1, 2],
          [true, 1, 3],
        ])
        expect(JSON.parse((await s.messages.bySeq('ra', 1))!.reactions!)).toEqual([
          { key: '👍', count: 1, user_ids: ['bob'] },
          { key: '+1', count: 1, user_ids: ['carol'] },
        ])
        expect((await s.rooms.get('t1', 'ra'))?.last_rev).toBe(3)
        expect((await s.rooms.get('t1', 'rb'))?.last_rev).toBe(1)
        expect(await s.reactions.apply([])).toEqual([])
      })

      test('reactions: a 26th distinct key and a deleted message are CONFLICTs; a delete drops them all', async () => {
        await seed(s)
        await s.messages.appendBatch([msg('ra'), msg('ra')])
        for (let i = 0; i < 25; i++) await react(s, 'add', 'ra', 1, `k${i}`, 'bob', at(1))
        await expect(attempt(() => react(s, 'add', 'ra', 1, 'k25', 'bob', at(2)))).rejects.toMatchObject({ code: 'CONFLICT' })
        expect((await react(s, 'add', 'ra', 1, 'k0', 'carol', at(2))).changed).toBe(true) // an existing key still takes reactors
        const before = (await s.rooms.get('t1', 'ra'))!.last_rev
        await s.messages.tombstone('ra', 1, 'alice', at(3))
        expect((await s.messages.bySeq('ra', 1))).toMatchObject({ reactions: null, rev: before + 1 })
        expect((await s.reactions.list('ra', 1, null, 50)).reactions).toEqual([])
        await expect(attempt(() => react(s, 'add', 'ra', 1, 'x', 'bob', at(4)))).rejects.toMatchObject({ code: 'CONFLICT' })
        await expect(attempt(() => react(s, 'remove', 'ra', 1, 'k0', 'bob'))).rejects.toMatchObject({ code: 'CONFLICT' })
        expect((await s.rooms.get('t1', 'ra'))!.last_rev).toBe(before + 1)
      })

      test('pins: newest first, idempotent, at most max, gone with a delete; each change takes a rev', async () => {
        await seed(s)
        await s.messages.appendBatch([msg('ra'), msg('ra'), msg('ra'), msg('ra')])
        expect(await s.pins.pin('ra', 2, 'alice', at(1), 3)).toMatchObject({ changed: true, row: { pinned_at: at(1), pinned_by: 'alice', rev: 1 } })
        expect(await s.pins.pin('ra', 2, 'bob', at(2), 3)).toMatchObject({ changed: false, row: { pinned_by: 'alice', rev: 1 } })
        await s.pins.pin('ra', 1, 'bob', at(1), 3) // same millisecond: still after the first pin
        await s.pins.pin('ra', 3, 'bob', at(1), 3)
        expect((await s.pins.list('ra')).map((m) => m.seq)).toEqual([3, 1, 2])
        await expect(attempt(() => s.pins.pin('ra', 4, 'bob', at(3), 3))).rejects.toMatchObject({ code: 'CONFLICT' })
        const un = await s.pins.unpin('ra', 1, 'carol')
        expect(un).toMatchObject({ changed: true, row: { pinned_at: null, pinned_by: null, rev: 4 } })
        expect(JSON.parse(un.row.last_change!)).toEqual({ kind: 'unpinned', user_id: 'carol' })
        expect(await s.pins.unpin('ra', 1, 'carol')).toMatchObject({ changed: false, row: { rev: 4 } })
        expect((await s.pins.pin('ra', 4, 'bob', at(3), 3)).changed).toBe(true)
        await s.messages.tombstone('ra', 3, 'alice', at(4))
        expect((await s.pins.list('ra')).map((m) => m.seq)).toEqual([4, 2])
        await expect(attempt(() => s.pins.pin('ra', 3, 'bob', at(5), 3))).rejects.toMatchObject({ code: 'CONFLICT' })
        await expect(attempt(() => s.pins.unpin('ra', 3, 'bob'))).rejects.toMatchObject({ code: 'CONFLICT' })
      })

      test('changes: each changed message once, in ascending rev, up to the last_rev read with it', async () => {
        await seed(s)
        await s.messages.appendBatch([msg('ra'), msg('ra'), msg('ra'), msg('rb')])
        expect(await s.messages.changes('ra', 0, 10)).toEqual({ rows: [], last_rev: 0 })
        await react(s, 'add', 'ra', 1, 'a', 'bob', at(1)) // rev 1
        await s.messages.edit('ra', 2, { content: 'e', meta: null, mentions: null }, 'alice', at(2)) // rev 2
        await react(s, 'add', 'ra', 1, 'b', 'bob', at(3)) // rev 3: message 1 moves up
        await s.pins.pin('rb', 1, 'alice', at(4), 50) // another room's counter
        const all = await s.messages.changes('ra', 0, 10)
        expect(all.last_rev).toBe(3)
        expect(all.rows.map((r) => [r.seq, r.rev])).toEqual([[2, 2], [1, 3]])
        expect(JSON.parse(all.rows[1].last_change!)).toEqual({ kind: 'reaction.added', user_id: 'bob', key: 'b' })
        expect(all.rows[0]).not.toHaveProperty('tenant_id')
        expect((await s.messages.changes('ra', 2, 10)).rows.map((r) => r.seq)).toEqual([1])
        expect((await s.messages.changes('ra', 0, 1)).rows.map((r) => r.seq)).toEqual([2])
        expect(await s.messages.changes('ra', 3, 10)).toEqual({ rows: [], last_rev: 3 })
        expect(await s.messages.changes('rb', 0, 10)).toMatchObject({ last_rev: 1, rows: [expect.objectContaining({ seq: 1, rev: 1 })] })
      })

      test('stamp: every write to a room\'s messages moves it (the history cache trusts it); another room\'s do not', async () => {
        await seed(s)
        const stamps: unknown[] = [await s.messages.stamp('ra')]
        const moved = async () => {
          const now = await s.messages.stamp('ra')
          expect(stamps).not.toContainEqual(now)
          stamps.push(now)
        }
        expect(stamps[0]).toEqual({ last_seq: 0, last_rev: 0, first_seq: 1 })
        await s.messages.appendBatch([msg('ra'), msg('ra'), msg('ra')])
        await moved()
        await s.messages.edit('ra', 1, { content: 'e', meta: null, mentions: null }, 'alice', at(1))
        await moved()
        await react(s, 'add', 'ra', 2, 'a', 'bob', at(2))
        await moved()
        await s.pins.pin('ra', 2, 'alice', at(3), 50)
        await moved()
        await s.messages.tombstone('ra', 3, 'alice', at(4))
        await moved()
        await s.messages.appendBatch([msg('ra', { parent_id: (await s.messages.bySeq('ra', 2))!.message_id })])
        await moved()
        await s.purge.expire('ra', at(100), 10, at(100))
        await moved()
        const before = await s.messages.stamp('ra')
        await s.messages.appendBatch([msg('rb')])
        await s.pins.pin('rb', 1, 'alice', at(5), 50)
        expect(await s.messages.stamp('ra')).toEqual(before)
        expect(await s.messages.stamp('nope')).toBeNull()
      })

      test('reactions through two instances at once take distinct revs, one each, counted exactly', async () => {
        await seed(s)
        await s.messages.appendBatch([msg('ra')])
        const other = inst.second()
        const users = Array.from({ length: 30 }, (_, i) => `p${i}`)
        const rs = await Promise.all(users.map((u, i) => react(i % 2 ? other : s, 'add', 'ra', 1, '👍', u, at(1))))
        expect(new Set(rs.map((r) => r.row.rev)).size).toBe(30)
        const row = (await s.messages.bySeq('ra', 1))!
        expect(row.rev).toBe(30)
        expect(JSON.parse(row.reactions!)[0].count).toBe(30)
        expect((await s.rooms.get('t1', 'ra'))?.last_rev).toBe(30)
      })
    })

    describe('notifications and subscriptions', () => {
      const ntf = (id: string, created: number, expires: number) => ({
        notification_id: id,
        tenant_id: 't1',
        topic: 'news',
        payload: `{"n":"${id}"}`,
        created_at: at(created),
        expires_at: expires,
      })

      test('pending per user until acked or expired, oldest first; expired ones are deleted', async () => {
        await s.notifications.create(ntf('n2', 2, 5000), ['alice', 'bob', 'alice'])
        await s.notifications.create(ntf('n1', 1, 9000), ['alice'])
        await s.notifications.create(ntf('n0', 0, 100), ['alice'])
        expect(await s.notifications.pendingFor('t1', 'alice', 1000)).toEqual([ntf('n1', 1, 9000), ntf('n2', 2, 5000)])
        expect(typeof (await s.notifications.pendingFor('t1', 'alice', 1000))[0].expires_at).toBe('number')
        expect((await s.notifications.pendingFor('t1', 'alice', 6000)).map((x) => x.notification_id)).toEqual(['n1'])
        expect(await s.notifications.pendingFor('t2', 'alice', 1000)).toEqual([])
        expect(await s.notifications.ack('t1', 'alice', 'n1')).toBe(true)
        expect(await s.notifications.ack('t1', 'alice', 'n1')).toBe(false)
        expect((await s.notifications.pendingFor('t1', 'alice', 1000)).map((x) => x.notification_id)).toEqual(['n2'])
        expect((await s.notifications.pendingFor('t1', 'bob', 1000)).map((x) => x.notification_id)).toEqual(['n2'])
        expect(await s.notifications.deleteExpired(5000)).toBe(2) // n0 and n2 (their targets cascade)
        expect(await s.notifications.pendingFor('t1', 'bob', 0)).toEqual([])
        expect(await s.notifications.deleteExpired(5000)).toBe(0)
      })

      test('subscribe is idempotent per (user, topic, endpoint or none); list, subscribers, endpoints, unsubscribe', async () => {
        const sub = (id: string, user: string, topic: string, endpoint: string | null, sec = 0) => ({
          subscription_id: id,
          tenant_id: 't1',
          user_id: user,
          topic,
          endpoint,
          created_at: at(sec),
        })
        expect(await s.notifications.subscribe(sub('s1', 'alice', 'news', null))).toEqual({ row: sub('s1', 'alice', 'news', null), created: true })
        expect(await s.notifications.subscribe(sub('s2', 'alice', 'news', null, 5))).toEqual({ row: sub('s1', 'alice', 'news', null), created: false })
        const withEp = sub('s3', 'alice', 'news', 'https://ep.example/x', 1)
        expect(await s.notifications.subscribe(withEp)).toEqual({ row: withEp, created: true })
        expect((await s.notifications.subscribe(sub('s4', 'alice', 'news', 'https://ep.example/x', 6))).row).toEqual(withEp)
        await s.notifications.subscribe(sub('s5', 'bob', 'news', 'https://ep.example/y', 2))
        await s.notifications.subscribe(sub('s6', 'bob', 'sports', null, 3))
        expect(await s.notifications.subscriptionsOf('t1', 'alice')).toEqual([sub('s1', 'alice', 'news', null), withEp])
        expect((await s.notifications.subscribersOf('t1', 'news')).sort()).toEqual(['alice', 'bob'])
        expect((await s.notifications.endpointsFor('t1', 'news')).map((x) => x.subscription_id).sort()).toEqual(['s3', 's5'])
        expect(await s.notifications.endpointsFor('t2', 'news')).toEqual([])
        expect(await s.notifications.unsubscribe('t1', 'bob', 's1')).toBe(false) // not bob's
        expect(await s.notifications.unsubscribe('t1', 'alice', 's1')).toBe(true)
        expect(await s.notifications.unsubscribe('t1', 'alice', 's1')).toBe(false)
        expect((await s.notifications.subscriptionsOf('t1', 'alice')).map((x) => x.subscription_id)).toEqual(['s3'])
      })
    })

    describe('deliveries', () => {
      test('enqueue, get, due (time, skipped urls, limit, oldest first), counts', async () => {
        await s.deliveries.enqueue([
          delivery('d1', { next_attempt_at: 300 }),
          delivery('d2', { next_attempt_at: 100, url: 'https://hooks.example/b', kind: 'notification' }),
          delivery('d3', { next_attempt_at: 200 }),
          delivery('d4', { next_attempt_at: 5000 }),
        ])
        await s.deliveries.enqueue([])
        const d1: DeliveryRow = {
          ...delivery('d1', { next_attempt_at: 300 }),
          attempts: 0,
          state: 'pending',
          last_error: null,
          last_attempt_at: null,
        }
        expect(await s.deliveries.get('d1')).toEqual(d1)
        expect(await s.deliveries.get('nope')).toBeNull()
        expect((await s.deliveries.due(1000, 10)).map((d) => d.delivery_id)).toEqual(['d2', 'd3', 'd1'])
        expect((await s.deliveries.due(1000, 2)).map((d) => d.delivery_id)).toEqual(['d2', 'd3'])
        expect((await s.deliveries.due(1000, 10, ['https://hooks.example/b'])).map((d) => d.delivery_id)).toEqual(['d3', 'd1'])
        expect((await s.deliveries.due(1000, 10))[2]).toEqual(d1)
        expect(await s.deliveries.pendingCount()).toBe(4)
        expect(await s.deliveries.nextDueAt()).toBe(100)
        const reader = inst.reader()
        expect((await reader.due(1000, 10)).map((d) => d.delivery_id)).toEqual(['d2', 'd3', 'd1'])
      })

      test('attempt results: delivered, failed (returns the row), postponed, dead, requeued, deleted, cleaned up', async () => {
        await s.deliveries.enqueue([delivery('d1'), delivery('d2'), delivery('d3'), delivery('d4', { created_at: at(100) })])
        expect(await s.deliveries.markDelivered('d1', at(1))).toBe(true)
        expect(await s.deliveries.markDelivered('d1', at(2))).toBe(false)
        expect(await s.deliveries.get('d1')).toMatchObject({ state: 'delivered', attempts: 1, last_attempt_at: at(1), last_error: null })
        expect(await s.deliveries.markFailed('d2', 'HTTP 500', at(3), 7000)).toEqual({
          ...delivery('d2'),
          attempts: 1,
          next_attempt_at: 7000,
          state: 'pending',
          last_error: 'HTTP 500',
          last_attempt_at: at(3),
        })
        expect(await s.deliveries.markFailed('d1', 'x', at(3), 7000)).toBeNull() // not pending
        await s.deliveries.postpone('d3', 8000)
        expect(await s.deliveries.get('d3')).toMatchObject({ attempts: 0, next_attempt_at: 8000 })
        expect(await s.deliveries.nextDueAt()).toBe(1000) // d4
        await s.deliveries.markDead('d2')
        expect((await s.deliveries.get('d2'))?.state).toBe('dead')
        expect(await s.deliveries.pendingCount()).toBe(2)
        expect(await s.deliveries.requeue('d2', 50)).toBe(true)
        expect(await s.deliveries.get('d2')).toMatchObject({ state: 'pending', attempts: 0, next_attempt_at: 50 })
        expect(await s.deliveries.requeue('nope', 50)).toBe(false)
        await s.deliveries.markDead('d2')
        await s.deliveries.deleteDead('d3') // pending: stays
        await s.deliveries.deleteDead('d2')
        expect(await s.deliveries.get('d2')).toBeNull()
        expect(await s.deliveries.get('d3')).not.toBeNull()
        await s.deliveries.markDelivered('d4', at(101))
        expect(await s.deliveries.cleanupDelivered(at(50))).toBe(1) // d1 (created T0), not d4
        expect(await s.deliveries.get('d4')).not.toBeNull()
        await s.deliveries.markDelivered('d3', at(2))
        expect(await s.deliveries.pendingCount()).toBe(0)
        expect(await s.deliveries.nextDueAt()).toBeNull()
      })

      test('atomically runs the function and returns its value', async () => {
        expect(await s.deliveries.atomically(() => 42, { relaxed: true })).toBe(42)
      })

      test('applyDeliveryResults: ok, skipped, failed with backoff, dead letter after retryMax, success clears it', async () => {
        await s.deliveries.enqueue([delivery('d1'), delivery('d2'), delivery('d3')])
        let ids = 0
        const policy = (now: number): ResultPolicy => ({ now, retryMax: 1, retryDelay: (a) => a * 100, newDeadLetterId: () => `dl${++ids}` })
        await s.applyDeliveryResults(
          [
            { delivery_id: 'd1', outcome: 'ok' },
            { delivery_id: 'd2', outcome: 'failed', error: 'HTTP 502' },
            { delivery_id: 'd3', outcome: 'skipped', retry_at: 9999 },
            { delivery_id: 'nope', outcome: 'failed', error: 'x' },
          ],
          policy(2000),
        )
        expect(await s.deliveries.get('d1')).toMatchObject({ state: 'delivered', attempts: 1 })
        expect(await s.deliveries.get('d2')).toMatchObject({ state: 'pending', attempts: 1, next_attempt_at: 2100, last_error: 'HTTP 502' })
        expect(await s.deliveries.get('d3')).toMatchObject({ state: 'pending', attempts: 0, next_attempt_at: 9999 })
        await s.applyDeliveryResults([{ delivery_id: 'd2', outcome: 'failed', error: 'HTTP 503' }], policy(3000))
        expect(await s.deliveries.get('d2')).toMatchObject({ state: 'dead', attempts: 2 })
        expect(await s.deadLetters.list({ limit: 10 })).toEqual([
          deadLetter('dl1', {
            ref_id: 'evt_d2',
            delivery_id: 'd2',
            attempts: 2,
            last_error: 'HTTP 503',
            created_at: new Date(3000).toISOString(),
            last_attempt_at: new Date(3000).toISOString(),
          }),
        ])
        expect(await s.deliveries.requeue('d2', 3000)).toBe(true)
        await s.applyDeliveryResults([{ delivery_id: 'd2', outcome: 'ok' }], policy(4000))
        expect(await s.deadLetters.count()).toBe(0)
        await s.applyDeliveryResults([], policy(5000))
      })
    })

    describe('dead letters', () => {
      test('insert (one message letter per user and room), get, list filtered newest first, delete, count', async () => {
        await s.deadLetters.insert(deadLetter('a', { created_at: at(1) }))
        await s.deadLetters.insert(deadLetter('b', { created_at: at(3), kind: 'notification', delivery_id: 'd9' }))
        await s.deadLetters.insert(deadLetter('c', { created_at: at(2), tenant_id: 't2' }))
        const m = deadLetter('m1', { kind: 'message', target: 'bob', ref_id: 'ra', from_seq: 3, to_seq: 7, created_at: at(4) })
        await s.deadLetters.insert(m)
        await s.deadLetters.insert({ ...m, id: 'm2', from_seq: 1 }) // same user and room: ignored
        await s.deadLetters.insert(deadLetter('a', { last_error: 'again' })) // same id: ignored
        expect(await s.deadLetters.get('m1')).toEqual(m)
        expect(await s.deadLetters.get('m2')).toBeNull()
        expect(await s.deadLetters.get('a')).toEqual(deadLetter('a', { created_at: at(1) }))
        expect((await s.deadLetters.list({ limit: 10 })).map((d) => d.id)).toEqual(['m1', 'b', 'c', 'a'])
        expect((await s.deadLetters.list({ limit: 2 })).map((d) => d.id)).toEqual(['m1', 'b'])
        expect((await s.deadLetters.list({ tenant_id: 't1', limit: 10 })).map((d) => d.id)).toEqual(['m1', 'b', 'a'])
        expect((await s.deadLetters.list({ tenant_id: 't1', kind: 'webhook', limit: 10 })).map((d) => d.id)).toEqual(['a'])
        expect(await s.deadLetters.messageLetters()).toEqual([m])
        expect(await s.deadLetters.count()).toBe(4)
        await s.deadLetters.deleteForDelivery('d9')
        expect(await s.deadLetters.get('b')).toBeNull()
        expect(await s.deadLetters.delete('a')).toBe(true)
        expect(await s.deadLetters.delete('a')).toBe(false)
        expect(await s.deadLetters.count()).toBe(2)
      })
    })

    describe('search', () => {
      const terms = (q: string) => parseSearchQuery(q)
      const find = async (q: string, o: Partial<SearchRequest> = {}) =>
        (await s.search.query({ tenantId: 't1', userId: 'alice', terms: terms(q), limit: 50, ...o })).rows.map((r) => r.content)

      test('words ANDed, phrases in order, prefixes, case and diacritics; newest first by created_at', async () => {
        await seed(s)
        await s.messages.appendBatch([
          msg('ra', { content: 'quick brown fox', created_at: at(3) }),
          msg('ra', { content: 'brown quick fox', created_at: at(1) }),
          msg('rb', { content: 'Quick RED fox, café', created_at: at(2) }),
        ])
        expect(await find('fox')).toEqual(['quick brown fox', 'Quick RED fox, café', 'brown quick fox'])
        expect(await find('quick brown')).toEqual(['quick brown fox', 'brown quick fox'])
        expect(await find('"quick brown"')).toEqual(['quick brown fox'])
        expect(await find('qu* re*')).toEqual(['Quick RED fox, café'])
        expect(await find('CAFE')).toEqual(['Quick RED fox, café'])
        expect(await find('fox', { roomId: 'rb' })).toEqual(['Quick RED fox, café'])
        expect(await find('zebra')).toEqual([])
      })

      test("only the user's rooms of that tenant; a sender filter; removed members and other tenants see nothing", async () => {
        await seed(s, ['t1', 't2'], [['ra', 't1'], ['rb', 't1'], ['rc', 't2']])
        await s.rooms.create('t1', room('rd', ['carol']))
        await s.messages.appendBatch([
          msg('ra', { content: 'shared word one' }),
          msg('rb', { content: 'shared word two', sender_id: 'bob' }),
          msg('rc', { tenant_id: 't2', content: 'shared word other tenant' }),
          msg('rd', { content: 'shared word carol only', sender_id: 'carol' }),
        ])
        expect((await find('shared')).sort()).toEqual(['shared word one', 'shared word two'])
        expect(await find('shared', { senderId: 'bob' })).toEqual(['shared word two'])
        expect(await find('shared', { tenantId: 't2' })).toEqual(['shared word other tenant'])
        expect(await find('shared', { userId: 'carol' })).toEqual(['shared word carol only'])
        await s.members.remove('ra', 'alice')
        expect(await find('shared')).toEqual(['shared word two'])
        expect(await find('shared', { userId: 'nobody' })).toEqual([])
      })

      test('an edit matches its new words only; a tombstone matches nothing', async () => {
        await seed(s)
        const [a, b] = await s.messages.appendBatch([msg('ra', { content: 'old words here' }), msg('ra', { content: 'doomed words' })])
        await s.messages.edit('ra', seqOf(a)!, { content: 'new text now', meta: null, mentions: null }, 'alice', at(9))
        await s.messages.tombstone('ra', seqOf(b)!, 'alice', at(9))
        expect(await find('old')).toEqual([])
        expect(await find('new')).toEqual(['new text now'])
        expect(await find('doomed')).toEqual([])
        expect(await find('words')).toEqual([])
      })

      test('pages by limit and next_cursor, every match once, null at the end; a foreign cursor is VALIDATION_ERROR on cursor', async () => {
        await seed(s)
        await s.messages.appendBatch(Array.from({ length: 5 }, (_, i) => msg('ra', { content: `page ${i}`, created_at: at(i) })))
        const seen: string[] = []
        let cursor: string | undefined
        for (let i = 0; i < 5; i++) {
          const p = await s.search.query({ tenantId: 't1', userId: 'alice', terms: terms('page'), limit: 2, cursor })
          seen.push(...p.rows.map((r) => r.content))
          if (!p.next_cursor) break
          cursor = p.next_cursor
        }
        expect(seen).toEqual(['page 4', 'page 3', 'page 2', 'page 1', 'page 0'])
        const bad = await attempt(() => s.search.query({ tenantId: 't1', userId: 'alice', terms: terms('page'), limit: 2, cursor: 'bm90LWEtY3Vyc29y' })).catch((e) => e)
        expect(bad).toBeInstanceOf(AppError)
        expect({ code: bad.code, field: bad.field }).toEqual({ code: 'VALIDATION_ERROR', field: 'cursor' })
      })
    })

    describe('meta and health', () => {
      test('meta get/set, a real write probe, no WAL to report', async () => {
        expect(await s.meta.get('k')).toBeNull()
        await s.meta.set('k', 'v1')
        await s.meta.set('k', 'v2')
        expect(await s.meta.get('k')).toBe('v2')
        expect(await s.writable()).toBe(true)
        expect(typeof (await s.walBytes())).toBe('number')
      })
    })

    describe('data lifecycle (SPEC §15)', () => {
      const job = (id: string, kind: 'room.delete' | 'user.erase' | 'tenant.delete', target: string, tenantId = 't1') => ({
        job_id: id,
        tenant_id: tenantId,
        kind,
        target,
        created_at: at(9),
      })
      /** Runs job steps of `max` rows until one reports finished; returns every step's result. */
      async function drain<R extends { finished: boolean }>(step: () => R | Promise<R>, limit = 200): Promise<R[]> {
        const out: R[] = []
        for (let i = 0; i < limit; i++) {
          const r = await step()
          out.push(r)
          if (r.finished) return out
        }
        throw new Error('job did not finish')
      }

      test('a deleted room is gone at once for every read, takes no appends, and has its job', async () => {
        await seed(s)
        await s.messages.appendBatch([msg('ra'), msg('ra'), msg('rb')])
        expect(await s.rooms.markDeleted('t2', 'ra', at(9), job('j1', 'room.delete', 'ra'))).toBeNull() // another tenant's id
        const was = await s.rooms.markDeleted('t1', 'ra', at(9), job('j1', 'room.delete', 'ra'))
        expect(was).toMatchObject({ room_id: 'ra', last_seq: 2, first_seq: 1, member_count: 2 })
        expect(await s.rooms.markDeleted('t1', 'ra', at(9), job('j2', 'room.delete', 'ra'))).toBeNull()
        expect(await s.rooms.get('t1', 'ra')).toBeNull()
        expect((await s.rooms.listForUser('t1', 'alice', 10)).rooms.map((r) => r.room_id)).toEqual(['rb'])
        expect((await s.members.membershipsOf('t1', 'alice')).map((m) => m.room_id)).toEqual(['rb'])
        expect(await s.members.laggards('ra')).toEqual([])
        const [r] = await s.messages.appendBatch([msg('ra')])
        expect(r.ok ? null : r.error).toMatchObject({ code: 'NOT_FOUND' })
        expect(await s.tenants.usage('t1')).toEqual({ rooms: 1, messages: 1 })
        expect(await s.jobs.get('j1')).toEqual({
          job_id: 'j1', tenant_id: 't1', kind: 'room.delete', target: 'ra', status: 'running', done: 0, total: 4,
          cursor: null, error: null, created_at: at(9), finished_at: null, lease_until: null,
        })
        expect(await s.jobs.get('j2')).toBeNull()
      })

      test('room delete steps remove at most max rows each: messages, then members, then the room; progress moves with them', async () => {
        await seed(s)
        await s.messages.appendBatch([msg('ra'), msg('ra'), msg('ra'), msg('rb')])
        await s.rooms.markDeleted('t1', 'ra', at(9), job('j1', 'room.delete', 'ra'))
        const steps = await drain(() => s.purge.roomStep('j1', 'ra', 2, at(10)))
        expect(steps).toEqual([
          { removed: 2, finished: false, over: false, members: [] },
          { removed: 2, finished: false, over: false, members: ['alice'] },
          { removed: 1, finished: true, over: true, members: ['bob'] },
        ])
        expect(await s.messages.after('ra', 0, 10)).toEqual([])
        expect(await s.members.get('ra', 'bob')).toBeNull()
        expect(await s.jobs.get('j1')).toMatchObject({ status: 'done', done: 5, total: 5, finished_at: at(10) })
        expect(await s.purge.roomStep('j1', 'ra', 2, at(11))).toEqual({ removed: 0, finished: false, over: true, members: [] })
        expect((await s.messages.after('rb', 0, 10)).length).toBe(1) // the other room is untouched
        expect(await s.rooms.get('t1', 'rb')).not.toBeNull()
      })

      test('retention removes only the old prefix, at most max per call; first_seq, unread counts and usage follow', async () => {
        await seed(s)
        const times = [1, 2, 3, 4, 30, 5, 40] // seq 6 is old but behind a newer one: it waits for the prefix
        await s.messages.appendBatch(times.map((t) => msg('ra', { sender_id: 'bob', created_at: at(t) })))
        await s.messages.appendBatch([msg('rb', { created_at: at(50) })])
        await s.members.advanceRead('ra', 'alice', 1)
        expect((await s.rooms.listForUser('t1', 'alice', 10)).rooms.find((r) => r.room_id === 'ra')?.unread_count).toBe(6)
        expect((await s.purge.retentionRooms('t1', null, 10)).map((r) => r.room_id)).toEqual(['ra', 'rb'])
        expect(await s.purge.expire('ra', at(20), 3, at(90))).toEqual({ removed: 3, first_seq: 4 })
        expect(await s.purge.expire('ra', at(20), 3, at(90))).toEqual({ removed: 1, first_seq: 5 })
        expect(await s.purge.expire('ra', at(20), 3, at(90))).toEqual({ removed: 0, first_seq: 5 })
        expect(await s.purge.expire('rb', at(20), 3, at(90))).toEqual({ removed: 0, first_seq: 1 })
        expect((await s.messages.after('ra', 0, 10)).map((m) => m.seq)).toEqual([5, 6, 7])
        expect(await s.messages.before('ra', 5, 10)).toEqual([])
        const ra = (await s.rooms.listForUser('t1', 'alice', 10)).rooms.find((r) => r.room_id === 'ra')!
        expect(ra).toMatchObject({ first_seq: 5, last_seq: 7, unread_count: 3 }) // her marker (1) is below the horizon
        expect((await s.rooms.get('t1', 'ra'))?.first_seq).toBe(5)
        expect(await s.tenants.usage('t1')).toEqual({ rooms: 2, messages: 4 })
        // everything old: the room keeps its last_seq and stores nothing
        expect(await s.purge.expire('ra', at(99), 10, at(90))).toEqual({ removed: 3, first_seq: 8 })
        expect(await s.rooms.get('t1', 'ra')).toMatchObject({ first_seq: 8, last_seq: 7 })
        expect((await s.purge.retentionRooms('t1', null, 10)).map((r) => r.room_id)).toEqual(['rb'])
        expect((await s.purge.retentionRooms('t1', 'ra', 10)).map((r) => r.room_id)).toEqual(['rb'])
        const [next] = await s.messages.appendBatch([msg('ra', { created_at: at(100) })])
        expect(next.ok && next.row.seq).toBe(8)
      })

      test('a deleted tenant: key, id and listing are gone at once; its steps remove all it held and nothing of others', async () => {
        await seed(s, ['t1', 't2'], [['ra', 't1'], ['rb', 't1'], ['rx', 't2']])
        await s.messages.appendBatch([msg('ra'), msg('ra'), msg('rb'), msg('rx', { tenant_id: 't2' })])
        await s.notifications.create({ notification_id: 'n1', tenant_id: 't1', topic: 'x', payload: '{}', created_at: T0, expires_at: 9e12 }, ['alice', 'bob'])
        await s.notifications.subscribe({ subscription_id: 's1', tenant_id: 't1', user_id: 'alice', topic: 'x', endpoint: null, created_at: T0 })
        await s.notifications.subscribe({ subscription_id: 's2', tenant_id: 't2', user_id: 'alice', topic: 'x', endpoint: null, created_at: T0 })
        await s.deliveries.enqueue([delivery('d1'), delivery('d2', { tenant_id: 't2' })])
        await s.deadLetters.insert(deadLetter('dl1'))
        await s.rooms.markDeleted('t1', 'rb', at(9), job('jr', 'room.delete', 'rb'))
        expect(await s.tenants.markDeleted('t1', at(9), job('jt', 'tenant.delete', 't1'))).toBe(true)
        expect(await s.tenants.markDeleted('t1', at(9), job('jt2', 'tenant.delete', 't1'))).toBe(false)
        expect(await s.tenants.get('t1')).toBeNull()
        expect(await s.tenants.byKeyHash('hash-t1')).toBeNull()
        expect((await s.tenants.list()).map((t) => t.tenant_id)).toEqual(['t2'])
        expect(await s.tenants.update('t1', { name: 'x' })).toBeNull()
        expect(await s.tenants.setSecret('t1', 'api_key_hash', 'h')).toBe(false)
        expect(await s.jobs.get('jt')).toMatchObject({ kind: 'tenant.delete', total: 5, done: 0 }) // 3 stored messages + 2 rooms
        const steps = await drain(() => s.purge.tenantStep('jt', 't1', 2, at(10)))
        expect(steps.length).toBeGreaterThan(3)
        expect(steps.every((r) => r.removed <= 2)).toBe(true)
        expect(await s.jobs.get('jt')).toMatchObject({ status: 'done', done: 5, total: 5, finished_at: at(10) })
        expect(await s.jobs.get('jr')).toBeNull() // the tenant's other jobs went with it
        expect(await s.messages.after('ra', 0, 10)).toEqual([])
        expect(await s.members.get('ra', 'alice')).toBeNull()
        expect(await s.notifications.pendingFor('t1', 'bob', 0)).toEqual([])
        expect(await s.notifications.subscriptionsOf('t1', 'alice')).toEqual([])
        expect(await s.deliveries.get('d1')).toBeNull()
        expect(await s.deadLetters.get('dl1')).toBeNull()
        expect(await s.tenants.usage('t1')).toEqual({ rooms: 0, messages: 0 })
        // the other tenant keeps everything
        expect(await s.tenants.get('t2')).not.toBeNull()
        expect((await s.messages.after('rx', 0, 10)).length).toBe(1)
        expect((await s.notifications.subscriptionsOf('t2', 'alice')).length).toBe(1)
        expect(await s.deliveries.get('d2')).not.toBeNull()
        // a new tenant may reuse nothing of it, but the id is free again
        await s.tenants.insert(tenant('t1'))
        expect((await s.tenants.get('t1'))?.tenant_id).toBe('t1')
      })

      test('tenants page oldest first with a cursor', async () => {
        for (const [id, sec] of [['t3', 2], ['t1', 1], ['t2', 1], ['t4', 3]] as const) await s.tenants.insert(tenant(id, { created_at: at(sec) }))
        const p1 = await s.tenants.page(3)
        expect(p1.rows.map((t) => t.tenant_id)).toEqual(['t1', 't2', 't3'])
        expect(p1.rows[0]).toEqual(tenant('t1', { created_at: at(1) }))
        const p2 = await s.tenants.page(3, p1.next_cursor!)
        expect(p2).toEqual({ rows: [tenant('t4', { created_at: at(3) })], next_cursor: null })
        expect((await s.tenants.page(4)).next_cursor).toBeNull()
      })

      test('user erase: memberships first (ownership passes on), then their messages in every room, then the rest', async () => {
        await seed(s, ['t1', 't2'], [])
        const members = (spec: [string, 'owner' | 'admin' | 'member', number][]) => spec.map(([u, role]) => ({ user_id: u, role }))
        await s.rooms.create('t1', room('g1', ['alice', 'bob', 'carol'], { members: members([['alice', 'owner', 0], ['bob', 'member', 0], ['carol', 'member', 0]]) }))
        await s.members.add('t1', 'g1', ['dave'], 'admin', at(5), 100) // the admin joined last, yet is preferred
        await s.rooms.create('t1', room('g2', [], { members: members([['alice', 'owner', 0]]) }))
        await s.members.add('t1', 'g2', ['erin'], 'member', at(3), 100)
        await s.members.add('t1', 'g2', ['bob'], 'member', at(2), 100) // earliest-joined member takes g2
        await s.rooms.create('t1', room('d1', [], { type: 'dm', unique_key: 'alice|bob', members: members([['alice', 'member', 0], ['bob', 'member', 0]]) }))
        await s.rooms.create('t1', room('left', ['bob']))
        await s.rooms.create('t2', room('other', ['alice']))
        const mine = await s.messages.appendBatch([
          msg('g1'), msg('g1', { sender_id: 'bob' }), msg('d1'), msg('g2', { meta: '{"a":1}' }),
          ...Array.from({ length: 12 }, () => msg('left')), msg('left', { sender_id: 'bob' }),
          msg('other', { tenant_id: 't2' }),
        ])
        expect(mine.every((r) => r.ok)).toBe(true)
        await s.notifications.create({ notification_id: 'n1', tenant_id: 't1', topic: 'x', payload: '{}', created_at: T0, expires_at: 9e12 }, ['alice', 'bob'])
        await s.notifications.subscribe({ subscription_id: 's1', tenant_id: 't1', user_id: 'alice', topic: 'x', endpoint: null, created_at: T0 })
        await s.deadLetters.insert(deadLetter('dl1', { kind: 'message', target: 'alice', ref_id: 'g1', from_seq: 1, to_seq: 2 }))
        await s.erase.begin(job('je', 'user.erase', 'alice'))
        expect(await s.jobs.get('je')).toMatchObject({ total: 3 + 4 + 1, done: 0, cursor: null }) // memberships + rooms + the last phase
        const steps = await drain(() => s.erase.step('je', 't1', 'alice', 2, at(20)))
        const left = steps.flatMap((r) => r.left)
        expect(left.sort((a, b) => a.room_id.localeCompare(b.room_id))).toEqual([
          { room_id: 'd1', role: 'member', owner: null },
          { room_id: 'g1', role: 'owner', owner: 'dave' },
          { room_id: 'g2', role: 'owner', owner: 'bob' },
        ])
        expect((await s.members.get('g1', 'dave'))?.role).toBe('owner')
        expect((await s.members.get('g2', 'bob'))?.role).toBe('owner')
        expect((await s.members.get('g2', 'erin'))?.role).toBe('member')
        expect(await s.members.get('d1', 'alice')).toBeNull()
        expect((await s.rooms.get('t1', 'g1'))?.member_count).toBe(3)
        const deleted = steps.flatMap((r) => r.deleted)
        expect(deleted).toHaveLength(15)
        expect(deleted.every((m) => m.sender_id === 'alice' && m.content === '' && m.meta === null && m.deleted_at === at(20))).toBe(true)
        expect(steps.every((r) => r.deleted.length <= 2 * 4)).toBe(true) // bounded: a window of max × 4 seqs
        for (const roomId of ['g1', 'g2', 'd1', 'left']) {
          for (const m of await s.messages.after(roomId, 0, 100)) {
            if (m.sender_id === 'alice') expect(m).toMatchObject({ content: '', meta: null, deleted_at: at(20) })
            else expect(m.deleted_at).toBeNull()
          }
        }
        expect((await s.messages.after('other', 0, 10))[0].deleted_at).toBeNull() // another tenant's alice
        expect(await s.notifications.pendingFor('t1', 'alice', 0)).toEqual([])
        expect((await s.notifications.pendingFor('t1', 'bob', 0)).length).toBe(1)
        expect(await s.notifications.subscriptionsOf('t1', 'alice')).toEqual([])
        expect(await s.deadLetters.get('dl1')).toBeNull()
        expect(await s.jobs.get('je')).toMatchObject({ status: 'done', done: 8, total: 8, cursor: null, finished_at: at(20) })
      })

      test('an erase resumes from its committed cursor on another connection (a restart)', async () => {
        await seed(s, ['t1'], [['ra', 't1'], ['rb', 't1']])
        await s.messages.appendBatch(Array.from({ length: 10 }, (_, i) => msg(i % 2 ? 'ra' : 'rb')))
        await s.erase.begin(job('je', 'user.erase', 'alice'))
        const first = await s.erase.step('je', 't1', 'alice', 1, at(20)) // one membership
        expect(first.left).toHaveLength(1)
        const after = inst.second()
        const rest = await drain(() => after.erase.step('je', 't1', 'alice', 1, at(21)))
        expect(rest.flatMap((r) => r.left)).toHaveLength(1)
        expect(rest.flatMap((r) => r.deleted).map((m) => `${m.room_id}#${m.seq}`).sort()).toEqual(
          ['ra#1', 'ra#2', 'ra#3', 'ra#4', 'ra#5', 'rb#1', 'rb#2', 'rb#3', 'rb#4', 'rb#5'],
        )
        expect(await s.erase.step('je', 't1', 'alice', 1, at(22))).toEqual({ finished: false, over: true, left: [], deleted: [], updated: [] })
      })

      test('export pages: memberships, messages a user sent across rooms (bounded scans), subscriptions', async () => {
        await seed(s, ['t1'], [['ra', 't1'], ['rb', 't1'], ['rc', 't1']])
        await s.messages.appendBatch([msg('ra'), msg('ra', { sender_id: 'bob' }), msg('rb', { sender_id: 'bob' }), msg('rc'), msg('rc'), msg('ra')])
        await s.rooms.markDeleted('t1', 'rb', at(9), job('j', 'room.delete', 'rb'))
        expect((await s.exports.memberships('t1', 'alice', '', 10)).map((m) => m.room_id)).toEqual(['ra', 'rc'])
        expect((await s.exports.memberships('t1', 'alice', 'ra', 10)).map((m) => m.room_id)).toEqual(['rc'])
        expect((await s.exports.memberships('t1', 'alice', '', 1))[0]).toEqual((await s.members.get('ra', 'alice'))!)
        const seen: string[] = []
        let cursor = null as Parameters<Store['exports']['sentBy']>[2]
        let calls = 0
        do {
          const page = await s.exports.sentBy('t1', 'alice', cursor, 1)
          seen.push(...page.rows.map((m) => `${m.room_id}#${m.seq}:${m.sender_id}`))
          cursor = page.cursor
        } while (cursor && ++calls < 20)
        expect(seen).toEqual(['ra#1:alice', 'ra#3:alice', 'rc#1:alice', 'rc#2:alice'])
        expect((await s.exports.sentBy('t1', 'alice', null, 100)).rows).toHaveLength(4)
        for (const id of ['s2', 's1']) await s.notifications.subscribe({ subscription_id: id, tenant_id: 't1', user_id: 'alice', topic: id, endpoint: null, created_at: T0 })
        expect((await s.exports.subscriptions('t1', 'alice', '', 1)).map((x) => x.subscription_id)).toEqual(['s1'])
        expect((await s.exports.subscriptions('t1', 'alice', 's1', 10)).map((x) => x.subscription_id)).toEqual(['s2'])
      })

      test('retention and room deletes take the reactions and mention rows of the messages they remove', async () => {
        await seed(s)
        await s.messages.appendBatch([
          msg('ra', { mentions: ['bob'], created_at: at(1) }),
          msg('ra', { created_at: at(2) }),
          msg('ra', { mentions: ['bob'], created_at: at(30) }),
        ])
        await react(s, 'add', 'ra', 1, '👍', 'bob')
        await react(s, 'add', 'ra', 3, '👍', 'bob')
        expect(await s.purge.expire('ra', at(20), 10, at(90))).toEqual({ removed: 2, first_seq: 3 })
        expect((await s.reactions.list('ra', 1, null, 10)).reactions).toEqual([])
        expect((await s.reactions.list('ra', 3, null, 10)).reactions).toHaveLength(1)
        expect((await s.mentions.listForUser('t1', 'bob', 10)).rows.map((r) => r.seq)).toEqual([3])
        await s.rooms.markDeleted('t1', 'ra', at(40), job('j1', 'room.delete', 'ra'))
        await drain(() => s.purge.roomStep('j1', 'ra', 10, at(41)))
        expect((await s.reactions.list('ra', 3, null, 10)).reactions).toEqual([])
        expect((await s.mentions.listForUser('t1', 'bob', 10)).rows).toEqual([])
      })

      test('user erase: their reactions go as removals (summary and rev), their messages lose mentions and reactions, their mention rows go', async () => {
        await seed(s, ['t1'], [['ra', 't1'], ['rb', 't1']])
        await s.messages.appendBatch([msg('ra', { sender_id: 'bob', mentions: ['alice'] }), msg('ra', { mentions: ['bob'] })])
        await react(s, 'add', 'ra', 1, '👍', 'alice')
        await react(s, 'add', 'ra', 1, '👍', 'bob')
        await react(s, 'add', 'ra', 2, '❤', 'bob')
        await s.erase.begin(job('je', 'user.erase', 'alice'))
        expect(await s.jobs.get('je')).toMatchObject({ total: 2 + 2 + 1 + 1 }) // memberships, rooms, reactions, the rest
        const steps = await drain(() => s.erase.step('je', 't1', 'alice', 1, at(20)))
        const updated = steps.flatMap((r) => r.updated)
        expect(updated).toHaveLength(1)
        expect(updated[0].change).toEqual({ kind: 'reaction.removed', user_id: 'alice', key: '👍' })
        expect(JSON.parse(updated[0].row.reactions!)).toEqual([{ key: '👍', count: 1, user_ids: ['bob'] }])
        const deleted = steps.flatMap((r) => r.deleted)
        expect(deleted.map((m) => m.seq)).toEqual([2])
        expect(deleted[0]).toMatchObject({ content: '', mentions: null, reactions: null, deleted_at: at(20) })
        expect(deleted[0].rev).toBeGreaterThan(0)
        expect((await s.reactions.list('ra', 1, null, 10)).reactions.map((r) => r.user_id)).toEqual(['bob'])
        expect((await s.reactions.list('ra', 2, null, 10)).reactions).toEqual([])
        expect((await s.mentions.listForUser('t1', 'alice', 10)).rows).toEqual([])
        expect((await s.mentions.listForUser('t1', 'bob', 10)).rows).toEqual([])
        expect(await s.jobs.get('je')).toMatchObject({ status: 'done', done: 6 })
      })

      test('export pages of a user\'s reactions, in (room, seq, key) order, with the message id', async () => {
        await seed(s, ['t1'], [['ra', 't1'], ['rb', 't1']])
        const rows = await s.messages.appendBatch([msg('rb'), msg('ra'), msg('ra')])
        for (const [room, seq, key] of [['rb', 1, 'b'], ['ra', 2, 'z'], ['ra', 2, 'a'], ['ra', 1, 'q']] as const) await react(s, 'add', room, seq, key, 'bob')
        await react(s, 'add', 'ra', 1, 'q', 'carol')
        const seen: string[] = []
        let after: [string, number, string] | null = null
        for (let i = 0; i < 10; i++) {
          const page = await s.exports.reactions('t1', 'bob', after, 2)
          seen.push(...page.map((r) => `${r.room_id}#${r.seq}:${r.key}`))
          if (page.length < 2) break
          const last = page[page.length - 1]
          after = [last.room_id, last.seq, last.key]
        }
        expect(seen).toEqual(['ra#1:q', 'ra#2:a', 'ra#2:z', 'rb#1:b'])
        const [first] = await s.exports.reactions('t1', 'bob', null, 1)
        expect(first).toEqual({ room_id: 'ra', seq: 1, message_id: (rows[1] as { row: { message_id: string } }).row.message_id, key: 'q', created_at: T0 })
      })

      test('jobs: claim running ones oldest first, renew, fail with a reason', async () => {
        await seed(s)
        await s.rooms.markDeleted('t1', 'rb', at(2), job('j2', 'room.delete', 'rb'))
        await s.rooms.markDeleted('t1', 'ra', at(1), { ...job('j1', 'room.delete', 'ra'), created_at: at(1) })
        expect((await s.jobs.claim(1000, 100, 10)).map((j) => j.job_id)).toEqual(['j1', 'j2'])
        expect(await s.jobs.renew('j1', 5000)).toBe(true)
        expect(await s.jobs.fail('j1', 'boom', at(3))).toBe(true)
        expect(await s.jobs.fail('j1', 'again', at(4))).toBe(false)
        expect(await s.jobs.renew('j1', 6000)).toBe(false)
        expect(await s.jobs.get('j1')).toMatchObject({ status: 'failed', error: 'boom', finished_at: at(3), lease_until: null })
      })

      test.skipIf(impl.name !== 'postgres')('jobs are leased: another instance takes a job only once its lease expired', async () => {
        await seed(s)
        await s.rooms.markDeleted('t1', 'ra', at(1), job('j1', 'room.delete', 'ra'))
        const other = inst.second()
        expect((await s.jobs.claim(1000, 500, 10)).map((j) => j.job_id)).toEqual(['j1'])
        expect(await other.jobs.claim(1200, 500, 10)).toEqual([])
        expect((await other.jobs.claim(1600, 500, 10)).map((j) => j.job_id)).toEqual(['j1'])
      })
    })

    describe('several instances', () => {
      test('concurrent appends from two clients to one room give seqs 1..N with no gap or duplicate', async () => {
        await seed(s)
        const other = inst.second()
        const per = 12
        const batches = 10
        // Each client sends batches over both rooms, in opposite room orders (a lock-order trap).
        const send = (st: Store, tag: string, b: number) =>
          st.messages.appendBatch(
            Array.from({ length: per }, (_, i) =>
              msg((i + (tag === 'A' ? 0 : 1)) % 3 === 0 ? 'rb' : 'ra', { message_id: `${tag}-${b}-${i}`, sender_id: i % 2 ? 'bob' : 'alice' }),
            ),
          )
        const results = (
          await Promise.all(Array.from({ length: batches }, (_, b) => [send(s, 'A', b), send(other, 'B', b)]).flat())
        ).flat()
        expect(results.every((r) => r.ok && r.created)).toBe(true)
        for (const roomId of ['ra', 'rb']) {
          const seqs = results.filter((r) => r.ok && r.row.room_id === roomId).map((r) => seqOf(r)!)
          const sorted = [...seqs].sort((a, b) => a - b)
          expect(sorted).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1))
          const stored = await s.messages.after(roomId, 0, 1000)
          expect(stored.map((m) => m.seq)).toEqual(sorted)
          expect((await s.rooms.get('t1', roomId))?.last_seq).toBe(seqs.length)
        }
        expect(results).toHaveLength(per * batches * 2)
        // each sender's ack is its own last seq in the room, whichever client wrote it
        for (const user of ['alice', 'bob']) {
          const last = Math.max(...results.filter((r) => r.ok && r.row.room_id === 'ra' && r.row.sender_id === user).map((r) => seqOf(r)!))
          expect((await s.members.get('ra', user))?.last_ack).toBe(last)
        }
      })

      test('the same client_msg_id sent through both clients at once is stored once', async () => {
        await seed(s)
        const other = inst.second()
        const keys = Array.from({ length: 10 }, (_, i) => `key-${i}`)
        const results = (
          await Promise.all([
            s.messages.appendBatch(keys.map((k) => msg('ra', { client_msg_id: k }))),
            other.messages.appendBatch(keys.map((k) => msg('ra', { client_msg_id: k }))),
            other.messages.appendBatch([...keys].reverse().map((k) => msg('ra', { client_msg_id: k }))),
          ])
        ).flat()
        expect(results.every((r) => r.ok)).toBe(true)
        expect(results.filter((r) => r.ok && r.created)).toHaveLength(10)
        for (const k of keys) {
          const rows = results.filter((r) => r.ok && r.row.client_msg_id === k).map((r) => (r.ok ? r.row : null))
          expect(new Set(rows.map((r) => r!.message_id)).size).toBe(1)
        }
        expect((await s.messages.after('ra', 0, 100)).map((m) => m.seq)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1))
      })
    })

    describe.skipIf(impl.name !== 'postgres')('delivery leases (PostgreSQL: N instances)', () => {
      test('two readers never get the same row; together they get every due row', async () => {
        await s.deliveries.enqueue(Array.from({ length: 40 }, (_, i) => delivery(`d${String(i).padStart(2, '0')}`, { next_attempt_at: i })))
        const a = inst.reader()
        const b = inst.reader()
        const got = await Promise.all([a.due(1000, 15), b.due(1000, 15), a.due(1000, 15), b.due(1000, 15)])
        const ids = got.flat().map((d) => d.delivery_id)
        expect(new Set(ids).size).toBe(ids.length)
        expect(ids.sort()).toEqual(Array.from({ length: 40 }, (_, i) => `d${String(i).padStart(2, '0')}`))
        for (const page of got) expect(page.map((d) => d.next_attempt_at)).toEqual([...page.map((d) => d.next_attempt_at)].sort((x, y) => x - y))
        expect(await a.due(1000, 100)).toEqual([]) // all leased
        expect(await s.deliveries.due(1000, 100)).toEqual([])
        expect(await s.deliveries.pendingCount()).toBe(40)
      })

      test('a leased row comes back when its lease expires (its instance died), and a result releases it', async () => {
        await s.deliveries.enqueue([delivery('d1', { next_attempt_at: 100 }), delivery('d2', { next_attempt_at: 100 })])
        const a = inst.reader(500)
        const b = inst.reader(500)
        expect((await a.due(1000, 10)).map((d) => d.delivery_id)).toEqual(['d1', 'd2'])
        expect(await b.due(1400, 10)).toEqual([])
        expect(await s.deliveries.nextDueAt()).toBe(1500)
        // A "dies"; once its lease is over, B takes both rows
        const taken = await b.due(1500, 10)
        expect(taken.map((d) => d.delivery_id)).toEqual(['d1', 'd2'])
        expect(taken[0]).toEqual({ ...delivery('d1', { next_attempt_at: 100 }), attempts: 0, state: 'pending', last_error: null, last_attempt_at: null })
        // B's result for d1 is a failure due at 1600: the row is due again then, lease or not
        await s.deliveries.markFailed('d1', 'HTTP 500', at(1), 1600)
        expect((await a.due(1600, 10)).map((d) => d.delivery_id)).toEqual(['d1'])
      })
    })
  })
}

// ---------------------------------------------------------------------------------------------
// the same scripted session on both stores gives equal answers (row objects, cursors, errors)

async function transcript(s: Store): Promise<unknown[]> {
  const out: unknown[] = []
  const log = async (label: string, f: () => unknown) => {
    try {
      out.push([label, await f()])
    } catch (e) {
      out.push([label, 'threw', e instanceof AppError ? { code: e.code, message: e.message, field: e.field } : 'error'])
    }
  }
  let k = 0
  const m = (roomId: string, extra: Partial<NewMessage> = {}): NewMessage => ({
    tenant_id: 't1',
    room_id: roomId,
    sender_id: 'alice',
    message_id: `tm_${++k}`,
    content: `text ${k}`,
    meta: k % 3 ? null : `{"k":${k}}`,
    client_msg_id: k % 4 ? null : `ck${k}`,
    created_at: at(k),
    parent_id: null,
    mentions: [],
    ...extra,
  })
  const appended = (rs: AppendResult[]) => rs.map((r) => (r.ok ? { ok: true, row: r.row, created: r.created } : { ok: false }))
  await log('tenant', async () => (await s.tenants.insert(tenant('t1')), s.tenants.get('t1')))
  await log('tenant2', async () => (await s.tenants.insert(tenant('t2', { created_at: at(1) })), s.tenants.list()))
  for (const [id, type, sec] of [['g1', 'group', 1], ['c1', 'channel', 2], ['c2', 'channel', 2], ['c0', 'channel', 3]] as const)
    await log(`room ${id}`, () => s.rooms.create('t1', room(id, ['alice', 'bob', 'carol'], { type, created_at: at(sec) })))
  await log('dm', () => s.rooms.create('t1', room('d1', ['alice', 'bob'], { type: 'dm', unique_key: 'alice|bob' })))
  await log('dm again', () => s.rooms.create('t1', room('d2', ['alice', 'bob'], { type: 'dm', unique_key: 'alice|bob' })))
  await log('append 1', async () => appended(await s.messages.appendBatch([m('g1'), m('c1'), m('g1', { sender_id: 'bob' }), m('g1'), m('d1')])))
  await log('append 2', async () =>
    appended(await s.messages.appendBatch([m('g1', { client_msg_id: 'ck4' }), m('nope'), m('c0'), m('g1', { message_id: 'tm_1' }), m('g1')])),
  )
  await log('add', async () => {
    const r = await s.members.add('t1', 'g1', ['dave', 'alice', 'erin'], 'member', at(30), 10)
    return { rows: r.rows, added: [...r.added].sort() }
  })
  await log('add full', () => s.members.add('t1', 'g1', ['x1', 'x2', 'x3', 'x4', 'x5', 'x6'], 'member', at(30), 10))
  await log('remove', () => s.members.remove('g1', 'carol'))
  await log('ack', () => s.members.advanceAck('g1', 'bob', 4))
  await log('read', () => s.members.advanceRead('g1', 'dave', 2))
  await log('memberships', async () => (await s.members.membershipsOf('t1', 'alice')).sort((a, b) => (a.room_id < b.room_id ? -1 : 1)))
  await log('laggards', async () => (await s.members.laggards('g1')).sort((a, b) => (a.user_id < b.user_id ? -1 : 1)))
  await log('members p1', () => s.members.page('g1', 2))
  await log('members p2', async () => s.members.page('g1', 2, (await s.members.page('g1', 2)).next_cursor!))
  await log('rooms of alice', () => s.rooms.listForUser('t1', 'alice', 3))
  await log('rooms of alice p2', async () => s.rooms.listForUser('t1', 'alice', 3, (await s.rooms.listForUser('t1', 'alice', 3)).next_cursor!))
  await log('channels', () => s.rooms.listChannels('t1', 2))
  await log('bad cursor', () => s.members.page('g1', 2, 'bm9wZQ'))
  await log('history', () => s.messages.after('g1', 1, 10))
  await log('before', () => s.messages.before('g1', 4, 2))
  await log('edit', () => s.messages.edit('g1', 2, { content: 'edited', meta: '{"e":1}', mentions: ['bob'] }, 'alice', at(40)))
  await log('tombstone', () => s.messages.tombstone('g1', 3, 'bob', at(41)))
  await log('reply', async () => appended(await s.messages.appendBatch([m('g1', { parent_id: 'tm_1', mentions: ['carol', 'alice'] }), m('g1', { parent_id: 'tm_3' })])))
  await log('react', async () => [await react(s, 'add', 'g1', 1, '👍', 'bob', at(42)), await react(s, 'add', 'g1', 1, '👍', 'bob', at(43))])
  await log('unreact', () => react(s, 'remove', 'g1', 1, '👍', 'bob'))
  await log('pin', () => s.pins.pin('g1', 2, 'alice', at(44), 50))
  await log('pins', () => s.pins.list('g1'))
  await log('changes', () => s.messages.changes('g1', 0, 10))
  await log('replies', () => s.messages.replies('g1', 'tm_1', 0, 10))
  await log('mentions of alice', () => s.mentions.listForUser('t1', 'alice', 10))
  await log('unread mentions', () => s.mentions.unreadCounts('t1', 'alice', ['g1', 'c1']))
  await log('usage', () => s.tenants.usage('t1'))
  await log('rotate', async () => [await s.tenants.setSecret('t1', 'api_key_hash', 'rotated'), await s.tenants.byKeyHash('rotated')])
  await log('notify', async () => {
    await s.notifications.create(
      { notification_id: 'n1', tenant_id: 't1', topic: 'news', payload: '{}', created_at: at(5), expires_at: 10_000 },
      ['alice', 'bob'],
    )
    return s.notifications.pendingFor('t1', 'bob', 0)
  })
  await log('subscribe', () =>
    s.notifications.subscribe({ subscription_id: 's1', tenant_id: 't1', user_id: 'bob', topic: 'news', endpoint: null, created_at: at(6) }),
  )
  await log('outbox', async () => {
    await s.deliveries.enqueue([delivery('d1'), delivery('d2', { next_attempt_at: 10 })])
    await s.deliveries.markFailed('d1', 'boom', at(7), 3000)
    return [await s.deliveries.due(5000, 10), await s.deliveries.nextDueAt(), await s.deliveries.pendingCount()]
  })
  await log('dead letter', async () => {
    await s.deadLetters.insert(deadLetter('x1', { kind: 'message', target: 'bob', ref_id: 'g1', from_seq: 1, to_seq: 4 }))
    return s.deadLetters.list({ tenant_id: 't1', limit: 5 })
  })
  await log('meta', async () => (await s.meta.set('epoch', 'abc'), s.meta.get('epoch')))
  return out
}

/**
 * Activity keys (also inside room-list cursors) carry a counter whose values may differ: PostgreSQL's
 * sequence also counts a dm creation that found its room and a failed item, and is never rolled
 * back. Their time part may not differ, nor their order (the listings themselves are compared).
 */
const normalize = (v: unknown): unknown =>
  JSON.parse(
    JSON.stringify(v, (key, value) =>
      key === 'next_cursor' && typeof value === 'string' ? JSON.parse(Buffer.from(value, 'base64url').toString()) : value,
    ).replace(/(\d{3}Z)#\d{12}/g, '$1#…'),
  )

describe.skipIf(!pgUp)('store contract: the same session gives the same answers on SQLite and PostgreSQL', () => {
  const opened: Instance[] = []
  afterAll(async () => {
    for (const i of opened) await i.close()
  })
  test('transcript', async () => {
    const lite = await sqliteImpl.open()
    const pg = await postgresImpl.open()
    opened.push(lite, pg)
    const a = await transcript(lite.store)
    const b = await transcript(pg.store)
    expect(a.length).toBeGreaterThan(30)
    expect(normalize(b)).toEqual(normalize(a))
    // what the script asserted about errors holds on both
    expect(JSON.stringify(a)).toContain('"CONFLICT"')
    expect(JSON.stringify(a)).toContain('"VALIDATION_ERROR"')
  })
})
