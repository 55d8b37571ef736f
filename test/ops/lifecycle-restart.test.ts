// Jobs survive a crash (SPEC §15): a room delete and a tenant delete over 60,000-message rooms are
// SIGKILLed mid-way (the server is a child process: bun src/index.ts serve), and after a restart on
// the same file both finish, with nothing of their rows left and progress done = total.

import { afterAll, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { prefill } from '../../bench/lib/prefill'
import { call } from '../support/http'
import { spawnServer, type ServerProcess } from '../support/process'
import { onSqlite } from '../support/storage'

const MASTER = 'restart-master-key'
const dir = mkdtempSync(join(tmpdir(), 'chatapi-jobs-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const admin = (srv: ServerProcess, method: string, path: string) => call(srv.url, method, path, { headers: { 'x-master-key': MASTER } })
const job = async (srv: ServerProcess, id: string) => (await admin(srv, 'GET', `/v1/admin/jobs/${id}`)).body

/** Reads the file the way an operator would, read-only, while no server runs on it. */
function inFile<T>(file: string, f: (db: Database) => T): T {
  const db = new Database(file, { readonly: true })
  try {
    return f(db)
  } finally {
    db.close()
  }
}

test.skipIf(!onSqlite)('a room delete and a tenant delete killed with SIGKILL mid-way finish after a restart', async () => {
  const file = join(dir, 'jobs.db')
  const roomSide = prefill(file, { messages: 60_000, tenantId: 'tnt_roomside' })
  const tenantSide = prefill(file, { messages: 60_000, tenantId: 'tnt_tenantside' })
  let srv = await spawnServer({ DATABASE_URL: file, MASTER_API_KEY: MASTER })

  const del = await call(srv.url, 'DELETE', `/v1/rooms/${roomSide.roomId}`, { headers: { 'x-api-key': roomSide.apiKey, 'x-user-id': 'alice' } })
  expect(del.status).toBe(204)
  const gone = await admin(srv, 'DELETE', `/v1/admin/tenants/${tenantSide.tenantId}`)
  expect(gone.status).toBe(202)
  const tenantJob: string = gone.body.job_id
  const roomJob = inFile(file, (db) => db.query<{ job_id: string }, []>("SELECT job_id FROM jobs WHERE kind = 'room.delete'").get()!.job_id)

  // SIGKILL as soon as both jobs have committed a step (each step is one transaction with its progress)
  for (const deadline = Date.now() + 20_000; ; ) {
    const [r, t] = [await job(srv, roomJob), await job(srv, tenantJob)]
    if (r.progress.done > 0 && t.progress.done > 0) break
    if (Date.now() > deadline) throw new Error(`jobs did not start: ${JSON.stringify([r, t])}`)
    await Bun.sleep(5)
  }
  srv.proc.kill('SIGKILL')
  expect(await srv.exited).not.toBe(0)

  const mid = inFile(file, (db) => ({
    jobs: db.query<{ kind: string; status: string; done: number; total: number }, []>('SELECT kind, status, done, total FROM jobs ORDER BY kind').all(),
    messages: db.query<{ n: number }, []>('SELECT count(*) AS n FROM messages').get()!.n,
  }))
  expect(mid.jobs.map((j) => [j.kind, j.status])).toEqual([['room.delete', 'running'], ['tenant.delete', 'running']])
  for (const j of mid.jobs) {
    expect(j.done).toBeGreaterThan(0)
    expect(j.done).toBeLessThan(j.total) // killed mid-way, not at the end
  }
  expect(mid.messages).toBeGreaterThan(0)

  srv = await spawnServer({ DATABASE_URL: file, MASTER_API_KEY: MASTER })
  try {
    for (const deadline = Date.now() + 60_000; ; ) {
      const [r, t] = [await job(srv, roomJob), await job(srv, tenantJob)]
      if (r.status !== 'running' && t.status !== 'running') {
        for (const j of [r, t]) expect(j).toMatchObject({ status: 'done', error: null, progress: { done: j.progress.total } })
        expect(r.progress.total).toBe(60_000 + 2) // its messages and its two members
        expect(t.progress.total).toBe(60_000 + 1) // its messages and its one room
        break
      }
      if (Date.now() > deadline) throw new Error(`jobs did not finish after the restart: ${JSON.stringify([r, t])}`)
      await Bun.sleep(50)
    }
    expect((await call(srv.url, 'GET', '/v1/rooms', { headers: { 'x-api-key': tenantSide.apiKey, 'x-user-id': 'alice' } })).status).toBe(401)
  } finally {
    srv.proc.kill('SIGTERM')
    await srv.exited
  }
  const after = inFile(file, (db) => ({
    integrity: db.query<{ integrity_check: string }, []>('PRAGMA integrity_check').get()!.integrity_check,
    messages: db.query<{ n: number }, []>('SELECT count(*) AS n FROM messages').get()!.n,
    rooms: db.query<{ room_id: string }, []>('SELECT room_id FROM rooms').all().map((r) => r.room_id),
    members: db.query<{ n: number }, []>('SELECT count(*) AS n FROM members').get()!.n,
    tenants: db.query<{ tenant_id: string }, []>('SELECT tenant_id FROM tenants').all().map((r) => r.tenant_id),
  }))
  expect(after).toEqual({ integrity: 'ok', messages: 0, rooms: [], members: 0, tenants: [roomSide.tenantId] })
}, 120_000)
