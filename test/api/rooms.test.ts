// Rooms happy paths (SPEC §4 Rooms, §10): create group/channel/dm, dm idempotency, get, patch, list, channels.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startTestServer, type TestServer } from '../support/server'
import { expectError, ISO_MS, room, send } from './helpers'

let s: TestServer
beforeAll(async () => (s = await startTestServer()))
afterAll(() => s.stop())

describe('POST /v1/rooms', () => {
  test('a group: 201, the room object, the caller is owner and counted once even when listed', async () => {
    const t = await s.newTenant()
    const a = t.as('alice')
    const r = await a('POST', '/v1/rooms', {
      body: { type: 'group', name: 'Team', metadata: { color: 'blue' }, members: ['bob', 'alice', 'carol', 'bob'] },
    })
    expect(r.status).toBe(201)
    expect(Object.keys(r.body).sort()).toEqual(
      ['created_at', 'first_seq', 'last_rev', 'last_seq', 'member_count', 'metadata', 'name', 'read_only', 'room_id', 'type', 'unique_key'].sort(),
    )
    expect(r.body).toMatchObject({ type: 'group', name: 'Team', metadata: { color: 'blue' }, unique_key: null, last_seq: 0, last_rev: 0, first_seq: 1, member_count: 3, read_only: false })
    expect(r.body.room_id).toMatch(/^room_[0-9A-Za-z]{16,}$/)
    expect(r.body.created_at).toMatch(ISO_MS)
    const m = await a('GET', `/v1/rooms/${r.body.room_id}/members`)
    const roles = Object.fromEntries(m.body.members.map((x: any) => [x.user_id, x.role]))
    expect(roles).toEqual({ alice: 'owner', bob: 'member', carol: 'member' })
  })

  test('a channel with no other members: 201, owner alone, name and metadata default to null', async () => {
    const t = await s.newTenant()
    const r = await t.as('alice')('POST', '/v1/rooms', { body: { type: 'channel', members: [] } })
    expect(r.status).toBe(201)
    expect(r.body).toMatchObject({ type: 'channel', name: null, metadata: null, unique_key: null, member_count: 1 })
  })

  test('a dm: 201, two plain members, unique_key is dm: + ids in byte order', async () => {
    const t = await s.newTenant()
    // byte order puts "B" (0x42) before "a" (0x61); a locale sort would not
    const r = await t.as('a')('POST', '/v1/rooms', { body: { type: 'dm', members: ['B'] } })
    expect(r.status).toBe(201)
    expect(r.body).toMatchObject({ type: 'dm', unique_key: 'dm:B|a', member_count: 2 })
    const m = await t.as('B')('GET', `/v1/rooms/${r.body.room_id}/members`)
    expect(m.body.members.map((x: any) => [x.user_id, x.role]).sort()).toEqual([
      ['B', 'member'],
      ['a', 'member'],
    ])
  })

  test('a dm is idempotent per pair: 200 with the same room, the reverse pair and a listed caller included', async () => {
    const t = await s.newTenant()
    const first = await t.as('alice')('POST', '/v1/rooms', { body: { type: 'dm', members: ['bob'] } })
    expect(first.status).toBe(201)
    const again = await t.as('alice')('POST', '/v1/rooms', { body: { type: 'dm', members: ['bob'] } })
    const reverse = await t.as('bob')('POST', '/v1/rooms', { body: { type: 'dm', members: ['alice'] } })
    const listed = await t.as('bob')('POST', '/v1/rooms', { body: { type: 'dm', members: ['bob', 'alice'] } })
    for (const r of [again, reverse, listed]) {
      expect(r.status).toBe(200)
      expect(r.body).toEqual(first.body)
    }
    expect(first.body.unique_key).toBe('dm:alice|bob')
    const other = await t.as('alice')('POST', '/v1/rooms', { body: { type: 'dm', members: ['carol'] } })
    expect(other.status).toBe(201)
    expect(other.body.room_id).not.toBe(first.body.room_id)
  })

  test('concurrent creations of the same dm converge on one room', async () => {
    const t = await s.newTenant()
    const rs = await Promise.all(
      Array.from({ length: 10 }, (_, i) => t.as(i % 2 ? 'x' : 'y')('POST', '/v1/rooms', { body: { type: 'dm', members: [i % 2 ? 'y' : 'x'] } })),
    )
    expect(rs.filter((r) => r.status === 201)).toHaveLength(1)
    expect(new Set(rs.map((r) => r.body.room_id)).size).toBe(1)
  })
})

describe('GET and PATCH /v1/rooms/{id}', () => {
  test('a member reads the room; a non-member reads a channel (discovery) but not a group', async () => {
    const t = await s.newTenant()
    const g = await room(t.as('alice'), 'group', ['bob'])
    const c = await room(t.as('alice'), 'channel')
    expect((await t.as('bob')('GET', `/v1/rooms/${g.room_id}`)).body).toEqual(g)
    expect((await t.as('zed')('GET', `/v1/rooms/${c.room_id}`)).body).toEqual(c)
    expectError(await t.as('zed')('GET', `/v1/rooms/${g.room_id}`), 404, 'NOT_FOUND')
  })

  test('the owner and an admin patch name and metadata; a plain member gets 403', async () => {
    const t = await s.newTenant()
    const a = t.as('alice')
    const g = await room(a, 'group', ['carol'], { name: 'old', metadata: { a: 1 } })
    await a('POST', `/v1/rooms/${g.room_id}/members`, { body: { user_ids: ['bob'], role: 'admin' } })
    let r = await a('PATCH', `/v1/rooms/${g.room_id}`, { body: { name: 'new' } })
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ name: 'new', metadata: { a: 1 } })
    r = await t.as('bob')('PATCH', `/v1/rooms/${g.room_id}`, { body: { metadata: { b: 2 } } })
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ name: 'new', metadata: { b: 2 } }) // metadata is replaced, not merged
    expectError(await t.as('carol')('PATCH', `/v1/rooms/${g.room_id}`, { body: { name: 'x' } }), 403, 'FORBIDDEN')
    expect((await a('GET', `/v1/rooms/${g.room_id}`)).body).toMatchObject({ name: 'new', metadata: { b: 2 } })
  })
})

describe('GET /v1/rooms', () => {
  test('most recently active first, with unread_count and last_message', async () => {
    const t = await s.newTenant()
    const a = t.as('alice')
    const b = t.as('bob')
    const r1 = await room(a, 'group', ['bob'])
    const r2 = await room(a, 'group', ['bob'])
    const r3 = await room(a, 'channel', ['bob'])
    await send(b, r1.room_id, 'hi 1')
    await send(b, r1.room_id, 'hi 2')
    await send(a, r3.room_id, 'mine')

    const la = await a('GET', '/v1/rooms')
    expect(la.status).toBe(200)
    expect(la.body.next_cursor).toBeNull()
    expect(la.body.rooms.map((x: any) => x.room_id)).toEqual([r3.room_id, r1.room_id, r2.room_id])
    const [x3, x1, x2] = la.body.rooms
    expect(x3).toMatchObject({ unread_count: 0, last_seq: 1, last_message: { content: 'mine', sender_id: 'alice', seq: 1 } })
    expect(x1).toMatchObject({ unread_count: 2, last_seq: 2, last_message: { content: 'hi 2', sender_id: 'bob', seq: 2 } })
    expect(x2.unread_count).toBe(0)
    expect(x2.last_message).toBeUndefined()

    const lb = await b('GET', '/v1/rooms')
    expect(lb.body.rooms.map((x: any) => [x.room_id, x.unread_count])).toEqual([
      [r3.room_id, 1],
      [r1.room_id, 0],
      [r2.room_id, 0],
    ])

    // reading clears the unread count
    await a('POST', `/v1/rooms/${r1.room_id}/read`, { body: { seq: 1 } })
    expect((await a('GET', '/v1/rooms')).body.rooms[1].unread_count).toBe(1)

    // new activity moves a room to the top
    await send(b, r2.room_id, 'wake up')
    expect((await a('GET', '/v1/rooms')).body.rooms.map((x: any) => x.room_id)).toEqual([r2.room_id, r3.room_id, r1.room_id])
  })

  test('back-to-back activity in the same millisecond still lists the latest room first', async () => {
    const t = await s.newTenant()
    const a = t.as('alice')
    const rs = [await room(a, 'group'), await room(a, 'group')]
    const wrong: number[] = []
    for (let i = 0; i < 60; i++) {
      const [x, y] = i % 2 ? rs : [rs[1], rs[0]]
      await send(a, x.room_id, 'first')
      await send(a, y.room_id, 'then')
      if ((await a('GET', '/v1/rooms?limit=1')).body.rooms[0].room_id !== y.room_id) wrong.push(i)
    }
    expect(wrong).toEqual([])
  })

  test('pages with limit and next_cursor without repeats or gaps; only the caller\'s rooms', async () => {
    const t = await s.newTenant()
    const a = t.as('alice')
    const ids: string[] = []
    for (let i = 0; i < 5; i++) ids.push((await room(a, 'group')).room_id)
    await room(t.as('zed'), 'group') // not alice's
    const p1 = await a('GET', '/v1/rooms?limit=2')
    expect(p1.body.rooms).toHaveLength(2)
    expect(typeof p1.body.next_cursor).toBe('string')
    const p2 = await a('GET', `/v1/rooms?limit=2&cursor=${p1.body.next_cursor}`)
    const p3 = await a('GET', `/v1/rooms?limit=2&cursor=${p2.body.next_cursor}`)
    expect(p3.body.rooms).toHaveLength(1)
    expect(p3.body.next_cursor).toBeNull()
    const seen = [...p1.body.rooms, ...p2.body.rooms, ...p3.body.rooms].map((x: any) => x.room_id)
    expect(seen).toEqual([...ids].reverse())
  })
})

describe('GET /v1/channels', () => {
  test("lists the tenant's channels (not groups or dms) to anyone, paged", async () => {
    const t = await s.newTenant()
    const a = t.as('alice')
    const cs = [await room(a, 'channel'), await room(t.as('bob'), 'channel'), await room(a, 'channel')]
    await room(a, 'group')
    await room(a, 'dm', ['bob'])
    const other = await s.newTenant()
    await room(other.as('alice'), 'channel')

    const all = await t.as('zed')('GET', '/v1/channels')
    expect(all.status).toBe(200)
    expect(all.body.next_cursor).toBeNull()
    expect(all.body.channels.map((c: any) => c.room_id).sort()).toEqual(cs.map((c) => c.room_id).sort())
    expect(all.body.channels.every((c: any) => c.type === 'channel')).toBe(true)

    const p1 = await t.as('zed')('GET', '/v1/channels?limit=2')
    expect(p1.body.channels).toHaveLength(2)
    const p2 = await t.as('zed')('GET', `/v1/channels?limit=2&cursor=${p1.body.next_cursor}`)
    expect(p2.body.channels).toHaveLength(1)
    expect(p2.body.next_cursor).toBeNull()
    expect([...p1.body.channels, ...p2.body.channels].map((c: any) => c.room_id)).toEqual(all.body.channels.map((c: any) => c.room_id))
  })
})
