// A tenant ban across instances (SPEC §14 with §9): two servers over one PostgreSQL database and one
// Redis. A ban made through A closes the user's socket on B with 1008, and B refuses the user's REST
// calls and new connections at once; lifting it on B lets them back on A. Runs on the PG+Redis pass
// (CHATAPI_TEST_DATABASE_URL and CHATAPI_TEST_REDIS_URL); skipped otherwise.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../../src/config'
import { createLogger } from '../../src/log'
import { startServer, type ServerHandle } from '../../src/server'
import { call } from '../support/http'
import { freshPgDatabase, TEST_PG_URL, TEST_REDIS_URL } from '../support/storage'
import { alive, ready, upgradeStatus } from './helpers'

const shared = Boolean(TEST_PG_URL && TEST_REDIS_URL)

describe.skipIf(!shared)('a tenant ban on two instances (PostgreSQL + Redis)', () => {
  let db: Awaited<ReturnType<typeof freshPgDatabase>>
  const dir = mkdtempSync(join(tmpdir(), 'chatapi-mod-'))
  const servers: ServerHandle[] = []
  const url = (i: number) => `http://127.0.0.1:${servers[i].port}`
  const ws = (i: number) => `ws://127.0.0.1:${servers[i].port}/ws`
  let key = ''

  beforeAll(async () => {
    db = await freshPgDatabase(TEST_PG_URL!)
    for (let i = 0; i < 2; i++) {
      const config = loadConfig({
        LISTEN_ADDR: '127.0.0.1:0',
        DATABASE_URL: db.url,
        REDIS_URL: TEST_REDIS_URL!,
        MASTER_API_KEY: 'mk',
        DEFAULT_RATE_LIMIT: '100000',
        ACK_TIMEOUT_MS: '600000',
        BACKUP_DIR: join(dir, `b${i}`),
        LOG_LEVEL: 'error',
      })
      servers.push(await startServer(config, { log: createLogger('error') }))
    }
    const t = await call(url(0), 'POST', '/v1/admin/tenants', { headers: { 'x-master-key': 'mk' }, body: { name: 'two' } })
    key = t.body.api_key
  })
  afterAll(async () => {
    for (const s of servers) await s.stop('test')
    await db?.drop()
    rmSync(dir, { recursive: true, force: true })
  })

  test("banned through A: the user's socket on B closes 1008, B refuses them at once; lifted through B: A lets them in", async () => {
    const hdr = (user: string) => ({ 'x-api-key': key, 'x-user-id': user })
    const bobOnB = await ready(ws(1), hdr('bob'))
    const aliceOnB = await ready(ws(1), hdr('alice'))
    // B has answered for bob before (cached "not banned"): the ban must reach that cache too.
    expect((await call(url(1), 'GET', '/v1/rooms', { headers: hdr('bob') })).status).toBe(200)

    const ban = await call(url(0), 'POST', '/v1/moderation/bans', { headers: { 'x-api-key': key }, body: { user_id: 'bob' } })
    expect(ban.status).toBe(201)
    expect(await bobOnB.closed()).toEqual({ code: 1008, reason: 'user banned' })
    expect((await call(url(1), 'GET', '/v1/rooms', { headers: hdr('bob') })).status).toBe(403)
    expect(await upgradeStatus(ws(1), hdr('bob'))).toBe(403)
    await alive(aliceOnB)

    expect((await call(url(0), 'GET', '/v1/rooms', { headers: hdr('bob') })).status).toBe(403) // A cached "banned"
    expect((await call(url(1), 'DELETE', '/v1/moderation/bans/bob', { headers: { 'x-api-key': key } })).status).toBe(204)
    expect((await call(url(0), 'GET', '/v1/rooms', { headers: hdr('bob') })).status).toBe(200)
    expect(await upgradeStatus(ws(0), hdr('bob'))).toBe(101)
    aliceOnB.close()
  })
})
