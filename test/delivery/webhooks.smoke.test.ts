import { afterAll, beforeAll, expect, test } from 'bun:test'
import { createHmac } from 'node:crypto'
import { startTestServer, type TestServer } from '../support/server'

let s: TestServer
beforeAll(async () => (s = await startTestServer({ ALLOW_HTTP_WEBHOOKS: '1' })))
afterAll(() => s.stop())

test('workers run and a signed message.created webhook arrives', async () => {
  const h = await s.call('GET', '/health')
  expect(h.body.workers.delivery.state).toBe('running')
  const got: { headers: Headers; body: string }[] = []
  let arrived!: () => void
  const done = new Promise<void>((r) => (arrived = r))
  const receiver = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      got.push({ headers: req.headers, body: await req.text() })
      arrived()
      return new Response('ok')
    },
  })
  const t = await s.newTenant({ webhook_url: `http://127.0.0.1:${receiver.port}/hook`, webhook_events: ['message.created'] })
  const room = (await t.as('alice')('POST', '/v1/rooms', { body: { type: 'group', members: ['bob'] } })).body.room_id
  await t.as('alice')('POST', `/v1/rooms/${room}/messages`, { body: { content: 'hello' } })
  await done
  const { headers, body } = got[0]
  const id = headers.get('webhook-id')!
  const ts = headers.get('webhook-timestamp')!
  const key = Buffer.from(t.webhook_secret.slice('whsec_'.length), 'base64')
  const expected = 'v1,' + createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64')
  expect(headers.get('webhook-signature')).toBe(expected)
  const evt = JSON.parse(body)
  expect(evt.type).toBe('message.created')
  expect(evt.data.content).toBe('hello')
  expect(evt.data.offline_user_ids.sort()).toEqual(['alice', 'bob'])
  receiver.stop(true)
})
