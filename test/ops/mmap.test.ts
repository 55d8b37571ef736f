// The memory map of the server's connections (issue 21): the main connection, which serves history
// and room lists, maps as much of a big file as this SQLite build allows; other connections keep
// 256 MiB; the server still reads and writes through it.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BIG_MMAP_BYTES, openSqlite } from '../../src/db/open'
import { startTestServer, type TestServer } from '../support/server'

const dir = mkdtempSync(join(tmpdir(), 'chatapi-open-'))
let s: TestServer
beforeAll(async () => (s = await startTestServer()))
afterAll(async () => {
  await s.stop()
  rmSync(dir, { recursive: true, force: true })
})

test('the main connection maps 2 GiB, the most this SQLite build takes, and serves through it', async () => {
  if (!s.handle.db) return // PostgreSQL pass: no SQLite connection
  expect(s.handle.db.query('PRAGMA mmap_size').get()).toEqual({ mmap_size: BIG_MMAP_BYTES })
  expect(BIG_MMAP_BYTES).toBe(2147418112)
  const probe = openSqlite(join(dir, 'cap.db'), { mmapBytes: 2 * BIG_MMAP_BYTES })
  expect(probe.query('PRAGMA mmap_size').get()).toEqual({ mmap_size: BIG_MMAP_BYTES }) // SQLITE_MAX_MMAP_SIZE
  probe.close()
  const t = await s.newTenant()
  const room = (await t.as('alice')('POST', '/v1/rooms', { body: { type: 'group', members: ['bob'] } })).body.room_id
  for (let i = 0; i < 3; i++) expect((await t.as('alice')('POST', `/v1/rooms/${room}/messages`, { body: { content: `m${i}` } })).status).toBe(201)
  const page = await t.as('bob')('GET', `/v1/rooms/${room}/messages?before_seq=4&limit=50`)
  expect(page.body.messages.map((m: { content: string }) => m.content)).toEqual(['m0', 'm1', 'm2'])
}, 30_000)

test('other connections keep a 256 MiB map', () => {
  const db = openSqlite(join(dir, 'w.db'))
  expect(db.query('PRAGMA mmap_size').get()).toEqual({ mmap_size: 268435456 })
  db.close()
})
