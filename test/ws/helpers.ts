// Shared arrangements for the WebSocket suites: rooms over REST, ready clients, raw upgrades.

import { expect } from 'bun:test'
import { connect as netConnect, type Socket } from 'node:net'
import { randomBytes } from 'node:crypto'
import type { TestTenant } from '../support/server'
import { WsClient, type Frame } from '../support/ws'

/**
 * Server env that keeps redelivery (ACK_TIMEOUT_MS, 200 ms in the test server) out of suites that
 * count frames: these clients don't ack, and redelivered copies are legitimate repeats (SPEC §10)
 * that would make "exactly once" / "no repeat" assertions timing-dependent.
 */
export const NO_REDELIVERY = { ACK_TIMEOUT_MS: '600000' }

/** Creates a room of `type` owned by `owner` with `others` as members; returns its id. */
export async function roomWith(t: TestTenant, owner: string, others: string[], type: 'group' | 'channel' | 'dm' = 'group') {
  const r = await t.as(owner)('POST', '/v1/rooms', { body: { type, members: others, name: 'r' } })
  if (r.status !== 201) throw new Error(`room create: ${r.status} ${JSON.stringify(r.body)}`)
  return r.body.room_id as string
}

/** Sends over REST and returns the ack; fails on anything but 201. */
export async function restSend(t: TestTenant, user: string, roomId: string, content: string, extra: Record<string, unknown> = {}) {
  const r = await t.as(user)('POST', `/v1/rooms/${roomId}/messages`, { body: { content, ...extra } })
  if (r.status !== 201) throw new Error(`send: ${r.status} ${JSON.stringify(r.body)}`)
  return r.body as { message_id: string; room_id: string; seq: number; created_at: string }
}

/** Connects and waits until the initial sync is over (so live frames are what follows). */
export async function ready(url: string, headers: Record<string, string>, ms = 5000): Promise<WsClient> {
  const c = await WsClient.connect(url, headers)
  await c.next('connected', ms)
  await c.next('sync.done', ms, (f) => f.room_id === undefined)
  return c
}

/**
 * Proves a frame does NOT arrive: waits a short bounded time (the only sleep these suites use) and
 * asserts that no matching frame was received, consumed or not. Type '*' matches any frame.
 */
export async function expectNone(c: WsClient, type: string, ms = 250, pred: (f: Frame) => boolean = () => true) {
  const before = c.log.length
  await Bun.sleep(ms)
  const seen = c.log.slice(before).filter((f) => (type === '*' || f.type === type) && pred(f))
  expect(seen).toEqual([])
}

/** A ping/pong round trip: proves the socket is still up and has processed every earlier frame. */
export async function alive(c: WsClient) {
  const pong = await c.request({ type: 'ping' }, 'pong')
  expect(pong.type).toBe('pong')
}

/** Collects `n` frames of `type` (optionally filtered), in arrival order. */
export async function collect(c: WsClient, type: string, n: number, ms = 10_000, pred: (f: Frame) => boolean = () => true) {
  const out: Frame[] = []
  const deadline = Date.now() + ms
  while (out.length < n) out.push(await c.next(type, Math.max(1, deadline - Date.now()), pred))
  return out
}

/** Sends `n` messages of `bytes` from `c` in rounds of 20, waiting for each round's message.sent. */
export async function flood(c: WsClient, room: string, n: number, bytes: number, stop: () => Promise<boolean> = async () => false) {
  const content = 'x'.repeat(bytes)
  let sent = 0
  while (sent < n) {
    const round = Math.min(20, n - sent)
    for (let i = 0; i < round; i++) c.send({ type: 'send_message', room_id: room, content, request_id: `f${sent + i}` })
    for (let i = 0; i < round; i++) await c.next('message.sent', 10_000)
    sent += round
    if (await stop()) break
  }
  return sent
}

/**
 * Opens a raw TCP connection and writes a WebSocket upgrade request with these headers. Resolves
 * with the socket paused (nothing read past the response head is lost; `rest` holds what was).
 */
export function rawUpgrade(wsUrl: string, headers: Record<string, string>, path?: string): Promise<{ sock: Socket; status: number; head: string; rest: Buffer }> {
  const u = new URL(wsUrl)
  return new Promise((resolve, reject) => {
    const sock = netConnect(Number(u.port), u.hostname)
    let buf = Buffer.alloc(0)
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d])
      const end = buf.indexOf('\r\n\r\n')
      if (end < 0) return
      sock.pause()
      sock.off('data', onData)
      const head = buf.subarray(0, end).toString()
      resolve({ sock, status: Number(head.split(' ')[1]), head, rest: buf.subarray(end + 4) })
    }
    sock.on('data', onData)
    sock.on('error', reject)
    const lines = [
      `GET ${path ?? u.pathname + u.search} HTTP/1.1`,
      `Host: ${u.host}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
      'Sec-WebSocket-Version: 13',
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    ]
    sock.write(lines.join('\r\n') + '\r\n\r\n')
  })
}

/** The status an upgrade attempt gets (101 when accepted); the socket is closed afterwards. */
export async function upgradeStatus(wsUrl: string, headers: Record<string, string>, path?: string) {
  const r = await rawUpgrade(wsUrl, headers, path)
  r.sock.destroy()
  return r.status
}

/** One masked client text frame (RFC 6455 §5.2), for raw sockets. */
export function textFrame(payload: string | Buffer): Buffer {
  const p = Buffer.from(payload)
  const len = p.length
  const hdr: number[] = [0x81]
  if (len < 126) hdr.push(0x80 | len)
  else if (len < 65536) hdr.push(0x80 | 126, len >> 8, len & 255)
  else hdr.push(0x80 | 127, 0, 0, 0, 0, (len >>> 24) & 255, (len >>> 16) & 255, (len >>> 8) & 255, len & 255)
  const mask = randomBytes(4)
  for (let i = 0; i < len; i++) p[i] ^= mask[i & 3]
  return Buffer.concat([Buffer.from(hdr), mask, p])
}
