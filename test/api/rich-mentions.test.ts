// Mentions (SPEC §11.5): mentions on send and edit, unread_mentions on GET /v1/rooms, GET /v1/mentions.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'
import { expectError, room, send } from './helpers'
import { asMessage, msgPath } from './rich-helpers'

let s: TestServer
let t: TestTenant
beforeAll(async () => {
  s = await startTestServer()
  t = await s.newTenant()
})
afterAll(() => s.stop())

const roomItem = async (user: string, roomId: string) => ((await t.as(user)('GET', '/v1/rooms')).body.rooms as any[]).find((r) => r.room_id === roomId)

describe('mentions on a message', () => {
  test('stored distinct on send, replaced by an edit, gone with a delete', async () => {
    const g = await room(t.as('alice'), 'group', ['bob', 'carol'])
    const m = await send(t.as('alice'), g.room_id, 'hey @bob @carol', { mentions: ['bob', 'carol', 'bob'] })
    expect(asMessage((await t.as('bob')('GET', msgPath(g.room_id, m.message_id))).body).mentions).toEqual(['bob', 'carol'])
    const edited = await t.as('alice')('PATCH', msgPath(g.room_id, m.message_id), { body: { mentions: ['carol'] } })
    expect(edited.status).toBe(200)
    expect(edited.body).toMatchObject({ mentions: ['carol'], content: 'hey @bob @carol', rev: 1, edited_at: expect.any(String) })
    // an edit without mentions keeps them
    expect((await t.as('alice')('PATCH', msgPath(g.room_id, m.message_id), { body: { content: 'hey @carol' } })).body.mentions).toEqual(['carol'])
    expect((await t.as('alice')('DELETE', msgPath(g.room_id, m.message_id))).status).toBe(204)
    expect((await t.as('bob')('GET', msgPath(g.room_id, m.message_id))).body.mentions).toEqual([])
    expect((await t.as('carol')('GET', '/v1/mentions')).body.mentions).toEqual([])
  })

  test('only members of the room, at most 50 distinct ids, valid user ids: else 400 on mentions', async () => {
    const g = await room(t.as('alice'), 'group', ['bob'])
    const a = t.as('alice')
    expectError(await a('POST', msgPath(g.room_id), { body: { content: 'x', mentions: ['bob', 'stranger'] } }), 400, 'VALIDATION_ERROR', 'mentions')
    expectError(await a('POST', msgPath(g.room_id), { body: { content: 'x', mentions: ['bad id!'] } }), 400, 'VALIDATION_ERROR', 'mentions')
    expectError(await a('POST', msgPath(g.room_id), { body: { content: 'x', mentions: 'bob' } }), 400, 'VALIDATION_ERROR', 'mentions')
    const many = Array.from({ length: 51 }, (_, i) => `u${i}`)
    expect((await a('POST', `/v1/rooms/${g.room_id}/members`, { body: { user_ids: many } })).status).toBe(200)
    expectError(await a('POST', msgPath(g.room_id), { body: { content: 'x', mentions: many } }), 400, 'VALIDATION_ERROR', 'mentions')
    expect((await a('POST', msgPath(g.room_id), { body: { content: 'x', mentions: many.slice(0, 50) } })).status).toBe(201)
    // Repeats count once: 50 distinct ids in 51 entries are accepted and stored once each.
    const repeated = await a('POST', msgPath(g.room_id), { body: { content: 'x', mentions: [...many.slice(0, 50), 'u0'] } })
    expect(repeated.status).toBe(201)
    const stored = (await a('GET', `${msgPath(g.room_id)}?after_seq=${repeated.body.seq - 1}&limit=1`)).body.messages[0]
    expect(stored.mentions).toEqual(many.slice(0, 50))
    // The raw list is bounded all the same (200 entries), whatever the repeats.
    expectError(await a('POST', msgPath(g.room_id), { body: { content: 'x', mentions: Array(201).fill('bob') } }), 400, 'VALIDATION_ERROR', 'mentions')
    const m = await send(a, g.room_id, 'y')
    expectError(await a('PATCH', msgPath(g.room_id, m.message_id), { body: { mentions: ['stranger'] } }), 400, 'VALIDATION_ERROR', 'mentions')
    // a refused send stored nothing
    expect((await send(a, g.room_id, 'z')).seq).toBe(4)
  })
})

describe('unread_mentions and GET /v1/mentions', () => {
  test('unread_mentions counts mentions above the read marker; GET /v1/mentions lists them newest first across rooms, paged', async () => {
    const g1 = await room(t.as('alice'), 'group', ['dave'])
    const g2 = await room(t.as('alice'), 'channel', ['dave'])
    const m1 = await send(t.as('alice'), g1.room_id, '@dave one', { mentions: ['dave'] })
    await send(t.as('alice'), g1.room_id, 'no mention')
    const m3 = await send(t.as('alice'), g2.room_id, '@dave two', { mentions: ['dave'] })
    const m4 = await send(t.as('alice'), g1.room_id, '@dave three', { mentions: ['dave', 'alice'] })
    expect(await roomItem('dave', g1.room_id)).toMatchObject({ unread_count: 3, unread_mentions: 2 })
    expect(await roomItem('dave', g2.room_id)).toMatchObject({ unread_mentions: 1 })
    expect(await roomItem('alice', g1.room_id)).toMatchObject({ unread_mentions: 0 }) // her own send moved her read marker

    expect((await t.as('dave')('POST', `/v1/rooms/${g1.room_id}/read`, { body: { seq: 2 } })).status).toBe(200)
    expect(await roomItem('dave', g1.room_id)).toMatchObject({ unread_count: 1, unread_mentions: 1 })

    const p1 = await t.as('dave')('GET', '/v1/mentions?limit=2')
    expect(p1.status).toBe(200)
    expect(p1.body.mentions.map((x: any) => [x.room_id, x.message.message_id])).toEqual([
      [g1.room_id, m4.message_id],
      [g2.room_id, m3.message_id],
    ])
    p1.body.mentions.forEach((x: any) => asMessage(x.message))
    const p2 = await t.as('dave')('GET', `/v1/mentions?limit=2&cursor=${p1.body.next_cursor}`)
    expect(p2.body).toEqual({ mentions: [{ room_id: g1.room_id, message: expect.objectContaining({ message_id: m1.message_id, mentions: ['dave'] }) }], next_cursor: null })
    // leaving a room takes its mentions out of the list
    expect((await t.as('dave')('DELETE', `/v1/rooms/${g2.room_id}/members/dave`)).status).toBe(204)
    expect((await t.as('dave')('GET', '/v1/mentions')).body.mentions.map((x: any) => x.message.message_id)).toEqual([m4.message_id, m1.message_id])
    expect((await t.as('alice')('GET', '/v1/mentions')).body.mentions.map((x: any) => x.message.message_id)).toEqual([m4.message_id])
    expect((await t.as('nobody')('GET', '/v1/mentions')).body).toEqual({ mentions: [], next_cursor: null })
    // another tenant's user of the same name sees nothing
    expect((await (await s.newTenant()).as('dave')('GET', '/v1/mentions')).body.mentions).toEqual([])
    expectError(await t.as('dave')('GET', '/v1/mentions?limit=0'), 400, 'VALIDATION_ERROR', 'limit')
    expectError(await t.as('dave')('GET', '/v1/mentions?cursor=%%%'), 400, 'VALIDATION_ERROR', 'cursor')
  })
})
