// The c100k member: a receive-only WebSocket on a bare TCP socket bound to a chosen source address
// (Bun.connect's `localAddress`, so 100,000 sockets are not limited by one address's ~28,000
// ephemeral ports), as in rawws.ts, plus what the c100k scenario measures: each live `message`
// frame's send→receive time, read from its content (the sender's wall clock in ms), without
// decoding the rest of the frame. One closure per socket and no JS event per frame beyond the
// chunk's data callback, so one load process holds ~20,000 of them.

import type { Socket } from 'bun'
import { afterLeft, failOnError, isMessageAt, newFrameHeader, PONG, readFrameHeader, UpgradeAnswer, upgradeRequest } from './rawws-frames'

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
    let ready = false
    const fh = newFrameHeader()
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
    const answer = new UpgradeAnswer(() => stats.opened++, fail)

    function frames(s: Socket<undefined>, d: Uint8Array, i: number) {
      const len = d.length
      while (i < len) {
        if (skip > 0) {
          const n = Math.min(skip, len - i)
          skip -= n
          i += n
          continue
        }
        if (!readFrameHeader(d, i, fh)) return void (left = d.slice(i))
        const { op, pl } = fh
        const p = i + fh.h
        // before sync.done, a frame is looked at whole: wait for the rest of it
        if (!ready && op === 1 && p + pl > len) return void (left = d.slice(i))
        if (op === 1 && p + 16 < len && isMessageAt(d, p)) {
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
          s.write(upgradeRequest(host, port, headers))
        },
        data(s, chunk) {
          let i = answer.frameStart(s, chunk)
          if (i < 0) return
          let d: Uint8Array = chunk
          if (left) {
            d = afterLeft(left, d, i)
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
        ...failOnError(fail),
      },
    }).catch(fail)
  })
}
