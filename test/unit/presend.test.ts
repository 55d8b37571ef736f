// The pre-send hook client (services/presend.ts) over the outbound rules of webhooks
// (services/outbound-fetch.ts): the host is resolved once, the connection goes to the checked
// address, and a private address is refused without ALLOW_HTTP_WEBHOOKS, under either policy.

import { afterAll, expect, test } from 'bun:test'
import { systemClock } from '../../src/clock'
import { AppError } from '../../src/errors'
import { createLogger } from '../../src/log'
import { createOutboundFetch } from '../../src/services/outbound-fetch'
import { createPresendHook } from '../../src/services/presend'
import type { AuthTenant } from '../../src/services/tenant'

const seen: { host: string | null }[] = []
const server = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  fetch: async (req) => {
    seen.push({ host: req.headers.get('host') })
    return Response.json({ action: 'replace', content: 'checked' })
  },
})
afterAll(() => server.stop(true))

const tenant = (url: string, on_failure: 'allow' | 'reject'): AuthTenant =>
  ({
    tenant_id: 'tnt_x',
    name: 'x',
    webhook_secret: 'whsec_' + Buffer.from('k'.repeat(24)).toString('base64'),
    user_token_secret: 'uts_x',
    config: { max_message_bytes: 16384, presend: { url, timeout_ms: 1000, on_failure } },
  }) as unknown as AuthTenant

const data = { room_id: 'room_1', sender_id: 'alice', content: 'hi', meta: null, parent_id: null, mentions: [], attachments: [] }
const log = createLogger('error')

test('a name is resolved once and the call goes to that checked address, the Host header kept', async () => {
  let lookups = 0
  const fetch = createOutboundFetch({ allowPrivate: true, resolve: async () => (lookups++, [{ address: '127.0.0.1' }]) })
  const hook = createPresendHook({ fetch, clock: systemClock, log })
  const url = `http://hooks.example.test:${server.port}/presend`
  expect(await hook.check(tenant(url, 'reject'), data)).toEqual({ content: 'checked', meta: null })
  expect(lookups).toBe(1)
  expect(seen.at(-1)).toEqual({ host: `hooks.example.test:${server.port}` })
})

test('without ALLOW_HTTP_WEBHOOKS a name resolving to a private address is refused before connecting: reject → 422, allow → unchanged', async () => {
  const before = seen.length
  const fetch = createOutboundFetch({ allowPrivate: false, resolve: async () => [{ address: '127.0.0.1' }] })
  const hook = createPresendHook({ fetch, clock: systemClock, log })
  const url = `https://rebind.example.test:${server.port}/presend`
  const refused = await hook.check(tenant(url, 'reject'), data).catch((e) => e)
  expect(refused).toBeInstanceOf(AppError)
  expect(refused).toMatchObject({ code: 'CONTENT_REJECTED', status: 422 })
  expect(refused.message).toContain('BLOCKED_ADDRESS')
  expect(await hook.check(tenant(url, 'allow'), data)).toEqual({ content: 'hi', meta: null })
  expect(seen.length).toBe(before) // nothing reached the local server
})

test('no hook configured: answered at once with the message as it is', async () => {
  const hook = createPresendHook({ fetch: () => Promise.reject(new Error('must not be called')), clock: systemClock, log })
  const t = tenant('x', 'reject')
  t.config.presend = null
  expect(await hook.check(t, data)).toEqual({ content: 'hi', meta: null })
})
