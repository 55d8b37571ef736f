// Delivery state (SPEC §4): acks and read markers never move back; who sees whose cursors and presence.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startTestServer, type TestServer } from '../support/server'
import { expectError, room, send, type As } from './helpers'

let s: TestServer
beforeAll(async () => (s = await startTestServer()))
afterAll(() => s.stop())

const ack = (as: As, room_id: string, seq: number) => as('POST', '/v1/acks', { body: { room_id, seq } })
const read = (as: As, roomId: string, seq: number) => as('POST', `/v1/rooms/${roomId}/read`, { body: { seq } })
const memberOf = async (as: As, roomId: string, user: string) =>
  (await as('GET', `/v1/rooms/${roomId}/members`)).body.members.find((m: any) => m.user_id === user)

/** alice owns a group with bob; alice has sent `n` messages. */
async function roomWith(n: number, config?: Record<string, unknown>) {
  const t = await s.newTenant(config)
  const a = t.as('alice')
  const b = t.as('bob')
  const id = (await room(a, 'group', ['bob'])).room_id as string
  for (let i = 0; i < n; i++) await send(a, id, `m${i + 1}`)
  return { t, a, b, id }
}

describe('POST /v1/acks', () => {
  test('200 {room_id, last_ack}; a lower seq leaves it unchanged; 0 is allowed', async () => {
    const { b, id } = await roomWith(5)
    let r = await ack(b, id, 3)
    expect(r.status).toBe(200)
    expect(r.body).toEqual({ room_id: id, last_ack: 3 })
    r = await ack(b, id, 1)
    expect(r.body).toEqual({ room_id: id, last_ack: 3 })
    expect((await ack(b, id, 0)).body.last_ack).toBe(3)
    expect((await ack(b, id, 5)).body.last_ack).toBe(5)
    expect(await memberOf(b, id, 'bob')).toMatchObject({ last_ack: 5, last_read: 0 })
  })

  test('a seq above the room\'s last_seq is 400 on seq and changes nothing', async () => {
    const { b, id } = await roomWith(2)
    expectError(await ack(b, id, 3), 400, 'VALIDATION_ERROR', 'seq')
    expect((await memberOf(b, id, 'bob')).last_ack).toBe(0)
  })

  test('members only: channel non-member 403, group non-member and unknown room 404', async () => {
    const { t, a, id } = await roomWith(1)
    const c = await room(a, 'channel')
    expectError(await ack(t.as('zed'), c.room_id, 0), 403, 'FORBIDDEN')
    expectError(await ack(t.as('zed'), id, 0), 404, 'NOT_FOUND')
    expectError(await ack(a, 'room_doesnotexist000000000', 0), 404, 'NOT_FOUND')
  })
})

describe('POST /v1/rooms/{id}/read', () => {
  test('200 {room_id, last_read}; never backwards; moves the ack up with it, never down', async () => {
    const { b, id } = await roomWith(6)
    let r = await read(b, id, 4)
    expect(r.status).toBe(200)
    expect(r.body).toEqual({ room_id: id, last_read: 4 })
    expect(await memberOf(b, id, 'bob')).toMatchObject({ last_ack: 4, last_read: 4 })
    r = await read(b, id, 2)
    expect(r.body.last_read).toBe(4)
    await ack(b, id, 6)
    await read(b, id, 5)
    expect(await memberOf(b, id, 'bob')).toMatchObject({ last_ack: 6, last_read: 5 })
    expectError(await read(b, id, 7), 400, 'VALIDATION_ERROR', 'seq')
  })

  test('sending moves the sender\'s own ack and read marker to the new seq', async () => {
    const { a, b, id } = await roomWith(3)
    expect(await memberOf(a, id, 'alice')).toMatchObject({ last_ack: 3, last_read: 3 })
    await send(b, id, 'reply')
    expect(await memberOf(b, id, 'bob')).toMatchObject({ last_ack: 4, last_read: 4 })
    expect(await memberOf(a, id, 'alice')).toMatchObject({ last_ack: 3, last_read: 3 })
  })
})

describe('visibility of cursors and presence in the member list', () => {
  test('read_receipts on (default): everyone sees others\' last_ack/last_read; presence on: online is false offline', async () => {
    const { a, b, id } = await roomWith(3)
    await read(b, id, 2)
    expect(await memberOf(a, id, 'bob')).toMatchObject({ last_ack: 2, last_read: 2, online: false })
    expect(await memberOf(b, id, 'alice')).toMatchObject({ last_ack: 3, last_read: 3, online: false })
  })

  test('read_receipts off: others\' cursors are null, your own are always shown', async () => {
    const { a, b, id } = await roomWith(3, { features: { read_receipts: false } })
    await read(b, id, 2)
    expect(await memberOf(a, id, 'bob')).toMatchObject({ last_ack: null, last_read: null })
    expect(await memberOf(a, id, 'alice')).toMatchObject({ last_ack: 3, last_read: 3 })
    expect(await memberOf(b, id, 'bob')).toMatchObject({ last_ack: 2, last_read: 2 })
  })

  test('presence off: online is null for everyone, the caller included', async () => {
    const { a, id } = await roomWith(0, { features: { presence: false } })
    const list = (await a('GET', `/v1/rooms/${id}/members`)).body.members
    expect(list.map((m: any) => m.online)).toEqual([null, null])
    expect(list[0].last_ack).toBe(0) // read_receipts still on by default
  })

  test('turning read_receipts off by PATCH applies to the next call', async () => {
    const { t, a, b, id } = await roomWith(1)
    await read(b, id, 1)
    expect((await memberOf(a, id, 'bob')).last_read).toBe(1)
    await s.admin('PATCH', `/v1/admin/tenants/${t.tenant_id}`, { body: { config: { features: { read_receipts: false } } } })
    expect((await memberOf(a, id, 'bob')).last_read).toBeNull()
    expect((await memberOf(a, id, 'bob')).online).toBe(false)
  })
})
