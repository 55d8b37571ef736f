// Load with churn (TESTING F2/F3, SPEC §5/§6): thousands of WebSocket connections connect, chat and
// disconnect in waves against a server child process. Afterwards: every acked message is in history
// with its seq (rooms gap-free), every user is offline after PRESENCE_GRACE_MS (an observer sees the
// offline events, then GET /v1/presence agrees), no connection is left, and the server's RSS is back
// near its post-warm-up baseline. Prints connections, messages and RSS before/after.

import { afterAll, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnServer } from '../support/process'
import { call } from '../support/http'
import { WsClient } from '../support/ws'

const TOTAL = Number(process.env.CHATAPI_CHURN_CONNECTIONS ?? 4000)
const WAVE = 250
const USERS = 200
const ROOM_SIZE = 10 // 20 rooms of 10: small enough for presence fan-out (≤ 100 members)
const SENDS = 2 // per connection
const GRACE_MS = 300
const MASTER = 'churn-master'

const dir = mkdtempSync(join(tmpdir(), 'chatapi-churn-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024

test(`${TOTAL} connections in waves of ${WAVE}: nothing lost, no leak, no stuck presence`, async () => {
  const t0 = performance.now()
  const p = await spawnServer({
    DATABASE_URL: join(dir, 'chatapi.db'),
    MASTER_API_KEY: MASTER,
    DEFAULT_RATE_LIMIT: '1000000',
    WS_MSG_RATE: '1000000',
    PRESENCE_GRACE_MS: String(GRACE_MS),
    SQLITE_SYNCHRONOUS: 'NORMAL', // throughput on a shared CI disk; durability has its own test (crash.test.ts)
  })
  try {
    const tenant = (await call(p.url, 'POST', '/v1/admin/tenants', { headers: { 'x-master-key': MASTER }, body: { name: 'churn' } })).body
    const as = (user: string) => ({ 'x-api-key': tenant.api_key, 'x-user-id': user })
    const users = Array.from({ length: USERS }, (_, i) => `u${i}`)
    const rooms: string[] = []
    for (let r = 0; r < USERS / ROOM_SIZE; r++) {
      const members = [...users.slice(r * ROOM_SIZE + 1, (r + 1) * ROOM_SIZE), 'observer']
      rooms.push((await call(p.url, 'POST', '/v1/rooms', { headers: as(users[r * ROOM_SIZE]), body: { type: 'group', members } })).body.room_id)
    }
    const roomOf = (user: string) => rooms[Math.floor(Number(user.slice(1)) / ROOM_SIZE)]

    // The observer shares every room: it sees every presence change as an event.
    const observer = await WsClient.connect(p.wsUrl, as('observer'))
    const lastStatus = new Map<string, string>()
    let allOffline: () => void = () => {}
    observer.ws.addEventListener('message', (e) => {
      const f = JSON.parse(String(e.data))
      if (f.type !== 'presence.update') return
      lastStatus.set(f.user_id, f.status)
      if (lastStatus.size === USERS && [...lastStatus.values()].every((s) => s === 'offline')) allOffline()
    })

    const acked: { room: string; seq: number; message_id: string; content: string }[] = []
    let opened = 0
    /** One connection: connect, wait for its sync, send SENDS messages, collect the acks, close. */
    const session = (user: string, id: number) =>
      new Promise<void>((resolve, reject) => {
        const ws = new WebSocket(p.wsUrl, { headers: as(user) } as any)
        let pending = SENDS
        ws.addEventListener('message', (e) => {
          const f = JSON.parse(String(e.data))
          if (f.type === 'sync.done' && !f.room_id) {
            opened++
            for (let k = 0; k < SENDS; k++)
              ws.send(JSON.stringify({ type: 'send_message', room_id: roomOf(user), content: `c${id}-${k}`, request_id: `c${id}-${k}` }))
          } else if (f.type === 'message.sent') {
            acked.push({ room: f.room_id, seq: f.seq, message_id: f.message_id, content: f.request_id })
            if (--pending === 0) ws.close()
          } else if (f.type === 'error') reject(new Error(`connection ${id}: ${JSON.stringify(f)}`))
        })
        ws.addEventListener('close', () => (pending === 0 ? resolve() : reject(new Error(`connection ${id} closed early`))))
        ws.addEventListener('error', () => reject(new Error(`connection ${id} failed`)))
      })
    const wave = (w: number) => Promise.all(Array.from({ length: WAVE }, (_, i) => session(users[(w * WAVE + i) % USERS], w * WAVE + i)))

    await wave(0) // warm-up: JIT, statement caches, page cache
    const before = rssMb(p.proc.pid)
    const waves = TOTAL / WAVE
    let mid = 0
    for (let w = 1; w < waves; w++) {
      await wave(w)
      if (w === Math.floor(waves / 2)) mid = rssMb(p.proc.pid)
    }
    const peak = rssMb(p.proc.pid)

    // Presence: every user offline within the grace period (events), then the REST view agrees.
    await Promise.race([
      new Promise<void>((r) => ((allOffline = r), lastStatus.size === USERS && [...lastStatus.values()].every((s) => s === 'offline') && r())),
      new Promise((_, rej) => setTimeout(() => rej(new Error(`presence still online: ${[...lastStatus].filter(([, s]) => s !== 'offline').length}`)), GRACE_MS + 5000)),
    ])
    for (let i = 0; i < USERS; i += 100) {
      const r = await call(p.url, 'GET', `/v1/presence?user_ids=${users.slice(i, i + 100).join(',')}`, { headers: as('observer') })
      expect(r.body.presence.filter((x: { status: string }) => x.status !== 'offline')).toEqual([])
    }
    observer.close()
    await observer.closed()
    const health = (await (await fetch(`${p.url}/health`)).json()) as { connections: number }
    expect(health.connections).toBe(0)

    // Nothing lost: every acked message is in history with its seq; every room is 1..last_seq.
    const byRoom = new Map<string, Map<number, { message_id: string; content: string }>>()
    for (const room of rooms) {
      const got = new Map<number, { message_id: string; content: string }>()
      for (let after = 0; ; ) {
        const page = (await call(p.url, 'GET', `/v1/rooms/${room}/messages?after_seq=${after}&limit=200`, { headers: as('observer') })).body
        for (const m of page.messages) got.set(m.seq, { message_id: m.message_id, content: m.content })
        if (!page.has_more) break
        after = page.messages.at(-1).seq
      }
      expect([...got.keys()]).toEqual(Array.from({ length: got.size }, (_, i) => i + 1))
      byRoom.set(room, got)
    }
    const lost = acked.filter((a) => byRoom.get(a.room)?.get(a.seq)?.message_id !== a.message_id || byRoom.get(a.room)?.get(a.seq)?.content !== a.content)
    expect(lost).toEqual([])
    expect(acked.length).toBe(TOTAL * SENDS)
    expect(opened).toBe(TOTAL)

    // No leak: RSS back near the post-warm-up baseline (generous: allocator arenas are not returned at once).
    Bun.gc?.(true) // the test process only; the server is measured as it is
    const after = rssMb(p.proc.pid)
    const secs = ((performance.now() - t0) / 1000).toFixed(1)
    console.log(`churn: ${TOTAL} connections (${TOTAL / WAVE} waves of ${WAVE}, ${USERS} users, ${rooms.length} rooms), ${acked.length} messages acked and found in history, RSS ${before.toFixed(0)} MB before → ${mid.toFixed(0)} MB half-way → ${peak.toFixed(0)} MB after the waves → ${after.toFixed(0)} MB after presence settled; ${secs} s`)
    expect(after).toBeLessThan(before * 1.5 + 64)
    // A per-connection leak grows linearly: the second half of the waves must not add what the first did.
    expect(peak - mid).toBeLessThan(Math.max(48, (mid - before) * 0.75)) // 12,000 connections plateau near 130 MB
  } finally {
    p.proc.kill('SIGTERM')
    await p.exited
  }
}, 60_000)
