// The ChatAPI under test: a server this bench spawns (its own temp database, killed by pid at the
// end) or a running one given by URL. Plus the REST setup calls (tenant, rooms, seed messages).

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Subprocess } from 'bun'
import { eachLine } from './util'

const ROOT = join(import.meta.dir, '..', '..')

export interface Target {
  baseUrl: string
  host: string
  port: number
  /** Server pid when we spawned it (RSS and CPU are read from /proc), else 0. */
  pid: number
  masterKey: string | null
  apiKey: string
  stop(): Promise<void>
}

const live = new Set<Subprocess>()
/** Kills every server this process spawned (by pid); used on exit and on the hard cap. */
export function killSpawned() {
  for (const p of live) {
    try {
      p.kill('SIGKILL')
    } catch {}
  }
  live.clear()
}

/** Set by `chatapi bench`: spawn servers as `<self> serve` (the compiled binary) instead of `bun src/index.ts serve`. */
let selfCmd: string[] | null = null
export function spawnServersAs(self: string[]) {
  selfCmd = self
}

/** The command that starts a server: `<binary> serve` under `chatapi bench`, else `bun <entry> serve`. */
export function serveCommand(entry = join(ROOT, 'src/index.ts')): string[] {
  return selfCmd ? [...selfCmd, 'serve'] : ['bun', entry, 'serve']
}

/** `profileDir`: run the server under `bun --cpu-prof --cpu-prof-md` (the profile is written at its exit). */
export async function spawnTarget(env: Record<string, string>, pinCpu: string | null, profileDir: string | null = null, entry = join(ROOT, 'src/index.ts')): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'chatapi-bench-'))
  const masterKey = `mk_${crypto.randomUUID()}`
  const prof = profileDir ? ['--cpu-prof', '--cpu-prof-md', `--cpu-prof-dir=${profileDir}`] : []
  const cmd = selfCmd ? [...selfCmd, 'serve'] : ['bun', ...prof, entry, 'serve']
  const proc = Bun.spawn(pinCpu ? ['taskset', '-c', pinCpu, ...cmd] : cmd, {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      LISTEN_ADDR: '127.0.0.1:0',
      LOG_LEVEL: 'info',
      DATABASE_URL: join(dir, 'bench.db'),
      BACKUP_DIR: join(dir, 'backups'),
      UPLOAD_DIR: join(dir, 'uploads'),
      MASTER_API_KEY: masterKey,
      DEFAULT_RATE_LIMIT: '1000000',
      WS_MSG_RATE: '1000000',
      ...env,
    },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  })
  live.add(proc)
  // Keep the server's stderr tail; print it only if the server dies (its debug output stays out of the table).
  const tail: string[] = []
  void (async () => {
    for await (const chunk of proc.stderr) {
      tail.push(...new TextDecoder().decode(chunk).split('\n').filter(Boolean))
      if (tail.length > 40) tail.splice(0, tail.length - 40)
    }
  })()
  void proc.exited.then((code) => {
    if (live.has(proc) && code !== 0) console.error(`server pid ${proc.pid} exited ${code}:\n${tail.join('\n')}`)
  })
  const url = await new Promise<string>((resolve, reject) => {
    void proc.exited.then(() => rmSync(dir, { recursive: true, force: true }))
    const timer = setTimeout(() => {
      proc.kill('SIGKILL')
      reject(new Error('server did not log "listening" within 20 s'))
    }, 20_000)
    void proc.exited.then((c) => reject(new Error(`server exited ${c} before listening`)))
    // Drained to the end so the pipe never blocks the server; only the "listening" line matters.
    void eachLine(proc.stdout, (line) => {
      try {
        const rec = JSON.parse(line)
        if (rec.msg !== 'listening') return
        clearTimeout(timer)
        resolve(String(rec.url).replace(/\/$/, ''))
      } catch {}
    })
  })
  const u = new URL(url)
  const t: Target = {
    baseUrl: url,
    host: u.hostname,
    port: Number(u.port),
    pid: proc.pid,
    masterKey,
    apiKey: '',
    async stop() {
      const t0 = performance.now()
      proc.kill('SIGTERM')
      const done = await Promise.race([proc.exited.then(() => true), Bun.sleep(20_000).then(() => false)])
      if (!done) {
        live.delete(proc)
        proc.kill('SIGKILL')
        console.error(`server pid ${proc.pid} did not stop within 20 s of SIGTERM; killed. stderr tail:\n${tail.join('\n')}`)
      } else if (performance.now() - t0 > 5000) console.error(`server pid ${proc.pid} took ${Math.round(performance.now() - t0)} ms to stop`)
      await proc.exited
      live.delete(proc)
      rmSync(dir, { recursive: true, force: true })
    },
  }
  t.apiKey = await createTenant(t)
  return t
}

/**
 * A running ChatAPI. Checks first that it answers GET /health (10 s), so a wrong URL fails at once
 * with the reason instead of as errors in every scenario; then creates the bench tenant when only
 * the master key is given. Throws with a one-line message.
 */
export async function remoteTarget(url: string, apiKey: string | null, masterKey: string | null): Promise<Target> {
  const u = new URL(url)
  try {
    const res = await fetch(`${url.replace(/\/$/, '')}/health`, { signal: AbortSignal.timeout(10_000) })
    await res.arrayBuffer()
    if (res.status !== 200) console.error(`bench: ${url}/health answered ${res.status}; running anyway`)
  } catch (e) {
    throw new Error(`cannot reach ${url} (GET /health): ${(e as Error).message}`)
  }
  const t: Target = {
    baseUrl: url.replace(/\/$/, ''),
    host: u.hostname,
    port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)),
    pid: 0,
    masterKey,
    apiKey: apiKey ?? '',
    async stop() {},
  }
  if (!apiKey) {
    if (!masterKey) throw new Error('--url needs --api-key or --master-key')
    try {
      t.apiKey = await createTenant(t)
    } catch (e) {
      throw new Error(`cannot create the bench tenant with --master-key: ${(e as Error).message}`)
    }
  }
  return t
}

async function call(t: Target, method: string, path: string, body: unknown, h: Record<string, string>) {
  const res = await fetch(`${t.baseUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...h },
    body: body === undefined ? undefined : JSON.stringify(body),
    // set-up calls only (the load processes time their own requests): a server that accepts and
    // never answers fails the scenario instead of holding the bench until its global cap
    signal: AbortSignal.timeout(60_000),
  })
  const text = await res.text()
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text.slice(0, 200)}`)
  return text ? JSON.parse(text) : null
}

/** A bench tenant whose rate limit is above any offered load (falls back to the server default). */
async function createTenant(t: Target): Promise<string> {
  const h = { 'X-Master-Key': t.masterKey! }
  const name = `bench-${Date.now()}`
  try {
    return (await call(t, 'POST', '/v1/admin/tenants', { name, config: { rate_limit_per_sec: 1_000_000 } }, h)).api_key
  } catch {
    const key = (await call(t, 'POST', '/v1/admin/tenants', { name }, h)).api_key
    // A running server caps a tenant's rate at its DEFAULT_RATE_LIMIT: say so, the load may exceed it.
    console.error(`bench: ${t.baseUrl} refused rate_limit_per_sec=1000000 for the bench tenant, so it has the server's DEFAULT_RATE_LIMIT; requests and WS sends over it count as errors (429, RATE_LIMIT_EXCEEDED)`)
    return key
  }
}

export const tenantCall = (t: Target, user: string, method: string, path: string, body?: unknown) =>
  call(t, method, path, body, { 'X-API-Key': t.apiKey, 'X-User-Id': user })

/** Creates a room owned by `owner`; other members are added at creation. Returns its id. */
export async function createRoom(t: Target, owner: string, type: 'dm' | 'group' | 'channel', others: string[]): Promise<string> {
  return (await tenantCall(t, owner, 'POST', '/v1/rooms', { type, members: others })).room_id
}

/** Runs async jobs with bounded concurrency. */
export async function pool<T>(n: number, jobs: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = new Array(jobs.length)
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(n, jobs.length) }, async () => {
      while (next < jobs.length) {
        const i = next++
        out[i] = await jobs[i]()
      }
    }),
  )
  return out
}

/** Seeds `n` messages into a room through the API (concurrent, so they ride the group commit). */
export async function seedMessages(t: Target, roomId: string, user: string, n: number, contentLen = 140) {
  const content = 'h'.repeat(contentLen)
  await pool(
    32,
    Array.from({ length: n }, () => () => tenantCall(t, user, 'POST', `/v1/rooms/${roomId}/messages`, { content })),
  )
}

/** Group-commit figures from GET /metrics (null when the server does not expose them). */
export async function commitStats(t: Target): Promise<Record<string, unknown> | null> {
  try {
    const text = await (await fetch(`${t.baseUrl}/metrics`, { signal: AbortSignal.timeout(10_000) })).text()
    const v = (name: string) => Number(new RegExp(`^${name}(?:\\{\\})? ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? NaN)
    const commits = v('chatapi_db_write_seconds_count')
    if (!Number.isFinite(commits)) return null
    // commit-time distribution from the histogram buckets: le → share of commits at or under it
    const dist: Record<string, number> = {}
    for (const m of text.matchAll(/^chatapi_db_write_seconds_bucket\{le="([^"]+)"\} (\d+)$/gm)) dist[m[1]] = Math.round((Number(m[2]) / commits) * 1000) / 1000
    return {
      commits,
      commit_seconds_le: dist as unknown as number,
      messages: v('chatapi_group_commit_batch_size_sum'),
      mean_batch: Math.round((v('chatapi_group_commit_batch_size_sum') / commits) * 10) / 10,
      mean_commit_ms: Math.round((v('chatapi_db_write_seconds_sum') / commits) * 1e6) / 1e3,
    }
  } catch {
    return null
  }
}
