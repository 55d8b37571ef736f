// Retention (SPEC §15): tenant config retention_days; messages older than that are removed in the
// background, first_seq moves up, history and sync start there, unread counts stay right. The
// server runs on a clock the test moves forward (no sleeping for days), with a short retention pass.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'
import { ready, roomWith, restSend, collect, expectNone } from '../ws/helpers'
import { until } from '../delivery/helpers'
import { expectError } from './helpers'

const DAY = 86_400_000
let offset = 0
const clock = { now: () => Date.now() + offset }

let s: TestServer
beforeAll(async () => {
  s = await startTestServer({ ACK_TIMEOUT_MS: '600000' }, { clock, lifecycle: { retentionEveryMs: 50 } })
})
afterAll(() => s.stop())

const roomOf = async (t: TestTenant, user: string, room: string) => (await t.as(user)('GET', `/v1/rooms/${room}`)).body

describe('retention_days', () => {
  test('old messages go, first_seq moves up, history, sync and unread counts start there; a tenant without it keeps all', async () => {
    const t = await s.newTenant({ retention_days: 1 })
    const forever = await s.newTenant()
    const room = await roomWith(t, 'alice', ['bob'])
    const other = await roomWith(forever, 'alice', ['bob'])
    for (let i = 1; i <= 5; i++) {
      await restSend(t, 'alice', room, `old ${i}`)
      await restSend(forever, 'alice', other, `old ${i}`)
    }
    expect((await roomOf(t, 'bob', room)).first_seq).toBe(1)
    offset += 2 * DAY
    for (let i = 6; i <= 8; i++) {
      await restSend(t, 'alice', room, `new ${i}`)
      await restSend(forever, 'alice', other, `new ${i}`)
    }
    await until('first_seq moved', async () => ((await roomOf(t, 'bob', room)).first_seq === 6 ? true : undefined), 10_000, 20)
    expect(await roomOf(t, 'bob', room)).toMatchObject({ first_seq: 6, last_seq: 8 })

    const history = (await t.as('bob')('GET', `/v1/rooms/${room}/messages`)).body
    expect(history.messages.map((m: { seq: number }) => m.seq)).toEqual([6, 7, 8])
    expect(history.has_more).toBe(false)
    expect((await t.as('bob')('GET', `/v1/rooms/${room}/messages?before_seq=6`)).body).toEqual({ messages: [], has_more: false })
    expect((await t.as('bob')('GET', `/v1/rooms/${room}/messages?after_seq=2&limit=2`)).body.messages.map((m: { seq: number }) => m.seq)).toEqual([6, 7])
    const listed = (await t.as('bob')('GET', '/v1/rooms')).body.rooms[0]
    expect(listed).toMatchObject({ room_id: room, first_seq: 6, last_seq: 8, unread_count: 3 })
    expect((await s.admin('GET', `/v1/admin/tenants/${t.tenant_id}`)).body.usage).toMatchObject({ rooms: 1, messages: 3 })

    // bob's ack is 0, below the horizon: the connect-time sync begins at first_seq
    const bob = await ready(s.wsUrl, t.headers('bob'))
    expect(bob.log.filter((f) => f.type === 'message').map((f) => f.seq)).toEqual([6, 7, 8])
    bob.send({ type: 'sync', room_id: room, after_seq: 1, request_id: 'again' })
    expect((await collect(bob, 'message', 3)).map((f) => f.seq)).toEqual([6, 7, 8])
    await bob.next('sync.done', 3000, (f) => f.room_id === room)
    await expectNone(bob, 'sync.truncated', 100)
    bob.close()

    // the tenant without retention keeps everything
    expect((await forever.as('bob')('GET', `/v1/rooms/${other}/messages`)).body.messages).toHaveLength(8)
    expect((await roomOf(forever, 'bob', other)).first_seq).toBe(1)
    expect((await forever.as('bob')('GET', '/v1/rooms')).body.rooms[0].unread_count).toBe(8)
  })

  test('a room whose messages are all old keeps its seqs: first_seq = last_seq + 1, and the next message follows on', async () => {
    const t = await s.newTenant({ retention_days: 1 })
    const room = await roomWith(t, 'alice', ['bob'])
    for (let i = 0; i < 3; i++) await restSend(t, 'alice', room, `x${i}`)
    offset += 2 * DAY
    await until('all expired', async () => ((await roomOf(t, 'bob', room)).first_seq === 4 ? true : undefined), 10_000, 20)
    expect((await t.as('bob')('GET', `/v1/rooms/${room}/messages`)).body.messages).toEqual([])
    expect((await t.as('bob')('GET', '/v1/rooms')).body.rooms[0].unread_count).toBe(0)
    expect((await restSend(t, 'alice', room, 'next')).seq).toBe(4)
  })

  test('config: 1-3,650 days; anything else is 400 on config.retention_days; null makes it forever again', async () => {
    const t = await s.newTenant()
    const patch = (v: unknown) => s.admin('PATCH', `/v1/admin/tenants/${t.tenant_id}`, { body: { config: { retention_days: v } } })
    for (const bad of [0, 3651, 1.5, '7', true]) expectError(await patch(bad), 400, 'VALIDATION_ERROR', 'config.retention_days')
    expect((await patch(3650)).body.config.retention_days).toBe(3650)
    expect((await patch(1)).body.config.retention_days).toBe(1)
    const cleared = await patch(null)
    expect(cleared.status).toBe(200)
    expect('retention_days' in cleared.body.config).toBe(false)
  })
})
