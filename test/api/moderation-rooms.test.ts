// Room bans, mutes and read-only rooms (SPEC §14), black box over REST: role rules, effects on
// join, add and send, expiry with short durations, lists with paging, every error of the routes.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startTestServer, type TestServer } from '../support/server'
import { expectError, ISO_MS, room, send, type As } from './helpers'

let s: TestServer
beforeAll(async () => {
  s = await startTestServer()
})
afterAll(() => s.stop())

/** A group owned by alice with admin ann and members bob, carol; a channel with the same people. */
async function setup() {
  const t = await s.newTenant()
  const alice = t.as('alice')
  const group = (await room(alice, 'group', ['bob', 'carol'])).room_id
  const channel = (await room(alice, 'channel', ['bob', 'carol'])).room_id
  for (const r of [group, channel]) expect((await alice('POST', `/v1/rooms/${r}/members`, { body: { user_ids: ['ann'], role: 'admin' } })).status).toBe(200)
  return { t, alice, ann: t.as('ann'), bob: t.as('bob'), carol: t.as('carol'), dave: t.as('dave'), group, channel }
}

/** Polls `probe` (a bounded number of times) until it answers `status`: for bans and mutes that end on their own. */
async function eventually(probe: () => Promise<{ status: number }>, status: number, ms = 5000) {
  const deadline = Date.now() + ms
  for (;;) {
    const r = await probe()
    if (r.status === status || Date.now() > deadline) return r
    await Bun.sleep(100)
  }
}

const members = async (as: As, roomId: string) => ((await as('GET', `/v1/rooms/${roomId}/members`)).body.members as { user_id: string }[]).map((m) => m.user_id).sort()

describe('room bans', () => {
  test('the owner bans a member: 201 ban object, the member is out, cannot rejoin (403) or be added (409) until lifted', async () => {
    const { alice, bob, channel } = await setup()
    const r = await alice('POST', `/v1/rooms/${channel}/bans`, { body: { user_id: 'bob', reason: 'spam links' } })
    expect(r.status).toBe(201)
    expect(r.body).toEqual({ room_id: channel, user_id: 'bob', reason: 'spam links', created_by: 'alice', created_at: expect.stringMatching(ISO_MS), expires_at: null })
    expect(await members(alice, channel)).toEqual(['alice', 'ann', 'carol'])
    expect((await alice('GET', `/v1/rooms/${channel}`)).body.member_count).toBe(3)
    expectError(await bob('POST', `/v1/rooms/${channel}/messages`, { body: { content: 'hi' } }), 403, 'FORBIDDEN')
    expectError(await bob('POST', `/v1/rooms/${channel}/join`), 403, 'FORBIDDEN')
    // Adding is refused for everyone named in the call: dave is not added along with bob.
    expectError(await alice('POST', `/v1/rooms/${channel}/members`, { body: { user_ids: ['dave', 'bob'] } }), 409, 'CONFLICT')
    expect(await members(alice, channel)).toEqual(['alice', 'ann', 'carol'])

    expect((await alice('DELETE', `/v1/rooms/${channel}/bans/bob`)).status).toBe(204)
    expect((await alice('DELETE', `/v1/rooms/${channel}/bans/bob`)).status).toBe(204) // again: nothing to lift, same outcome
    expect((await bob('POST', `/v1/rooms/${channel}/join`)).status).toBe(200)
    expect((await bob('POST', `/v1/rooms/${channel}/messages`, { body: { content: 'back' } })).status).toBe(201)
  })

  test('a banned user of a group no longer sees it (404); banning a non-member keeps them from being added', async () => {
    const { alice, bob, group } = await setup()
    expect((await alice('POST', `/v1/rooms/${group}/bans`, { body: { user_id: 'bob' } })).status).toBe(201)
    expectError(await bob('GET', `/v1/rooms/${group}`), 404, 'NOT_FOUND')
    expect((await alice('POST', `/v1/rooms/${group}/bans`, { body: { user_id: 'zed' } })).status).toBe(201)
    expectError(await alice('POST', `/v1/rooms/${group}/members`, { body: { user_ids: ['zed'] } }), 409, 'CONFLICT')
  })

  test('role rules: an admin bans members only; nobody bans the owner; members and dms have no moderators', async () => {
    const { t, alice, ann, bob, group } = await setup()
    expect((await ann('POST', `/v1/rooms/${group}/bans`, { body: { user_id: 'bob' } })).status).toBe(201)
    expect((await alice('POST', `/v1/rooms/${group}/members`, { body: { user_ids: ['amy'], role: 'admin' } })).status).toBe(200)
    expectError(await ann('POST', `/v1/rooms/${group}/bans`, { body: { user_id: 'amy' } }), 403, 'FORBIDDEN')
    expectError(await ann('POST', `/v1/rooms/${group}/bans`, { body: { user_id: 'alice' } }), 403, 'FORBIDDEN')
    expectError(await alice('POST', `/v1/rooms/${group}/bans`, { body: { user_id: 'alice' } }), 403, 'FORBIDDEN')
    expectError(await t.as('carol')('POST', `/v1/rooms/${group}/bans`, { body: { user_id: 'ann' } }), 403, 'FORBIDDEN')
    expect((await alice('POST', `/v1/rooms/${group}/bans`, { body: { user_id: 'amy' } })).status).toBe(201) // the owner bans an admin
    const dm = (await room(bob, 'dm', ['carol'])).room_id
    expectError(await bob('POST', `/v1/rooms/${dm}/bans`, { body: { user_id: 'carol' } }), 403, 'FORBIDDEN')
  })

  test('access and validation: 404 for a group one cannot see, 403 in a channel one is not in; bad body fields are 400', async () => {
    const { alice, dave, group, channel } = await setup()
    expectError(await dave('POST', `/v1/rooms/${group}/bans`, { body: { user_id: 'bob' } }), 404, 'NOT_FOUND')
    expectError(await dave('POST', `/v1/rooms/${channel}/bans`, { body: { user_id: 'bob' } }), 403, 'FORBIDDEN')
    expectError(await dave('GET', `/v1/rooms/${group}/bans`), 404, 'NOT_FOUND')
    expectError(await alice('POST', '/v1/rooms/room_nope/bans', { body: { user_id: 'bob' } }), 404, 'NOT_FOUND')
    expectError(await alice('POST', `/v1/rooms/${group}/bans`, { body: {} }), 400, 'VALIDATION_ERROR', 'user_id')
    expectError(await alice('POST', `/v1/rooms/${group}/bans`, { body: { user_id: 'bad user' } }), 400, 'VALIDATION_ERROR', 'user_id')
    expectError(await alice('POST', `/v1/rooms/${group}/bans`, { body: { user_id: 'bob', duration_s: 0 } }), 400, 'VALIDATION_ERROR', 'duration_s')
    expectError(await alice('POST', `/v1/rooms/${group}/bans`, { body: { user_id: 'bob', duration_s: 31_536_001 } }), 400, 'VALIDATION_ERROR', 'duration_s')
    expectError(await alice('POST', `/v1/rooms/${group}/bans`, { body: { user_id: 'bob', reason: 'x'.repeat(501) } }), 400, 'VALIDATION_ERROR', 'reason')
    expectError(await alice('POST', `/v1/rooms/${group}/mutes`, { body: { user_id: 'bob', duration_s: 1.5 } }), 400, 'VALIDATION_ERROR', 'duration_s')
    expectError(await alice('GET', `/v1/rooms/${group}/bans?limit=0`), 400, 'VALIDATION_ERROR', 'limit')
    // A malformed user id in the path is 400 before anything else, for the owner and a stranger alike.
    for (const kind of ['bans', 'mutes']) {
      expectError(await alice('DELETE', `/v1/rooms/${group}/${kind}/a%20b`), 400, 'VALIDATION_ERROR', 'user_id')
      expectError(await dave('DELETE', `/v1/rooms/${group}/${kind}/a%20b`), 400, 'VALIDATION_ERROR', 'user_id')
    }
  })

  test('a ban with duration_s ends on its own: expires_at is set, and the user may join again afterwards', async () => {
    const { alice, bob, channel } = await setup()
    const before = Date.now()
    const r = await alice('POST', `/v1/rooms/${channel}/bans`, { body: { user_id: 'bob', duration_s: 1 } })
    const expires = Date.parse(r.body.expires_at)
    expect(expires).toBeGreaterThanOrEqual(before + 1000)
    expect(expires).toBeLessThanOrEqual(Date.now() + 1000)
    expectError(await bob('POST', `/v1/rooms/${channel}/join`), 403, 'FORBIDDEN')
    expect((await eventually(() => bob('POST', `/v1/rooms/${channel}/join`), 200)).status).toBe(200)
    expect(Date.now()).toBeGreaterThanOrEqual(expires)
    expect((await alice('GET', `/v1/rooms/${channel}/bans`)).body.bans).toEqual([]) // an ended ban is not listed
  })

  test('the list: bans in force, oldest first, paged with next_cursor; owner and admins only', async () => {
    const { alice, ann, bob, channel } = await setup()
    for (const u of ['u1', 'u2', 'u3']) expect((await alice('POST', `/v1/rooms/${channel}/bans`, { body: { user_id: u } })).status).toBe(201)
    const p1 = await ann('GET', `/v1/rooms/${channel}/bans?limit=2`)
    expect(p1.body.bans.map((b: any) => b.user_id)).toEqual(['u1', 'u2'])
    expect(typeof p1.body.next_cursor).toBe('string')
    const p2 = await ann('GET', `/v1/rooms/${channel}/bans?limit=2&cursor=${p1.body.next_cursor}`)
    expect(p2.body).toEqual({ bans: [expect.objectContaining({ user_id: 'u3', room_id: channel, created_by: 'alice' })], next_cursor: null })
    expectError(await bob('GET', `/v1/rooms/${channel}/bans`), 403, 'FORBIDDEN')
    expectError(await ann('GET', `/v1/rooms/${channel}/bans?cursor=nope`), 400, 'VALIDATION_ERROR', 'cursor')
  })
})

describe('room mutes', () => {
  test('a muted member still reads but cannot send (403) until unmuted; others still send', async () => {
    const { alice, bob, carol, group } = await setup()
    await send(alice, group, 'before')
    const r = await alice('POST', `/v1/rooms/${group}/mutes`, { body: { user_id: 'bob' } })
    expect(r.status).toBe(201)
    expect(r.body).toEqual({ room_id: group, user_id: 'bob', created_by: 'alice', created_at: expect.stringMatching(ISO_MS), expires_at: null })
    const refused = await bob('POST', `/v1/rooms/${group}/messages`, { body: { content: 'hi' } })
    expectError(refused, 403, 'FORBIDDEN')
    expect(refused.body.error.message).toContain('muted')
    expect((await bob('GET', `/v1/rooms/${group}/messages`)).body.messages.map((m: any) => m.content)).toEqual(['before'])
    await send(carol, group, 'carol still talks')
    expect((await alice('GET', `/v1/rooms/${group}/mutes`)).body).toEqual({ mutes: [expect.objectContaining({ user_id: 'bob' })], next_cursor: null })
    expect((await alice('DELETE', `/v1/rooms/${group}/mutes/bob`)).status).toBe(204)
    await send(bob, group, 'unmuted')
    expect((await alice('GET', `/v1/rooms/${group}/mutes`)).body.mutes).toEqual([])
  })

  test('a muted member cannot react either (403); lifting the mute lets them; a read-only room still takes reactions', async () => {
    const { alice, bob, group } = await setup()
    const m = await send(alice, group, 'react to me')
    const react = (as: As) => as('PUT', `/v1/rooms/${group}/messages/${m.message_id}/reactions/%F0%9F%91%8D`)
    expect((await alice('POST', `/v1/rooms/${group}/mutes`, { body: { user_id: 'bob' } })).status).toBe(201)
    expectError(await react(bob), 403, 'FORBIDDEN')
    expect((await alice('DELETE', `/v1/rooms/${group}/mutes/bob`)).status).toBe(204)
    expect((await alice('PATCH', `/v1/rooms/${group}`, { body: { read_only: true } })).status).toBe(200)
    const r = await react(bob)
    expect(r.status).toBe(200)
    expect(r.body.reactions).toEqual([{ key: '👍', count: 1, user_ids: ['bob'] }])
  })

  test('a mute with duration_s ends on its own; mute role rules match bans', async () => {
    const { alice, ann, bob, group } = await setup()
    expect((await ann('POST', `/v1/rooms/${group}/mutes`, { body: { user_id: 'bob', duration_s: 1 } })).status).toBe(201)
    expectError(await bob('POST', `/v1/rooms/${group}/messages`, { body: { content: 'x' } }), 403, 'FORBIDDEN')
    expect((await eventually(() => bob('POST', `/v1/rooms/${group}/messages`, { body: { content: 'y' } }), 201)).status).toBe(201)
    expectError(await ann('POST', `/v1/rooms/${group}/mutes`, { body: { user_id: 'alice' } }), 403, 'FORBIDDEN')
    expectError(await bob('POST', `/v1/rooms/${group}/mutes`, { body: { user_id: 'carol' } }), 403, 'FORBIDDEN')
    expectError(await bob('DELETE', `/v1/rooms/${group}/mutes/carol`), 403, 'FORBIDDEN')
    expect((await alice('POST', `/v1/rooms/${group}/mutes`, { body: { user_id: 'ann' } })).status).toBe(201)
    expectError(await ann('POST', `/v1/rooms/${group}/messages`, { body: { content: 'x' } }), 403, 'FORBIDDEN')
  })

  test('a mute survives leaving and rejoining a channel', async () => {
    const { alice, bob, channel } = await setup()
    expect((await alice('POST', `/v1/rooms/${channel}/mutes`, { body: { user_id: 'bob' } })).status).toBe(201)
    expect((await bob('DELETE', `/v1/rooms/${channel}/members/bob`)).status).toBe(204)
    expect((await bob('POST', `/v1/rooms/${channel}/join`)).status).toBe(200)
    expectError(await bob('POST', `/v1/rooms/${channel}/messages`, { body: { content: 'x' } }), 403, 'FORBIDDEN')
  })
})

describe('read-only rooms', () => {
  test('PATCH read_only by the owner: only the owner and admins send; turning it off lets members send again', async () => {
    const { alice, ann, bob, group } = await setup()
    const r = await alice('PATCH', `/v1/rooms/${group}`, { body: { read_only: true } })
    expect(r.status).toBe(200)
    expect(r.body.read_only).toBe(true)
    expect((await bob('GET', `/v1/rooms/${group}`)).body.read_only).toBe(true)
    expectError(await bob('POST', `/v1/rooms/${group}/messages`, { body: { content: 'x' } }), 403, 'FORBIDDEN')
    await send(alice, group, 'announcement')
    await send(ann, group, 'from an admin')
    expectError(await bob('PATCH', `/v1/rooms/${group}`, { body: { read_only: false } }), 403, 'FORBIDDEN')
    expect((await ann('PATCH', `/v1/rooms/${group}`, { body: { read_only: false } })).body.read_only).toBe(false)
    await send(bob, group, 'my turn')
  })

  test('read_only must be a boolean', async () => {
    const { alice, group } = await setup()
    expectError(await alice('PATCH', `/v1/rooms/${group}`, { body: { read_only: 'yes' } }), 400, 'VALIDATION_ERROR', 'read_only')
  })
})
