// `chatapi token create`: prints a user token that the running server accepts for that user.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { join } from 'node:path'
import { startTestServer, type TestServer } from '../support/server'
import { runCli } from './run'

let s: TestServer
beforeAll(async () => (s = await startTestServer()))
afterAll(() => s.stop())

test('token create mints a token the server accepts as that user', async () => {
  const t = await s.newTenant()
  const r = await runCli(['token', 'create', '--tenant', t.tenant_id, '--user', 'alice', '--ttl-s', '120'], { DATABASE_URL: join(s.dir, 'chatapi.db') })
  expect(r.stderr).toBe('')
  expect(r.code).toBe(0)
  const token = r.stdout.trim()
  const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString())
  expect(claims.sub).toBe('alice')
  expect(claims.tid).toBe(t.tenant_id)
  expect(claims.exp - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(120)
  const created = await s.call('POST', '/v1/rooms', { headers: { authorization: `Bearer ${token}` }, body: { type: 'group', members: ['bob'] } })
  expect(created.status).toBe(201)
})

test('bad flags and an unknown tenant exit 2 with one line', async () => {
  const db = { DATABASE_URL: join(s.dir, 'chatapi.db') }
  for (const args of [
    ['token', 'create', '--user', 'alice'],
    ['token', 'create', '--tenant', 'tnt_nope', '--user', 'alice'],
    ['token', 'create', '--tenant', 'x', '--user', 'alice', '--ttl-s', 'soon'],
    ['token', 'mint'],
  ]) {
    const r = await runCli(args, db)
    expect(r.code).toBe(2)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
  }
})
