// A receive-only WebSocket client on a bare TCP socket: it does the upgrade with ChatAPI's headers,
// answers pings, and only counts frames (no JS event per frame), so one load process can hold
// thousands of members and count millions of deliveries per second. Optionally it hands small text
// frames (≤ SMALL bytes: control answers such as sync.done or error) to a callback, and sendText
// writes a client frame, which is all the noisy-neighbour sync flood needs at a low client cost.

import type { Socket } from 'bun'

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

const PONG = new Uint8Array([0x8a, 0x80, 0, 0, 0, 0]) // masked, empty
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
    let upgraded = false
    let ready = false
    let text = '' // handshake and pre-ready text (latin1); emptied once ready
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
    const key = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64')
    let hdr = ''
    for (const [k, v] of Object.entries(headers)) hdr += `${k}: ${v}\r\n`

    Bun.connect({
      hostname: host,
      port,
      socket: {
        open(s) {
          s.write(
            `GET /ws HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
              `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${hdr}\r\n`,
          )
        },
        data(s, chunk) {
          let d: Uint8Array = chunk
          let i = 0
          if (!upgraded) {
            const before = text.length
            text += chunk.toString('latin1')
            const e = text.indexOf('\r\n\r\n')
            if (e < 0) return
            if (!text.startsWith('HTTP/1.1 101')) {
              fail(new Error(`upgrade refused: ${text.slice(0, text.indexOf('\r\n'))}`))
              s.end()
              return
            }
            upgraded = true
            stats.opened++
            i = e + 4 - before // latin1: one char per byte
            text = ''
          }
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
            const n = new Uint8Array(left.length + d.length - i)
            n.set(left)
            n.set(d.subarray(i), left.length)
            d = n
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
            if (len - i < 2) {
              left = d.slice(i)
              break
            }
            const op = d[i] & 0x0f
            let pl = d[i + 1] & 0x7f
            let h = 2
            if (pl === 126) {
              if (len - i < 4) {
                left = d.slice(i)
                break
              }
              pl = (d[i + 2] << 8) | d[i + 3]
              h = 4
            } else if (pl === 127) {
              if (len - i < 10) {
                left = d.slice(i)
                break
              }
              pl = Number(Buffer.from(d.subarray(i + 2, i + 10)).readBigUInt64BE())
              h = 10
            }
            if (op === 1 || op === 2) {
              stats.frames++
              // {"type":"message" then '"' at offset 16 ("message.sent" etc. have '.' there)
              const p = i + h
              if (p + 16 >= len || (d[p + 9] === 0x6d && d[p + 16] === 0x22)) stats.messages++
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
