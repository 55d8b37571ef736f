// `chatapi bench` from the compiled binary, copied alone into a temp dir with PATH pointing only at
// that dir (no bun, no bench/ beside it): the load processes must be the binary itself. Tiny sizes,
// about a second per phase; no timing is asserted. Skip locally with CHATAPI_SKIP_BINARY=1.
// Builds dist/chatapi only when it is older than its inputs (test/support/binary.ts, shared with
// test/binary.test.ts, so a run of both builds at most once).

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DIST, ensureBinary } from './support/binary'
import { spawnServer, type ServerProcess } from './support/process'

const MASTER = 'bench-cli-master-key'
const skip = process.env.CHATAPI_SKIP_BINARY === '1'

let dir: string
let bin: string

/** Runs the binary with a bounded wait (a hang fails the test instead of holding the suite). */
async function runBin(args: string[], limitMs = 45_000) {
  const p = Bun.spawn([bin, ...args], { cwd: dir, env: { PATH: dir, HOME: dir }, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' })
  const [stdout, stderr] = [new Response(p.stdout).text(), new Response(p.stderr).text()]
  const killer = setTimeout(() => p.kill('SIGKILL'), limitMs)
  const code = await p.exited
  clearTimeout(killer)
  return { code, killed: p.signalCode === 'SIGKILL', stdout: await stdout, stderr: await stderr }
}

const scenarioLine = (stdout: string, name: string) => {
  const line = stdout.split('\n').find((l) => l.startsWith('{"scenario"'))
  expect(line).toBeDefined()
  const r = JSON.parse(line!)
  expect(r.scenario).toBe(name)
  return r
}

describe.skipIf(skip)('chatapi bench (compiled binary)', () => {
  let server: ServerProcess

  beforeAll(async () => {
    ensureBinary()
    dir = mkdtempSync(join(tmpdir(), 'chatapi-bench-cli-'))
    bin = join(dir, 'chatapi')
    copyFileSync(DIST, bin)
    // The deployment under test: this binary's `serve`, limits raised so the load is not throttled.
    server = await spawnServer(
      {
        PATH: dir,
        HOME: dir,
        DATABASE_URL: join(dir, 'server.db'),
        BACKUP_DIR: join(dir, 'backups'),
        MASTER_API_KEY: MASTER,
        DEFAULT_RATE_LIMIT: '1000000',
        WS_MSG_RATE: '1000000',
      },
      [bin, 'serve'],
    )
  }, 120_000)

  afterAll(async () => {
    if (server && server.proc.exitCode === null) {
      server.proc.kill('SIGTERM')
      await Promise.race([server.exited, Bun.sleep(15_000)])
      if (server.proc.exitCode === null) server.proc.kill('SIGKILL')
    }
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  test('ws-rooms against a running server: exit 0, one JSON line with throughput > 0 and no errors', async () => {
    const r = await runBin(['bench', 'ws-rooms', `--url=${server.url}`, `--master-key=${MASTER}`, '--secs=1', '--warmup=0.5', '--rooms=4', '--members=3', '--rate=50', '--gate=0', '--json'])
    expect(r.killed).toBe(false)
    if (r.code !== 0) console.error(r.stderr)
    expect(r.code).toBe(0)
    const rec = scenarioLine(r.stdout, 'ws-rooms')
    expect(rec).toMatchObject({ target: server.url, unit: 'persisted msg/s', errors: 0, server_rss: 'n/a' })
    expect(rec.throughput).toBeGreaterThan(0)
    expect(rec.command).toStartWith('chatapi bench ws-rooms ')
    expect(rec.command).not.toContain(MASTER)
    expect(rec.phases.map((p: { phase: string }) => p.phase)).toEqual(['max', 'at-50'])
    expect(rec.phases[0].connections).toBe(4 * 3)
  }, 60_000)

  test('scenarios that need their own server environment are skipped with a line saying so', async () => {
    // Skipped before any set-up: only the tenant is created.
    const r = await runBin(['bench', 'ws-rooms-baseline', `--url=${server.url}`, `--master-key=${MASTER}`, '--gate=0', '--json'])
    expect(r.code).toBe(0)
    expect(r.stderr).toContain('skip ws-rooms-baseline: it needs its own server environment ({"GROUP_COMMIT_MAX_BATCH":"1"})')
    expect(r.stdout).not.toContain('{"scenario"')
  }, 30_000)

  test('without --url it spawns its own `serve` on a temporary database', async () => {
    const r = await runBin(['bench', 'rest-hot', '--secs=1', '--warmup=0', '--concurrency=2', '--gate=0', '--json'])
    if (r.code !== 0) console.error(r.stderr)
    expect(r.code).toBe(0)
    const rec = scenarioLine(r.stdout, 'rest-hot')
    expect(rec.target).toBe(`spawned ${bin} serve`)
    expect(rec).toMatchObject({ unit: 'msg/s', errors: 0 })
    expect(rec.throughput).toBeGreaterThan(0)
    expect(rec.server_rss_before_bytes).toBeGreaterThan(0)
  }, 60_000)

  test('nothing listening at --url: a one-line reason and exit 1, not a hang', async () => {
    const l = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
    const port = l.port
    l.stop(true)
    const r = await runBin(['bench', 'ws-rooms', `--url=http://127.0.0.1:${port}`, `--master-key=${MASTER}`, '--secs=1', '--gate=0'], 30_000)
    expect(r.killed).toBe(false)
    expect(r.code).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(new RegExp(`^chatapi: cannot reach http://127\\.0\\.0\\.1:${port} \\(GET /health\\): [^\\n]+\\n$`))
  }, 40_000)

  test('bad flags exit 2 with a one-line message; --help prints the usage', async () => {
    const bogus = await runBin(['bench', '--bogus'])
    expect(bogus).toMatchObject({ code: 2, stdout: '', stderr: 'chatapi: unknown flag --bogus (see chatapi bench --help)\n' })
    const cases: [string[], string][] = [
      [['--secs=abc'], 'chatapi: --secs: expected a number > 0, got "abc"\n'],
      [['nope'], 'chatapi: unknown scenario "nope"; '],
      [['--url=http://127.0.0.1:1'], 'chatapi: --url needs --master-key=… or --api-key=…\n'],
      [['--url=https://example.com', '--api-key=k'], 'chatapi: --url: expected http://host:port'],
      [['--master-key=k'], 'chatapi: --api-key and --master-key go with --url\n'],
      [['--profile=/tmp/p'], 'chatapi: --profile needs bun run bench from a checkout\n'],
    ]
    for (const [args, msg] of cases) {
      const r = await runBin(['bench', ...args])
      expect({ args, code: r.code }).toEqual({ args, code: 2 })
      expect(r.stderr).toStartWith(msg)
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1)
    }
    const h = await runBin(['bench', '--help'])
    expect(h.code).toBe(0)
    expect(h.stdout).toStartWith('usage: chatapi bench [scenario[,scenario…]|all] [flags]\n')
    expect(h.stdout).toContain('ws-rooms')
    expect(h.stdout).not.toContain('--server-entry')
    // the main help names the subcommand; the internal load command is not advertised
    const main = await runBin(['--help'])
    expect(main.stdout).toContain('chatapi bench')
    expect(main.stdout).not.toContain('__bench-load')
  }, 30_000)
})
