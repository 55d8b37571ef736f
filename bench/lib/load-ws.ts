// WebSocket load process (spawned by bench/index.ts, never in the server's process).
//   bun bench/lib/load-ws.ts <spec.json>      (bun run bench, from a checkout)
//   chatapi __bench-load ws <spec.json>       (chatapi bench, the compiled binary)
// mode "rooms": per room one sender (a real WebSocket timing send → message.sent), `probes` real
// WebSockets timing publish → receive from the content's timestamp, and raw frame-counting members.
// Phases run in order: {window} keeps that many sends outstanding per sender (closed loop, a
// ceiling); {rate} sends that many msgs/s in total (open loop, latency at a given load).
// mode "idle": connects raw sockets for `users`, prints {"ready"}, holds, exits.
// Bounded: every phase stops after warmup+secs or max_msgs, and the process exits at hardcap_s.

import { cpuWindow, round, Samples, sleep } from './util'
import { newRawStats, rawConnect } from './rawws'

export interface WsRoomSpec {
  room_id: string
  sender: string
  probes: string[]
  raw: string[]
}
export interface WsSpec {
  mode: 'rooms' | 'idle'
  host: string
  port: number
  apiKey: string
  serverPid: number
  rooms?: WsRoomSpec[]
  users?: string[]
  phases?: ({ name: string; window: number } | { name: string; rate: number })[]
  warmup_s?: number
  secs?: number
  content_len?: number
  max_msgs?: number
  hold_s?: number
  hardcap_s: number
  /** several instances: the port each user connects to (default `port`) */
  port_of?: Record<string, number>
}

/** Reads the spec file, runs the load, prints JSON lines on stdout; resolves to the exit status. */
export async function main(specFile: string): Promise<number> {
  return runWsLoad(JSON.parse(await Bun.file(specFile).text()))
}

export async function runWsLoad(spec: WsSpec): Promise<number> {
  setTimeout(() => {
    console.error('load-ws: hard cap reached')
    process.exit(3)
  }, spec.hardcap_s * 1000).unref?.()

  const out = (o: unknown) => console.log(JSON.stringify(o))
  const headers = (user: string) => ({ 'X-API-Key': spec.apiKey, 'X-User-Id': user })
  const portOf = (user: string) => spec.port_of?.[user] ?? spec.port
  const raw = newRawStats()

  async function inBatches<T>(tasks: (() => Promise<T>)[], size = 200): Promise<{ ok: T[]; failed: number }> {
    const ok: T[] = []
    let failed = 0
    for (let i = 0; i < tasks.length; i += size) {
      const r = await Promise.allSettled(tasks.slice(i, i + size).map((f) => f()))
      for (const x of r) x.status === 'fulfilled' ? ok.push(x.value) : failed++
    }
    return { ok, failed }
  }

  if (spec.mode === 'idle') {
    const t0 = performance.now()
    const users = spec.users ?? []
    const r = await inBatches(users.map((u) => () => rawConnect(spec.host, spec.port, headers(u), raw, 60_000)))
    out({ ready: r.ok.length, failed: r.failed, connect_s: round((performance.now() - t0) / 1000, 2) })
    await sleep((spec.hold_s ?? 10) * 1000)
    out({ done: true, open: raw.opened - raw.closed, closed: raw.closed })
    return 0
  }

  // ---------- rooms mode ----------
  const CAP = 1 << 20 // request ids in flight are far fewer; the slot is reused modulo CAP
  const sentAt = new Float64Array(CAP)
  const pad = 'x'.repeat(Math.max(0, (spec.content_len ?? 140) - 16))
  const maxMsgs = spec.max_msgs ?? 5_000_000
  const ackLat = new Samples()
  const e2eLat = new Samples()
  const errors: Record<string, number> = {}
  let reqSeq = 0
  let sent = 0
  let acked = 0
  let wsMessages = 0 // `message` frames at senders and probes
  let running = false
  let measuring = false
  let windowSize = 0
  let wsClosed = 0

  type Sender = { ws: WebSocket; room: string; outstanding: number }
  const senders: Sender[] = []

  function send(s: Sender) {
    const id = reqSeq++
    const now = performance.now()
    sentAt[id % CAP] = now
    s.ws.send(`{"type":"send_message","room_id":"${s.room}","request_id":"${id}","content":"${now.toFixed(3)}|${pad}"}`)
    s.outstanding++
    sent++
  }
  const field = (data: string, name: string) => {
    const i = data.indexOf(`"${name}":"`)
    if (i < 0) return null
    const a = i + name.length + 4
    return data.slice(a, data.indexOf('"', a))
  }
  function onMessageFrame(data: string, now: number, timed: boolean) {
    wsMessages++
    if (!timed || !measuring) return
    const c = data.indexOf('"content":"')
    if (c >= 0) e2eLat.add(now - parseFloat(data.slice(c + 11, data.indexOf('|', c))))
  }

  function wsConnect(user: string, onFrame: (data: string) => void): Promise<WebSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://${spec.host}:${portOf(user)}/ws`, { headers: headers(user) } as any)
      let ready = false
      const timer = setTimeout(() => reject(new Error('no sync.done in time')), 30_000)
      ws.onmessage = (ev) => {
        const data = typeof ev.data === 'string' ? ev.data : Buffer.from(ev.data as ArrayBuffer).toString()
        if (!ready) {
          if (data.startsWith('{"type":"sync.done"')) {
            ready = true
            clearTimeout(timer)
            resolve(ws)
          }
          return
        }
        onFrame(data)
      }
      ws.onerror = () => reject(new Error('websocket error'))
      ws.onclose = () => {
        if (ready) wsClosed++
        else reject(new Error('closed before sync.done'))
      }
    })
  }

  function senderFrame(s: Sender, data: string) {
    const now = performance.now()
    if (data.startsWith('{"type":"message.sent"')) {
      const id = Number(field(data, 'request_id'))
      s.outstanding--
      acked++
      if (measuring) ackLat.add(now - sentAt[id % CAP])
      if (windowSize && running && sent < maxMsgs) while (s.outstanding < windowSize) send(s)
    } else if (data.startsWith('{"type":"message"')) onMessageFrame(data, now, false)
    else if (data.startsWith('{"type":"error"')) {
      const code = field(data, 'code') ?? 'UNKNOWN'
      errors[code] = (errors[code] ?? 0) + 1
      if (field(data, 'request_id') !== null) s.outstanding--
      if (windowSize && running && sent < maxMsgs) while (s.outstanding < windowSize) send(s)
    }
  }

  const t0 = performance.now()
  const rooms = spec.rooms ?? []
  const tasks: (() => Promise<unknown>)[] = []
  for (const r of rooms) {
    tasks.push(async () => {
      const s: Sender = { ws: null as unknown as WebSocket, room: r.room_id, outstanding: 0 }
      s.ws = await wsConnect(r.sender, (d) => senderFrame(s, d))
      senders.push(s)
    })
    for (const p of r.probes)
      tasks.push(() => wsConnect(p, (d) => d.startsWith('{"type":"message"') && onMessageFrame(d, performance.now(), true)))
    for (const u of r.raw) tasks.push(() => rawConnect(spec.host, portOf(u), headers(u), raw))
  }
  const conn = await inBatches(tasks)
  const members = rooms.length ? 1 + rooms[0].probes.length + rooms[0].raw.length : 0
  out({ ready: conn.ok.length, failed: conn.failed, connect_s: round((performance.now() - t0) / 1000, 2) })
  if (!senders.length) return 2
  await sleep(500)

  for (const ph of spec.phases ?? []) {
    running = true
    windowSize = 'window' in ph ? ph.window : 0
    let timer: ReturnType<typeof setInterval> | null = null
    let skipped = 0
    if ('window' in ph) {
      for (const s of senders) while (s.outstanding < ph.window && sent < maxMsgs) send(s)
    } else {
      let last = performance.now()
      let acc = 0
      let rr = 0
      timer = setInterval(() => {
        const now = performance.now()
        acc += ((now - last) / 1000) * ph.rate
        last = now
        for (; acc >= 1 && sent < maxMsgs; acc--) {
          const s = senders[rr++ % senders.length]
          if (s.outstanding >= 1000) skipped++ // bounded backlog: the server is not keeping up
          else send(s)
        }
      }, 5)
    }
    await sleep((spec.warmup_s ?? 1) * 1000)
    const a0 = { t: performance.now(), acked, sent, ws: wsMessages, raw: raw.messages, err: { ...errors } }
    const cpu = cpuWindow(spec.serverPid)
    measuring = true
    await sleep((spec.secs ?? 5) * 1000)
    measuring = false
    const c = cpu()
    const el = (performance.now() - a0.t) / 1000
    running = false
    if (timer) clearInterval(timer)
    const persisted = acked - a0.acked
    const deliveries = wsMessages - a0.ws + (raw.messages - a0.raw)
    const errs: Record<string, number> = {}
    for (const [k, v] of Object.entries(errors)) if (v - (a0.err[k] ?? 0) > 0) errs[k] = v - (a0.err[k] ?? 0)
    out({
      phase: ph.name,
      ...('rate' in ph ? { offered_per_s: ph.rate } : { window_per_sender: ph.window }),
      senders: senders.length,
      members_per_room: members,
      connections: conn.ok.length,
      secs: round(el, 2),
      persisted_per_s: Math.round(persisted / el),
      sent_per_s: Math.round((sent - a0.sent) / el),
      deliveries_per_s: Math.round(deliveries / el),
      delivery_ratio: persisted ? round(deliveries / (persisted * members), 3) : null,
      latency: e2eLat.summary(),
      ack_latency: ackLat.summary(),
      errors: errs,
      skipped_backlog: skipped,
      closed_sockets: wsClosed + raw.closed,
      ...c,
    })
    ackLat.n = 0
    e2eLat.n = 0
    // let the outstanding sends finish before the next phase (bounded wait)
    const until = performance.now() + 5000
    while (senders.some((s) => s.outstanding > 0) && performance.now() < until) await sleep(50)
  }
  return 0
}

if (import.meta.main) process.exit(await main(process.argv[2]))
