// What the two bare-TCP WebSocket clients of the load tools share (rawws.ts, the receive-only
// member; c100k-socket.ts, the c100k member): the upgrade request, reading the server's answer,
// carrying a partial frame header to the next chunk, and reading a frame header in place. Written
// for the per-frame hot path: no allocation per frame (the header is read into the caller's object).

import type { Socket } from 'bun'

/** A client's empty pong (masked, as a client's frames must be). */
export const PONG = new Uint8Array([0x8a, 0x80, 0, 0, 0, 0])

/** The HTTP upgrade to /ws with ChatAPI's headers and a fresh Sec-WebSocket-Key. */
export function upgradeRequest(host: string, port: number, headers: Record<string, string>): string {
  const key = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64')
  let hdr = ''
  for (const [k, v] of Object.entries(headers)) hdr += `${k}: ${v}\r\n`
  return (
    `GET /ws HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${hdr}\r\n`
  )
}

/**
 * Reads the server's answer to the upgrade, which may come in several chunks: `opened` is called
 * once it is a 101, `refused` (once) when it is anything else.
 */
export class UpgradeAnswer {
  private head = '' // latin1: one char per byte
  private upgraded = false
  private refusedAlready = false
  constructor(
    private readonly opened: () => void,
    private readonly refused: (e: Error, s: Socket<undefined>) => void,
  ) {}
  /**
   * Takes each chunk the socket receives: where the frames start in it (0 once upgraded), or -1
   * while the answer's blank line has not come or after a refusal (the chunk holds no frames).
   */
  frameStart(s: Socket<undefined>, chunk: Buffer): number {
    if (this.upgraded) return 0
    if (this.refusedAlready) return -1
    const before = this.head.length
    this.head += chunk.toString('latin1')
    const e = this.head.indexOf('\r\n\r\n')
    if (e < 0) return -1
    const head = this.head
    this.head = ''
    if (!head.startsWith('HTTP/1.1 101')) {
      this.refusedAlready = true
      this.refused(new Error(`upgrade refused: ${head.slice(0, head.indexOf('\r\n'))}`), s)
      return -1
    }
    this.upgraded = true
    this.opened()
    return e + 4 - before
  }
}

/** `d` from `i` on, after the bytes `left` carried from the previous chunk. */
export function afterLeft(left: Uint8Array, d: Uint8Array, i: number): Uint8Array {
  const n = new Uint8Array(left.length + d.length - i)
  n.set(left)
  n.set(d.subarray(i), left.length)
  return n
}

export interface FrameHeader {
  /** Opcode (1 text, 2 binary, 9 ping, …). */
  op: number
  /** Payload length. */
  pl: number
  /** Header length: the payload starts at i + h (server frames are not masked). */
  h: number
}
export const newFrameHeader = (): FrameHeader => ({ op: 0, pl: 0, h: 0 })

/** Reads the frame header at `d[i]` into `out`; false when `d` ends before the header does. */
export function readFrameHeader(d: Uint8Array, i: number, out: FrameHeader): boolean {
  const len = d.length
  if (len - i < 2) return false
  out.op = d[i] & 0x0f
  out.pl = d[i + 1] & 0x7f
  out.h = 2
  if (out.pl === 126) {
    if (len - i < 4) return false
    out.pl = (d[i + 2] << 8) | d[i + 3]
    out.h = 4
  } else if (out.pl === 127) {
    if (len - i < 10) return false
    out.pl = Number(Buffer.from(d.subarray(i + 2, i + 10)).readBigUInt64BE())
    out.h = 10
  }
  return true
}

/** A text frame's payload at `p` starts {"type":"message" and then '"' at offset 16 ("message.sent" etc. have '.' there). */
export const isMessageAt = (d: Uint8Array, p: number) => d[p + 9] === 0x6d && d[p + 16] === 0x22

/** The socket handlers that turn an error or a refused connect into the connect promise's rejection. */
export const failOnError = (fail: (e: unknown) => void) => ({
  error: (_s: unknown, e: Error) => fail(e),
  connectError: (_s: unknown, e: Error) => fail(e),
})
