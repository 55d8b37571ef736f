// A receive-only WebSocket client on a bare TCP socket: it does the upgrade with ChatAPI's headers,
// answers pings, and only counts frames (no JS event per frame), so one load process can hold
// thousands of members and count millions of deliveries per second. Optionally it hands small text
// frames (≤ SMALL bytes: control answers such as sync.done or error) to a callback, and sendText
// writes a client frame, which is all the noisy-neighbour sync flood needs at a low client cost.

import type { Socket } from 'bun'
import { afterLeft, failOnError, isMessageAt, newFrameHeader, PONG, readFrameHeader, UpgradeAnswer, upgradeRequest } from './rawws-frames'

export interface RawStats {
  /** Data frames received (text or binary). */
  frames: number
  /** Frames whose payload starts with {"type":"message" (live deliveries). */
  messages: number
  opened: number
  closed: number
  errors: number
}
export const newRawStats = (): RawStats => ({ frames: 0, messages: 0, opened: 0, closed: 0, errors: 0 })

const SYNC_DONE = '"type":"sync.done"'
const SMALL = 512

/** Writes one masked text frame (a client's frames must be masked; a zero mask keeps the bytes). */
export function sendText(s: Socket<undefined>, text: string) {
  const body = Buffer.from(text)
  const head = body.length < 126 ? [0x81, 0x80 | body.length] : [0x81, 0x80 | 126, body.length >> 8, body.length & 0xff]
  s.write(Buffer.concat([Buffer.from([...head, 0, 0, 0, 0]), body]))
}

/**
 * Connects and resolves with the socket once the server sent `sync.done` (subscribed to every room
 * of the user). Rejects on a refused upgrade, a connect error or after `timeoutMs`.
 */
export function rawConnect(
  host: string,
  port: number,
  headers: Record<string, string>,
  stats: RawStats,
  timeoutMs = 30_000,
  onSmallText?: (text: string) => void,
): Promise<Socket<undefined>> {
  return new Promise((resolve, reject) => {
    let ready = false
    const fh = newFrameHeader()
    let text = '' // pre-ready text (latin1); emptied once ready
    let skip = 0 // payload bytes of the current frame still to skip
    let left: Uint8Array | null = null // a partial frame header carried to the next chunk
    let small: number[] | null = null // the payload of a small text frame being collected (onSmallText)
    let settled = false
    const fail = (e: unknown) => {
      if (settled) return
      settled = true
      stats.errors++
      reject(e instanceof Error ? e : new Error(String(e)))
    }
    const timer = setTimeout(() => fail(new Error('raw ws: no sync.done in time')), timeoutMs)
    const answer = new UpgradeAnswer(
      () => stats.opened++,
      (e, s) => {
        fail(e)
        s.end()
      },
    )

    Bun.connect({
      hostname: host,
      port,
      socket: {
        open(s) {
          s.write(upgradeRequest(host, port, headers))
        },
        data(s, chunk) {
          let i = answer.frameStart(s, chunk)
          if (i < 0) return
          let d: Uint8Array = chunk
          if (!ready) {
            text = text.slice(-32) + Buffer.from(d.subarray(i)).toString('latin1')
            if (text.includes(SYNC_DONE)) {
              ready = true
              text = ''
              clearTimeout(timer)
              if (!settled) {
                settled = true
                resolve(s)
              }
            }
          }
          if (left) {
            d = afterLeft(left, d, i)
            i = 0
            left = null
          }
          const len = d.length
          while (i < len) {
            if (skip > 0) {
              const n = Math.min(skip, len - i)
              if (small) for (let k = i; k < i + n; k++) small.push(d[k])
              skip -= n
              i += n
              if (skip === 0 && small) {
                const text = Buffer.from(small).toString('utf8')
                small = null
                if (ready) onSmallText!(text)
              }
              continue
            }
            if (!readFrameHeader(d, i, fh)) {
              left = d.slice(i)
              break
            }
            const { op, pl, h } = fh
            if (op === 1 || op === 2) {
              stats.frames++
              const p = i + h
              if (p + 16 >= len || isMessageAt(d, p)) stats.messages++
            } else if (op === 9) s.write(PONG)
            i += h
            skip = pl
            if (op === 1 && onSmallText && pl <= SMALL) {
              small = []
              if (pl === 0) {
                small = null
                if (ready) onSmallText('')
              }
            }
          }
        },
        close() {
          stats.closed++
          fail(new Error('raw ws: closed before sync.done'))
        },
        ...failOnError(fail),
      },
    }).catch(fail)
  })
}
