import { afterAll, beforeAll, expect, test } from 'bun:test'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'
import { WsClient } from '../support/ws'

let s: TestServer
beforeAll(async () => (s = await startTestServer()))
afterAll(() => s.stop())

async function groupWith(t: TestTenant, owner: string, others: string[]) {
  const r = await t.as(owner)('POST', '/v1/rooms', { body: { type: 'group', members: others, name: 'g' } })
  expect(r.status).toBe(201)
  return r.body.room_id as string
}

test('two users chat live; the sender gets message.sent and its own echo', async () => {
  const t = await s.newTenant()
  const room = await groupWith(t, 'alice', ['bob'])
  const alice = await WsClient.connect(s.wsUrl, t.headers('alice'))
  const bob = await WsClient.connect(s.wsUrl, t.headers('bob'))
  const hello = await alice.next('connected')
  expect(hello.user_id).toBe('alice')
  expect(typeof hello.epoch).toBe('string')
  await alice.next('sync.done')
  await bob.next('sync.done')
  const sent = await alice.request({ type: 'send_message', room_id: room, content: 'hi bob' }, 'message.sent')
  expect(sent.seq).toBe(1)
  const got = await bob.next('message')
  expect(got).toMatchObject({ room_id: room, seq: 1, content: 'hi bob', sender_id: 'alice', message_id: sent.message_id })
  const echo = await alice.next('message')
  expect(echo.message_id).toBe(sent.message_id)
  alice.close()
  bob.close()
})
