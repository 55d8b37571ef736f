// Hostile WebSocket input (TESTING C3/C4, SPEC §5/§10), table-driven over every client frame type:
// every field with wrong types or missing, unknown and mistyped `type`, hostile request_ids, deep and
// huge frames, mass assignment, binary frames, invalid UTF-8 on a raw socket, floods. Every bad frame
// gets an `error` frame (never INTERNAL_ERROR), the socket stays up (only oversize closes, 1009),
// other sockets are unaffected, the server stays up and nothing mallory may not change changes.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { connect } from 'node:net'
import { createHash, randomBytes } from 'node:crypto'
import { WsClient } from '../support/ws'
import { deepJson, expectAlive, makeWorld, protectedState, type World } from './hostile-kit'

let w: World
let before: Awaited<ReturnType<typeof protectedState>>
let c: WsClient // mallory over her user token, the way a browser connects
const tried: Record<string, number> = {}
const count = (what: string, n = 1) => void (tried[what] = (tried[what] ?? 0) + n)

beforeAll(async () => {
  w = await makeWorld()
  before = await protectedState(w)
  c = await WsClient.connect(`${w.s.wsUrl}?token=${w.token}`)
  await c.next('sync.done')
})
afterAll(async () => {
  const total = Object.values(tried).reduce((a, b) => a + b, 0)
  console.log(`hostile WS frames tried: ${total} (${Object.entries(tried).map(([k, v]) => `${k} ${v}`).join(', ')})`)
  c?.close()
  await w.s.stop()
})

const FRAMES = (): Record<string, Record<string, unknown>>[] => [
  { type: 'send_message', room_id: w.ids.G, content: 'hi', meta: { a: 1 }, client_msg_id: 'ws-1' },
  { type: 'send_message', room_id: w.ids.H, content: 'intrude' },
  { type: 'ack', room_id: w.ids.G, seq: 1 },
  { type: 'read', room_id: w.ids.H, seq: 1 },
  { type: 'read', room_id: w.ids.G, seq: 1 },
  { type: 'typing.start', room_id: w.ids.G },
  { type: 'typing.stop', room_id: w.ids.D },
  { type: 'sync', room_id: w.ids.G, after_seq: 0 },
  { type: 'sync', room_id: w.ids.v_G, after_seq: 0 },
  { type: 'notification.ack', notification_id: 'ntf_missing' },
  { type: 'ping' },
].map((f) => ({ ...f }) as never)
const WRONG: unknown[] = [null, true, 0, -1, 1.5, 2 ** 53 + 1, 1e308, '', ' ', 'x', '\u0000', 'a\r\nb', '\u202e💥'.repeat(40), [], [1], {}, { a: { b: 1 } }, 'x'.repeat(20_000)]
const INJECT = { seq: 987654, sender_id: 'INJECTED', tenant_id: 'tnt_INJECTED', message_id: 'msg_INJECTED', user_id: 'INJECTED', role: 'owner', created_at: '1999-01-01T00:00:00.000Z' }

let n = 0
/** Sends one frame (object or raw text/bytes), then a ping; every answer up to the pong is checked. */
async function probe(frame: unknown, what: string) {
  const rid = `p${++n}`
  const start = c.log.length
  c.send(typeof frame === 'string' ? frame : (JSON.stringify(frame) as string))
  if (frame instanceof Uint8Array) c.ws.send(frame)
  await c.request({ type: 'ping', request_id: rid }, 'pong', 5000)
  const bad = c.log.slice(start).filter((f) => f.type === 'error' && f.code === 'INTERNAL_ERROR')
  expect({ what, bad }).toEqual({ what, bad: [] })
  expect(c.ws.readyState).toBe(WebSocket.OPEN)
}

test('every frame type: wrong types, missing fields, deep values, hostile request_ids, mass assignment', async () => {
  for (const base of FRAMES()) {
    const label = `${base.type}`
    for (const k of Object.keys(base)) {
      const { [k]: _drop, ...missing } = base
      for (const f of [missing, ...WRONG.map((v) => ({ ...base, [k]: v }))]) {
        await probe(f, `${label} ${k}=${JSON.stringify(f[k])?.slice(0, 30)}`)
        count('field values')
      }
      for (const depth of [60, 9000]) {
        await probe(`{${JSON.stringify(base).slice(1, -1).replace(`"${k}":`, `"${k}_was":`)},"${k}":${deepJson(depth)}}`, `${label} ${k} ${depth} deep`)
        count('field values')
      }
    }
    for (const rid of ['r'.repeat(65), 42, { a: 1 }, ['x'], '\u0000\r\n', '💥'.repeat(64)]) {
      await probe({ ...base, request_id: rid }, `${label} request_id ${JSON.stringify(rid).slice(0, 20)}`)
      count('request ids')
    }
    await probe({ ...INJECT, ...base, request_id: `inj-${label}` }, `${label} mass assignment`)
    count('mass assignment')
  }
})

test('whole frames: not JSON, not objects, unknown types, deep, wide, prototype keys, binary', async () => {
  const texts = [
    '', ' ', 'null', 'true', '42', '"str"', '[]', '[{"type":"ping"}]', '{', '{"type":', '{"type":"ping",}', "{'type':'ping'}", 'NaN', '-', '{}',
    '{"type":"nope"}', '{"type":"__proto__"}', '{"type":"constructor"}', '{"type":"toString"}', '{"type":"hasOwnProperty"}', '{"type":"send_message\\u0000"}',
    '{"type":"PING"}', '{"type":"ping","type":"send_message"}', '{"__proto__":{"type":"ping"}}', '{"constructor":{"prototype":{"polluted":1}},"type":"ping"}',
    deepJson(10_000), deepJson(30_000, '[', ']', ''), `[${'0,'.repeat(30_000)}0]`, `{${Array.from({ length: 4000 }, (_, i) => `"k${i}":${i}`).join(',')},"type":"ping"}`,
    JSON.stringify({ type: 'send_message', room_id: w.ids.G, content: 'x'.repeat(60_000) }), '\ufeff{"type":"ping"}', '{"type":"ping"}\u0000',
  ]
  for (const t of texts) {
    await probe(t, `text ${t.slice(0, 30)}`)
    count('whole frames')
  }
  for (let i = 0; i < 25; i++) {
    await probe(new Uint8Array(i === 0 ? Buffer.from('{"type":"ping"}') : randomBytes(1 + i * 97)), `binary ${i}`)
    count('binary frames')
  }
  expect(({} as Record<string, unknown>).polluted).toBeUndefined()
})

test('mass assignment over WS stored nothing it should not', async () => {
  const sent = await c.request({ type: 'send_message', room_id: w.ids.G, content: 'ws assign', ...INJECT }, 'message.sent')
  expect(sent.type).toBe('message.sent')
  const stored = (await w.T.as('alice')('GET', `/v1/rooms/${w.ids.G}/messages/${sent.message_id}`)).body
  expect(stored).toMatchObject({ sender_id: 'mallory', content: 'ws assign', seq: sent.seq })
  expect(JSON.stringify(stored)).not.toMatch(/INJECTED|987654|1999-01-01/)
  count('mass assignment')
})

test('REST and WS share one nesting limit (64 levels): 64 is stored both ways, 65 refused both ways', async () => {
  const body = (d: number) => `{"content":"deep ${d}","meta":${deepJson(d - 1)}}`
  const rest = async (d: number) => (await w.T.as('mallory')('POST', `/v1/rooms/${w.ids.G}/messages`, { raw: body(d), headers: { 'content-type': 'application/json' } })).status
  const ws = async (d: number) => (await c.request(JSON.parse(body(d).replace('{', `{"type":"send_message","room_id":"${w.ids.G}",`)), 'message.sent')).type
  expect([await rest(64), await ws(64)]).toEqual([201, 'message.sent'])
  expect([await rest(65), await ws(65)]).toEqual([400, 'error'])
  count('whole frames', 2)
})

// Raw RFC 6455 frames on a bare socket, for what a WebSocket client will not send.
function rawWs(): Promise<{ write(op: number, payload: Buffer, fin?: boolean): void; closed: Promise<number | null> }> {
  return new Promise((resolve, reject) => {
    const u = new URL(w.s.wsUrl)
    const sock = connect(Number(u.port), '127.0.0.1')
    const key = randomBytes(16).toString('base64')
    let buf = Buffer.alloc(0)
    let up = false
    let code: number | null = null
    const closed = new Promise<number | null>((r) => sock.on('close', () => r(code)))
    sock.on('error', () => {})
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d])
      if (!up) {
        const e = buf.indexOf('\r\n\r\n')
        if (e < 0) return
        const head = buf.subarray(0, e).toString()
        if (!head.startsWith('HTTP/1.1 101') || !head.includes(createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64')))
          return reject(new Error(head))
        up = true
        buf = buf.subarray(e + 4)
        resolve({ write, closed })
      }
      for (let i = 0; i + 2 <= buf.length; ) {
        let len = buf[i + 1] & 127
        let o = i + 2
        if (len === 126) (len = buf.readUInt16BE(o)), (o += 2)
        if (o + len > buf.length) break
        if ((buf[i] & 15) === 8 && len >= 2) code = buf.readUInt16BE(o)
        i = o + len
      }
    })
    const write = (op: number, payload: Buffer, fin = true) => {
      const mask = randomBytes(4)
      const body = Buffer.from(payload.map((b, i) => b ^ mask[i & 3]))
      const len = payload.length < 126 ? [0x80 | payload.length] : [0x80 | 126, payload.length >> 8, payload.length & 255]
      sock.write(Buffer.concat([Buffer.from([(fin ? 0x80 : 0) | op, ...len]), mask, body]))
    }
    sock.write(`GET ${u.pathname}?token=${w.token} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`)
    setTimeout(() => sock.destroy(), 5000).unref()
  })
}

test.each([
  ['invalid UTF-8 text', 1007, (r: Awaited<ReturnType<typeof rawWs>>) => r.write(1, Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))],
  ['overlong UTF-8 text', 1007, (r: Awaited<ReturnType<typeof rawWs>>) => r.write(1, Buffer.from([0xc0, 0xaf]))],
  ['reserved opcode', 1002, (r: Awaited<ReturnType<typeof rawWs>>) => r.write(3, Buffer.from('{}'))],
  ['continuation without start', 1002, (r: Awaited<ReturnType<typeof rawWs>>) => r.write(0, Buffer.from('{}'))],
  ['fragments past 64 KiB', 1009, (r: Awaited<ReturnType<typeof rawWs>>) => {
    r.write(1, Buffer.alloc(40_000, 0x20), false)
    r.write(0, Buffer.alloc(40_000, 0x20), true)
  }],
])('raw socket: %s → closed (%d); other sockets and the server are fine', async (_, code, act) => {
  const r = await rawWs()
  act(r)
  expect(await r.closed).toBe(code)
  count('raw frames')
  expect((await c.request({ type: 'ping' }, 'pong')).type).toBe('pong')
  await expectAlive(w)
})

test('floods: 3,000 frames in one burst are all answered; of 200 sockets opening at once, the per-user cap lets 19 open and refuses the rest with 429', async () => {
  const rids = Array.from({ length: 3000 }, (_, i) => `f${i}`)
  const answered = new Set<string>()
  const done = new Promise<void>((resolve) =>
    c.ws.addEventListener('message', (e) => {
      const f = JSON.parse(String(e.data))
      if (f.request_id?.startsWith('f')) answered.add(f.request_id)
      if (answered.size === rids.length) resolve()
    }),
  )
  rids.forEach((rid, i) => c.send(i % 3 === 0 ? { type: 'ping', request_id: rid } : i % 3 === 1 ? { type: 'nope', request_id: rid } : { type: 'send_message', room_id: w.ids.H, content: 'x', request_id: rid }))
  await done
  count('flood frames', rids.length)
  // One user: WS_MAX_CONNECTIONS_PER_USER (default 20, `c` holds one) decides before any upgrade.
  const tries = await Promise.allSettled(Array.from({ length: 200 }, () => WsClient.connect(`${w.s.wsUrl}?token=${w.token}`)))
  const many = tries.flatMap((t) => (t.status === 'fulfilled' ? [t.value] : []))
  const refused = tries.flatMap((t) => (t.status === 'rejected' ? [String(t.reason)] : []))
  expect(many).toHaveLength(19)
  expect(refused).toHaveLength(181)
  for (const r of refused) expect(r).toContain('429')
  await Promise.all(many.map((m) => m.next('sync.done', 10_000)))
  count('flood connections', tries.length)
  for (const m of many) m.close()
  await expectAlive(w)
}, 30_000)

test('after all of it: nothing mallory may not change has changed, and the server is up', async () => {
  expect(c.ws.readyState).toBe(WebSocket.OPEN)
  expect(await protectedState(w)).toEqual(before)
  await expectAlive(w)
})
