// POST /v1/admin/backup that takes longer than Bun's HTTP idle timeout (a big database): the request
// stays open and answers 201 with the file, instead of the connection being closed under it. The
// idle timeout is lowered to 1 s and the copy made slower than that, so no big file is needed.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { startTestServer, type TestServer } from '../support/server'
import { backupInWorker, backupTimeoutMs } from '../../src/workers/backup'

const IDLE_S = 1
let copies = 0
let s: TestServer
beforeAll(
  async () =>
    (s = await startTestServer(
      {},
      {
        httpIdleTimeoutS: IDLE_S,
        // The slow step: a copy that takes several idle timeouts (Bun checks them every few seconds).
        copyBackup: async (source, target) => {
          copies++
          await Bun.sleep(IDLE_S * 1000 * 9)
          return backupInWorker(source, target)
        },
      },
    )),
)
afterAll(() => s.stop())

test('a backup slower than the HTTP idle timeout still answers 201 with its file', async () => {
  const t = await s.newTenant()
  const room = (await t.as('alice')('POST', '/v1/rooms', { body: { type: 'group', members: ['bob'] } })).body.room_id
  expect((await t.as('alice')('POST', `/v1/rooms/${room}/messages`, { body: { content: 'kept' } })).status).toBe(201)
  const b = await s.admin('POST', '/v1/admin/backup')
  expect(copies).toBe(1)
  expect(b.status).toBe(201)
  expect(b.body.bytes).toBe(Bun.file(b.body.path).size)
  const copy = new Database(b.body.path, { readonly: true })
  expect(copy.query('SELECT content FROM messages WHERE room_id = ?').all(room)).toEqual([{ content: 'kept' }])
  copy.close()
}, 30_000)

test('the backup worker gets time in proportion to the file: ten minutes at least, 2 MiB/s beyond', () => {
  expect(backupTimeoutMs(0)).toBe(600_000)
  expect(backupTimeoutMs(1024 ** 3)).toBe(600_000) // 1 GiB: 512 s at 2 MiB/s, under the floor
  expect(backupTimeoutMs(100 * 1024 ** 3)).toBe(51_200_000) // 100 GiB: 14.2 h, not 10 min
})
