// Join, members list/add/remove and the role rules of SPEC §2 and §10.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'
import { expectError, ISO_MS, room, type As } from './helpers'

let s: TestServer
beforeAll(async () => (s = await startTestServer()))
afterAll(() => s.stop())

const roles = async (as: As, roomId: string) =>
  Object.fromEntries((await as('GET', `/v1/rooms/${roomId}/members`)).body.members.map((m: any) => [m.user_id, m.role]))

/** A group owned by alice with admin "adam" and plain members "bob" and "carol". */
async function staffedGroup(t: TestTenant) {
  const g = await room(t.as('alice'), 'group', ['bob', 'carol'])
  const r = await t.as('alice')('POST', `/v1/rooms/${g.room_id}/members`, { body: { user_ids: ['adam'], role: 'admin' } })
  expect(r.status).toBe(200)
  return g.room_id as string
}

describe('POST /v1/rooms/{id}/join', () => {
  test('a channel: 200 with the member object; member_count grows; joining again keeps the role', async () => {
    const t = await s.newTenant()
    const c = await room(t.as('alice'), 'channel')
    const r = await t.as('bob')('POST', `/v1/rooms/${c.room_id}/join`)
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ user_id: 'bob', role: 'member', last_ack: 0, last_read: 0, online: false })
    expect(r.body.joined_at).toMatch(ISO_MS)
    expect((await t.as('bob')('GET', `/v1/rooms/${c.room_id}`)).body.member_count).toBe(2)
    const again = await t.as('bob')('POST', `/v1/rooms/${c.room_id}/join`)
    expect(again.status).toBe(200)
    expect(again.body).toEqual(r.body)
    const owner = await t.as('alice')('POST', `/v1/rooms/${c.room_id}/join`)
    expect(owner.status).toBe(200)
    expect(owner.body.role).toBe('owner')
    expect((await t.as('bob')('GET', `/v1/rooms/${c.room_id}`)).body.member_count).toBe(2)
  })

  test('a group or dm: 404 for a non-member, 403 for a member', async () => {
    const t = await s.newTenant()
    const g = await room(t.as('alice'), 'group', ['bob'])
    const d = await room(t.as('alice'), 'dm', ['bob'])
    for (const id of [g.room_id, d.room_id]) {
      expectError(await t.as('zed')('POST', `/v1/rooms/${id}/join`), 404, 'NOT_FOUND')
      expectError(await t.as('bob')('POST', `/v1/rooms/${id}/join`), 403, 'FORBIDDEN')
    }
  })

  test('joining past max_room_members is 409 and adds nobody', async () => {
    const t = await s.newTenant({ max_room_members: 2 })
    const c = await room(t.as('alice'), 'channel', ['bob'])
    expectError(await t.as('carol')('POST', `/v1/rooms/${c.room_id}/join`), 409, 'CONFLICT')
    expect((await t.as('alice')('GET', `/v1/rooms/${c.room_id}`)).body.member_count).toBe(2)
    expect(await roles(t.as('alice'), c.room_id)).toEqual({ alice: 'owner', bob: 'member' })
  })
})

describe('GET /v1/rooms/{id}/members', () => {
  test('by joined_at, paged; members only (channel non-member 403, group non-member 404)', async () => {
    const t = await s.newTenant()
    const c = await room(t.as('alice'), 'channel', ['bob', 'carol'])
    expect((await t.as('zed')('POST', `/v1/rooms/${c.room_id}/join`)).status).toBe(200)
    const all = await t.as('bob')('GET', `/v1/rooms/${c.room_id}/members`)
    expect(all.status).toBe(200)
    // the creation members share one joined_at (then user_id order); zed joined later
    expect(all.body.members.map((m: any) => m.user_id)).toEqual(['alice', 'bob', 'carol', 'zed'])
    expect(Object.keys(all.body.members[0]).sort()).toEqual(['joined_at', 'last_ack', 'last_read', 'online', 'role', 'user_id'])
    expect(all.body.next_cursor).toBeNull()
    const p1 = await t.as('bob')('GET', `/v1/rooms/${c.room_id}/members?limit=3`)
    const p2 = await t.as('bob')('GET', `/v1/rooms/${c.room_id}/members?limit=3&cursor=${p1.body.next_cursor}`)
    expect([...p1.body.members, ...p2.body.members]).toEqual(all.body.members)
    expect(p2.body.next_cursor).toBeNull()

    expectError(await t.as('nobody')('GET', `/v1/rooms/${c.room_id}/members`), 403, 'FORBIDDEN')
    const g = await room(t.as('alice'), 'group')
    expectError(await t.as('nobody')('GET', `/v1/rooms/${g.room_id}/members`), 404, 'NOT_FOUND')
  })
})

describe('POST /v1/rooms/{id}/members', () => {
  test('the owner adds members and grants admin; existing members keep their role', async () => {
    const t = await s.newTenant()
    const a = t.as('alice')
    const g = await room(a, 'group', ['bob'])
    const r = await a('POST', `/v1/rooms/${g.room_id}/members`, { body: { user_ids: ['carol', 'bob', 'alice'], role: 'admin' } })
    expect(r.status).toBe(200)
    expect(r.body.members.map((m: any) => [m.user_id, m.role]).sort()).toEqual([
      ['alice', 'owner'],
      ['bob', 'member'],
      ['carol', 'admin'],
    ])
    const d = await a('POST', `/v1/rooms/${g.room_id}/members`, { body: { user_ids: ['dave'] } })
    expect(d.body.members).toMatchObject([{ user_id: 'dave', role: 'member' }])
    expect(await roles(a, g.room_id)).toEqual({ alice: 'owner', bob: 'member', carol: 'admin', dave: 'member' })
    expect((await a('GET', `/v1/rooms/${g.room_id}`)).body.member_count).toBe(4)
  })

  test('an admin adds plain members, but granting admin is 403; a plain member may not add', async () => {
    const t = await s.newTenant()
    const id = await staffedGroup(t)
    expect((await t.as('adam')('POST', `/v1/rooms/${id}/members`, { body: { user_ids: ['dave'] } })).status).toBe(200)
    expectError(await t.as('adam')('POST', `/v1/rooms/${id}/members`, { body: { user_ids: ['eve'], role: 'admin' } }), 403, 'FORBIDDEN')
    expectError(await t.as('bob')('POST', `/v1/rooms/${id}/members`, { body: { user_ids: ['eve'] } }), 403, 'FORBIDDEN')
    expect(await roles(t.as('alice'), id)).toEqual({ alice: 'owner', adam: 'admin', bob: 'member', carol: 'member', dave: 'member' })
  })

  test('role owner (or anything unknown) is 400 on field role; a dm is 403; past max_room_members is 409', async () => {
    const t = await s.newTenant({ max_room_members: 3 })
    const a = t.as('alice')
    const g = await room(a, 'group', ['bob'])
    expectError(await a('POST', `/v1/rooms/${g.room_id}/members`, { body: { user_ids: ['x'], role: 'owner' } }), 400, 'VALIDATION_ERROR', 'role')
    expectError(await a('POST', `/v1/rooms/${g.room_id}/members`, { body: { user_ids: ['x'], role: 'boss' } }), 400, 'VALIDATION_ERROR', 'role')
    expectError(await a('POST', `/v1/rooms/${g.room_id}/members`, { body: { user_ids: ['x', 'y'] } }), 409, 'CONFLICT')
    expect(await roles(a, g.room_id)).toEqual({ alice: 'owner', bob: 'member' })
    const d = await room(a, 'dm', ['bob'])
    expectError(await a('POST', `/v1/rooms/${d.room_id}/members`, { body: { user_ids: ['carol'] } }), 403, 'FORBIDDEN')
  })
})

describe('DELETE /v1/rooms/{id}/members/{user}', () => {
  test('the owner removes anyone but themselves; the removed user loses the room (404)', async () => {
    const t = await s.newTenant()
    const id = await staffedGroup(t)
    expect((await t.as('alice')('DELETE', `/v1/rooms/${id}/members/adam`)).status).toBe(204)
    expect((await t.as('alice')('DELETE', `/v1/rooms/${id}/members/bob`)).status).toBe(204)
    expect(await roles(t.as('alice'), id)).toEqual({ alice: 'owner', carol: 'member' })
    expectError(await t.as('bob')('GET', `/v1/rooms/${id}`), 404, 'NOT_FOUND')
    expectError(await t.as('alice')('DELETE', `/v1/rooms/${id}/members/nobody`), 404, 'NOT_FOUND')
  })

  test('an admin removes only plain members (admin or owner → 403); a plain member removes nobody', async () => {
    const t = await s.newTenant()
    const id = await staffedGroup(t)
    await t.as('alice')('POST', `/v1/rooms/${id}/members`, { body: { user_ids: ['ada'], role: 'admin' } })
    expectError(await t.as('adam')('DELETE', `/v1/rooms/${id}/members/ada`), 403, 'FORBIDDEN')
    expectError(await t.as('adam')('DELETE', `/v1/rooms/${id}/members/alice`), 403, 'FORBIDDEN')
    expectError(await t.as('bob')('DELETE', `/v1/rooms/${id}/members/carol`), 403, 'FORBIDDEN')
    expect((await t.as('adam')('DELETE', `/v1/rooms/${id}/members/carol`)).status).toBe(204)
    expect(await roles(t.as('alice'), id)).toEqual({ alice: 'owner', adam: 'admin', ada: 'admin', bob: 'member' })
  })

  test('anyone but the owner leaves; the owner leaves only as the last member (409 before, 204 then)', async () => {
    const t = await s.newTenant()
    const id = await staffedGroup(t)
    expect((await t.as('bob')('DELETE', `/v1/rooms/${id}/members/bob`)).status).toBe(204)
    expect((await t.as('adam')('DELETE', `/v1/rooms/${id}/members/adam`)).status).toBe(204)
    expectError(await t.as('alice')('DELETE', `/v1/rooms/${id}/members/alice`), 409, 'CONFLICT')
    expect((await t.as('alice')('DELETE', `/v1/rooms/${id}/members/carol`)).status).toBe(204)
    expect((await t.as('alice')('DELETE', `/v1/rooms/${id}/members/alice`)).status).toBe(204)
    expectError(await t.as('alice')('GET', `/v1/rooms/${id}`), 404, 'NOT_FOUND')
  })

  test('a dm never changes members: 403 to leave or remove', async () => {
    const t = await s.newTenant()
    const d = await room(t.as('alice'), 'dm', ['bob'])
    expectError(await t.as('alice')('DELETE', `/v1/rooms/${d.room_id}/members/alice`), 403, 'FORBIDDEN')
    expectError(await t.as('alice')('DELETE', `/v1/rooms/${d.room_id}/members/bob`), 403, 'FORBIDDEN')
    expect(await roles(t.as('bob'), d.room_id)).toEqual({ alice: 'member', bob: 'member' })
  })

  test('a channel non-member gets 403, a group non-member 404', async () => {
    const t = await s.newTenant()
    const c = await room(t.as('alice'), 'channel', ['bob'])
    const g = await room(t.as('alice'), 'group', ['bob'])
    expectError(await t.as('zed')('DELETE', `/v1/rooms/${c.room_id}/members/bob`), 403, 'FORBIDDEN')
    expectError(await t.as('zed')('DELETE', `/v1/rooms/${g.room_id}/members/bob`), 404, 'NOT_FOUND')
  })
})
