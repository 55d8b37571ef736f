// Noisy-neighbour load process (spawned by bench/index.ts, never in the server's process).
//   bun bench/lib/load-noisy.ts <spec.json>     (bun run bench, from a checkout)
//   chatapi __bench-load noisy <spec.json>      (chatapi bench, the compiled binary)
// role "victim": one tenant's steady REST traffic, `rate` requests a second started in 5 ms ticks
// whatever the answers (open loop), alternating a send and a 20-message history read; every
// answer's latency is kept. role "attacker": another tenant's user, with a token only, runs the
// vectors named in the spec at once, each loop as fast as the server answers:
// - reconnect: `reconnect` loops of WebSocket connect → initial sync.done → close;
// - sync: `sockets` sockets each re-asking `sync` from seq 0 of a room of large messages as soon as
//   the previous sync.done arrives (raw sockets that count the streamed messages without decoding);
// - create: `loops` loops of POST /v1/rooms with `members` members;
// - list: `loops` loops of GET /v1/rooms?limit=200.
// A refused attempt (429, RATE_LIMIT_EXCEEDED) is counted and retried REFUSED_PAUSE_MS later: an
// attacker that retried at once would spend its tenant's tokens on refusals (a request refused for
// its extra cost still pays the one token of the gate) and get less work done; one that waited out
// Retry-After (whole seconds) would leave tokens unused.
// Figures cover the measured window (after warmup_s). Bounded: warmup_s + secs, max_ops per loop
// and hardcap_s (the process exits).

import { cpuWindow, round, Samples, sleep } from './util'
import { newRawStats, rawConnect, sendText } from './rawws'

const REFUSED_PAUSE_MS = 250

export interface NoisySpec {
  role: 'victim' | 'attacker'
  phase: string
  baseUrl: string
  host: string
  port: number
  serverPid: number
  warmup_s: number
  secs: number
  hardcap_s: number
  max_ops?: number
  /** victim */
  apiKey?: string
  room_id?: string
  users?: string[]
  rate?: number
  /** attacker: a user token of the attacking tenant */
  token?: string
  reconnect?: number
  sync?: { sockets: number; room_id: string }
  create?: { loops: number; members: number }
  list?: { loops: number }
}

export async function main(specFile: string): Promise<number> {
  return runNoisyLoad(JSON.parse(await Bun.file(specFile).text()))
}

export async function runNoisyLoad(spec: NoisySpec): Promise<number> {
  setTimeout(() => {
    console.error('load-noisy: hard cap reached')
    process.exit(3)
  }, spec.hardcap_s * 1000).unref?.()
  const end = performance.now() + (spec.warmup_s + spec.secs) * 1000
  const live = () => performance.now() < end
  let measuring = false
  setTimeout(() => (measuring = true), spec.warmup_s * 1000)
  const out = spec.role === 'victim' ? await victim(spec, live, () => measuring) : await attacker(spec, live, () => measuring)
  console.log(JSON.stringify({ role: spec.role, phase: spec.phase, ...out }))
  return 0
}

async function victim(spec: NoisySpec, live: () => boolean, measuring: () => boolean) {
  const lat = new Samples(1_000_000)
  const errors: Record<string, number> = {}
  let ok = 0
  let n = 0
  let inflight = 0
  const users = spec.users!
  const body = JSON.stringify({ content: 'steady victim traffic' })
  async function one(i: number) {
    const user = users[i % users.length]
    const h = { 'X-API-Key': spec.apiKey!, 'X-User-Id': user, 'content-type': 'application/json' }
    const url = `${spec.baseUrl}/v1/rooms/${spec.room_id}/messages`
    const counted = measuring()
    const t0 = performance.now()
    let status = -1
    try {
      const res = i % 2 ? await fetch(`${url}?limit=20`, { headers: h }) : await fetch(url, { method: 'POST', headers: h, body })
      await res.arrayBuffer()
      status = res.status
    } catch {}
    if (!counted) return
    if (status >= 200 && status < 300) {
      ok++
      lat.add(performance.now() - t0)
    } else errors[status === -1 ? 'network' : String(status)] = (errors[status === -1 ? 'network' : String(status)] ?? 0) + 1
  }
  let cpu: (() => Record<string, unknown>) | null = null
  let t0 = 0
  let last = performance.now()
  let acc = 0
  while (live()) {
    if (measuring() && !cpu) {
      cpu = cpuWindow(spec.serverPid)
      t0 = performance.now()
    }
    const now = performance.now()
    acc += ((now - last) / 1000) * spec.rate!
    last = now
    for (; acc >= 1 && n < (spec.max_ops ?? 1_000_000); acc--) {
      if (inflight >= 1024) continue // a stalled server: the backlog is bounded, the miss shows as fewer answers
      inflight++
      void one(n++).finally(() => inflight--)
    }
    await sleep(5)
  }
  const el = (performance.now() - t0) / 1000
  const c = cpu?.() ?? {}
  const until = performance.now() + 15_000
  while (inflight > 0 && performance.now() < until) await sleep(20)
  if (inflight > 0) errors.unanswered = inflight
  return { offered_per_s: spec.rate, secs: round(el, 2), ok_per_s: Math.round(ok / el), latency: lat.summary(), errors, ...c }
}

async function attacker(spec: NoisySpec, live: () => boolean, measuring: () => boolean) {
  const ops: Record<string, number> = {}
  const count = (k: string, v = 1) => {
    if (measuring()) ops[k] = (ops[k] ?? 0) + v
  }
  const max = spec.max_ops ?? 1_000_000
  const auth = { Authorization: `Bearer ${spec.token}` }
  const loops: Promise<void>[] = []
  const loop = (body: () => Promise<void>) =>
    loops.push(
      (async () => {
        for (let i = 0; i < max && live(); i++) await body()
      })(),
    )

  // reconnect: a raw socket is enough (the server does the same work); it resolves at sync.done
  const raw = newRawStats()
  for (let k = 0; k < (spec.reconnect ?? 0); k++)
    loop(async () => {
      try {
        const s = await rawConnect(spec.host, spec.port, auth, raw, 30_000)
        s.end()
        count('connects')
      } catch (e) {
        count(/ 429 /.test((e as Error).message) ? 'connect_429' : 'connect_failed')
        await sleep(REFUSED_PAUSE_MS)
      }
    })

  // sync flood: each socket asks again as soon as a sync ends, or REFUSED_PAUSE_MS after a refusal.
  // Raw sockets: the streamed messages are counted, never decoded, so this client's CPU stays off
  // the shared cores the server and the victim need (a remote attacker's would not be on them at all).
  const sockets: { end(): void }[] = []
  const flood = newRawStats()
  let floodBefore = 0
  setTimeout(() => (floodBefore = flood.messages), spec.warmup_s * 1000)
  for (let k = 0; k < (spec.sync?.sockets ?? 0); k++) {
    const ask = JSON.stringify({ type: 'sync', room_id: spec.sync!.room_id, after_seq: 0 })
    loops.push(
      (async () => {
        let sock: Awaited<ReturnType<typeof rawConnect>> | null = null
        const done = new Promise<void>((resolve) => {
          const stop = setInterval(() => {
            if (live()) return
            clearInterval(stop)
            resolve()
          }, 50)
        })
        const again = () => live() && sock && sendText(sock, ask)
        try {
          sock = await rawConnect(spec.host, spec.port, auth, flood, 60_000, (text) => {
            const f = JSON.parse(text)
            if (f.type === 'sync.done' && f.room_id !== undefined) {
              count('syncs')
              again()
            } else if (f.type === 'error') {
              count(f.code === 'RATE_LIMIT_EXCEEDED' ? 'sync_429' : `sync_${f.code}`)
              setTimeout(again, REFUSED_PAUSE_MS)
            }
          })
          sockets.push(sock)
          again()
          await done
        } catch {
          count('sync_socket_error')
        }
      })(),
    )
  }

  // REST vectors
  const rest = async (name: string, method: string, path: string, body?: string) => {
    try {
      const res = await fetch(`${spec.baseUrl}${path}`, { method, headers: { ...auth, 'content-type': 'application/json' }, body })
      await res.arrayBuffer()
      count(res.status === 429 ? `${name}_429` : res.status < 300 ? name : `${name}_${res.status}`)
      if (res.status === 429) await sleep(REFUSED_PAUSE_MS)
    } catch {
      count(`${name}_network`)
    }
  }
  if (spec.create) {
    const body = JSON.stringify({ type: 'group', members: Array.from({ length: spec.create.members - 1 }, (_, i) => `x${i}`) })
    for (let k = 0; k < spec.create.loops; k++) loop(() => rest('rooms_created', 'POST', '/v1/rooms', body))
  }
  for (let k = 0; k < (spec.list?.loops ?? 0); k++) loop(() => rest('lists', 'GET', '/v1/rooms?limit=200'))

  await Promise.race([Promise.all(loops), sleep((spec.warmup_s + spec.secs + 20) * 1000)])
  for (const sock of sockets) sock.end()
  if (spec.sync) ops.sync_messages = flood.messages - floodBefore
  return { ops }
}

if (import.meta.main) process.exit(await main(process.argv[2]))
