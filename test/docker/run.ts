// The container checks of issue 23, run by scripts/docker-test.sh once Docker and the base images are
// there: builds the real Dockerfile with the classic builder, runs the image and checks what a
// deployment relies on, then the compose examples in deploy/. One ok/FAIL line per check, then a
// bun-like tally; exit 1 when a check failed. Everything it creates is named chatapi-ci* and removed
// at the end, except the images chatapi-ci:test and chatapi-ci:build, kept so the next build reuses
// their layers (each build removes the pair it replaces).
// Named run.ts (not *.test.ts) so `bun test` never picks it up: it needs root and a Docker daemon.

import { randomBytes } from 'node:crypto'
import { resolve } from 'node:path'
import pkg from '../../package.json'
import { WsClient } from '../support/ws'
import { DOCKER, Tally, assert, docker, http, lastLines, megabytes, must, run, seconds, until, type Reply } from './tools'

const ROOT = resolve(import.meta.dir, '../..')
const IMAGE = 'chatapi-ci:test'
const STAGE = 'chatapi-ci:build' // the Dockerfile's build stage: kept as the next build's cache
const FIRST = 'chatapi-ci-app'
const SECOND = 'chatapi-ci-app-2'
const SIZER = 'chatapi-ci-size'
const VOLUME = 'chatapi-ci-data'
const PROJECT = 'chatapi-ci'
const STOP_TIMEOUT_S = 30 // docs/operations.md: well above the default 10 s drain
const MASTER_KEY = randomBytes(24).toString('hex')
const BUILD_LOG = `${ROOT}/test-artifacts/docker-build.log`
const BACKUP_FILE = '/data/backups/chatapi-ci.db'

const COMPOSE_SINGLE = `${ROOT}/deploy/compose.yaml`
const COMPOSE_SCALE = `${ROOT}/deploy/compose.scale.yaml`
// Values the compose files interpolate; the scale-out file insists on its passwords being set.
const composeEnv = (port = 8080) => ({
  CHATAPI_IMAGE: IMAGE,
  CHATAPI_PORT: String(port),
  MASTER_API_KEY: MASTER_KEY,
  POSTGRES_PASSWORD: 'ci-only-not-a-secret',
})
const compose = (file: string, args: string[], port?: number) =>
  run(['docker-compose', '-p', PROJECT, '-f', file, ...args], { env: composeEnv(port), timeoutMs: 120_000 })

async function cleanup() {
  await docker(['rm', '-f', FIRST, SECOND, SIZER])
  await compose(COMPOSE_SINGLE, ['down', '-v', '--remove-orphans', '-t', String(STOP_TIMEOUT_S)])
  await docker(['volume', 'rm', VOLUME])
}

const imageId = async (ref: string) => (await docker(['image', 'inspect', '-f', '{{.Id}}', ref])).out || null

/**
 * Builds the build stage (tagged chatapi-ci:build, so the classic builder's cache survives as a named
 * image rather than a dangling one) and then the whole Dockerfile; the images these replace are
 * this test's own and are removed, so rebuilds do not pile up.
 */
async function buildImage(): Promise<string> {
  const before = [await imageId(STAGE), await imageId(IMAGE)]
  const build = (args: string[], append: boolean) =>
    run([DOCKER, 'build', '--force-rm', ...args, ROOT], { env: { DOCKER_BUILDKIT: '0' }, timeoutMs: 20 * 60_000, logFile: BUILD_LOG, appendLog: append })
  const stage = await build(['--target', 'build', '-t', STAGE], false)
  const whole = stage.code === 0 ? await build(['-t', IMAGE], true) : stage
  if (whole.code !== 0) throw new Error(`docker build exited ${whole.code}: ${lastLines(await Bun.file(BUILD_LOG).text(), 5)}`)
  const after = [await imageId(STAGE), await imageId(IMAGE)]
  for (const [i, id] of before.entries()) if (id && id !== after[i]) await docker(['rmi', id])
  return `${seconds(stage.ms + whole.ms)}, log ${BUILD_LOG.slice(ROOT.length + 1)}`
}

async function imageConfig(): Promise<string> {
  const c = JSON.parse((await must([DOCKER, 'image', 'inspect', '-f', '{{json .Config}}', IMAGE])).out)
  assert(c.User === 'chatapi:chatapi', `USER is ${JSON.stringify(c.User)}`)
  assert(JSON.stringify(c.Healthcheck?.Test) === '["CMD","/usr/local/bin/chatapi","healthcheck"]', `HEALTHCHECK is ${JSON.stringify(c.Healthcheck)}`)
  assert(c.Volumes && '/data' in c.Volumes, `volumes: ${JSON.stringify(c.Volumes)}`)
  assert(c.ExposedPorts && '8080/tcp' in c.ExposedPorts, `ports: ${JSON.stringify(c.ExposedPorts)}`)
  return 'USER chatapi, HEALTHCHECK chatapi healthcheck, VOLUME /data, EXPOSE 8080'
}

async function printSizes(t: Tally) {
  const size = Number((await docker(['image', 'inspect', '-f', '{{.Size}}', IMAGE])).out)
  const base = Number((await docker(['image', 'inspect', '-f', '{{.Size}}', 'debian:bookworm-slim'])).out)
  const bin = (await docker(['run', '--rm', '--name', SIZER, '--entrypoint', '/usr/bin/stat', IMAGE, '-c', '%s', '/usr/local/bin/chatapi'])).out
  t.info(`image ${IMAGE}: ${megabytes(size)} (base debian:bookworm-slim ${megabytes(base)}, /usr/local/bin/chatapi ${megabytes(Number(bin))}, the rest ca-certificates with openssl and the chatapi user)`)
}

type Started = { base: string; health: Reply; ms: number }

/** Starts a container on the volume, port published on loopback only; resolves with its base URL once /health is 200. */
async function startApp(name: string): Promise<Started> {
  const started = performance.now()
  await must([DOCKER, 'run', '-d', '--name', name, '-p', '127.0.0.1::8080', '-v', `${VOLUME}:/data`, '-e', `MASTER_API_KEY=${MASTER_KEY}`, IMAGE])
  const port = (await must([DOCKER, 'port', name, '8080/tcp'])).out.split('\n')[0]
  assert(/^127\.0\.0\.1:\d+$/.test(port), `published as ${port}, not on 127.0.0.1`)
  const base = `http://${port}`
  const health = await until(`${name} /health 200`, 30_000, async () => {
    const state = (await docker(['inspect', '-f', '{{.State.Status}}', name])).out
    if (state !== 'running') throw new Error(`${name} is ${state}: ${lastLines((await docker(['logs', name])).err, 3)}`)
    const h = await http(`${base}/health`)
    return h.status === 200 ? h : undefined
  })
  return { base, health, ms: performance.now() - started }
}

/** Waits for the health_status event (`healthy`/`unhealthy`) Docker emits for the container since it started. */
async function healthEvent(name: string, since: string, ms: number): Promise<string> {
  const proc = Bun.spawn([DOCKER, 'events', '--since', since, '--filter', `container=${name}`, '--filter', 'event=health_status', '--format', '{{.Status}}'], {
    stdout: 'pipe',
    stderr: 'ignore',
    timeout: ms,
    killSignal: 'SIGKILL',
  })
  try {
    let buffered = ''
    for await (const chunk of proc.stdout as unknown as AsyncIterable<Uint8Array>) {
      buffered += new TextDecoder().decode(chunk)
      const m = buffered.match(/health_status: (healthy|unhealthy)/)
      if (m) return m[1]
    }
    throw new Error(`no health_status event within ${seconds(ms)}`)
  } finally {
    proc.kill()
  }
}

interface Stored {
  apiKey: string
  roomId: string
  content: string
  epoch: string
}

async function storeMessage(base: string, epoch: string): Promise<Stored> {
  const tenant = await http(`${base}/v1/admin/tenants`, { method: 'POST', headers: { 'X-Master-Key': MASTER_KEY }, body: { name: 'chatapi-ci' } })
  assert(tenant.status === 201, `tenant create: ${tenant.status} ${JSON.stringify(tenant.body)}`)
  const apiKey = tenant.body.api_key as string
  const as = (user: string) => ({ 'X-API-Key': apiKey, 'X-User-Id': user })
  const room = await http(`${base}/v1/rooms`, { method: 'POST', headers: as('alice'), body: { type: 'group', members: ['bob'], name: 'ci' } })
  assert(room.status === 201, `room create: ${room.status} ${JSON.stringify(room.body)}`)
  const content = `kept across containers ${randomBytes(6).toString('hex')}`
  const sent = await http(`${base}/v1/rooms/${room.body.room_id}/messages`, { method: 'POST', headers: as('alice'), body: { content } })
  assert(sent.status === 201, `send: ${sent.status} ${JSON.stringify(sent.body)}`)
  return { apiKey, roomId: room.body.room_id, content, epoch }
}

/** The first container: everything observable while it runs, then its stop. */
async function firstContainer(t: Tally): Promise<Stored | null> {
  const since = String(Math.floor(Date.now() / 1000) - 1)
  const got: { app?: Started; stored?: Stored } = {}
  await t.check('container answers GET /health through the port published on 127.0.0.1', async () => {
    const app = (got.app = await startApp(FIRST))
    assert(app.health.body.status === 'ok', `status ${app.health.body.status}`)
    assert(app.health.body.version === pkg.version, `version ${app.health.body.version}, package.json ${pkg.version}`)
    return `200 ok after ${seconds(app.ms)}, ${app.base}, version ${app.health.body.version}`
  })
  const app = got.app
  if (!app) return null
  const { base } = app

  await t.check("the compiled binary's workers are running (/health workers)", async () => {
    type W = { state: string }
    const workers = await until('every worker running', 15_000, async () => {
      const w = (await http(`${base}/health`)).body?.workers as Record<string, W> | undefined
      return w && Object.keys(w).length > 0 && Object.values(w).every((x) => x.state === 'running') ? w : undefined
    })
    return Object.keys(workers).map((k) => `${k} running`).join(', ')
  })

  await t.check('the server process is the non-root user chatapi (uid/gid 10001)', async () => {
    const status = (await must([DOCKER, 'exec', FIRST, 'cat', '/proc/1/status'])).out
    const cmdline = (await must([DOCKER, 'exec', FIRST, 'cat', '/proc/1/cmdline'])).out.split('\0').filter(Boolean).join(' ')
    const ids = (field: string) => status.match(new RegExp(`^${field}:\\s+(.*)$`, 'm'))?.[1].trim().split(/\s+/)
    assert(cmdline === '/usr/local/bin/chatapi serve', `pid 1 is ${JSON.stringify(cmdline)}`)
    assert(ids('Uid')?.every((u) => u === '10001'), `Uid: ${ids('Uid')}`)
    assert(ids('Gid')?.every((g) => g === '10001'), `Gid: ${ids('Gid')}`)
    return `pid 1 ${cmdline}, Uid ${ids('Uid')?.join(' ')}`
  })

  await t.check('a tenant (master key), a room and a message are stored', async () => {
    got.stored = await storeMessage(base, app.health.body.epoch)
    return `room ${got.stored.roomId}`
  })

  await t.check('chatapi backup runs in the container (docker exec) and writes into the volume', async () => {
    const r = await must([DOCKER, 'exec', FIRST, 'chatapi', 'backup', BACKUP_FILE])
    const out = JSON.parse(r.out)
    assert(out.path === BACKUP_FILE && out.bytes > 0, `backup printed ${r.out}`)
    return `${out.bytes} bytes at ${out.path}`
  })

  await t.check("the image's HEALTHCHECK turns the container healthy", async () => {
    const started = performance.now()
    const status = await healthEvent(FIRST, since, 90_000)
    assert(status === 'healthy', `health_status: ${status}`)
    return `after ${seconds(performance.now() - started)} more; first probe at the image's 30 s interval`
  })

  await t.check(`docker stop -t ${STOP_TIMEOUT_S} ends the drain with exit code 0 and closes sockets with 1001`, async () => {
    const stored = got.stored
    assert(stored, 'no stored tenant to open a socket with')
    const ws = await WsClient.connect(`${base.replace('http', 'ws')}/ws`, { 'X-API-Key': stored.apiKey, 'X-User-Id': 'bob' })
    await ws.next('connected', 5000)
    await ws.next('sync.done', 5000, (f) => f.room_id === undefined)
    const stop = await docker(['stop', '-t', String(STOP_TIMEOUT_S), FIRST], { timeoutMs: (STOP_TIMEOUT_S + 30) * 1000 })
    const closed = await ws.closed(5000)
    const state = JSON.parse((await must([DOCKER, 'inspect', '-f', '{{json .State}}', FIRST])).out)
    assert(stop.code === 0, `docker stop exited ${stop.code}: ${stop.err}`)
    assert(state.ExitCode === 0 && !state.OOMKilled, `container exit code ${state.ExitCode}, OOMKilled ${state.OOMKilled}`)
    assert(stop.ms < STOP_TIMEOUT_S * 1000, `took ${seconds(stop.ms)}, the whole stop timeout`)
    assert(closed.code === 1001, `socket closed ${closed.code} ${closed.reason}`)
    return `stopped in ${seconds(stop.ms)}, exit code 0, socket closed ${closed.code} "${closed.reason}"`
  })
  return got.stored ?? null
}

/** A new container on the same volume reads what the first one stored. */
async function secondContainer(t: Tally, stored: Stored | null) {
  await t.check('data in the /data volume survives removing the container (new container, same volume)', async () => {
    assert(stored, 'nothing was stored by the first container')
    await must([DOCKER, 'rm', FIRST])
    const app = await startApp(SECOND)
    const read = await http(`${app.base}/v1/rooms/${stored.roomId}/messages`, { headers: { 'X-API-Key': stored.apiKey, 'X-User-Id': 'bob' } })
    assert(read.status === 200, `read: ${read.status} ${JSON.stringify(read.body)}`)
    const contents = (read.body.messages as { content: string }[]).map((m) => m.content)
    assert(contents.includes(stored.content), `messages after the restart: ${JSON.stringify(contents)}`)
    assert(app.health.body.epoch === stored.epoch, `epoch changed: ${stored.epoch} → ${app.health.body.epoch}`)
    const backup = await docker(['exec', SECOND, 'stat', '-c', '%s', BACKUP_FILE])
    assert(backup.code === 0 && Number(backup.out) > 0, `backup file after the restart: ${backup.err || backup.out}`)
    await docker(['stop', '-t', String(STOP_TIMEOUT_S), SECOND], { timeoutMs: (STOP_TIMEOUT_S + 30) * 1000 })
    return `message read back with the same API key, same epoch ${stored.epoch}, backup file still there`
  })
}

async function composeChecks(t: Tally) {
  for (const file of [COMPOSE_SINGLE, COMPOSE_SCALE]) {
    await t.check(`docker-compose config accepts ${file.slice(ROOT.length + 1)}`, async () => {
      const r = await compose(file, ['config', '--services'])
      assert(r.code === 0, `exit ${r.code}: ${lastLines(r.err, 3)}`)
      return `services: ${r.out.split('\n').join(', ')}`
    })
  }
  await t.check('docker-compose up -d (deploy/compose.yaml) answers /health, then down', async () => {
    const port = freePort()
    const up = await compose(COMPOSE_SINGLE, ['up', '-d'], port)
    assert(up.code === 0, `up exited ${up.code}: ${lastLines(up.err, 3)}`)
    const h = await until('compose instance /health 200', 30_000, async () => {
      const r = await http(`http://127.0.0.1:${port}/health`)
      return r.status === 200 ? r : undefined
    })
    const down = await compose(COMPOSE_SINGLE, ['down', '-v', '-t', String(STOP_TIMEOUT_S)], port)
    assert(down.code === 0, `down exited ${down.code}: ${lastLines(down.err, 3)}`)
    return `127.0.0.1:${port} ${h.body.status}, down in ${seconds(down.ms)}`
  })
}

/** A port nothing listens on right now (the kernel's pick), for the compose instance. */
function freePort(): number {
  const s = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
  const port = s.port
  s.stop(true)
  return port
}

const t = new Tally()
const began = performance.now()
await cleanup()
try {
  if (await t.check('the Dockerfile builds (classic builder, local base images)', buildImage)) {
    await t.check('the image declares its user, health check, volume and port', imageConfig)
    await printSizes(t)
    await secondContainer(t, await firstContainer(t))
    await composeChecks(t)
  }
} finally {
  await cleanup()
}
t.info(`docker checks took ${seconds(performance.now() - began)}`)
t.summary()
process.exit(t.fail > 0 ? 1 : 0)
