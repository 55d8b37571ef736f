// The pre-send hook and ordering over WebSocket (SPEC §14): one connection's sends keep their order
// even when the hook answers the later one first, the hook calls themselves run side by side, and
// another connection's send is stored while the first connection's send still waits for its hook.
// Evidence is the order in which things complete, never a time limit.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { startTestServer, type TestServer } from '../support/server'
import { NO_REDELIVERY, ready, roomWith } from './helpers'

let s: TestServer
let release!: () => void
const held = new Promise<void>((r) => (release = r))
const asked: string[] = []
const hook = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  fetch: async (req) => {
    const { data } = (await req.json()) as { data: { content: string } }
    asked.push(data.content)
    if (data.content === 'first') await Promise.race([held, Bun.sleep(10_000)]) // bounded
    return Response.json({ action: 'replace', content: `${data.content} (checked)` })
  },
})

beforeAll(async () => {
  s = await startTestServer({ ...NO_REDELIVERY, ALLOW_HTTP_WEBHOOKS: '1' })
})
afterAll(async () => {
  release()
  hook.stop(true)
  await s.stop()
})

test("a connection's sends are stored in the order sent although the hook answers the second first; another connection is not held", async () => {
  const t = await s.newTenant({ presend_url: `http://127.0.0.1:${hook.port}/presend`, presend_timeout_ms: 5000 })
  const room = await roomWith(t, 'alice', ['bob'])
  const alice = await ready(s.wsUrl, t.headers('alice'))
  const bob = await ready(s.wsUrl, t.headers('bob'))

  alice.send({ type: 'send_message', room_id: room, content: 'first', request_id: 'r1' })
  alice.send({ type: 'send_message', room_id: room, content: 'second', request_id: 'r2' })
  // Both hook calls are made without waiting for each other: 'second' is asked while 'first' is held.
  while (asked.length < 2) await Bun.sleep(5)
  expect(asked.sort()).toEqual(['first', 'second'])
  // Bob's send on his own connection completes meanwhile: it waits for its own hook call only.
  const other = await bob.request({ type: 'send_message', room_id: room, content: 'other' }, 'message.sent')
  expect(other).toMatchObject({ type: 'message.sent', seq: 1 })
  // Alice's second send, whose hook had answered, still waits behind her first.
  expect(alice.log.filter((f) => f.type === 'message.sent')).toEqual([])

  release()
  const sent1 = await alice.next('message.sent', 5000, (f) => f.request_id === 'r1')
  const sent2 = await alice.next('message.sent', 5000, (f) => f.request_id === 'r2')
  expect([sent1.seq, sent2.seq]).toEqual([2, 3])
  expect(alice.log.filter((f) => f.type === 'message.sent').map((f) => f.request_id)).toEqual(['r1', 'r2'])
  const contents = (await t.as('alice')('GET', `/v1/rooms/${room}/messages`)).body.messages.map((m: any) => m.content)
  expect(contents).toEqual(['other (checked)', 'first (checked)', 'second (checked)'])
  alice.close()
  bob.close()
})
