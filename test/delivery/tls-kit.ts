// Test-time TLS: a throwaway CA and leaf certificates made with openssl, and an HTTPS receiver
// (node:https, which reports the SNI the client sent) that records every request.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface TestPki {
  dir: string
  caPath: string
  ca: string
  /** A leaf signed by the CA for the given subjectAltName (e.g. `DNS:hook.test`, `IP:127.0.0.1`). */
  leaf(san: string): { key: string; cert: string }
  remove(): void
}

function openssl(dir: string, args: string[]) {
  const r = Bun.spawnSync(['openssl', ...args], { cwd: dir, stdout: 'pipe', stderr: 'pipe' })
  if (r.exitCode !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr.toString()}`)
}

export function makePki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'chatapi-pki-'))
  openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=ChatAPI test CA'])
  let n = 0
  return {
    dir,
    caPath: join(dir, 'ca.pem'),
    ca: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    leaf(san) {
      const id = `leaf${n++}`
      writeFileSync(join(dir, `${id}.ext`), `subjectAltName=${san}\n`)
      openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${id}.key`, '-out', `${id}.csr`, '-subj', `/CN=${id}`])
      openssl(dir, ['x509', '-req', '-in', `${id}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${id}.pem`, '-days', '2', '-extfile', `${id}.ext`])
      return { key: readFileSync(join(dir, `${id}.key`), 'utf8'), cert: readFileSync(join(dir, `${id}.pem`), 'utf8') }
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  }
}

export interface TlsHit {
  /** The SNI server name the client sent (false when none). */
  sni: string | false
  host: string | undefined
  path: string
  /** The local address the connection arrived on. */
  local: string | undefined
  headers: Headers
  body: string
  at: number
}

/** An HTTPS server on 127.0.0.1:0 with the given certificate; answers 200 and records each request. */
export async function tlsReceiver(leaf: { key: string; cert: string }) {
  const hits: TlsHit[] = []
  const waiters: (() => void)[] = []
  const server: Server = createServer(leaf, (req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      const headers = new Headers()
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v)
      hits.push({ sni: (req.socket as { servername?: string | false }).servername ?? false, host: req.headers.host, path: req.url ?? '', local: req.socket.localAddress, headers, body, at: Date.now() })
      res.end('ok')
      for (const w of waiters.splice(0)) w()
    })
  })
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  const port = (server.address() as { port: number }).port
  return {
    port,
    hits,
    /** Resolves once there are `n` hits; rejects after `ms`. */
    async waitFor(n: number, ms = 5000) {
      const deadline = Date.now() + ms
      while (hits.length < n) {
        const left = deadline - Date.now()
        if (left <= 0) throw new Error(`tls receiver: wanted ${n} hits, got ${hits.length}`)
        await new Promise<void>((ok) => {
          const t = setTimeout(ok, left)
          waiters.push(() => (clearTimeout(t), ok()))
        })
      }
      return hits
    },
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok())
        server.closeAllConnections() // the client keeps connections alive
      }),
  }
}
