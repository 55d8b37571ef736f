// Graceful shutdown as clients see it (SPEC §5 server.shutdown, §6): a real process gets SIGTERM.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { call } from '../support/http'
import { spawnServer, type ServerProcess } from '../support/process'
import { startTestServer } from '../support/server'
import { inCluster } from '../support/storage'
import { WsClient } from '../support/ws'
import { flood, ready, upgradeStatus } from './helpers'
import { RawWs } from './raw'

const MASTER = 'shutdown-test-master-key'
let dir: string
let srv: ServerProcess
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'chatapi-shutdown-'))
  srv = await spawnServer({ DATABASE_URL: join(dir, 'chatapi.db'), MASTER_API_KEY: MASTER, BACKUP_DIR: join(dir, 'backups') })
})
afterAll(() => {
  if (srv.proc.exitCode === null) srv.proc.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
})

test('SIGTERM: every socket gets server.shutdown, then close 1001; the process exits 0', async () => {
  expect(srv.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
  const tenant = await call(srv.url, 'POST', '/v1/admin/tenants', { headers: { 'x-master-key': MASTER }, body: { name: 'shutdown' } })
  expect(tenant.status).toBe(201)
  const headers = (user: string) => ({ 'x-api-key': tenant.body.api_key, 'x-user-id': user })
  const room = await call(srv.url, 'POST', '/v1/rooms', { headers: headers('alice'), body: { type: 'group', members: ['bob'] } })
  expect(room.status).toBe(201)

  const alice = await ready(srv.wsUrl, headers('alice'))
  const alice2 = await ready(srv.wsUrl, headers('alice'))
  const bob = await ready(srv.wsUrl, headers('bob'))
  const sent = await alice.request({ type: 'send_message', room_id: room.body.room_id, content: 'before the restart' }, 'message.sent')
  expect(sent.seq).toBe(1)
  await bob.next('message')

  srv.proc.kill('SIGTERM')
  for (const c of [alice, alice2, bob]) {
    const notice = await c.next('server.shutdown', 5000)
    expect(notice.reconnect_after_ms).toBeGreaterThanOrEqual(0)
    expect((await c.closed(5000)).code).toBe(1001)
    // server.shutdown is the last frame before the close
    expect(c.log.at(-1)?.type).toBe('server.shutdown')
  }
  expect(await srv.exited).toBe(0)

  const logs = srv.lines.map((l) => JSON.parse(l))
  expect(logs.some((l) => l.msg === 'shutting down' && l.reason === 'SIGTERM')).toBe(true)
  expect(logs.at(-1)?.msg).toBe('stopped')
  // the final TRUNCATE checkpoint ran: the WAL is empty (or gone) after a clean stop
  const wal = join(dir, 'chatapi.db-wal')
  expect(existsSync(wal) ? statSync(wal).size : 0).toBe(0)
}, 20_000)

// Both in-process tests stop one instance through its handle: behind the cluster proxy the sockets
// may sit on another instance, which keeps serving them (a cluster's shutdown is the SIGTERM above, per process).
test.skipIf(inCluster)('in-process stop: open sockets get server.shutdown and 1001, later upgrades are refused, no timer outlives the DB', async () => {
  // Presence grace shorter than this test's tail: an offline announcement scheduled by the shutdown's
  // own closes would fire after the database closed (a bug seen here, now refused after stop).
  const s = await startTestServer({ PRESENCE_GRACE_MS: '50' })
  const t = await s.newTenant()
  const res = await t.as('alice')('POST', '/v1/rooms', { body: { type: 'group', members: ['bob'] } })
  expect(res.status).toBe(201)
  const alice = await ready(s.wsUrl, t.headers('alice'))
  const bob = await ready(s.wsUrl, t.headers('bob'))
  const stopping = s.handle.stop('test')
  for (const c of [alice, bob]) {
    expect((await c.next('server.shutdown')).type).toBe('server.shutdown')
    expect((await c.closed()).code).toBe(1001)
  }
  await stopping
  const refused = await upgradeStatus(s.wsUrl, t.headers('alice')).catch(() => 'refused')
  expect(refused).not.toBe(101)
  await Bun.sleep(200) // bounded: past the grace, proving no presence timer fires into the closed DB
  const late = await WsClient.connect(s.wsUrl, t.headers('alice')).then(
    () => 'connected',
    () => 'refused',
  )
  expect(late).toBe('refused')
  await s.stop().catch(() => {}) // idempotent stop; removes the temp dir
})

test.skipIf(inCluster)('a paced sync to a client that stopped reading does not hold the shutdown back', async () => {
  // Default WS_BACKPRESSURE_LIMIT (1 MiB): a sync parks at half of it, so the server.shutdown frame
  // does not itself trip the backpressure close that would end the sync anyway.
  const s = await startTestServer({ SHUTDOWN_DRAIN_TIMEOUT_MS: '5000', WS_MSG_RATE: '100000', ACK_TIMEOUT_MS: '600000' })
  const t = await s.newTenant()
  const res = await t.as('alice')('POST', '/v1/rooms', { body: { type: 'group', members: ['bob'] } })
  const room = res.body.room_id as string
  const alice = await ready(s.wsUrl, t.headers('alice'))
  await flood(alice, room, 500, 16_000)
  alice.drain('message')

  expect((await t.as('bob')('POST', '/v1/acks', { body: { room_id: room, seq: 500 } })).status).toBe(200)
  const bob = await RawWs.connect(s.wsUrl, t.headers('bob'))
  bob.resume()
  await bob.until(() => bob.frames.some((f) => f.type === 'sync.done'), 5000, 'initial sync') // empty: acked
  bob.pause()
  // 2 x ~8 MB that bob will not read: more than the kernel buffers take, so a sync parks on drain
  for (let i = 0; i < 2; i++) bob.send({ type: 'sync', room_id: room, after_seq: 0 })
  await Bun.sleep(300) // bounded: let the server fill bob's buffers

  const t0 = performance.now()
  const stopping = s.handle.stop('test')
  expect((await alice.next('server.shutdown')).type).toBe('server.shutdown')
  expect((await alice.closed(4000)).code).toBe(1001)
  await stopping
  expect(performance.now() - t0).toBeLessThan(2500) // well inside SHUTDOWN_DRAIN_TIMEOUT_MS
  bob.destroy()
  await s.stop().catch(() => {})
}, 30_000)
