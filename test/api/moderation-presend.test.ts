// The pre-send hook (SPEC §14), black box against a local hook receiver (ALLOW_HTTP_WEBHOOKS):
// allow, reject, replace; timeout, non-2xx and unreadable answers under both failure policies; the
// Standard Webhooks signature verified independently; config rules; a slow hook of one tenant does
// not hold another tenant's sends (shown by the order things complete in, not by a time limit).

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createHmac } from 'node:crypto'
import { startTestServer, type TestServer } from '../support/server'
import { expectError, ISO_MS, room } from './helpers'

/** A local hook: answers each request with `answer(body)`, records what it got. */
class Hook {
  readonly calls: { headers: Headers; raw: string; json: any }[] = []
  answer: (json: any) => Response | Promise<Response> = () => Response.json({ action: 'allow' })
  private server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch: async (req) => {
      const raw = await req.text()
      const json = JSON.parse(raw)
      this.calls.push({ headers: req.headers, raw, json })
      return this.answer(json)
    },
  })
  url = (path = '/presend') => `http://127.0.0.1:${this.server.port}${path}`
  stop = () => this.server.stop(true)
}

let s: TestServer
let hook: Hook
beforeAll(async () => {
  s = await startTestServer({ ALLOW_HTTP_WEBHOOKS: '1' })
  hook = new Hook()
})
afterAll(async () => {
  hook.stop()
  await s.stop()
})

async function hooked(config: Record<string, unknown> = {}) {
  hook.answer = () => Response.json({ action: 'allow' })
  hook.calls.length = 0
  const t = await s.newTenant({ presend_url: hook.url(), ...config })
  const alice = t.as('alice')
  const group = (await room(alice, 'group', ['bob'])).room_id
  const post = (content: string, extra: Record<string, unknown> = {}) => alice('POST', `/v1/rooms/${group}/messages`, { body: { content, ...extra } })
  const history = async () => (await alice('GET', `/v1/rooms/${group}/messages`)).body.messages as any[]
  return { t, alice, group, post, history }
}

/** Standard Webhooks verification written here from the spec, not with the server's code. */
function verify(secret: string, headers: Headers, raw: string): boolean {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64')
  const mac = createHmac('sha256', key).update(`${headers.get('webhook-id')}.${headers.get('webhook-timestamp')}.${raw}`).digest('base64')
  return (headers.get('webhook-signature') ?? '').split(' ').includes(`v1,${mac}`)
}

describe('verdicts', () => {
  test('allow: the hook gets the message before it is stored, signed like a webhook; the message is stored as sent', async () => {
    const { t, group, post, history } = await hooked()
    hook.answer = async (json) => {
      // Not stored yet while the hook is asked (store then send comes after the verdict).
      expect((await t.as('bob')('GET', `/v1/rooms/${group}`)).body.last_seq).toBe(0)
      return Response.json({ action: 'allow' })
    }
    const r = await post('hello there', { meta: { kind: 'text' } })
    expect(r.status).toBe(201)
    expect(hook.calls).toHaveLength(1)
    const call = hook.calls[0]
    expect(call.json).toEqual({
      type: 'message.presend',
      timestamp: expect.stringMatching(ISO_MS),
      tenant_id: t.tenant_id,
      data: { room_id: group, sender_id: 'alice', content: 'hello there', meta: { kind: 'text' }, parent_id: null, mentions: [], attachments: [] },
    })
    expect(call.headers.get('webhook-id')).toMatch(/^evt_/)
    expect(Math.abs(Number(call.headers.get('webhook-timestamp')) - Date.now() / 1000)).toBeLessThan(60)
    expect(call.headers.get('content-type')).toBe('application/json')
    expect(verify(t.webhook_secret, call.headers, call.raw)).toBe(true)
    expect(verify(t.webhook_secret, call.headers, call.raw.replace('hello', 'HELLO'))).toBe(false)
    expect((await history()).map((m) => [m.content, m.meta])).toEqual([['hello there', { kind: 'text' }]])
  })

  test('the hook sees a reply\'s parent_id and the mentions', async () => {
    const { post } = await hooked()
    const parent = (await post('top')).body
    expect((await post('a reply', { parent_id: parent.message_id, mentions: ['bob'] })).status).toBe(201)
    expect(hook.calls[1].json.data).toMatchObject({ content: 'a reply', parent_id: parent.message_id, mentions: ['bob'], attachments: [] })
  })

  test('a send the server refuses on its own fields (parent_id, mentions) is the 400 without asking the hook', async () => {
    const { post } = await hooked()
    hook.answer = () => Response.json({ action: 'reject', reason: 'asked' })
    expectError(await post('x', { parent_id: 'msg_nope' }), 400, 'VALIDATION_ERROR', 'parent_id')
    expectError(await post('x', { mentions: ['zed'] }), 400, 'VALIDATION_ERROR', 'mentions')
    expect(hook.calls).toHaveLength(0)
  })

  test('reject: 422 CONTENT_REJECTED with the reason, nothing stored', async () => {
    const { post, history } = await hooked()
    hook.answer = () => Response.json({ action: 'reject', reason: 'no links please' })
    const r = await post('see http://spam.example')
    expectError(r, 422, 'CONTENT_REJECTED')
    expect(r.body.error.message).toContain('no links please')
    hook.answer = () => Response.json({ action: 'reject' })
    expectError(await post('again'), 422, 'CONTENT_REJECTED')
    expect(await history()).toEqual([])
  })

  test('replace: the content and/or meta the hook answers are stored', async () => {
    const { post, history } = await hooked()
    hook.answer = (json) => Response.json({ action: 'replace', content: json.data.content.toUpperCase(), meta: { checked: true } })
    expect((await post('quiet', { meta: { a: 1 } })).status).toBe(201)
    hook.answer = () => Response.json({ action: 'replace', meta: null })
    expect((await post('keeps its text', { meta: { b: 2 } })).status).toBe(201)
    expect((await history()).map((m) => [m.content, m.meta])).toEqual([
      ['QUIET', { checked: true }],
      ['keeps its text', null],
    ])
  })

  test('a retry with a client_msg_id already stored answers 200 with the original and does not ask the hook again', async () => {
    const { post } = await hooked({ presend_on_failure: 'reject' })
    const first = await post('once', { client_msg_id: 'c-1' })
    expect(first.status).toBe(201)
    hook.answer = () => new Response('down', { status: 503 })
    const retry = await post('once', { client_msg_id: 'c-1' })
    expect(retry.status).toBe(200)
    expect(retry.body).toEqual(first.body)
    expect(hook.calls).toHaveLength(1)
  })
})

describe('failure policy', () => {
  const failures: [string, () => Response | Promise<Response>][] = [
    ['a non-2xx answer', () => new Response('boom', { status: 500 })],
    ['a redirect (never followed)', () => new Response(null, { status: 302, headers: { location: 'http://127.0.0.1:1/' } })],
    ['an answer that is not JSON', () => new Response('allow', { status: 200 })],
    ['an unknown action', () => Response.json({ action: 'maybe' })],
    ['an invalid replacement (empty content)', () => Response.json({ action: 'replace', content: '' })],
    ['an invalid replacement (meta not an object)', () => Response.json({ action: 'replace', meta: [1, 2] })],
  ]
  for (const [what, answer] of failures) {
    test(`${what}: allow stores the message as sent; reject refuses it with 422`, async () => {
      const allow = await hooked({ presend_on_failure: 'allow' })
      hook.answer = answer
      expect((await allow.post('as sent')).status).toBe(201)
      expect((await allow.history()).map((m) => m.content)).toEqual(['as sent'])
      const reject = await hooked({ presend_on_failure: 'reject' })
      hook.answer = answer
      expectError(await reject.post('refused'), 422, 'CONTENT_REJECTED')
      expect(await reject.history()).toEqual([])
    })
  }

  test('a timeout (presend_timeout_ms) follows the policy too; the default policy is allow', async () => {
    let release!: () => void
    const stalled = new Promise<void>((r) => (release = r))
    const slow = async () => {
      await Promise.race([stalled, Bun.sleep(5000)]) // bounded: never longer than 5 s
      return Response.json({ action: 'reject' })
    }
    const byDefault = await hooked({ presend_timeout_ms: 100 })
    hook.answer = slow
    expect((await byDefault.post('the hook is late')).status).toBe(201)
    const strict = await hooked({ presend_timeout_ms: 100, presend_on_failure: 'reject' })
    hook.answer = slow
    const r = await strict.post('the hook is late')
    expectError(r, 422, 'CONTENT_REJECTED')
    expect(r.body.error.message).toContain('timeout')
    release()
  })
})

describe('config', () => {
  test('presend_url, presend_timeout_ms (50-5000) and presend_on_failure are validated; null turns the hook off', async () => {
    const t = await s.newTenant()
    const patch = (config: unknown) => s.admin('PATCH', `/v1/admin/tenants/${t.tenant_id}`, { body: { config } })
    expectError(await patch({ presend_url: 'ftp://hooks.example.org/x' }), 400, 'VALIDATION_ERROR', 'config.presend_url')
    expectError(await patch({ presend_url: 'https://user:pw@hooks.example.org/' }), 400, 'VALIDATION_ERROR', 'config.presend_url')
    expectError(await patch({ presend_timeout_ms: 49 }), 400, 'VALIDATION_ERROR', 'config.presend_timeout_ms')
    expectError(await patch({ presend_timeout_ms: 5001 }), 400, 'VALIDATION_ERROR', 'config.presend_timeout_ms')
    expectError(await patch({ presend_on_failure: 'maybe' }), 400, 'VALIDATION_ERROR', 'config.presend_on_failure')
    const ok = await patch({ presend_url: hook.url(), presend_timeout_ms: 50, presend_on_failure: 'reject' })
    expect(ok.body.config).toMatchObject({ presend_url: hook.url(), presend_timeout_ms: 50, presend_on_failure: 'reject' })
    expect((await patch({ presend_url: null })).body.config.presend_url).toBeNull()
    hook.calls.length = 0
    const group = (await room(t.as('alice'), 'group', [])).room_id
    expect((await t.as('alice')('POST', `/v1/rooms/${group}/messages`, { body: { content: 'no hook' } })).status).toBe(201)
    expect(hook.calls).toHaveLength(0)
  })

  test('without ALLOW_HTTP_WEBHOOKS, plain http and loopback, private or localhost hosts are refused', async () => {
    const strict = await startTestServer()
    try {
      const t = await strict.newTenant()
      for (const url of [hook.url(), 'https://127.0.0.1/hook', 'https://10.1.2.3/hook', 'https://[::1]/hook', 'https://localhost/hook', 'https://api.localhost/hook']) {
        const r = await strict.admin('PATCH', `/v1/admin/tenants/${t.tenant_id}`, { body: { config: { presend_url: url } } })
        expectError(r, 400, 'VALIDATION_ERROR', 'config.presend_url')
      }
    } finally {
      await strict.stop()
    }
  })
})

describe('isolation', () => {
  test("a hook that has not answered holds only its own send: another tenant's sends (with and without a hook) complete meanwhile", async () => {
    let release!: () => void
    const held = new Promise<void>((r) => (release = r))
    const slowHook = new Hook()
    slowHook.answer = async () => {
      await Promise.race([held, Bun.sleep(10_000)]) // bounded
      return Response.json({ action: 'allow' })
    }
    try {
      const a = await s.newTenant({ presend_url: slowHook.url(), presend_timeout_ms: 5000 })
      const aRoom = (await room(a.as('alice'), 'group', [])).room_id
      const b = await s.newTenant()
      const bRoom = (await room(b.as('bob'), 'group', [])).room_id
      const c = await hooked() // a tenant whose hook answers at once
      let aDone = false
      const aSend = a.as('alice')('POST', `/v1/rooms/${aRoom}/messages`, { body: { content: 'waits for its hook' } }).then((r) => {
        aDone = true
        return r
      })
      while (slowHook.calls.length === 0) await Bun.sleep(5) // A's hook call is in progress
      for (let i = 0; i < 20; i++) {
        expect((await b.as('bob')('POST', `/v1/rooms/${bRoom}/messages`, { body: { content: `b${i}` } })).status).toBe(201)
        expect((await c.post(`c${i}`)).status).toBe(201)
      }
      // 40 sends of other tenants were stored and answered while A's one send still waited.
      expect(aDone).toBe(false)
      expect((await b.as('bob')('GET', `/v1/rooms/${bRoom}`)).body.last_seq).toBe(20)
      release()
      expect((await aSend).status).toBe(201)
    } finally {
      release()
      slowHook.stop()
    }
  })
})
