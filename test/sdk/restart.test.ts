// The SDK across real server restarts (a child process on a fixed database file; the port changes
// on every start, so clients follow it through a URL provider): reconnect after server.shutdown,
// sends made while the server is down stored and delivered exactly once, resume from acks after a
// hard kill without loss or duplicates, and a new epoch dropping cursors.

import { afterAll, afterEach, expect, test } from 'bun:test'
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ChatClient, type ChatClientOptions } from '../../sdk/src'
import { CheckedWebSocket } from '../support/frame-check'
import { spawnServer, type ServerProcess } from '../support/process'
import { range, record, type Recorder } from './helpers'

const MASTER = 'sdk-restart-master'
const dir = mkdtempSync(join(tmpdir(), 'chatapi-sdk-restart-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const running = new Set<ServerProcess>()
const clients: ChatClient[] = []
afterEach(async () => {
  for (const c of clients.splice(0)) c.close()
  for (const p of running) {
    p.proc.kill('SIGKILL')
    await p.exited
  }
  running.clear()
})

/** One database file, restarted at will; `url` always names the live process. */
function cluster(name: string, extra: Record<string, string> = {}) {
  const env = {
    DATABASE_URL: join(dir, `${name}.db`),
    BACKUP_DIR: join(dir, `${name}-backups`),
    MASTER_API_KEY: MASTER,
    DEFAULT_RATE_LIMIT: '100000',
    SHUTDOWN_DRAIN_TIMEOUT_MS: '3000',
    ...extra,
  }
  let current: ServerProcess | null = null
  let last = ''
  const c = {
    env,
    get url() {
      if (!current) throw new Error('server is down')
      return current.url
    },
    /** Where a client would still dial while the server is down: the last address (refused there). */
    get dialUrl() {
      return current?.url ?? last
    },
    async start() {
      current = await spawnServer(env)
      last = current.url
      running.add(current)
      return current
    },
    async stop(signal: 'SIGTERM' | 'SIGKILL') {
      const p = current!
      current = null
      p.proc.kill(signal)
      const code = await p.exited
      running.delete(p)
      return code
    },
    async admin(method: string, path: string, body?: unknown) {
      const r = await fetch(c.url + path, {
        method,
        headers: { 'x-master-key': MASTER, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
      return r.json() as Promise<Record<string, string>>
    },
  }
  return c
}

type Cluster = ReturnType<typeof cluster>

/** A client whose base URL is asked for on every (re)connect; `gate` can hold reconnects back. */
function client(cl: Cluster, creds: Pick<ChatClientOptions, 'apiKey' | 'userId' | 'token'>, o: Partial<ChatClientOptions> = {}, gate?: { wait: Promise<void> }): Recorder {
  const c = new ChatClient({
    baseUrl: async () => {
      if (gate) await gate.wait
      return cl.dialUrl
    },
    ...creds,
    reconnect: { initialMs: 100, maxMs: 800, factor: 2 },
    requestTimeoutMs: 30_000,
    ackDelayMs: 5,
    WebSocket: CheckedWebSocket as never, // every frame received is checked against its schema
    ...o,
  })
  clients.push(c)
  return record(c)
}

async function tenantOn(cl: Cluster) {
  const t = await cl.admin('POST', '/v1/admin/tenants', { name: 'sdk' })
  if (!t.api_key) throw new Error(`tenant create failed: ${JSON.stringify(t)}`)
  return t
}

test('reconnects after a restart (new port); sends made while it is down are stored and delivered once, in order', async () => {
  const cl = cluster('restart')
  await cl.start()
  const t = await tenantOn(cl)
  const alice = client(cl, { apiKey: t.api_key, userId: 'alice' })
  const { token } = await alice.client.rest.createToken({ user_id: 'bob', ttl_s: 3600 })
  const bob = client(cl, { token })
  const room = (await alice.client.rest.createRoom({ type: 'group', members: ['bob'], name: 'r' })).room_id
  const first = await Promise.all([alice.client.connect(), bob.client.connect()])
  const oldUrl = cl.url

  const early = await Promise.all(range(1, 10).map((i) => alice.client.send(room, `m${i}`)))
  expect(early.map((a) => a.seq)).toEqual(range(1, 10))
  await bob.waitMessages(10, room)

  // SIGTERM: every socket gets server.shutdown {reconnect_after_ms}, then 1001; the process exits 0.
  const stopped = cl.stop('SIGTERM')
  const [shutdownA] = await Promise.all([alice.waitFor('shutdown'), bob.waitFor('shutdown')])
  const shutdownAt = Date.now()
  expect(shutdownA.reconnect_after_ms).toBeGreaterThan(0)
  expect(await stopped).toBe(0)

  // Sends while the server is down wait in the client and go out after the reconnect.
  const late = range(11, 20).map((i) => alice.client.send(room, `m${i}`))
  await Bun.sleep(300)
  await cl.start()
  expect(cl.url).not.toBe(oldUrl)

  const lateAcks = await Promise.all(late)
  expect(lateAcks.map((a) => a.seq)).toEqual(range(11, 20))
  const got = await bob.waitMessages(20, room, 20_000)
  expect(got.map((m) => m.seq)).toEqual(range(1, 20))
  expect(got.map((m) => m.content)).toEqual(range(1, 20).map((i) => `m${i}`))
  expect(new Set(got.map((m) => m.message_id)).size).toBe(20)

  // Stored exactly once (a resent frame carries the same client_msg_id).
  const history = await bob.client.rest.listMessages(room, { limit: 200 })
  expect(history.messages.map((m) => m.content)).toEqual(range(1, 20).map((i) => `m${i}`))

  // The first attempt after the shutdown waited for reconnect_after_ms; the epoch is unchanged.
  const retry = bob.events.find((e) => e.type === 'reconnecting' && e.at >= shutdownAt - 50)!
  expect((retry.payload as { delayMs: number }).delayMs).toBeGreaterThanOrEqual(shutdownA.reconnect_after_ms)
  const again = bob.events.filter((e) => e.type === 'connected').at(-1)!.payload as { reconnected: boolean; epochChanged: boolean; epoch: string }
  expect(again).toMatchObject({ reconnected: true, epochChanged: false, epoch: first[1].epoch })
  expect(bob.errors).toEqual([])
  expect(alice.errors).toEqual([])
}, 60_000)

test('resume from acks after a hard kill: nothing lost, repeats dropped, in order', async () => {
  const cl = cluster('kill')
  await cl.start()
  const t = await tenantOn(cl)
  const alice = client(cl, { apiKey: t.api_key, userId: 'alice' })
  const gate = { open: () => {}, wait: Promise.resolve() }
  // Acks are held back long enough that the kill comes first: the server will sync from ack 0.
  const bob = client(cl, { apiKey: t.api_key, userId: 'bob' }, { ackDelayMs: 60_000 }, gate)
  const room = (await alice.client.rest.createRoom({ type: 'group', members: ['bob'], name: 'k' })).room_id
  await bob.client.connect()
  for (const i of range(1, 10)) await alice.client.rest.sendMessage(room, { content: `k${i}` })
  await bob.waitMessages(10, room)

  gate.wait = new Promise((r) => (gate.open = r)) // bob cannot reconnect until opened
  await cl.stop('SIGKILL')
  await bob.waitFor('disconnected')
  await cl.start()
  // While bob is away: more messages.
  for (const i of range(11, 15)) await alice.client.rest.sendMessage(room, { content: `k${i}` })
  gate.open()

  const got = await bob.waitMessages(15, room, 20_000)
  expect(got.map((m) => m.seq)).toEqual(range(1, 15))
  expect(got.map((m) => m.content)).toEqual(range(1, 15).map((i) => `k${i}`))
  expect(bob.client.duplicatesDropped).toBeGreaterThanOrEqual(10) // 1..10 came again from ack 0
  // The ack the client held goes out on the new connection.
  bob.client.ack(room, 15)
  await bob.waitFor('ack', (a) => a.room_id === room && a.seq === 15)
  const { members } = await alice.client.rest.listMembers(room)
  expect(members.find((m) => m.user_id === 'bob')?.last_ack).toBe(15)
}, 60_000)

test('a new epoch (restored backup) drops cursors, so reused seqs are delivered', async () => {
  const cl = cluster('epoch')
  await cl.start()
  const t = await tenantOn(cl)
  const alice = client(cl, { apiKey: t.api_key, userId: 'alice' })
  const bob = client(cl, { apiKey: t.api_key, userId: 'bob' })
  const room = (await alice.client.rest.createRoom({ type: 'group', members: ['bob'], name: 'e' })).room_id
  const first = await bob.client.connect()
  for (const i of range(1, 3)) await alice.client.rest.sendMessage(room, { content: `old${i}` })
  await bob.waitFor('ack', (a) => a.room_id === room && a.seq === 3)
  const backup = await cl.admin('POST', '/v1/admin/backup')
  expect(backup.path).toBeString()
  for (const i of range(4, 6)) await alice.client.rest.sendMessage(room, { content: `lost${i}` })
  await bob.waitMessages(6, room)
  expect(bob.client.lastSeq(room)).toBe(6)

  // Restore the backup: seqs 4..6 no longer exist and will be assigned again.
  expect(await cl.stop('SIGTERM')).toBe(0)
  for (const ext of ['-wal', '-shm']) rmSync(cl.env.DATABASE_URL + ext, { force: true })
  copyFileSync(backup.path, cl.env.DATABASE_URL)
  await cl.start()

  const changed = await bob.waitFor('epoch', undefined, 15_000)
  expect(changed.previous).toBe(first.epoch)
  expect(changed.current).not.toBe(first.epoch)
  await bob.waitFor('synced', (e) => e.connection_id !== first.connection_id)
  for (const i of range(4, 5)) await alice.client.rest.sendMessage(room, { content: `new${i}` })
  const got = await bob.waitMessages(8, room)
  expect(got.slice(6).map((m) => [m.seq, m.content])).toEqual([
    [4, 'new4'],
    [5, 'new5'],
  ])
}, 60_000)
