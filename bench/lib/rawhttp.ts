// A keep-alive HTTP/1.1 client on a bare Bun TCP socket, one request in flight per connection.
// The REST load process used fetch, which cost the load process up to half a core at 5–7k
// requests/s on the same two cores as the server: at the history ceiling the client, not the
// server, set the figure. This client does the least a client can: one write per request, the
// answer parsed by Content-Length (or chunked), the body handed back as bytes or text.

import type { Socket } from 'bun'

export interface RawAnswer {
  status: number
  body: Uint8Array
}

const CRLFCRLF = Buffer.from('\r\n\r\n')
const dec = new TextDecoder()
export const textOf = (a: RawAnswer) => dec.decode(a.body)

interface Pending {
  resolve: (a: RawAnswer) => void
  reject: (e: Error) => void
}

/** One connection; `request` waits for the previous answer (callers keep one in flight each). */
export class RawHttpConn {
  private sock: Socket<undefined> | null = null
  private opening: Promise<void> | null = null
  private buf: Buffer = Buffer.alloc(0)
  private pending: Pending | null = null
  private closed = false

  constructor(
    readonly host: string,
    readonly port: number,
  ) {}

  private open(): Promise<void> {
    if (this.sock) return Promise.resolve()
    if (this.opening) return this.opening
    this.closed = false
    this.opening = Bun.connect({
      hostname: this.host,
      port: this.port,
      socket: {
        data: (_s, chunk) => this.onData(chunk),
        close: () => this.onClose(new Error('raw http: connection closed')),
        error: (_s, e) => this.onClose(e),
        connectError: (_s, e) => this.onClose(e),
      },
    }).then(
      (s) => {
        this.sock = s
        this.opening = null
      },
      (e) => {
        this.opening = null
        throw e
      },
    )
    return this.opening
  }

  private onClose(e: Error) {
    this.sock = null
    this.closed = true
    this.buf = Buffer.alloc(0)
    const p = this.pending
    this.pending = null
    p?.reject(e)
  }

  private onData(chunk: Uint8Array) {
    // copied: the socket may reuse the chunk's memory once this callback returns
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : Buffer.from(chunk)
    const end = this.buf.indexOf(CRLFCRLF)
    if (end < 0 || !this.pending) return
    const head = this.buf.toString("latin1", 0, end)
    const status = Number(head.slice(9, 12))
    const lower = head.toLowerCase()
    const cl = /\r\ncontent-length: *(\d+)/.exec(lower)
    let body: Uint8Array
    let used: number
    if (cl) {
      const len = Number(cl[1])
      if (this.buf.length < end + 4 + len) return
      body = this.buf.subarray(end + 4, end + 4 + len)
      used = end + 4 + len
    } else if (lower.includes('\r\ntransfer-encoding: chunked')) {
      const parts: Uint8Array[] = []
      let at = end + 4
      for (;;) {
        const eol = this.buf.indexOf('\r\n', at)
        if (eol < 0) return
        const size = parseInt(this.buf.toString("latin1", at, eol), 16)
        if (this.buf.length < eol + 2 + size + 2) return
        if (size === 0) {
          used = eol + 4
          break
        }
        parts.push(this.buf.subarray(eol + 2, eol + 2 + size))
        at = eol + 2 + size + 2
      }
      body = Buffer.concat(parts)
    } else {
      body = new Uint8Array(0) // 204, 304 and the like
      used = end + 4
    }
    const answer = { status, body }
    this.buf = used === this.buf.length ? Buffer.alloc(0) : this.buf.subarray(used)
    const p = this.pending
    this.pending = null
    p.resolve(answer)
  }

  async request(method: string, path: string, headers: string, body?: string | Uint8Array): Promise<RawAnswer> {
    if (this.pending) throw new Error('raw http: one request at a time per connection')
    await this.open()
    const len = body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength
    const head = `${method} ${path} HTTP/1.1\r\nhost: ${this.host}:${this.port}\r\n${headers}${body !== undefined ? `content-length: ${len}\r\n` : ''}\r\n`
    return new Promise<RawAnswer>((resolve, reject) => {
      this.pending = { resolve, reject }
      const s = this.sock!
      if (body === undefined) s.write(head)
      else if (typeof body === 'string') s.write(head + body)
      else s.write(Buffer.concat([Buffer.from(head), body]))
    })
  }

  close() {
    this.closed = true
    this.sock?.end()
    this.sock = null
  }

  get isClosed() {
    return this.closed
  }
}

/** Headers as the wire text a RawHttpConn request takes ("k: v\r\n" each). */
export function headerText(h: Record<string, string>): string {
  let s = ''
  for (const [k, v] of Object.entries(h)) s += `${k}: ${v}\r\n`
  return s
}

/**
 * Idle connections per origin: a caller takes one, makes one request, gives it back. Open loop
 * needs as many as requests in flight; a closed loop keeps one per client.
 */
export class RawHttpPool {
  private idle = new Map<string, RawHttpConn[]>()
  private all: RawHttpConn[] = []

  async request(baseUrl: string, method: string, path: string, headers: string, body?: string | Uint8Array): Promise<RawAnswer> {
    let list = this.idle.get(baseUrl)
    if (!list) this.idle.set(baseUrl, (list = []))
    let c = list.pop()
    if (!c) {
      const u = new URL(baseUrl)
      c = new RawHttpConn(u.hostname, Number(u.port || 80))
      this.all.push(c)
    }
    try {
      const a = await c.request(method, path, headers, body)
      list.push(c)
      return a
    } catch (e) {
      c.close() // a broken connection is not reused
      throw e
    }
  }

  closeAll() {
    for (const c of this.all) c.close()
    this.all = []
    this.idle.clear()
  }
}
