// Helpers for test/docker/run.ts: running docker and docker-compose, HTTP against the container,
// and the ok/FAIL lines with their bun-like tally. Not a bun test file: it needs root and Docker.

import { closeSync, mkdirSync, openSync } from 'node:fs'
import { dirname } from 'node:path'

/** scripts/docker-test.sh names Debian's client, which matches Debian's daemon. */
export const DOCKER = process.env.CHATAPI_CI_DOCKER ?? 'docker'

export interface Ran {
  code: number
  out: string
  err: string
  ms: number
}

type RunOptions = { env?: Record<string, string>; timeoutMs?: number; logFile?: string; appendLog?: boolean; cwd?: string }

/** Runs a command to completion, killed after `timeoutMs`. With `logFile`, stdout and stderr go there instead. */
export async function run(cmd: string[], opts: RunOptions = {}): Promise<Ran> {
  const started = performance.now()
  let fd: number | null = null
  if (opts.logFile) {
    mkdirSync(dirname(opts.logFile), { recursive: true })
    fd = openSync(opts.logFile, opts.appendLog ? 'a' : 'w')
  }
  try {
    const proc = Bun.spawn(cmd, {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdin: 'ignore',
      stdout: fd ?? 'pipe',
      stderr: fd ?? 'pipe',
      timeout: opts.timeoutMs ?? 120_000,
      killSignal: 'SIGKILL',
    })
    const text = (s: unknown) => (s instanceof ReadableStream ? new Response(s).text() : Promise.resolve(''))
    const [out, err, code] = await Promise.all([text(proc.stdout), text(proc.stderr), proc.exited])
    return { code, out: out.trim(), err: err.trim(), ms: performance.now() - started }
  } finally {
    if (fd !== null) closeSync(fd)
  }
}

export const docker = (args: string[], opts?: RunOptions) => run([DOCKER, ...args], opts)

/** Like run, but throws with the command's own words when it exits non-zero. */
export async function must(cmd: string[], opts?: RunOptions): Promise<Ran> {
  const r = await run(cmd, opts)
  if (r.code !== 0) throw new Error(`\`${cmd.slice(0, 3).join(' ')} …\` exited ${r.code}: ${lastLines(r.err || r.out, 3)}`)
  return r
}

export const lastLines = (s: string, n: number) => s.split('\n').slice(-n).join(' | ')
export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`
export const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`

export interface Reply {
  status: number
  body: any
}

/** One JSON request; a network error becomes status 0 so pollers can retry it. */
export async function http(url: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<Reply> {
  try {
    const res = await fetch(url, {
      method: init.method ?? 'GET',
      headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(5000),
    })
    const text = await res.text()
    let body: unknown = text
    try {
      body = JSON.parse(text)
    } catch {}
    return { status: res.status, body }
  } catch (e) {
    return { status: 0, body: String(e) }
  }
}

/**
 * Polls `probe` every 200 ms until it returns a value, for at most `ms`. Used where nothing announces
 * the state (a port that starts answering, a worker that reaches `running`).
 */
export async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await probe()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`${what}: not within ${seconds(ms)}`)
    await Bun.sleep(200)
  }
}

/** The ok/FAIL line per check and the tally .ci/run adds to its final line. */
export class Tally {
  pass = 0
  fail = 0

  /** Runs one check; its return value is the detail printed after `ok`. Never throws. */
  async check(name: string, fn: () => Promise<string | void>): Promise<boolean> {
    try {
      const detail = await fn()
      console.log(`ok   ${name}${detail ? ` (${detail})` : ''}`)
      this.pass++
      return true
    } catch (e) {
      console.log(`FAIL ${name}: ${e instanceof Error ? e.message : String(e)}`)
      this.fail++
      return false
    }
  }

  info(line: string) {
    console.log(`info ${line}`)
  }

  /** bun test's own summary shape, which .ci/run's grep sums across runs. */
  summary() {
    console.log(` ${this.pass} pass`)
    console.log(` ${this.fail} fail`)
  }
}

export function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(message)
}
