// DNS rebinding (issue 13 item 5): an outbound call resolves the name once, checks every address,
// and connects to the checked address with the URL's Host header and TLS server name. The resolver
// is injected into the delivery code, so a name can answer one address to the check and another
// to any later lookup; listeners on the other addresses prove that nothing else is dialled.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { systemClock } from '../../src/clock'
import type { DeliveryRow } from '../../src/db/rows'
import { createLogger } from '../../src/log'
import type { AttemptResult } from '../../src/services/delivery'
import { createOutboundFetch, type OutboundFetch } from '../../src/services/outbound-fetch'
import { OutboundRefused, type Resolver } from '../../src/services/outbound-url'
import { createDeliveryLoop } from '../../src/workers/delivery-loop'
import { call } from '../support/http'
import { spawnServer } from '../support/process'
import { startTestServer } from '../support/server'
import { expectSigned, Receiver } from './helpers'
import { makePki, tlsReceiver, type TestPki } from './tls-kit'

const SECRET = 'whsec_' + Buffer.from('k'.repeat(32)).toString('base64')
/** A public address for the check to accept. It is never dialled: `playPublic` answers for it. */
const PUBLIC = '93.184.215.14'

/** Answers the n-th lookup with answers[n] (the last one repeats) and records each lookup. */
function sequenceResolver(...answers: string[][]) {
  const calls: string[] = []
  const resolve: Resolver = async (host) => {
    calls.push(host)
    return answers[Math.min(calls.length - 1, answers.length - 1)].map((address) => ({ address }))
  }
  return { calls, resolve }
}

/** A raw TCP listener that counts connections (it must see none). */
function tcpCounter(hostname: string, port = 0) {
  let n = 0
  const l = Bun.listen({ hostname, port, socket: { open: (s) => (n++, void s.end()), data() {} } })
  return { port: l.port, count: () => n, stop: () => l.stop(true) }
}

/** Runs one delivery attempt of `url` through the real delivery loop; returns its result. */
async function deliverOnce(url: string, http: OutboundFetch, timeoutMs = 2000): Promise<AttemptResult> {
  const row: DeliveryRow = {
    delivery_id: 'dlv_1', tenant_id: 't', kind: 'webhook', url, event_id: 'evt_1', ref_id: 'evt_1', body: '{"type":"x"}',
    attempts: 0, next_attempt_at: 0, state: 'pending', last_error: null, created_at: '', last_attempt_at: null,
  }
  const results: AttemptResult[] = []
  const loop = createDeliveryLoop({
    due: () => (results.length ? [] : [row]),
    webhookSecret: () => SECRET,
    http,
    clock: systemClock,
    log: createLogger('error'),
    report: (r) => results.push(r),
    settings: { circuitFailures: 5, circuitOpenMs: 1000, timeoutMs },
  })
  expect(await loop.tick()).toBe(1)
  return results[0]
}

describe('plain http: the connection goes to the address that was checked', () => {
  test('pinned to the first answer, with the name in Host; a later answer is never dialled', async () => {
    const hits: { host: string | null; path: string; signed: boolean }[] = []
    const a = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      fetch: (req) => (hits.push({ host: req.headers.get('host'), path: new URL(req.url).pathname + new URL(req.url).search, signed: req.headers.has('webhook-signature') }), new Response('ok')),
    })
    const b = tcpCounter('127.0.0.2', a.port) // the same port on another loopback address
    try {
      const dns = sequenceResolver(['127.0.0.1'], ['127.0.0.2'])
      const r = await deliverOnce(`http://hook.test:${a.port}/in?x=1`, createOutboundFetch({ allowPrivate: true, resolve: dns.resolve }))
      expect(r).toEqual({ delivery_id: 'dlv_1', outcome: 'ok' })
      expect(dns.calls).toEqual(['hook.test']) // one lookup, used for the check and the connection
      expect(hits).toEqual([{ host: `hook.test:${a.port}`, path: '/in?x=1', signed: true }])
      expect(b.count()).toBe(0)
    } finally {
      a.stop(true)
      b.stop()
    }
  })

  test('rebinding: a public answer to the check, loopback afterwards — loopback is never reached', async () => {
    const loopback = tcpCounter('127.0.0.1')
    const dialled: { url: string; host: string }[] = []
    // Plays the public host: a request for PUBLIC is answered here and never leaves the machine;
    // anything else goes to the real network stack (where only the loopback listener waits).
    const playPublic = (async (url: string, init: RequestInit) => {
      if (new URL(url).hostname === PUBLIC) return dialled.push({ url, host: (init.headers as Record<string, string>).host }), new Response('ok')
      return fetch(url, init)
    }) as typeof fetch
    try {
      const dns = sequenceResolver([PUBLIC], ['127.0.0.1'])
      const http = createOutboundFetch({ allowPrivate: false, resolve: dns.resolve, fetch: playPublic })
      // `localhost`: a second lookup by anyone (fetch's own, the system's) gives loopback.
      const url = `http://localhost:${loopback.port}/in`
      expect(await deliverOnce(url, http)).toEqual({ delivery_id: 'dlv_1', outcome: 'ok' }) // delivered to the first-checked address
      expect(dialled).toEqual([{ url: `http://${PUBLIC}:${loopback.port}/in`, host: `localhost:${loopback.port}` }])
      // The next attempt looks up again, gets loopback, and is refused before connecting.
      expect(await deliverOnce(url, http)).toEqual({ delivery_id: 'dlv_1', outcome: 'failed', error: 'BLOCKED_ADDRESS', tenant_id: 't' })
      expect(dns.calls).toEqual(['localhost', 'localhost'])
      expect(dialled).toHaveLength(1)
      expect(loopback.count()).toBe(0)
    } finally {
      loopback.stop()
    }
  })

  test('one private address in the answer blocks the call; so does an answer with no address', async () => {
    const loopback = tcpCounter('127.0.0.1')
    try {
      for (const answer of [[PUBLIC, '127.0.0.1'], ['127.0.0.1', PUBLIC], []]) {
        const http = createOutboundFetch({ allowPrivate: false, resolve: sequenceResolver(answer).resolve })
        expect(await deliverOnce(`http://rebind.test:${loopback.port}/`, http)).toMatchObject({ outcome: 'failed', error: 'BLOCKED_ADDRESS' })
      }
      const failing: Resolver = async () => {
        throw Object.assign(new Error('no such name'), { code: 'ENOTFOUND' })
      }
      expect(await deliverOnce(`http://rebind.test:${loopback.port}/`, createOutboundFetch({ allowPrivate: false, resolve: failing }))).toMatchObject({ error: 'DNS_FAILURE' })
      expect(loopback.count()).toBe(0)
    } finally {
      loopback.stop()
    }
  })

  test('a lookup that never answers ends in TIMEOUT within the attempt timeout', async () => {
    const hanging: Resolver = () => new Promise(() => {})
    const t0 = Date.now()
    expect(await deliverOnce('http://slow-dns.test/', createOutboundFetch({ allowPrivate: false, resolve: hanging }), 150)).toMatchObject({ error: 'TIMEOUT' })
    expect(Date.now() - t0).toBeLessThan(2000)
  })
})

describe('https: connect to the checked address, SNI and certificate check on the name', () => {
  let pki: TestPki
  beforeAll(() => (pki = makePki()))
  afterAll(() => pki.remove())
  const at127 = () => sequenceResolver(['127.0.0.1'])

  test('the TLS server sees the name in SNI and Host on a connection to the checked address', async () => {
    const rx = await tlsReceiver(pki.leaf('DNS:hook.test'))
    try {
      const dns = at127()
      const r = await deliverOnce(`https://hook.test:${rx.port}/in`, createOutboundFetch({ allowPrivate: true, resolve: dns.resolve, ca: pki.ca }))
      expect(r).toEqual({ delivery_id: 'dlv_1', outcome: 'ok' })
      expect(dns.calls).toEqual(['hook.test'])
      expect(rx.hits.map(({ sni, host, path, local }) => ({ sni, host, path, local }))).toEqual([
        { sni: 'hook.test', host: `hook.test:${rx.port}`, path: '/in', local: '127.0.0.1' },
      ])
    } finally {
      await rx.close()
    }
  })

  test('the certificate is checked against the name, not the dialled address', async () => {
    for (const san of ['DNS:other.test', 'IP:127.0.0.1']) {
      const rx = await tlsReceiver(pki.leaf(san))
      try {
        const http = createOutboundFetch({ allowPrivate: true, resolve: at127().resolve, ca: pki.ca })
        const err = await http(`https://hook.test:${rx.port}/in`, { method: 'POST', headers: {}, body: 'x' }).then(() => null, (e) => e)
        expect({ san, code: err?.code }).toEqual({ san, code: 'ERR_TLS_CERT_ALTNAME_INVALID' })
        expect(await deliverOnce(`https://hook.test:${rx.port}/in`, http)).toMatchObject({ outcome: 'failed', error: 'CONNECTION_ERROR' })
        expect(rx.hits).toHaveLength(0)
      } finally {
        await rx.close()
      }
    }
  })

  test('verification is on: without the test CA the right name is still refused; a literal address keeps its own identity', async () => {
    const rx = await tlsReceiver(pki.leaf('DNS:hook.test'))
    try {
      const untrusting = createOutboundFetch({ allowPrivate: true, resolve: at127().resolve })
      const err = await untrusting(`https://hook.test:${rx.port}/`, { method: 'POST', headers: {} }).then(() => null, (e) => e)
      expect(err?.code).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE')
    } finally {
      await rx.close()
    }
    const ip = await tlsReceiver(pki.leaf('IP:127.0.0.1'))
    try {
      const dns = at127()
      const res = await createOutboundFetch({ allowPrivate: true, resolve: dns.resolve, ca: pki.ca })(`https://127.0.0.1:${ip.port}/lit`, { method: 'POST', headers: {} })
      expect(res.status).toBe(200)
      expect(dns.calls).toEqual([]) // a literal is not looked up
      expect(ip.hits.map(({ sni, host }) => ({ sni, host }))).toEqual([{ sni: false, host: `127.0.0.1:${ip.port}` }])
    } finally {
      await ip.close()
    }
  })

  test('a refused address throws OutboundRefused before any connection', async () => {
    const rx = await tlsReceiver(pki.leaf('DNS:hook.test'))
    try {
      const http = createOutboundFetch({ allowPrivate: false, resolve: at127().resolve, ca: pki.ca })
      const err = await http(`https://hook.test:${rx.port}/`, { method: 'POST', headers: {} }).then(() => null, (e) => e)
      expect(err).toBeInstanceOf(OutboundRefused)
      expect(err.code).toBe('BLOCKED_ADDRESS')
      expect(rx.hits).toHaveLength(0)
    } finally {
      await rx.close()
    }
  })
})

describe('through the real server (ALLOW_HTTP_WEBHOOKS)', () => {
  test('plain http: a webhook to http://localhost:<port> arrives signed, with the name in Host', async () => {
    const s = await startTestServer({ ALLOW_HTTP_WEBHOOKS: '1' })
    const rx = new Receiver()
    try {
      const port = new URL(rx.url()).port
      const t = await s.newTenant({ webhook_url: `http://localhost:${port}/hook`, webhook_events: ['message.created'] })
      const room = (await t.as('alice')('POST', '/v1/rooms', { body: { type: 'group', members: ['bob'] } })).body.room_id
      expect((await t.as('alice')('POST', `/v1/rooms/${room}/messages`, { body: { content: 'hi' } })).status).toBe(201)
      const [hit] = await rx.waitFor(1)
      expect(hit.headers.get('host')).toBe(`localhost:${port}`)
      expect(hit.json).toMatchObject({ type: 'message.created', data: { content: 'hi' } })
      expectSigned(hit, t.webhook_secret)
    } finally {
      rx.stop()
      await s.stop()
    }
  })

  test('https: the server process (CA from NODE_EXTRA_CA_CERTS) sends SNI and Host of the name; start-up warns', async () => {
    const pki = makePki()
    const dir = mkdtempSync(join(tmpdir(), 'chatapi-outbound-'))
    const rx = await tlsReceiver(pki.leaf('DNS:localhost'))
    const srv = await spawnServer({ DATABASE_URL: join(dir, 'db.sqlite'), MASTER_API_KEY: 'mk', ALLOW_HTTP_WEBHOOKS: '1', NODE_EXTRA_CA_CERTS: pki.caPath })
    try {
      const warning = srv.lines.map((l) => JSON.parse(l)).find((l) => l.level === 'warn' && String(l.msg).includes('ALLOW_HTTP_WEBHOOKS'))
      expect(warning).toBeDefined()
      const created = await call(srv.url, 'POST', '/v1/admin/tenants', {
        headers: { 'x-master-key': 'mk' },
        body: { name: 'tls', config: { webhook_url: `https://localhost:${rx.port}/hook`, webhook_events: ['message.created'] } },
      })
      expect(created.status).toBe(201)
      const as = { 'x-api-key': created.body.api_key, 'x-user-id': 'alice' }
      const room = (await call(srv.url, 'POST', '/v1/rooms', { headers: as, body: { type: 'group', members: ['bob'] } })).body.room_id
      expect((await call(srv.url, 'POST', `/v1/rooms/${room}/messages`, { headers: as, body: { content: 'over tls' } })).status).toBe(201)
      const [hit] = await rx.waitFor(1)
      expect({ sni: hit.sni, host: hit.host, path: hit.path }).toEqual({ sni: 'localhost', host: `localhost:${rx.port}`, path: '/hook' })
      expect(JSON.parse(hit.body)).toMatchObject({ type: 'message.created', data: { content: 'over tls' } })
      expectSigned({ ...hit, json: JSON.parse(hit.body), status: 200 }, created.body.webhook_secret)
    } finally {
      srv.proc.kill('SIGTERM')
      await srv.exited
      await rx.close()
      pki.remove()
      rmSync(dir, { recursive: true, force: true })
    }
  }, 20_000)
})
