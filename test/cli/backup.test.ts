// `chatapi backup FILE`: a consistent copy of a live database; refuses to overwrite; usage errors exit 2.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { startTestServer, type TestServer } from '../support/server'
import { lines, ROOT, runCli } from './run'

let s: TestServer
let dbPath: string
beforeAll(async () => {
  s = await startTestServer()
  dbPath = join(s.dir, 'chatapi.db')
})
afterAll(() => s.stop())

test('a backup taken while the server writes is a consistent database with the data', async () => {
  const t = await s.newTenant()
  const room = await t.as('alice')('POST', '/v1/rooms', { body: { type: 'group', name: 'g', members: ['bob'] } })
  expect(room.status).toBe(201)
  const sends = Array.from({ length: 20 }, (_, i) =>
    t.as('alice')('POST', `/v1/rooms/${room.body.room_id}/messages`, { body: { content: `m${i}` } }),
  )
  const file = join(s.dir, 'backups', 'nested', 'copy.db')
  const [r] = await Promise.all([runCli(['backup', file], { DATABASE_URL: dbPath }), ...sends])
  expect(r.stderr).toBe('')
  expect(r.code).toBe(0)
  const answer = JSON.parse(r.stdout)
  expect(answer).toEqual({ path: file, bytes: expect.any(Number), created_at: expect.any(String) })
  expect(answer.bytes).toBeGreaterThan(0)

  const copy = new Database(file, { readonly: true })
  try {
    expect(copy.query('PRAGMA integrity_check').get()).toEqual({ integrity_check: 'ok' })
    expect(copy.query('SELECT count(*) AS n FROM tenants WHERE tenant_id = ?').get(t.tenant_id)).toEqual({ n: 1 })
  } finally {
    copy.close()
  }
  // The copy is a database this version can serve: migrate finds nothing to do.
  const m = await runCli(['migrate'], { DATABASE_URL: file })
  expect(m.code).toBe(0)
  expect(JSON.parse(m.stdout).applied).toEqual([])
})

test('an existing FILE is never overwritten', async () => {
  const file = join(s.dir, 'exists.db')
  await Bun.write(file, 'keep me')
  const r = await runCli(['backup', file], { DATABASE_URL: dbPath })
  expect(r.code).toBe(2)
  expect(lines(r.stderr)).toEqual([expect.stringContaining('already exists')])
  expect(await Bun.file(file).text()).toBe('keep me')
})

const refusals: [args: string[], env: Record<string, string>, mentions: string][] = [
  [['backup'], {}, 'usage: chatapi backup FILE'],
  [['backup', '--to', 'x'], {}, 'usage: chatapi backup FILE'],
  [['backup', 'x.db', 'y.db'], {}, 'unexpected argument "y.db"'],
  [['backup', 'x.db'], { DATABASE_URL: ':memory:' }, 'DATABASE_URL'],
  [['backup', 'x.db'], { DATABASE_URL: '/nonexistent/dir/chatapi.db' }, 'does not exist'],
]

for (const [args, env, mentions] of refusals) {
  test(`chatapi ${args.join(' ')} ${JSON.stringify(env)} → exit 2`, async () => {
    const r = await runCli(args, env)
    expect(r.code).toBe(2)
    expect(lines(r.stderr)).toEqual([expect.stringContaining(mentions)])
    expect(existsSync(join(ROOT, 'x.db'))).toBe(false)
  })
}
