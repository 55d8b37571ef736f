// The compiled binary, copied alone into a temp dir (no node_modules, no sources): serve, REST, CLI,
// embedded Swagger assets, SIGTERM → exit 0. Skip locally with CHATAPI_SKIP_BINARY=1; .ci/run never sets it.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DIST, ensureBinary } from './support/binary'
import pkg from '../package.json'
import { call } from './support/http'
import { WsClient } from './support/ws'

const MASTER = 'binary-test-master-key'
const skip = process.env.CHATAPI_SKIP_BINARY === '1'

let dir: string
let bin: string
let dbPath: string
const baseEnv = () => ({ PATH: '/usr/bin:/bin', HOME: dir, LOG_LEVEL: 'info' })

function runBin(args: string[], env: Record<string, string> = {}) {
  const r = Bun.spawnSync([bin, ...args], { cwd: dir, env: { ...baseEnv(), ...env }, stdout: 'pipe', stderr: 'pipe', timeout: 15_000 })
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() }
}

describe.skipIf(skip)('compiled binary', () => {
  let proc: Bun.Subprocess<'ignore', 'pipe', 'pipe'>
  let base: string
  let logs = ''
  let stderr = ''
  const startMs = { value: 0 }
  let openSocket: WsClient | undefined

  beforeAll(async () => {
    ensureBinary()
    dir = mkdtempSync(join(tmpdir(), 'chatapi-binary-'))
    bin = join(dir, 'chatapi')
    copyFileSync(DIST, bin)
    dbPath = join(dir, 'data', 'chatapi.db')
    // Poison files: the binary is built with autoloadDotenv/autoloadBunfig off, so neither may be read.
    writeFileSync(join(dir, '.env'), 'LISTEN_ADDR=nope\nSQLITE_SYNCHRONOUS=OFF\n')
    writeFileSync(join(dir, 'bunfig.toml'), 'preload = ["./boom.ts"]\n')
    writeFileSync(join(dir, 'boom.ts'), 'throw new Error("bunfig.toml was autoloaded")\n')

    const t0 = performance.now()
    proc = Bun.spawn([bin, 'serve'], {
      cwd: dir,
      env: { ...baseEnv(), LISTEN_ADDR: '127.0.0.1:0', DATABASE_URL: dbPath, MASTER_API_KEY: MASTER, BACKUP_DIR: join(dir, 'backups'), DEMO_ENABLED: '1' },
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
    })
    void new Response(proc.stderr).text().then((t) => (stderr = t))
    // Keep draining stdout (a full pipe would block the server) and resolve on the "listening" line.
    const listening = new Promise<string>((resolve, reject) => {
      const decoder = new TextDecoder()
      ;(async () => {
        for await (const chunk of proc.stdout) {
          logs += decoder.decode(chunk, { stream: true })
          for (const line of logs.split('\n')) {
            if (!line.startsWith('{')) continue
            const rec = JSON.parse(line)
            if (rec.msg === 'listening') resolve(rec.url)
          }
        }
        reject(new Error(`binary exited before listening (code ${await proc.exited}):\n${logs}\n${stderr}`))
      })().catch(reject)
    })
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`no "listening" log line within 15 s:\n${logs}\n${stderr}`)), 15_000),
    )
    base = new URL(await Promise.race([listening, timeout])).origin
    startMs.value = performance.now() - t0
  }, 120_000)

  afterAll(() => {
    if (proc && proc.exitCode === null) proc.kill('SIGKILL')
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  test('it runs alone: /health 200 on the logged port, same version as `chatapi version`', async () => {
    expect(readdirSync(dir).sort()).toEqual(['.env', 'boom.ts', 'bunfig.toml', 'chatapi', 'data'])
    expect(startMs.value).toBeLessThan(10_000)
    // Workers (file database → started) must reach `running`. A Worker file the build cannot find
    // only fails at runtime, as restarts and a last_error here (and a 503).
    type W = { state: string; restarts: number; last_error: unknown }
    let h = await call(base, 'GET', '/health')
    for (let i = 0; i < 50 && !Object.values(h.body.workers as Record<string, W>).every((w) => w.state === 'running'); i++) {
      await Bun.sleep(100)
      h = await call(base, 'GET', '/health')
    }
    expect(h.status).toBe(200)
    expect(h.body).toMatchObject({ status: 'ok', db: { writable: true } })
    expect(Object.keys(h.body.workers).length).toBeGreaterThan(0)
    for (const [name, w] of Object.entries(h.body.workers as Record<string, W>))
      expect({ name, state: w.state, restarts: w.restarts, last_error: w.last_error }).toEqual({
        name,
        state: 'running',
        restarts: 0,
        last_error: null,
      })
    const v = runBin(['version'])
    expect(v.code).toBe(0)
    expect(v.stdout).toBe(`${pkg.version}\n`)
    expect(h.body.version).toBe(pkg.version)
  })

  test('Swagger UI and its assets are embedded (no CDN, no node_modules)', async () => {
    const ui = await fetch(`${base}/swagger`)
    expect(ui.status).toBe(200)
    expect(ui.headers.get('content-type')).toContain('text/html')
    const html = await ui.text()
    expect(html).toContain('/swagger/assets/swagger-ui-bundle.js')
    const js = await fetch(`${base}/swagger/assets/swagger-ui-bundle.js`)
    expect(js.status).toBe(200)
    expect((await js.arrayBuffer()).byteLength).toBeGreaterThan(1_000_000)
    const css = await fetch(`${base}/swagger/assets/swagger-ui.css`)
    expect(css.status).toBe(200)
    const spec = await call(base, 'GET', '/swagger/json')
    expect(spec.status).toBe(200)
    expect(spec.body.info.version).toBe(pkg.version)
  })

  test('the admin console is embedded: its page, script (built at compile time, with uPlot) and stylesheet; its stats answer', async () => {
    const page = await fetch(`${base}/admin`)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'")
    expect(await page.text()).toContain('<script type="module" src="/admin/app.js"></script>')
    const js = await fetch(`${base}/admin/app.js`)
    expect(js.status).toBe(200)
    const code = await js.text()
    expect(code.length).toBeGreaterThan(50_000)
    expect(code).toContain('/v1/admin/stats')
    expect(code).toContain('u-legend') // uPlot
    expect(code).toContain('/v1/admin/audit') // the audit-log view
    const css = await fetch(`${base}/admin/app.css`)
    expect(css.status).toBe(200)
    expect(await css.text()).toContain('.uplot')
    const stats = await call(base, 'GET', '/v1/admin/stats?window=1h', { headers: { 'x-master-key': MASTER } })
    expect(stats.status).toBe(200)
    expect(stats.body.step_s).toBe(60)
    expect(stats.body.series.http_requests).toHaveLength(60)
  })

  test('the demo page is embedded: its page and script (built at compile time, with the SDK) and stylesheet', async () => {
    const page = await fetch(`${base}/demo`)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('<script type="module" src="/demo/app.js"></script>')
    const js = await fetch(`${base}/demo/app.js`)
    expect(js.status).toBe(200)
    const code = await js.text()
    expect(code.length).toBeGreaterThan(5000)
    expect(code).toContain('/v1/rooms') // the SDK
    expect(code).toContain('createElement') // the page's DOM helpers (src/browser/dom.ts)
    expect((await fetch(`${base}/demo/app.css`)).status).toBe(200)
  })

  test('admin creates a tenant; a message goes in over REST and comes back over REST and WebSocket', async () => {
    const t = await call(base, 'POST', '/v1/admin/tenants', { headers: { 'x-master-key': MASTER }, body: { name: 'bin' } })
    expect(t.status).toBe(201)
    const as = (user: string) => ({ 'x-api-key': t.body.api_key, 'x-user-id': user })
    const room = await call(base, 'POST', '/v1/rooms', { headers: as('alice'), body: { type: 'group', name: 'g', members: ['bob'] } })
    expect(room.status).toBe(201)
    const path = `/v1/rooms/${room.body.room_id}/messages`
    const sent = await call(base, 'POST', path, { headers: as('alice'), body: { content: 'hello from the binary' } })
    expect(sent.status).toBe(201)
    expect(sent.body.seq).toBe(1)
    const read = await call(base, 'GET', path, { headers: as('bob') })
    expect(read.status).toBe(200)
    expect(read.body.messages.map((m: { content: string }) => m.content)).toEqual(['hello from the binary'])

    // WebSocket: connected (same epoch as /health), then a REST send arrives live.
    const ws = await WsClient.connect(`${base.replace(/^http/, 'ws')}/ws`, as('bob'))
    const connected = await ws.next('connected', 5000)
    expect(connected.epoch).toBe((await call(base, 'GET', '/health')).body.epoch)
    await call(base, 'POST', path, { headers: as('alice'), body: { content: 'live' } })
    expect(await ws.next('message', 5000, (f) => f.content === 'live')).toMatchObject({ room_id: room.body.room_id, seq: 2 })
    openSocket = ws // left open on purpose: SIGTERM must still exit 0
  })

  test('user tokens (jose) inside the binary: minted by the CLI and by POST /v1/tokens, accepted over REST and WebSocket, revoked by rotation', async () => {
    const t = await call(base, 'POST', '/v1/admin/tenants', { headers: { 'x-master-key': MASTER }, body: { name: 'tokens' } })
    expect(t.status).toBe(201)
    const cli = runBin(['token', 'create', '--tenant', t.body.tenant_id, '--user', 'alice', '--ttl-s', '600'], { DATABASE_URL: dbPath })
    expect(cli.stderr).toBe('')
    expect(cli.code).toBe(0)
    const minted = await call(base, 'POST', '/v1/tokens', { headers: { 'x-api-key': t.body.api_key, 'x-user-id': 'backend' }, body: { user_id: 'bob' } })
    expect(minted.status).toBe(201)
    const sockets: WsClient[] = []
    for (const [token, user] of [[cli.stdout.trim(), 'alice'], [minted.body.token, 'bob']]) {
      expect((await call(base, 'GET', '/v1/rooms', { headers: { authorization: `Bearer ${token}` } })).status).toBe(200)
      const ws = await WsClient.connect(`${base.replace(/^http/, 'ws')}/ws?token=${token}`)
      expect((await ws.next('connected', 5000)).user_id).toBe(user)
      sockets.push(ws)
    }
    const rot = await call(base, 'POST', `/v1/admin/tenants/${t.body.tenant_id}/rotate-key`, { headers: { 'x-master-key': MASTER }, body: { which: 'user_token_secret' } })
    expect(rot.status).toBe(200)
    for (const ws of sockets) expect(await ws.closed()).toEqual({ code: 1008, reason: 'user token secret rotated' })
    expect((await call(base, 'GET', '/v1/rooms', { headers: { authorization: `Bearer ${minted.body.token}` } })).status).toBe(401)
  })

  test('`chatapi healthcheck` reaches the running server', () => {
    const r = runBin(['healthcheck'], { LISTEN_ADDR: `0.0.0.0:${new URL(base).port}` })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
  })

  test('`chatapi migrate` and `chatapi tenant create` work on another database', () => {
    const other = join(dir, 'cli.db')
    const m1 = runBin(['migrate'], { DATABASE_URL: other })
    expect(m1.stderr).toBe('')
    expect(m1.code).toBe(0)
    expect(JSON.parse(m1.stdout).applied.length).toBeGreaterThan(0)
    const m2 = runBin(['migrate'], { DATABASE_URL: other })
    expect(JSON.parse(m2.stdout).applied).toEqual([])
    const t = runBin(['tenant', 'create', '--name', 'x'], { DATABASE_URL: other })
    expect(t.code).toBe(0)
    expect(JSON.parse(t.stdout).api_key).toMatch(/^sk_/)
    const bad = runBin(['serve'], { LISTEN_ADDR: 'nope' })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toBe('chatapi: LISTEN_ADDR: expected host:port, got "nope"\n')
  })

  test('`chatapi backup` copies the live database', () => {
    const file = join(dir, 'backup.db')
    const r = runBin(['backup', file], { DATABASE_URL: dbPath })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ path: file })
    expect(JSON.parse(runBin(['migrate'], { DATABASE_URL: file }).stdout).applied).toEqual([])
  })

  test('POST /v1/admin/backup runs its short-lived Worker inside the binary', async () => {
    const r = await call(base, 'POST', '/v1/admin/backup', { headers: { 'x-master-key': MASTER } })
    expect(r.status).toBe(201)
    expect(r.body.path).toStartWith(join(dir, 'backups'))
    expect(r.body.bytes).toBeGreaterThan(0)
    expect(JSON.parse(runBin(['migrate'], { DATABASE_URL: r.body.path }).stdout).applied).toEqual([])
  })

  test('SIGTERM drains and exits 0', async () => {
    proc.kill('SIGTERM')
    const code = await Promise.race([proc.exited, Bun.sleep(15_000).then(() => 'timeout')])
    expect(code).toBe(0)
    expect(logs).toContain('"msg":"stopped"')
    if (openSocket) expect((await openSocket.closed()).code).toBeGreaterThan(0)
    expect(stderr).toBe('')
  })
})
