// Authorization and secrets (OWASP API1/API2/API3/API5, TESTING D3/D5/D7/D9/D10), beside the cross-tenant
// matrix of test/isolation/: role escalation attempts by every kind of member over key and token
// auth, credential confusion (token + foreign key, token + X-User-Id), every admin route without or
// with a wrong master key, secrets never in logs (a debug-level server as a child process), API keys
// hashed at rest (raw database bytes) and constant-time secret comparison.

import { afterAll, beforeAll, describe, expect, spyOn, test } from 'bun:test'
import * as crypto from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MASTER_KEY, startTestServer, type TestServer, type TestTenant } from '../support/server'
import { call, type CallResult } from '../support/http'
import { spawnServer } from '../support/process'
import { WsClient } from '../support/ws'
import { hashKey, secretsEqual } from '../../src/services/tenant'
import { createLogger } from '../../src/log'

let s: TestServer
beforeAll(async () => (s = await startTestServer()))
afterAll(() => s.stop())

const roles = async (t: TestTenant, room: string) =>
  Object.fromEntries((await t.as('owner')('GET', `/v1/rooms/${room}/members`)).body.members.map((m: { user_id: string; role: string }) => [m.user_id, m.role]))

describe('role escalation attempts', () => {
  let t: TestTenant
  let room: string
  const start = { owner: 'owner', adm: 'admin', adm2: 'admin', mem: 'member', mem2: 'member' }
  beforeAll(async () => {
    t = await s.newTenant()
    room = (await t.as('owner')('POST', '/v1/rooms', { body: { type: 'group', members: ['mem', 'mem2'] } })).body.room_id
    expect((await t.as('owner')('POST', `/v1/rooms/${room}/members`, { body: { user_ids: ['adm', 'adm2'], role: 'admin' } })).status).toBe(200)
  })
  const token = async (user: string) => (await t.as('backend')('POST', '/v1/tokens', { body: { user_id: user } })).body.token as string
  type Attempt = [string, string, string, string, unknown, number]
  const attempts: Attempt[] = [
    ['a member grants admin to a newcomer', 'mem', 'POST', 'members', { user_ids: ['eve'], role: 'admin' }, 403],
    ['a member re-adds itself as admin', 'mem', 'POST', 'members', { user_ids: ['mem'], role: 'admin' }, 403],
    ['a member adds plain members', 'mem', 'POST', 'members', { user_ids: ['eve'] }, 403],
    ['an admin grants admin to a newcomer', 'adm', 'POST', 'members', { user_ids: ['eve'], role: 'admin' }, 403],
    ['an admin promotes a member', 'adm', 'POST', 'members', { user_ids: ['mem'], role: 'admin' }, 403],
    ['an admin re-adds itself as admin', 'adm', 'POST', 'members', { user_ids: ['adm'], role: 'admin' }, 403],
    ['anyone asks for owner', 'adm', 'POST', 'members', { user_ids: ['adm'], role: 'owner' }, 400],
    ['the owner hands out owner', 'owner', 'POST', 'members', { user_ids: ['mem'], role: 'owner' }, 400],
    ['the owner re-adds a member as admin (existing members keep their role)', 'owner', 'POST', 'members', { user_ids: ['mem'], role: 'admin' }, 200],
    ['an admin removes the owner', 'adm', 'DELETE', 'members/owner', undefined, 403],
    ['an admin removes another admin', 'adm', 'DELETE', 'members/adm2', undefined, 403],
    ['a member removes the owner', 'mem', 'DELETE', 'members/owner', undefined, 403],
    ['a member removes an admin', 'mem', 'DELETE', 'members/adm', undefined, 403],
    ['a member removes a member', 'mem', 'DELETE', 'members/mem2', undefined, 403],
    ['the owner leaves while others remain', 'owner', 'DELETE', 'members/owner', undefined, 409],
    ['a member renames the room', 'mem', 'PATCH', '', { name: 'mine now' }, 403],
    ['a member deletes the owner\'s message', 'mem', 'DELETE', 'messages/:ownerMsg', undefined, 403],
    ['an admin edits the owner\'s message', 'adm', 'PATCH', 'messages/:ownerMsg', { content: 'edited' }, 403],
    ['the owner edits an admin\'s message', 'owner', 'PATCH', 'messages/:admMsg', { content: 'edited' }, 403],
    ['a member sends with a forged sender and role', 'mem', 'POST', 'messages', { content: 'x', sender_id: 'owner', role: 'owner' }, 201],
  ]
  for (const via of ['key', 'token'] as const) {
    test.each(attempts)(`${via}: %s → %d, roles unchanged`, async (...[, who, method, sub, body, status]: Attempt) => {
      const ownerMsg = (await t.as('owner')('POST', `/v1/rooms/${room}/messages`, { body: { content: 'by owner' } })).body.message_id
      const admMsg = (await t.as('adm')('POST', `/v1/rooms/${room}/messages`, { body: { content: 'by admin' } })).body.message_id
      const path = `/v1/rooms/${room}${sub ? '/' + sub.replace(':ownerMsg', ownerMsg).replace(':admMsg', admMsg) : ''}`
      const headers = via === 'key' ? t.headers(who) : { authorization: `Bearer ${await token(who)}` }
      const r = await call(s.url, method, path, { headers, body })
      expect(r.status).toBe(status)
      expect(await roles(t, room)).toEqual(start)
      if (sub.startsWith('messages/')) {
        const m = (await t.as('owner')('GET', path)).body
        expect({ content: m.content, deleted_at: m.deleted_at }).toEqual({ content: m.sender_id === 'owner' ? 'by owner' : 'by admin', deleted_at: null })
      }
      if (status === 201) expect((await t.as('owner')('GET', `${path}/${r.body.message_id}`)).body.sender_id).toBe(who)
    })
  }

  test('a dm never changes members, whoever asks', async () => {
    const dm = (await t.as('mem')('POST', '/v1/rooms', { body: { type: 'dm', members: ['mem2'] } })).body.room_id
    expect((await t.as('mem')('POST', `/v1/rooms/${dm}/members`, { body: { user_ids: ['eve'], role: 'admin' } })).status).toBe(403)
    expect((await t.as('mem')('DELETE', `/v1/rooms/${dm}/members/mem2`)).status).toBe(403)
    expect((await t.as('eve')('POST', '/v1/rooms', { body: { type: 'dm', members: ['mem2'] } })).body.room_id).not.toBe(dm)
    expect((await t.as('eve')('GET', `/v1/rooms/${dm}`)).status).toBe(404)
  })

  test('an admin who leaves a channel and joins again is a plain member', async () => {
    const ch = (await t.as('owner')('POST', '/v1/rooms', { body: { type: 'channel', members: [] } })).body.room_id
    await t.as('owner')('POST', `/v1/rooms/${ch}/members`, { body: { user_ids: ['adm'], role: 'admin' } })
    expect((await t.as('adm')('DELETE', `/v1/rooms/${ch}/members/adm`)).status).toBe(204)
    const again = await t.as('adm')('POST', `/v1/rooms/${ch}/join`, { body: { role: 'admin' }, headers: {} })
    expect(again.body.role).toBe('member')
  })
})

describe('credential confusion', () => {
  test('a Bearer token decides who you are: X-User-Id and another tenant\'s X-API-Key are ignored', async () => {
    const [a, b] = [await s.newTenant(), await s.newTenant()]
    const tok = (await a.as('backend')('POST', '/v1/tokens', { body: { user_id: 'mallory' } })).body.token
    const r = await s.call('POST', '/v1/rooms', { headers: { authorization: `Bearer ${tok}`, 'x-user-id': 'alice', 'x-api-key': b.api_key }, body: { type: 'group', members: ['bob'] } })
    expect(r.status).toBe(201)
    expect(await roles(a, r.body.room_id).catch(() => null)).toBeNull() // 'owner' is not a member: 404, so roles() throws
    const members = (await a.as('mallory')('GET', `/v1/rooms/${r.body.room_id}/members`)).body.members
    expect(members.map((m: { user_id: string; role: string }) => [m.user_id, m.role]).sort()).toEqual([['bob', 'member'], ['mallory', 'owner']])
    expect((await b.as('mallory')('GET', `/v1/rooms/${r.body.room_id}`)).status).toBe(404)
    // A broken Bearer never falls back to the key that came with it.
    expect((await s.call('GET', '/v1/rooms', { headers: { authorization: 'Bearer nope', ...a.headers('alice') } })).status).toBe(401)
  })

  test('a WebSocket token in the URL wins over key headers; a key in the URL is never accepted', async () => {
    const a = await s.newTenant()
    const tok = (await a.as('backend')('POST', '/v1/tokens', { body: { user_id: 'mallory' } })).body.token
    const ws = await WsClient.connect(`${s.wsUrl}?token=${tok}`, a.headers('alice'))
    expect((await ws.next('connected')).user_id).toBe('mallory')
    ws.close()
    for (const q of [`api_key=${a.api_key}&user_id=alice`, `x-api-key=${a.api_key}`, `token=${a.api_key}`]) {
      const r = await fetch(`${s.url}/ws?${q}`, { headers: { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' } })
      expect(r.status).toBe(401)
    }
  })
})

describe('every admin route refuses a missing or wrong master key with one identical 401', () => {
  const ADMIN: [string, string][] = [
    ['POST', '/v1/admin/tenants'], ['GET', '/v1/admin/tenants'], ['GET', '/v1/admin/tenants/:t'], ['PATCH', '/v1/admin/tenants/:t'],
    ['POST', '/v1/admin/tenants/:t/rotate-key'], ['GET', '/v1/admin/dead-letters'], ['POST', '/v1/admin/dead-letters/dl_x/retry'],
    ['DELETE', '/v1/admin/dead-letters/dl_x'], ['POST', '/v1/admin/backup'],
  ]
  test.each(ADMIN)('%s %s', async (method, template) => {
    const t = await s.newTenant()
    const path = template.replace(':t', t.tenant_id)
    const variants: Record<string, string>[] = [
      {}, { 'x-master-key': '' }, { 'x-master-key': 'wrong' }, { 'x-master-key': MASTER_KEY + 'x' }, { 'x-master-key': MASTER_KEY.slice(0, -1) },
      { 'x-master-key': MASTER_KEY.toUpperCase() }, { 'x-master-key': ` ${MASTER_KEY}x` }, { 'x-api-key': t.api_key, 'x-user-id': 'alice' },
      { 'x-master-key': t.api_key }, { authorization: `Bearer ${MASTER_KEY}` }, { 'x-master-key': 'x'.repeat(8000) },
    ]
    const answers: CallResult[] = []
    for (const headers of variants) answers.push(await s.call(method, path, { headers, body: method === 'GET' || method === 'DELETE' ? undefined : { name: 'evil' } }))
    answers.push(await s.call(method, `${path}?master_key=${MASTER_KEY}&x-master-key=${MASTER_KEY}`))
    for (const r of answers) expect({ status: r.status, body: r.body }).toEqual({ status: 401, body: answers[0].body })
    expect(answers[0].body.error.code).toBe('AUTHENTICATION_ERROR')
    expect((await s.admin('GET', `/v1/admin/tenants/${t.tenant_id}`)).body.name).toBe('test') // nothing changed
  })
})

test('master-key and token comparisons are constant-time (timingSafeEqual on equal-length digests)', async () => {
  for (const [a, b, eq] of [['k', 'k', true], ['k', 'K', false], ['k', 'kk', false], ['', 'x', false], ['', '', true], ['é', 'e\u0301', false], ['x'.repeat(9000), 'x'.repeat(9000), true]] as const)
    expect(secretsEqual(a, b)).toBe(eq)
  const spy = spyOn(crypto, 'timingSafeEqual')
  try {
    secretsEqual('a', 'bbbb')
    expect(spy).toHaveBeenCalledTimes(1)
    const [x, y] = spy.mock.calls[0] as [Buffer, Buffer]
    expect([x.length, y.length]).toEqual([32, 32]) // digests: lengths never differ, so nothing leaks through an early exit
  } finally {
    spy.mockRestore()
  }
  // No === / !== on a secret-bearing name in the code that checks credentials.
  for (const f of ['src/http/plugins/auth.ts', 'src/services/tenant.ts', 'src/services/token.ts', 'src/services/signing.ts']) {
    const src = readFileSync(join(import.meta.dir, '../..', f), 'utf8')
    const bad = src.split('\n').filter((l) => /\b\w*(masterKey|secret|signature|apiKey|given|expected|mac)\w*\s*[!=]==\s*(?!null|undefined|'|")/i.test(l) && !/\.length\s*[!=]==/.test(l))
    expect({ f, bad }).toEqual({ f, bad: [] })
  }
})

test('the logger redacts secrets by key and inside free text (URLs, Bearer values, keys, JWTs, error messages)', () => {
  const lines: string[] = []
  const log = createLogger('debug', {}, (l) => lines.push(l))
  const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlc2lnbmF0dXJl'
  const key = `sk_${'k'.repeat(40)}`
  log.error('x', {
    url: `ws://h/ws?token=${jwt}&room=r`,
    rest: `/v1/rooms?api_key=${key}`,
    headers: { authorization: `Bearer ${jwt}`, 'x-api-key': key, 'X-Master-Key': 'm', accept: 'json' },
    note: `sent Bearer ${jwt} and ${key} and uts_${'u'.repeat(40)} and whsec_${'w'.repeat(32)}`,
    error: new Error(`upgrade failed for /ws?token=${jwt}`),
    nested: [{ user_token_secret: 'uts_x', webhook_secret: 'whsec_x', secret: 's', password: 'p' }],
  })
  const line = lines.join('\n')
  for (const leaked of [jwt, key, 'uts_uuuu', 'whsec_wwww', '"m"', 'uts_x', 'whsec_x', '"s"', '"p"']) expect({ leaked, found: line.includes(leaked) }).toEqual({ leaked, found: false })
  expect(line).toContain('room=r')
  expect(line).toContain('"accept":"json"')
})

describe('secrets at rest and in logs (a debug-level server as a child process)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chatapi-secrets-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  test('no key, secret or token appears in stdout/stderr; API keys are only stored hashed', async () => {
    const MASTER = 'master-key-that-must-never-be-logged'
    // stderr folded into stdout, so both end up in p.lines.
    const cmd = ['sh', '-c', `exec bun ${join(import.meta.dir, '../../src/index.ts')} serve 2>&1`]
    const p = await spawnServer({ DATABASE_URL: join(dir, 'chatapi.db'), MASTER_API_KEY: MASTER, LOG_LEVEL: 'debug', BACKUP_DIR: join(dir, 'backups') }, cmd)
    const admin = { 'x-master-key': MASTER }
    const created = (await call(p.url, 'POST', '/v1/admin/tenants', { headers: admin, body: { name: 'logs' } })).body
    const h = { 'x-api-key': created.api_key, 'x-user-id': 'alice' }
    const tok = (await call(p.url, 'POST', '/v1/tokens', { headers: h, body: { user_id: 'alice' } })).body.token
    const room = (await call(p.url, 'POST', '/v1/rooms', { headers: { authorization: `Bearer ${tok}` }, body: { type: 'group', members: ['bob'] } })).body.room_id
    await call(p.url, 'POST', `/v1/rooms/${room}/messages?token=${tok}&api_key=${created.api_key}`, { headers: h, body: { content: 'hi' } })
    const ws = await WsClient.connect(`${p.wsUrl}?token=${tok}`)
    await ws.next('sync.done')
    ws.close()
    const wrongKey = `sk_${'W'.repeat(40)}`
    const wrongTok = `${tok.slice(0, -4)}AAAA`
    await call(p.url, 'GET', '/v1/rooms', { headers: { 'x-api-key': wrongKey, 'x-user-id': 'alice' } })
    await call(p.url, 'GET', '/v1/rooms', { headers: { authorization: `Bearer ${wrongTok}` } })
    await fetch(`${p.wsUrl.replace('ws', 'http')}?token=${wrongTok}`, { headers: { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' } })
    await call(p.url, 'GET', '/v1/admin/tenants', { headers: { 'x-master-key': `${MASTER}-wrong` } })
    await call(p.url, 'POST', '/v1/rooms', { headers: h, raw: '{"type":', })
    const rotated = (await call(p.url, 'POST', `/v1/admin/tenants/${created.tenant_id}/rotate-key`, { headers: admin })).body.api_key
    expect((await call(p.url, 'POST', '/v1/admin/backup', { headers: admin })).status).toBe(201)
    const metrics = await (await fetch(`${p.url}/metrics`)).text()
    const live = readdirSync(dir).filter((f) => f.startsWith('chatapi.db')).map((f) => readFileSync(join(dir, f)))
    p.proc.kill('SIGTERM')
    expect(await p.exited).toBe(0)
    const logs = p.lines.join('\n')
    expect(p.lines.filter((l) => l.includes('"request"')).length).toBeGreaterThan(5) // debug really logged every request

    const secrets = { MASTER, api_key: created.api_key, rotated, webhook_secret: created.webhook_secret, user_token_secret: created.user_token_secret, tok, wrongKey, wrongTok, jwtSignature: tok.split('.')[2] }
    for (const [name, v] of Object.entries(secrets)) {
      expect({ name, inLogs: logs.includes(v) }).toEqual({ name, inLogs: false })
      expect({ name, inMetrics: metrics.includes(v) }).toEqual({ name, inMetrics: false })
    }
    expect(metrics).not.toContain(created.tenant_id) // labels never carry tenant ids
    // At rest: the database (file + WAL while live, file after the clean stop) and the backup hold no API key, only its hash.
    const files = [...live, ...readdirSync(dir).filter((f) => f.startsWith('chatapi.db')).map((f) => readFileSync(join(dir, f))), ...readdirSync(join(dir, 'backups')).map((f) => readFileSync(join(dir, 'backups', f)))]
    expect(files.length).toBeGreaterThanOrEqual(3)
    const all = Buffer.concat(files)
    for (const [name, v] of Object.entries({ api_key: created.api_key, rotated, MASTER, tok })) expect({ name, atRest: all.includes(v) }).toEqual({ name, atRest: false })
    expect(all.includes(hashKey(rotated))).toBe(true) // the checker can see what is there: the hash of the live key
    console.log(`secrets: ${Object.keys(secrets).length} secrets checked over ${logs.split('\n').length} log lines, /metrics and ${files.length} database files (${all.length} bytes)`)
  }, 30_000)
})
