// The SDK as its users get it: built (sdk/scripts/build.ts) and packed with npm, installed from the
// tarball into a fresh project with `npm install --offline` (the package has no dependencies, so no
// registry is needed), then
// - type-checked there by tsc as a consumer would (node16 and bundler resolution, strict, skipLibCheck off);
// - run by `node` against a real server: REST with an API key, realtime over WebSocket with a token;
// - bundled for a browser page (bun build --target browser) that, in headless Chromium, receives a
//   message over WebSocket and sends one.
// Everything happens in a temp dir (removed afterwards); the repository's sdk/dist is not touched.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { guardNetwork, hasChromium, launch, pageProblems, SKIP_REASON } from '../e2e/browser'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'

const ROOT = join(import.meta.dir, '..', '..')
const FIXTURES = join(import.meta.dir, 'package-app')
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
const hasNode = Bun.which('node') !== null && Bun.which('npm') !== null
if (!hasNode) console.warn('[sdk package] skipped: node and npm are needed to pack, install and run the package')
const nodeMajor = hasNode ? Number(Bun.spawnSync(['node', '--version']).stdout.toString().match(/^v(\d+)/)?.[1]) : 0
/** Node.js 22 has a global WebSocket; Node.js 20 has it behind a flag. */
const NODE_WS_FLAG = nodeMajor < 22 ? ['--experimental-websocket'] : []

let tmp: string
let app: string
let tarball: string
let s: TestServer
let t: TestTenant
/** The parent app's web server: serves the test page and its bundle from app/web (another origin). */
let web: ReturnType<typeof Bun.serve>

async function run(cmd: string[], cwd: string, timeoutMs = 30_000): Promise<string> {
  const proc = Bun.spawn(cmd, {
    cwd,
    stdout: 'pipe',
    stderr: 'pipe',
    env: { ...process.env, npm_config_update_notifier: 'false', npm_config_cache: join(tmp, 'npm-cache') },
  })
  const timer = setTimeout(() => proc.kill(), timeoutMs)
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  clearTimeout(timer)
  if (code !== 0) throw new Error(`${cmd.join(' ')} exited ${code}${proc.signalCode ? ` (${proc.signalCode}, ${timeoutMs} ms)` : ''}\n${out}\n${err}`)
  return out
}

async function tokenFor(user: string): Promise<string> {
  const r = await t.as('backend')('POST', '/v1/tokens', { body: { user_id: user, ttl_s: 600 } })
  expect(r.status).toBe(201)
  return r.body.token
}

beforeAll(async () => {
  if (!hasNode) return
  tmp = mkdtempSync(join(tmpdir(), 'chatapi-sdk-pkg-'))
  // The package directory as `npm pack` in sdk/ sees it after its prepack build.
  const pkg = join(tmp, 'package')
  mkdirSync(pkg)
  cpSync(join(ROOT, 'sdk', 'package.json'), join(pkg, 'package.json'))
  cpSync(join(ROOT, 'sdk', 'README.md'), join(pkg, 'README.md'))
  await run([process.execPath, join(ROOT, 'sdk', 'scripts', 'build.ts'), '--outdir', join(pkg, 'dist')], ROOT, 60_000)
  const packed = JSON.parse(await run(['npm', 'pack', '--json', '--ignore-scripts', '--pack-destination', tmp], pkg))
  tarball = join(tmp, packed[0].filename)

  app = join(tmp, 'app')
  mkdirSync(app)
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'sdk-consumer', private: true, type: 'module' }))
  for (const f of readdirSync(FIXTURES)) cpSync(join(FIXTURES, f), join(app, f))
  await run(['npm', 'install', '--offline', '--no-audit', '--no-fund', tarball], app)

  mkdirSync(join(app, 'web'))
  cpSync(join(FIXTURES, 'index.html'), join(app, 'web', 'index.html'))
  web = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(req) {
      const name = new URL(req.url).pathname.slice(1)
      const file = Bun.file(join(app, 'web', name))
      return /^[a-z]+\.(html|js)$/.test(name) && (await file.exists()) ? new Response(file) : new Response('not found', { status: 404 })
    },
  })
  s = await startTestServer({ CORS_ORIGINS: web.url.origin })
  t = await s.newTenant()
}, 90_000)

afterAll(async () => {
  await web?.stop(true)
  await s?.stop()
  if (tmp) rmSync(tmp, { recursive: true, force: true })
})

test.skipIf(!hasNode)('the tarball holds the built package and nothing of the server', async () => {
  const files = (await run(['tar', '-tzf', tarball], tmp)).trim().split('\n').sort()
  expect(files).toContain('package/dist/index.js')
  expect(files).toContain('package/dist/index.d.ts')
  expect(files).toContain('package/dist/types.d.ts')
  expect(files.filter((f) => !/^package\/(package\.json|README\.md|dist\/[a-z-]+\.(js|js\.map|d\.ts))$/.test(f))).toEqual([])
  const installed = join(app, 'node_modules', '@chatapi', 'client')
  const manifest = await Bun.file(join(installed, 'package.json')).json()
  expect(manifest.exports['.']).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' })
  expect(manifest.engines.node).toBe('>=20')
  expect(manifest.dependencies ?? {}).toEqual({})
  for (const f of readdirSync(join(installed, 'dist')).filter((f) => f.endsWith('.d.ts'))) {
    const text = await Bun.file(join(installed, 'dist', f)).text()
    expect({ f, imports: [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1]).filter((p) => !p.startsWith('./')) }).toEqual({ f, imports: [] })
    expect(text).not.toMatch(/@sinclair\/typebox|elysia|\.\.\/src|reference types/)
  }
})

test.skipIf(!hasNode)('a TypeScript project type-checks against the installed declarations (node16 and bundler)', async () => {
  for (const [module, resolution] of [
    ['Node16', 'Node16'],
    ['ESNext', 'Bundler'],
  ]) {
    const compilerOptions = { strict: true, noEmit: true, skipLibCheck: false, target: 'ES2022', module, moduleResolution: resolution, lib: ['ES2022', 'DOM'], types: [] }
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['consumer.ts'] }))
    await run(['node', TSC, '-p', 'tsconfig.json'], app, 60_000)
  }
}, 90_000)

test.skipIf(!hasNode)(`Node.js ${nodeMajor}: REST and realtime from the installed package`, async () => {
  const out = await run(['node', ...NODE_WS_FLAG, 'chat.mjs', s.url, t.api_key], app)
  const r = JSON.parse(out.trim().split('\n').at(-1)!)
  expect(r).toEqual({
    node: expect.stringMatching(new RegExp(`^v${nodeMajor}\\.`)),
    user: 'bob',
    sent: 1,
    received: { room_id: true, seq: 1, content: 'hello, node' },
    reply: 2,
    history: ['alice: hello, node', 'bob: hello back, over the WebSocket'],
    error: { isChatApiError: true, code: 'NOT_FOUND', status: 404 },
  })
})

test.skipIf(!hasNode || nodeMajor >= 22)('Node.js 20 without a WebSocket: connect() says what to pass instead of retrying forever', async () => {
  const out = await run(['node', 'no-websocket.mjs', s.url, await tokenFor('carol')], app, 15_000)
  const r = JSON.parse(out.trim().split('\n').at(-1)!)
  expect(r).toMatchObject({ globalWebSocket: 'undefined', name: 'ChatClientError', code: 'NETWORK_ERROR' })
  expect(r.message).toContain('--experimental-websocket')
  expect(r.message).toContain('the ws package')
})

test.skipIf(!hasNode || !hasChromium)('a browser bundle of the installed package receives a message over WebSocket', async () => {
  const built = await Bun.build({ entrypoints: [join(app, 'page.mjs')], outdir: join(app, 'web'), target: 'browser', format: 'esm', naming: 'page.js' })
  expect(built.success).toBe(true)
  // Resolved from node_modules/@chatapi/client (the installed tarball), not from the repository.
  expect(await Bun.file(join(app, 'web', 'page.js')).text()).toContain('class ChatClient')
  const room = await t.as('alice')('POST', '/v1/rooms', { body: { type: 'group', members: ['dave'], name: 'browser' } })
  expect(room.status).toBe(201)
  const roomId: string = room.body.room_id

  let browser: Browser | undefined
  try {
    browser = await launch()
    const context = await browser.newContext()
    const refused = await guardNetwork(context)
    const page = await context.newPage()
    const problems = pageProblems(page)
    await page.goto(`${web.url.origin}/index.html`)
    await page.waitForSelector('#state >> text=ready')
    const start = { baseUrl: s.url, token: await tokenFor('dave') }
    const started = await page.evaluate(
      (a) => (globalThis as unknown as { start(b: string, t: string): Promise<{ user: string; rooms: string[] }> }).start(a.baseUrl, a.token),
      start,
    )
    expect(started).toEqual({ user: 'dave', rooms: [roomId] })

    const sent = await t.as('alice')('POST', `/v1/rooms/${roomId}/messages`, { body: { content: 'to the browser' } })
    expect(sent.status).toBe(201)
    const got = await page.waitForFunction(() => {
      const m = (globalThis as unknown as { received: { content: string; seq: number; sender_id: string }[] }).received[0]
      return m && { content: m.content, seq: m.seq, sender_id: m.sender_id }
    })
    expect(await got.jsonValue()).toEqual({ content: 'to the browser', seq: 1, sender_id: 'alice' })
    expect(await page.textContent('#last')).toBe('alice: to the browser')

    const ack = await page.evaluate((id) => (globalThis as unknown as { send(r: string, t: string): Promise<{ seq: number }> }).send(id, 'from the browser'), roomId)
    expect(ack.seq).toBe(2)
    const history = await t.as('alice')('GET', `/v1/rooms/${roomId}/messages?after_seq=0`)
    expect(history.body.messages.map((m: { sender_id: string; content: string }) => `${m.sender_id}: ${m.content}`)).toEqual(['alice: to the browser', 'dave: from the browser'])
    await page.evaluate(() => (globalThis as unknown as { stop(): void }).stop())
    expect(problems).toEqual([])
    expect(refused).toEqual([])
  } finally {
    await browser?.close()
  }
}, 60_000)

if (!hasChromium) test.skip(`browser bundle: ${SKIP_REASON}`, () => {})
