// c100k load process (spawned by bench/lib/c100k.ts through bench/index.ts, never in the server's process).
//   bun bench/lib/load-c100k.ts <spec.json>      (bun run bench, from a checkout)
//   chatapi __bench-load c100k <spec.json>       (chatapi bench, the compiled binary)
// role "members": connects its share of the users as raw members (c100k-socket.ts), each bound to
// a source address 127.0.<round>.<2 + global index / per_addr>, prints {"ready"}, then obeys the
// control file the scenario writes ({"n","cmd"}; polled every 50 ms, each command answered with
// {"ack":n,…}): "count" prints the deliveries so far; "report" prints and resets the delivery counts and latency bins; "storm" closes
// every socket at once and reconnects them all (with the connect-time sync) from the next round of
// source addresses, `window` connects in flight, a failed one retried after a pause; "stop" exits.
// role "victim": another tenant's REST sends at `rate`/s (open loop, 5 ms ticks) until "stop";
// prints every send's start (wall ms) and latency, so the scenario cuts them by phase.
// Bounded: the process exits at hardcap_s whatever the control file says.

import { readFileSync } from 'node:fs'
import { connectMember, newMemberStats, wallMs, type Member } from './c100k-socket'
import { round, sleep } from './util'

export interface C100kSpec {
  role: 'members' | 'victim'
  host: string
  port: number
  baseUrl: string
  apiKey: string
  ctl: string
  hardcap_s: number
  /** members */
  users?: string[]
  /** the global index of users[0] (source address choice) */
  first?: number
  per_addr?: number
  /** connects in flight in this process */
  window?: number
  /** victim */
  room_id?: string
  user?: string
  rate?: number
}

const RETRIES = 8
const RETRY_PAUSE_MS = 500
const CONNECT_TIMEOUT_MS = 120_000

export async function main(specFile: string): Promise<number> {
  return runC100kLoad(JSON.parse(await Bun.file(specFile).text()))
}

const out = (o: unknown) => console.log(JSON.stringify(o))
/** This process's CPU seconds so far (the scenario turns them into load-process cores per phase). */
const cpuS = () => {
  const u = process.cpuUsage()
  return round((u.user + u.system) / 1e6, 2)
}

/** Calls `on(cmd, n)` for every new command in the control file until it returns true ("stop"). */
async function follow(ctl: string, on: (cmd: string, n: number) => Promise<boolean> | boolean) {
  let seen = -1
  for (;;) {
    let c: { n: number; cmd: string } | null = null
    try {
      c = JSON.parse(readFileSync(ctl, 'utf8'))
    } catch {}
    if (c && c.n > seen) {
      seen = c.n
      if (await on(c.cmd, c.n)) return
    }
    await sleep(50)
  }
}

export async function runC100kLoad(spec: C100kSpec): Promise<number> {
  setTimeout(() => {
    console.error('load-c100k: hard cap reached')
    process.exit(3)
  }, spec.hardcap_s * 1000).unref?.()
  return spec.role === 'victim' ? victim(spec) : members(spec)
}

async function members(spec: C100kSpec): Promise<number> {
  const users = spec.users ?? []
  const first = spec.first ?? 0
  const perAddr = spec.per_addr ?? 10_000
  const window = spec.window ?? 500
  const stats = newMemberStats()
  const live: (Member | null)[] = new Array(users.length).fill(null)
  const addr = (i: number, roundNo: number) => `127.0.${roundNo}.${2 + Math.floor((first + i) / perAddr)}`
  const headers = (u: string) => ({ 'X-API-Key': spec.apiKey, 'X-User-Id': u })

  /** Connects every user (index list) with `window` in flight; retries a failure RETRIES times. */
  async function connectAll(idx: number[], roundNo: number) {
    let next = 0
    let failed = 0
    let attempts = 0
    let lastAt = 0
    const errors: Record<string, number> = {}
    async function one(i: number) {
      for (let a = 0; a <= RETRIES; a++) {
        attempts++
        try {
          live[i] = await connectMember(spec.host, spec.port, addr(i, roundNo), headers(users[i]), stats, CONNECT_TIMEOUT_MS)
          lastAt = wallMs()
          return
        } catch (e) {
          const k = String((e as Error).message ?? e).slice(0, 60)
          errors[k] = (errors[k] ?? 0) + 1
          await sleep(RETRY_PAUSE_MS)
        }
      }
      failed++
    }
    await Promise.all(
      Array.from({ length: Math.min(window, idx.length) }, async () => {
        while (next < idx.length) await one(idx[next++])
      }),
    )
    return { ok: idx.length - failed, failed, attempts, last_at: lastAt, errors }
  }

  const t0 = wallMs()
  const first_ = await connectAll(users.map((_, i) => i), 0)
  out({ ready: first_.ok, failed: first_.failed, attempts: first_.attempts, connect_s: round((wallMs() - t0) / 1000, 2), cpu_s: cpuS(), errors: first_.errors })

  await follow(spec.ctl, async (cmd, n) => {
    if (cmd === 'stop') return true
    if (cmd === 'count') out({ ack: n, messages: stats.messages })
    if (cmd === 'report') {
      out({ ack: n, messages: stats.messages, synced: stats.synced, first_at: stats.firstAt, last_at: stats.lastAt, hist: [...stats.hist], open: stats.opened - stats.closed })
      stats.messages = stats.synced = stats.firstAt = stats.lastAt = 0
      stats.hist.clear()
    }
    if (cmd === 'storm') {
      const s0 = wallMs()
      const c0 = cpuS()
      stats.synced = 0
      for (let i = 0; i < live.length; i++) {
        live[i]?.drop()
        live[i] = null
      }
      const r = await connectAll(users.map((_, i) => i), 1 + (n % 200))
      out({ ack: n, storm: true, started_at: s0, reconnected: r.ok, failed: r.failed, attempts: r.attempts, last_at: r.last_at, synced: stats.synced, cpu_s: round(cpuS() - c0, 2), errors: r.errors })
    }
    return false
  })
  for (const m of live) m?.drop()
  return 0
}

async function victim(spec: C100kSpec): Promise<number> {
  const samples: [number, number][] = []
  const errors: Record<string, number> = {}
  let inflight = 0
  let stop = false
  const url = `${spec.baseUrl}/v1/rooms/${spec.room_id}/messages`
  const h = { 'X-API-Key': spec.apiKey, 'X-User-Id': spec.user!, 'content-type': 'application/json' }
  const body = JSON.stringify({ content: 'another tenant, steady traffic' })
  async function one() {
    const t = wallMs()
    inflight++
    try {
      const res = await fetch(url, { method: 'POST', headers: h, body, signal: AbortSignal.timeout(30_000) })
      await res.arrayBuffer()
      if (res.status === 201) samples.push([round(t, 1), round(wallMs() - t)])
      else errors[res.status] = (errors[res.status] ?? 0) + 1
    } catch (e) {
      const k = (e as Error).name
      errors[k] = (errors[k] ?? 0) + 1
    } finally {
      inflight--
    }
  }
  let last = performance.now()
  let acc = 0
  const timer = setInterval(() => {
    const now = performance.now()
    acc += ((now - last) / 1000) * (spec.rate ?? 50)
    last = now
    for (; acc >= 1 && !stop; acc--) {
      if (inflight >= 200) errors.skipped = (errors.skipped ?? 0) + 1 // bounded backlog
      else void one()
    }
  }, 5)
  await follow(spec.ctl, (cmd) => cmd === 'stop')
  stop = true
  clearInterval(timer)
  while (inflight > 0) await sleep(20)
  out({ victim: true, samples, errors })
  return 0
}

if (import.meta.main) process.exit(await main(process.argv[2]))
