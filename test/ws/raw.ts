// RawWs: a WebSocket client on a bare TCP socket that can stop reading, to play a slow consumer (TESTING B7).

import type { Socket } from 'node:net'
import type { Frame } from '../support/ws'
import { assertServerFrame } from '../support/frame-check'
import { rawUpgrade, textFrame } from './helpers'

export class RawWs {
  readonly frames: Frame[] = []
  /** Close code from a close frame, if the server sent one (none means the client sees 1006). */
  closeCode: number | null = null
  ended = false
  bytesRead = 0
  private buf: Buffer
  private waiters: (() => void)[] = []

  private constructor(readonly sock: Socket, rest: Buffer) {
    this.buf = rest
    sock.on('data', (d: Buffer) => {
      this.bytesRead += d.length
      this.buf = Buffer.concat([this.buf, d])
      this.parse()
    })
    sock.on('close', () => ((this.ended = true), this.wake()))
    sock.on('error', () => {})
    this.parse()
  }

  /** Upgrades; the socket starts paused (reads nothing until resume()). */
  static async connect(wsUrl: string, headers: Record<string, string>): Promise<RawWs> {
    const r = await rawUpgrade(wsUrl, headers)
    if (r.status !== 101) throw new Error(`upgrade refused: ${r.status}`)
    return new RawWs(r.sock, r.rest)
  }

  pause() {
    this.sock.pause()
  }
  resume() {
    this.sock.resume()
  }
  send(frame: Record<string, unknown>) {
    this.sock.write(textFrame(JSON.stringify(frame)))
  }
  destroy() {
    this.sock.destroy()
  }

  /** Resolves when `cond` holds (re-checked on every frame and at close); rejects after `ms`. */
  async until(cond: () => boolean, ms: number, what: string) {
    const deadline = Date.now() + ms
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (${this.frames.length} frames, ended=${this.ended})`)
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve)
        setTimeout(resolve, Math.max(1, deadline - Date.now()))
      })
    }
  }

  /** Server frames are unmasked (RFC 6455 §5.1): FIN/opcode, length (7/16/64 bit), payload. */
  private parse() {
    let i = 0
    while (i + 2 <= this.buf.length) {
      const op = this.buf[i] & 0x0f
      let len = this.buf[i + 1] & 0x7f
      let o = i + 2
      if (len === 126) {
        if (o + 2 > this.buf.length) break
        len = this.buf.readUInt16BE(o)
        o += 2
      } else if (len === 127) {
        if (o + 8 > this.buf.length) break
        len = Number(this.buf.readBigUInt64BE(o))
        o += 8
      }
      if (o + len > this.buf.length) break
      const payload = this.buf.subarray(o, o + len)
      if (op === 1) {
        const f = JSON.parse(payload.toString())
        this.frames.push(f)
        assertServerFrame(f) // a mismatch fails the running test (thrown from the socket's data listener)
      }
      else if (op === 8) this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005
      i = o + len
    }
    this.buf = this.buf.subarray(i)
    this.wake()
  }

  private wake() {
    const w = this.waiters
    this.waiters = []
    for (const f of w) f()
  }
}
