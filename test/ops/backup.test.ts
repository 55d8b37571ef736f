// POST /v1/admin/backup while a writer runs: the copy is consistent, holds every message acknowledged
// before the backup started, and a server started on it takes a new epoch.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { dirname } from 'node:path'
import { startTestServer, type TestServer } from '../support/server'
import { spawnServer } from '../support/process'

let s: TestServer
beforeAll(async () => (s = await startTestServer()))
afterAll(() => s.stop())

test('a hot backup under concurrent writes is consistent and complete up to its start', async () => {
  const t = await s.newTenant()
  const room = (await t.as('alice')('POST', '/v1/rooms', { body: { type: 'group', members: ['bob'] } })).body.room_id
  const send = (i: number) => t.as('alice')('POST', `/v1/rooms/${room}/messages`, { body: { content: `m${i}` } })
  const before = await Promise.all(Array.from({ length: 200 }, (_, i) => send(i)))
  expect(before.every((r) => r.status === 201)).toBe(true)
  let writing = true
  let written = 0
  const writer = (async () => {
    while (writing && written < 5000) if ((await send(1000 + written++)).status !== 201) throw new Error('send failed')
  })()
  const b = await s.admin('POST', '/v1/admin/backup')
  writing = false
  await writer
  expect(b.status).toBe(201)
  expect(b.body.path.startsWith('/')).toBe(true)
  expect(dirname(b.body.path)).toBe(`${s.dir}/backups`)
  expect(b.body.bytes).toBe(Bun.file(b.body.path).size)
  expect(written).toBeGreaterThan(0)

  const copy = new Database(b.body.path, { readonly: true })
  expect(copy.query('PRAGMA integrity_check').get()).toEqual({ integrity_check: 'ok' })
  const seqs = copy.query<{ seq: number }, [string]>('SELECT seq FROM messages WHERE room_id = ? ORDER BY seq').all(room).map((r) => r.seq)
  copy.close()
  for (const r of before) expect(seqs).toContain(r.body.seq)
  expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1)) // gap-free prefix

  const live = (await s.call('GET', '/health')).body.epoch
  const restored = await spawnServer({ DATABASE_URL: b.body.path, MASTER_API_KEY: 'k' })
  try {
    const h = (await (await fetch(restored.url + '/health')).json()) as { epoch: string }
    expect(h.epoch).not.toBe(live)
  } finally {
    restored.proc.kill('SIGTERM')
    await restored.exited
  }
})

test('admin backup needs the master key', async () => {
  expect((await s.call('POST', '/v1/admin/backup')).status).toBe(401)
})
