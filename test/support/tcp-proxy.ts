// A round-robin TCP proxy on 127.0.0.1 (Bun.listen / Bun.connect), as a plain load balancer in front
// of several instances: each new client connection goes to the next target, bytes are copied both
// ways with backpressure (what a write does not take waits for `drain`, and the sending side stops
// being read meanwhile, so a client that stops reading is felt by the server as it would be without
// the proxy), and a close on either side closes the other once what it received has been passed on.

import type { Socket } from 'bun'

export interface ProxyTarget {
  hostname: string
  port: number
}

export interface TcpProxy {
  port: number
  /** Client connections handed to each target so far (by target index). */
  connections: number[]
  stop(): void
}

interface Pipe {
  /** Bytes the other side sent that this socket has not taken yet. */
  queue: Uint8Array[]
  /** The socket those bytes come from: paused while the queue is not empty. */
  peer: Socket<Pipe> | null
  /** The other side closed: end this one once its queue is written. */
  ending: boolean
}

interface ClientState extends Pipe {
  upstream: Socket<UpstreamState> | null
  /** Bytes the client sent before the upstream connection opened. */
  early: Uint8Array[]
  closed: boolean
}

interface UpstreamState extends Pipe {
  client: Socket<ClientState>
}

/**
 * Writes what fits and keeps the rest (copied: Bun reuses the chunk's memory after the callback);
 * while anything is kept, the sending side is not read.
 */
function send(sock: Socket<Pipe>, chunk: Uint8Array) {
  const pipe = sock.data
  if (pipe.queue.length > 0) pipe.queue.push(chunk.slice())
  else {
    const n = sock.write(chunk)
    if (n >= chunk.length) return
    pipe.queue.push(chunk.slice(Math.max(0, n)))
  }
  pipe.peer?.pause()
}

/** Writes the queue until the socket stops taking bytes; ends the socket when asked and empty. */
function flush(sock: Socket<Pipe>) {
  const pipe = sock.data
  while (pipe.queue.length > 0) {
    const c = pipe.queue[0]
    const n = sock.write(c)
    if (n < c.length) {
      pipe.queue[0] = c.slice(Math.max(0, n))
      return
    }
    pipe.queue.shift()
  }
  pipe.peer?.resume()
  if (pipe.ending) sock.end()
}

function endAfterFlush(sock: Socket<Pipe>) {
  sock.data.ending = true
  if (sock.data.queue.length === 0) sock.end()
}

export function startTcpProxy(targets: ProxyTarget[]): TcpProxy {
  if (targets.length === 0) throw new Error('startTcpProxy: no targets')
  let next = 0
  const connections = targets.map(() => 0)
  const clients = new Set<Socket<ClientState>>()
  const server = Bun.listen<ClientState>({
    hostname: '127.0.0.1',
    port: 0,
    socket: {
      open(client) {
        client.data = { upstream: null, early: [], queue: [], peer: null, ending: false, closed: false }
        clients.add(client)
        const i = next++ % targets.length
        connections[i]++
        Bun.connect<UpstreamState>({
          ...targets[i],
          data: { client, queue: [], peer: client as unknown as Socket<Pipe>, ending: false },
          socket: {
            open(up) {
              if (client.data.closed) return void up.end()
              client.data.upstream = up
              client.data.peer = up as unknown as Socket<Pipe>
              for (const c of client.data.early) send(up, c)
              client.data.early = []
            },
            data(up, chunk) {
              send(up.data.client, chunk)
            },
            drain(up) {
              flush(up)
            },
            close(up) {
              endAfterFlush(up.data.client)
            },
            error(up) {
              endAfterFlush(up.data.client)
            },
            connectError() {
              client.end()
            },
          },
        }).catch(() => client.end())
      },
      data(client, chunk) {
        const up = client.data.upstream
        if (up) send(up, chunk)
        else client.data.early.push(chunk.slice())
      },
      drain(client) {
        flush(client)
      },
      close(client) {
        client.data.closed = true
        clients.delete(client)
        if (client.data.upstream) endAfterFlush(client.data.upstream)
      },

      error(client) {
        client.data.closed = true
        client.data.upstream?.end()
      },
    },
  })
  return {
    port: server.port,
    connections,
    stop() {
      server.stop(true)
      for (const c of clients) {
        c.data.upstream?.end()
        c.end()
      }
      clients.clear()
    },
  }
}
