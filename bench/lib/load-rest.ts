// REST load process (spawned by bench/index.ts, never in the server's process).
//   bun bench/lib/load-rest.ts <spec.json>    (bun run bench, from a checkout)
//   chatapi __bench-load rest <spec.json>     (chatapi bench, the compiled binary)
// Each phase either keeps `concurrency` requests in flight (closed loop: throughput) or starts
// `rate` requests per second (open loop: latency at that load, at most 1,024 in flight).
// kind "send": POST /v1/rooms/{room}/messages; kind "history": GET 50-message pages at random
// cursors; kind "react": a reaction toggled on a message (PUT, then DELETE next time: every request
// is a real change with a new rev); kind "changes": GET …/changes pages of 50 after random revs;
// kind "search": GET /v1/search?q=…&limit=20; kind "rooms": GET /v1/rooms?limit=20 (the room list of `user`). Targets (room, user[, q]) are used round-robin. Bounded by warmup+secs, max_reqs and hardcap_s.

import { cpuWindow, round, Samples, sleep } from './util'
import { headerText, RawHttpPool, textOf } from './rawhttp'

export interface RestTarget {
  room_id: string
  user: string
  /** history: the room's last seq, so cursors land inside it */
  last_seq?: number
  /** react: the messages to react to */
  message_ids?: string[]
  /** changes: the room's last rev, so after_rev lands inside it */
  last_rev?: number
  /** several instances: the one this target talks to (default the spec's baseUrl) */
  base_url?: string
  /** search: the query */
  q?: string
}
export interface RestPhase {
  name: string
  kind: 'send' | 'history' | 'react' | 'changes' | 'search' | 'rooms'
  targets: RestTarget[]
  concurrency?: number
  rate?: number
}
export interface RestSpec {
  baseUrl: string
  apiKey: string
  serverPid: number
  phases: RestPhase[]
  warmup_s?: number
  secs?: number
  content_len?: number
  max_reqs?: number
  hardcap_s: number
  /** the HTTP client: raw keep-alive sockets (default) or fetch */
  client?: 'raw' | 'fetch'
}

/** Reads the spec file, runs the load, prints JSON lines on stdout; resolves to the exit status. */
export async function main(specFile: string): Promise<number> {
  return runRestLoad(JSON.parse(await Bun.file(specFile).text()))
}

export async function runRestLoad(spec: RestSpec): Promise<number> {
  setTimeout(() => {
    console.error('load-rest: hard cap reached')
    process.exit(3)
  }, spec.hardcap_s * 1000).unref?.()

  const maxReqs = spec.max_reqs ?? 5_000_000
  const body = JSON.stringify({ content: 'x'.repeat(spec.content_len ?? 140) })
  const PAGE = 50
  const KEYS = ['👍', '🎉', '+1', 'eyes', '🔥'].map(encodeURIComponent)
  let total = 0

  // The client: raw keep-alive HTTP/1.1 sockets (bench/lib/rawhttp.ts) unless the spec asks for
  // fetch, which costs the load process several times more CPU per request on the same cores.
  const raw = spec.client !== 'fetch' ? new RawHttpPool() : null
  async function call(base: string, method: string, path: string, h: Record<string, string>, hText: string, body?: string): Promise<{ status: number; text: () => string }> {
    if (raw) {
      const a = await raw.request(base, method, path, hText, body)
      return { status: a.status, text: () => textOf(a) }
    }
    const res = await fetch(base + path, { method, headers: h, body })
    const text = await res.text()
    return { status: res.status, text: () => text }
  }
  const headersOf = new Map<string, [Record<string, string>, string]>()
  function headersFor(user: string): [Record<string, string>, string] {
    let e = headersOf.get(user)
    if (!e) {
      const h = { 'X-API-Key': spec.apiKey, 'X-User-Id': user, 'content-type': 'application/json' }
      headersOf.set(user, (e = [h, headerText(h)]))
    }
    return e
  }

  async function one(ph: RestPhase, t: RestTarget, st: PhaseState): Promise<void> {
    total++
    const t0 = performance.now()
    const [h, hText] = headersFor(t.user)
    const base = t.base_url ?? spec.baseUrl
    let status = 0
    try {
      let res: { status: number; text: () => string }
      if (ph.kind === 'send') {
        res = await call(base, 'POST', `/v1/rooms/${t.room_id}/messages`, h, hText, body)
      } else if (ph.kind === 'react') {
        const ids = t.message_ids!
        const slot = st.slot++
        const id = ids[slot % ids.length]
        const key = KEYS[Math.floor(slot / ids.length) % KEYS.length]
        const k = `${t.user}\u0000${id}\u0000${key}`
        const on = st.toggled.has(k)
        if (on) st.toggled.delete(k)
        else st.toggled.add(k)
        res = await call(base, on ? 'DELETE' : 'PUT', `/v1/rooms/${t.room_id}/messages/${id}/reactions/${key}`, h, hText)
      } else if (ph.kind === 'changes') {
        const after = Math.floor(Math.random() * Math.max(1, (t.last_rev ?? PAGE) - PAGE))
        res = await call(base, 'GET', `/v1/rooms/${t.room_id}/changes?after_rev=${after}&limit=${PAGE}`, h, hText)
        if (res.status === 200 && st.verified < 200) {
          st.verified++
          st.returned += JSON.parse(res.text()).messages.length
        }
      } else if (ph.kind === 'rooms') {
        res = await call(base, 'GET', '/v1/rooms?limit=20', h, hText)
        if (res.status === 200 && st.measuring && (st.verified++, JSON.parse(res.text()).rooms.length === 0)) st.short++
      } else if (ph.kind === 'search') {
        res = await call(base, 'GET', `/v1/search?q=${encodeURIComponent(t.q ?? '')}&limit=20`, h, hText)
        // how many answers were empty pages (a query mix that finds nothing measures little)
        if (res.status === 200 && st.measuring && (st.verified++, JSON.parse(res.text()).results.length === 0)) st.short++
      } else {
        const last = t.last_seq ?? PAGE
        const before = PAGE + 1 + Math.floor(Math.random() * Math.max(1, last - PAGE))
        res = await call(base, 'GET', `/v1/rooms/${t.room_id}/messages?before_seq=${before}&limit=${PAGE}`, h, hText)
        // verify a sample of pages really holds 50 messages
        if (res.status === 200 && st.verified < 200 && (st.verified++, JSON.parse(res.text()).messages.length !== PAGE)) st.short++
      }
      status = res.status
    } catch {
      status = -1
    }
    if (!st.measuring) return
    if (status >= 200 && status < 300) {
      st.ok++
      st.lat.add(performance.now() - t0)
    } else {
      const k = status === -1 ? 'network' : String(status)
      st.errors[k] = (st.errors[k] ?? 0) + 1
    }
  }

  interface PhaseState {
    measuring: boolean
    running: boolean
    ok: number
    lat: Samples
    errors: Record<string, number>
    verified: number
    short: number
    inflight: number
    skipped: number
    /** react: the next (message, key) slot, and the reactions currently on */
    slot: number
    toggled: Set<string>
    /** changes: messages in the verified pages */
    returned: number
  }

  for (const ph of spec.phases) {
    const st: PhaseState = { measuring: false, running: true, ok: 0, lat: new Samples(), errors: {}, verified: 0, short: 0, inflight: 0, skipped: 0, slot: 0, toggled: new Set(), returned: 0 }
    let rr = 0
    const next = () => ph.targets[rr++ % ph.targets.length]
    const loops: Promise<void>[] = []
    let timer: ReturnType<typeof setInterval> | null = null
    if (ph.rate) {
      let last = performance.now()
      let acc = 0
      timer = setInterval(() => {
        const now = performance.now()
        acc += ((now - last) / 1000) * ph.rate!
        last = now
        for (; acc >= 1 && total < maxReqs; acc--) {
          if (st.inflight >= 1024) {
            st.skipped++
            continue
          }
          st.inflight++
          void one(ph, next(), st).finally(() => st.inflight--)
        }
      }, 5)
    } else {
      for (let c = 0; c < (ph.concurrency ?? 64); c++) {
        const t = ph.targets[c % ph.targets.length]
        loops.push(
          (async () => {
            while (st.running && total < maxReqs) await one(ph, ph.kind === 'send' ? t : next(), st)
          })(),
        )
      }
    }
    await sleep((spec.warmup_s ?? 1) * 1000)
    const cpu = cpuWindow(spec.serverPid)
    const t0 = performance.now()
    st.measuring = true
    await sleep((spec.secs ?? 5) * 1000)
    st.measuring = false
    const c = cpu()
    const el = (performance.now() - t0) / 1000
    st.running = false
    if (timer) clearInterval(timer)
    await Promise.race([Promise.all(loops), sleep(5000)])
    const until = performance.now() + 5000
    while (st.inflight > 0 && performance.now() < until) await sleep(20)
    console.log(
      JSON.stringify({
        phase: ph.name,
        kind: ph.kind,
        ...(ph.rate ? { offered_per_s: ph.rate } : { concurrency: ph.concurrency ?? 64 }),
        targets: ph.targets.length,
        secs: round(el, 2),
        ok_per_s: Math.round(st.ok / el),
        latency: st.lat.summary(),
        errors: st.errors,
        ...(ph.kind === 'history' && { pages_verified: st.verified, short_pages: st.short }),
        ...(ph.kind === 'changes' && { pages_verified: st.verified, mean_messages_per_page: st.verified ? round(st.returned / st.verified, 1) : null }),
        ...(ph.kind === 'search' && { answers: st.verified, empty_answers: st.short }),
        ...(ph.kind === 'rooms' && { lists: st.verified, empty_lists: st.short }),
        skipped_backlog: st.skipped,
        ...c,
      }),
    )
  }
  raw?.closeAll()
  return 0
}

if (import.meta.main) process.exit(await main(process.argv[2]))
