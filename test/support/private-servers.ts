// Private Redis and PostgreSQL servers for the fault tests: each on a port of its own with its data
// in a temp directory, started and stopped by the test, so stopping one touches nothing else on the
// machine. PostgreSQL refuses to run as root: as root, initdb and pg_ctl run as the `postgres` user
// (runuser), in a directory handed to that user.

import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Subprocess } from 'bun'
import { SQL } from 'bun'

/** A port nothing listens on right now (the kernel's choice for port 0). */
export function freePort(): number {
  const probe = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
  const port = probe.port
  probe.stop(true)
  return port
}

async function waitFor(what: string, probe: () => Promise<boolean>, ms: number) {
  const deadline = Date.now() + ms
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what} did not come up within ${ms} ms`)
    await Bun.sleep(50)
  }
}

// --- Redis -------------------------------------------------------------------------------------

export const redisServerBin = Bun.which('redis-server')

export interface PrivateRedis {
  url: string
  port: number
  /** Starts (again) on the same port; resolves once it answers PING. */
  start(): Promise<void>
  /** Stops it (SIGKILL: every client connection drops at once, as in a crash); resolves once it exited. */
  stop(): Promise<void>
  running(): boolean
}

async function pingRedis(port: number): Promise<boolean> {
  const reply = await new Promise<string>((resolve, reject) => {
    let got = ''
    Bun.connect({
      hostname: '127.0.0.1',
      port,
      socket: {
        open: (s) => void s.write('PING\r\n'),
        data: (s, d) => {
          got += d.toString()
          if (got.includes('\r\n')) {
            s.end()
            resolve(got)
          }
        },
        error: (_s, e) => reject(e),
        connectError: (_s, e) => reject(e),
      },
    }).catch(reject)
    setTimeout(() => reject(new Error('no answer')), 1000)
  })
  return reply.startsWith('+PONG')
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  if (!redisServerBin) throw new Error('redis-server is not installed')
  const port = freePort()
  let proc: Subprocess | null = null
  const r: PrivateRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async start() {
      proc = Bun.spawn([redisServerBin!, '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning'], {
        stdout: 'ignore',
        stderr: 'ignore',
        stdin: 'ignore',
      })
      await waitFor(`redis-server on ${port}`, () => pingRedis(port), 10_000)
    },
    async stop() {
      const p = proc
      proc = null
      if (!p) return
      p.kill('SIGKILL')
      await p.exited
    },
    running: () => proc !== null && proc.exitCode === null,
  }
  await r.start()
  return r
}

// --- PostgreSQL --------------------------------------------------------------------------------

/** The newest /usr/lib/postgresql/<version>/bin that has initdb and pg_ctl, or null. */
export function postgresBinDir(): string | null {
  const base = '/usr/lib/postgresql'
  if (!existsSync(base)) return null
  const versions = readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'initdb')) && existsSync(join(base, v, 'bin', 'pg_ctl')))
  versions.sort((a, b) => Number(b) - Number(a))
  return versions.length ? join(base, versions[0], 'bin') : null
}

const asRoot = process.getuid?.() === 0
const runuser = Bun.which('runuser')

export interface PrivatePostgres {
  /** The admin URL (user postgres, trust, database postgres). */
  url: string
  port: number
  start(): Promise<void>
  /** `pg_ctl stop -m immediate` by default: no checkpoint, like a crash (recovery runs at the next start). */
  stop(mode?: 'immediate' | 'fast'): Promise<void>
  /** Stops it and removes its directory. */
  destroy(): Promise<void>
}

/** Whether this machine can run a private PostgreSQL (binaries present; as root, a postgres user and runuser). */
export function canRunPrivatePostgres(): boolean {
  if (!postgresBinDir()) return false
  if (!asRoot) return true
  return runuser !== null && Bun.spawnSync(['id', '-u', 'postgres'], { stdout: 'ignore', stderr: 'ignore' }).exitCode === 0
}

async function run(cmd: string[], what: string) {
  const full = asRoot ? [runuser!, '-u', 'postgres', '--', ...cmd] : cmd
  const p = Bun.spawn(full, { stdout: 'pipe', stderr: 'pipe', stdin: 'ignore', cwd: tmpdir() })
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
  if (code !== 0) throw new Error(`${what} failed (${code}): ${err || out}`)
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = postgresBinDir()
  if (!bin) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql')
  const dir = mkdtempSync(join(tmpdir(), 'chatapi-pg-'))
  if (asRoot) {
    const uid = Number(Bun.spawnSync(['id', '-u', 'postgres']).stdout.toString().trim())
    const gid = Number(Bun.spawnSync(['id', '-g', 'postgres']).stdout.toString().trim())
    chownSync(dir, uid, gid)
  }
  const data = join(dir, 'data')
  const port = freePort()
  await run([join(bin, 'initdb'), '-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8'], 'initdb')
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`
  const ready = async () => {
    const sql = new SQL(url, { max: 1, connectionTimeout: 1 })
    try {
      await sql`SELECT 1`
      return true
    } finally {
      await sql.close().catch(() => {})
    }
  }
  const pg: PrivatePostgres = {
    url,
    port,
    async start() {
      // The socket directory is the private one (not /var/run/postgresql, which the machine's own server uses).
      const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=100`
      await run([join(bin, 'pg_ctl'), '-D', data, '-o', opts, '-l', join(dir, 'log'), '-w', '-t', '30', 'start'], 'pg_ctl start')
      await waitFor(`postgres on ${port}`, ready, 15_000)
    },
    async stop(mode = 'immediate') {
      await run([join(bin, 'pg_ctl'), '-D', data, '-m', mode, '-w', '-t', '30', 'stop'], 'pg_ctl stop')
    },
    async destroy() {
      await pg.stop('fast').catch(() => {})
      rmSync(dir, { recursive: true, force: true })
    },
  }
  await pg.start()
  return pg
}
