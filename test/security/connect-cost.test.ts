// What one WebSocket connect may cost (issue 13 item 3, security probe H3): the upgrade spends a
// token of the tenant's bucket, connections are capped per user and per tenant (429 before the
// upgrade), and the connect-time sync reads only the rooms with something to send, in slices that
// let other tenants' requests run in between.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createHmac } from 'node:crypto'
import { connect as netConnect, type Socket } from 'node:net'
import type { Store } from '../../src/db/types'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'
import { WsClient, type Frame } from '../support/ws'
import { alive, NO_REDELIVERY, rawUpgrade, ready, restSend, roomWith } from '../ws/helpers'

/** The whole answer to an upgrade request: status, headers and (when refused) the JSON body. */
async function upgradeAnswer(wsUrl: string, headers: Record<string, string>, path?: string) {
  const r = await rawUpgrade(wsUrl, headers, path)
  const fields = new Map<string, string>()
  for (const line of r.head.split('\r\n').slice(1)) {
    const i = line.indexOf(':')
    fields.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim())
  }
  let body: unknown = null
  if (r.status !== 101) {
    const len = Number(fields.get('content-length'))
    let buf = r.rest
    if (buf.length < len)
      buf = await new Promise<Buffer>((resolve, reject) => {
        r.sock.on('data', (d: Buffer) => {
          buf = Buffer.concat([buf, d])
          if (buf.length >= len) resolve(buf)
        })
        r.sock.on('error', reject)
        r.sock.resume()
      })
    body = JSON.parse(buf.subarray(0, len).toString())
  }
  r.sock.destroy()
  return { status: r.status, headers: fields, body }
}

function expectRefused(r: Awaited<ReturnType<typeof upgradeAnswer>>) {
  expect(r.status).toBe(429)
  expect(r.body).toEqual({ success: false, error: { code: 'RATE_LIMIT_EXCEEDED', message: expect.any(String) } })
  expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
  expect(r.headers.get('x-ratelimit-remaining')).toBe('0') // SPEC §10: a 429 says Remaining: 0
  expect(r.headers.get('x-request-id')).toBeTruthy()
}

/** An HS256 user token signed here (the way a parent app's backend would), valid for an hour. */
function userToken(t: TestTenant, user: string) {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
  const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: user, tid: t.tenant_id, exp: Math.floor(Date.now() / 1000) + 3600 })}`
  return `${body}.${createHmac('sha256', Buffer.from(t.user_token_secret, 'utf8')).update(body).digest('base64url')}`
}

/** Live connections of the tenant as the admin API reports them, polled (one request per try) until `want`. */
async function connectionsReach(s: TestServer, t: TestTenant, want: number) {
  let last = -1
  for (let i = 0; i < 200; i++) {
    last = (await s.admin('GET', `/v1/admin/tenants/${t.tenant_id}`)).body.usage.connections
    if (last === want) return
  }
  throw new Error(`usage.connections stayed at ${last}, expected ${want}`)
}

describe('upgrades are charged to the tenant bucket (DEFAULT_RATE_LIMIT=1: burst 2)', () => {
  let r: TestServer
  beforeAll(async () => (r = await startTestServer({ DEFAULT_RATE_LIMIT: '1' })))
  afterAll(() => r.stop())

  test('two upgrades spend the burst: the third gets 429 with the envelope before any upgrade, so does REST; another tenant is unaffected', async () => {
    const t = await r.newTenant()
    const other = await r.newTenant()
    expect((await upgradeAnswer(r.wsUrl, t.headers('alice'))).status).toBe(101)
    // a token-only user draws on the same bucket
    expect((await upgradeAnswer(r.wsUrl, {}, `/ws?token=${userToken(t, 'mallory')}`)).status).toBe(101)
    const refused = await upgradeAnswer(r.wsUrl, {}, `/ws?token=${userToken(t, 'mallory')}`)
    expectRefused(refused)
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('0')
    expect(refused.headers.get('x-ratelimit-limit')).toBe('2')
    expect(refused.headers.has('sec-websocket-accept')).toBe(false)
    expect((await t.as('alice')('GET', '/v1/rooms')).status).toBe(429) // one bucket for REST and upgrades
    expect((await upgradeAnswer(r.wsUrl, other.headers('alice'))).status).toBe(101)
  })
})

describe('connection caps', () => {
  let s: TestServer
  beforeAll(async () => (s = await startTestServer(NO_REDELIVERY)))
  afterAll(() => s.stop())

  test('WS_MAX_CONNECTIONS_PER_USER (default 20): the 21st connection of a user gets 429; others of the tenant still connect; a close frees a slot', async () => {
    const t = await s.newTenant()
    const held: WsClient[] = []
    for (let i = 0; i < 10; i++) held.push(await ready(s.wsUrl, t.headers('alice')))
    // the cap counts the user, whatever the credential
    for (let i = 0; i < 10; i++) held.push(await ready(`${s.wsUrl}?token=${userToken(t, 'alice')}`, {}))
    expectRefused(await upgradeAnswer(s.wsUrl, t.headers('alice')))
    expectRefused(await upgradeAnswer(s.wsUrl, {}, `/ws?token=${userToken(t, 'alice')}`))
    const bob = await ready(s.wsUrl, t.headers('bob'))
    await alive(held[19])

    held[0].close()
    await held[0].closed()
    await connectionsReach(s, t, 20) // 19 of alice's and bob's
    const again = await ready(s.wsUrl, t.headers('alice'))
    expectRefused(await upgradeAnswer(s.wsUrl, t.headers('alice')))
    for (const c of [...held.slice(1), bob, again]) c.close()
  })

  test('tenant max_connections=3 refuses the 4th connection of the tenant (any user); another tenant still connects; a close frees a slot', async () => {
    const t = await s.newTenant({ max_connections: 3 })
    const other = await s.newTenant()
    const held = [await ready(s.wsUrl, t.headers('u1')), await ready(s.wsUrl, t.headers('u2')), await ready(s.wsUrl, t.headers('u2'))]
    expectRefused(await upgradeAnswer(s.wsUrl, t.headers('u4')))
    expectRefused(await upgradeAnswer(s.wsUrl, t.headers('u1')))
    const o = await ready(s.wsUrl, other.headers('u4'))
    await alive(held[2])

    held[1].close()
    await held[1].closed()
    await connectionsReach(s, t, 2)
    const u4 = await ready(s.wsUrl, t.headers('u4'))
    expectRefused(await upgradeAnswer(s.wsUrl, t.headers('u5')))
    for (const c of [held[0], held[2], o, u4]) c.close()
  })

  test('max_connections is validated like the other tenant config keys, persisted and patchable', async () => {
    for (const bad of [0, -1, 1.5, 'x', 10_001]) {
      const r = await s.admin('POST', '/v1/admin/tenants', { body: { name: 'x', config: { max_connections: bad } } })
      expect(r.status).toBe(400)
      expect(r.body.error).toMatchObject({ code: 'VALIDATION_ERROR', field: 'config.max_connections' })
    }
    const t = await s.newTenant({ max_connections: 10_000 })
    expect((await s.admin('GET', `/v1/admin/tenants/${t.tenant_id}`)).body.config.max_connections).toBe(10_000)
    const p = await s.admin('PATCH', `/v1/admin/tenants/${t.tenant_id}`, { body: { config: { max_connections: 1 } } })
    expect(p.status).toBe(200)
    expect(p.body.config.max_connections).toBe(1)
    const c = await ready(s.wsUrl, t.headers('u1'))
    expectRefused(await upgradeAnswer(s.wsUrl, t.headers('u2')))
    c.close()
  })
})

/**
 * Counts the store calls the server makes while installed (each is a query, or a few). The
 * redelivery sweep's own calls (dead letters, laggards), made on a timer every few ms in the test
 * server, are left out so the count is that of the connects alone. So are the presence audience
 * reads (members.userIdsIn): the online announcement runs beside the sync, one read per 100 small
 * rooms with a turn of the event loop between them, so how many land before sync.done is timing.
 */
function countStoreCalls(store: Store) {
  let calls = 0
  const undo: (() => void)[] = []
  for (const [groupName, group] of Object.entries(store) as [string, unknown][]) {
    if (!group || typeof group !== 'object' || groupName === 'deadLetters') continue
    const g = group as Record<string, unknown>
    for (const [name, f] of Object.entries(g)) {
      if (typeof f !== 'function' || (groupName === 'members' && (name === 'laggards' || name === 'userIdsIn'))) continue
      g[name] = (...args: unknown[]) => {
        calls++
        return (f as (...a: unknown[]) => unknown).apply(g, args)
      }
      undo.push(() => (g[name] = f))
    }
  }
  return { calls: () => calls, restore: () => undo.forEach((u) => u()) }
}

/** Runs `n` async jobs, `width` at a time. */
async function inBatches<T>(n: number, width: number, job: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = []
  for (let i = 0; i < n; i += width) out.push(...(await Promise.all(Array.from({ length: Math.min(width, n - i) }, (_, k) => job(i + k)))))
  return out
}

describe('connect-time sync of a user in 2,000 rooms', () => {
  const ROOMS = 2000
  let s: TestServer
  let t: TestTenant
  let rooms: string[] // alice's, with bob, carol and dave
  let small: string[] // alice's, with erin
  beforeAll(async () => {
    s = await startTestServer({ ...NO_REDELIVERY, SQLITE_SYNCHRONOUS: 'NORMAL', WS_MSG_RATE: '100000' })
    t = await s.newTenant()
    rooms = await inBatches(ROOMS, 25, () => roomWith(t, 'alice', ['bob', 'carol', 'dave']))
    small = await inBatches(20, 20, () => roomWith(t, 'alice', ['erin']))
    for (const r of [...rooms.slice(0, 3), ...small.slice(0, 3)]) for (const n of [1, 2]) await restSend(t, 'alice', r, `m${n}`)
  }, 120_000)
  afterAll(() => s.stop())

  /** The frames of a fresh connection up to and including its initial sync.done. */
  async function initialSync(headers: Record<string, string>) {
    const c = await WsClient.connect(s.wsUrl, headers)
    await c.next('sync.done', 30_000, (f) => f.room_id === undefined)
    return { c, frames: c.log.slice(0, c.log.findIndex((f) => f.type === 'sync.done') + 1) }
  }
  const messages = (fs: Frame[]) => fs.filter((f) => f.type === 'message').map((f) => [f.room_id, f.seq, f.content])

  test('only the 3 rooms with a backlog are read: their messages in order, then sync.done; the store calls equal those of a user in 20 rooms', async () => {
    const counter = countStoreCalls(s.handle.store)
    try {
      let at = counter.calls()
      const big = await initialSync(t.headers('bob'))
      const bigCalls = counter.calls() - at
      at = counter.calls()
      const few = await initialSync(t.headers('erin'))
      const fewCalls = counter.calls() - at

      const expected = (rs: string[]) => rs.slice(0, 3).flatMap((r) => [[r, 1, 'm1'], [r, 2, 'm2']])
      expect(messages(big.frames).sort()).toEqual(expected(rooms).sort())
      expect(messages(few.frames).sort()).toEqual(expected(small).sort())
      for (const { frames } of [big, few]) {
        expect(frames[0].type).toBe('connected')
        expect(frames.at(-1)).toEqual({ type: 'sync.done' })
        expect(frames.some((f) => f.type === 'sync.truncated')).toBe(false)
        for (const r of new Set(frames.filter((f) => f.type === 'message').map((f) => f.room_id)))
          expect(frames.filter((f) => f.room_id === r && f.type === 'message').map((f) => f.seq)).toEqual([1, 2])
      }
      console.log(`store calls for one connect: ${bigCalls} in ${ROOMS} rooms, ${fewCalls} in 20 rooms`)
      expect(bigCalls).toBe(fewCalls)

      // every room is live afterwards, the 1,997 that were not read included
      big.c.drain('message')
      for (const r of [rooms[0], rooms[ROOMS - 1], rooms[500]]) {
        const sent = await restSend(t, 'alice', r, 'live')
        expect(await big.c.next('message', 5000, (f) => f.room_id === r)).toMatchObject({ message_id: sent.message_id })
      }
      big.c.close()
      few.c.close()
    } finally {
      counter.restore()
    }
  }, 60_000)

  test("another tenant's request is answered while the sync of a user in 2,000 rooms (403 with a backlog) is still running", async () => {
    await inBatches(400, 25, (i) => restSend(t, 'alice', rooms[3 + i], 'one'))
    const other = await s.newTenant()
    const otherRoom = await roomWith(other, 'victim', [])
    // The victim's request goes out on an already connected socket the moment carol's `connected`
    // frame arrives, i.e. once her sync has started. A sync that never yields to the event loop
    // sends sync.done before this process even sees `connected`, so the answer comes after it.
    const victim: Socket = await new Promise((resolve, reject) => {
      const u = new URL(s.url)
      const sock = netConnect(Number(u.port), u.hostname, () => resolve(sock))
      sock.on('error', reject)
    })
    const order: string[] = []
    let answered!: Promise<number>
    const carol = new WsClient(s.wsUrl, t.headers('carol'))
    carol.ws.addEventListener('message', (e) => {
      const f = JSON.parse(String(e.data)) as Frame
      if (f.type === 'connected') {
        answered = new Promise<number>((resolve) => {
          victim.once('data', (d: Buffer) => {
            order.push('victim answered')
            resolve(Number(d.toString().split(' ')[1]))
          })
        })
        const h = other.headers('victim')
        victim.write(`GET /v1/rooms/${otherRoom}/messages?limit=1 HTTP/1.1\r\nHost: x\r\nx-api-key: ${h['x-api-key']}\r\nx-user-id: victim\r\n\r\n`)
      }
      if (f.type === 'sync.done' && f.room_id === undefined) order.push('sync.done')
    })
    await carol.next('sync.done', 30_000, (f) => f.room_id === undefined)
    expect(await answered).toBe(200)
    expect(order).toEqual(['victim answered', 'sync.done'])
    expect(carol.log.filter((f) => f.type === 'message' && f.content === 'one')).toHaveLength(400)
    victim.destroy()
    carol.close()
  }, 60_000)

  test('messages committed while the rooms are being subscribed arrive exactly once (by the sync or live), in order', async () => {
    const alice = await ready(s.wsUrl, t.headers('alice'))
    const targets = rooms.slice(1000, 1200) // no messages yet: dave has nothing to read there
    const dave = new WsClient(s.wsUrl, t.headers('dave'))
    dave.ws.addEventListener('message', (e) => {
      if (JSON.parse(String(e.data)).type !== 'connected') return
      for (const r of targets) alice.send({ type: 'send_message', room_id: r, content: 'race', request_id: r })
    })
    await dave.next('sync.done', 30_000, (f) => f.room_id === undefined)
    for (let i = 0; i < targets.length; i++) await alice.next('message.sent', 10_000)
    await alive(dave) // every frame published before the pong has reached dave
    const got = dave.log.filter((f) => f.type === 'message' && f.content === 'race')
    expect(got.map((f) => f.room_id).sort()).toEqual([...targets].sort())
    expect(got.every((f) => f.seq === 1)).toBe(true)
    alice.close()
    dave.close()
  }, 60_000)
})
