// The c100k member: a receive-only WebSocket on a bare TCP socket bound to a chosen source address
// (Bun.connect's `localAddress`, so 100,000 sockets are not limited by one address's ~28,000
// ephemeral ports), as in rawws.ts, plus what the c100k scenario measures: each live `message`
// frame's send→receive time, read from its content (the sender's wall clock in ms), without
// decoding the rest of the frame. One closure per socket and no JS event per frame beyond the
// chunk's data callback, so one load process holds ~20,000 of them.

import type { Socket } from 'bun'

export interface MemberStats {
  opened: number
  closed: number
  /** `message` frames received after sync.done (live deliveries, and sync replays after a reconnect). */
  messages: number
  /** `message` frames streamed by the connect-time sync (before sync.done). */
  synced: number
  /** Deliveries whose content carried a send time, by latency in 0.1 ms bins. */
  hist: Map<number, number>
  firstAt: number
  lastAt: number
}
export const newMemberStats = (): MemberStats => ({ opened: 0, closed: 0, messages: 0, synced: 0, hist: new Map(), firstAt: 0, lastAt: 0 })

/** Wall-clock ms with sub-ms precision, comparable between processes on one box. */
export const wallMs = () => performance.timeOrigin + performance.now()

const PONG = new Uint8Array([0x8a, 0x80, 0, 0, 0, 0]) // masked, empty
const SYNC_DONE = Buffer.from('{"type":"sync.done"')
/** The connect-time sync's end: `{"type":"sync.done"}` with no room_id (a room's own sync.done has one). */
function isSyncDone(d: Uint8Array, p: number, pl: number): boolean {
  if (pl < SYNC_DONE.length || pl > 64) return false
  for (let k = 0; k < SYNC_DONE.length; k++) if (d[p + k] !== SYNC_DONE[k]) return false
  return !Buffer.from(d.buffer, d.byteOffset + p, pl).includes('room_id')
}
const CONTENT = Buffer.from('"content":"')

export interface Member {
  socket: Socket<undefined> | null
  /** Closes the socket (a FIN, as a client that goes away); the close is not an error. */
  drop(): void
}

/**
 * Connects from `localAddress` and resolves once the server sent `sync.done` (subscribed to every
 * room of the user, any missed messages streamed). Rejects on a refused upgrade, a connect error,
 * a close before sync.done or after `timeoutMs`.
 */
export function connectMember(
  host: string,
  port: number,
  localAddress: string,
  headers: Record<string, string>,
  stats: MemberStats,
  timeoutMs: number,
): Promise<Member> {
  return new Promise((resolve, reject) => {
    let upgraded = false
    let ready = false
    let head = '' // the handshake answer (latin1), until its blank line
    let skip = 0
    let left: Uint8Array | null = null
    let settled = false
    const member: Member = { socket: null, drop: () => member.socket?.end() }
    const fail = (e: unknown) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      member.socket?.terminate()
      reject(e instanceof Error ? e : new Error(String(e)))
    }
    const timer = setTimeout(() => fail(new Error('no sync.done in time')), timeoutMs)
    const key = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64')
    let hdr = ''
    for (const [k, v] of Object.entries(headers)) hdr += `${k}: ${v}\r\n`

    function frames(s: Socket<undefined>, d: Uint8Array, i: number) {
      const len = d.length
      while (i < len) {
        if (skip > 0) {
          const n = Math.min(skip, len - i)
          skip -= n
          i += n
          continue
        }
        if (len - i < 2) return void (left = d.slice(i))
        const op = d[i] & 0x0f
        let pl = d[i + 1] & 0x7f
        let h = 2
        if (pl === 126) {
          if (len - i < 4) return void (left = d.slice(i))
          pl = (d[i + 2] << 8) | d[i + 3]
          h = 4
        } else if (pl === 127) {
          if (len - i < 10) return void (left = d.slice(i))
          pl = Number(Buffer.from(d.subarray(i + 2, i + 10)).readBigUInt64BE())
          h = 10
        }
        const p = i + h
        // before sync.done, a frame is looked at whole: wait for the rest of it
        if (!ready && op === 1 && p + pl > len) return void (left = d.slice(i))
        // {"type":"message" then '"' at offset 16 ("message.sent" etc. have '.' there)
        if (op === 1 && p + 16 < len && d[p + 9] === 0x6d && d[p + 16] === 0x22) {
          if (ready) onMessage(d, p, Math.min(len, p + pl))
          else stats.synced++
        } else if (op === 1 && !ready && isSyncDone(d, p, pl)) {
          ready = true
          clearTimeout(timer)
          if (!settled) {
            settled = true
            resolve(member)
          }
        } else if (op === 9) s.write(PONG)
        i = p
        skip = pl
      }
    }
    function onMessage(d: Uint8Array, from: number, to: number) {
      const now = wallMs()
      stats.messages++
      if (!stats.firstAt) stats.firstAt = now
      stats.lastAt = now
      const b = Buffer.from(d.buffer, d.byteOffset, d.byteLength)
      const c = b.indexOf(CONTENT, from)
      if (c < 0 || c >= to) return
      // content = "<send wall ms>|…": parse the digits in place
      let k = c + CONTENT.length
      let v = 0
      let frac = 0
      let scale = 1
      for (; k < to; k++) {
        const ch = b[k]
        if (ch >= 0x30 && ch <= 0x39) {
          if (frac) {
            scale /= 10
            v += (ch - 0x30) * scale
          } else v = v * 10 + (ch - 0x30)
        } else if (ch === 0x2e && !frac) frac = 1
        else break
      }
      if (b[k] !== 0x7c || v === 0) return // not a timed message (sync replays of other content)
      const bin = Math.max(0, Math.round((now - v) * 10))
      stats.hist.set(bin, (stats.hist.get(bin) ?? 0) + 1)
    }

    Bun.connect({
      hostname: host,
      port,
      // Bun binds the socket to this source address before connecting (not in the type definitions).
      ...({ localAddress } as object),
      socket: {
        open(s) {
          member.socket = s
          s.write(
            `GET /ws HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
              `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${hdr}\r\n`,
          )
        },
        data(s, chunk) {
          let d: Uint8Array = chunk
          let i = 0
          if (!upgraded) {
            const before = head.length
            head += chunk.toString('latin1')
            const e = head.indexOf('\r\n\r\n')
            if (e < 0) return
            if (!head.startsWith('HTTP/1.1 101')) return fail(new Error(`upgrade refused: ${head.slice(0, head.indexOf('\r\n'))}`))
            upgraded = true
            stats.opened++
            i = e + 4 - before
            head = ''
          }
          if (left) {
            const n = new Uint8Array(left.length + d.length - i)
            n.set(left)
            n.set(d.subarray(i), left.length)
            d = n
            i = 0
            left = null
          }
          frames(s, d, i)
        },
        close() {
          stats.closed++
          member.socket = null
          fail(new Error('closed before sync.done'))
        },
        error(_s, e) {
          fail(e)
        },
        connectError(_s, e) {
          fail(e)
        },
      },
    }).catch(fail)
  })
}
