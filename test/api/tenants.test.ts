// Admin tenant API happy paths (SPEC §4 Admin, §10): create, list, get with usage, patch merge, rotate-key.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startTestServer, type TestServer } from '../support/server'
import { call } from '../support/http'
import { expectError, ISO_MS, room, send } from './helpers'

let s: TestServer
beforeAll(async () => (s = await startTestServer()))
afterAll(() => s.stop())

test('a created tenant authenticates and the key is shown only once', async () => {
  const t = await s.newTenant()
  expect(t.api_key).toMatch(/^sk_/)
  const list = await s.admin('GET', '/v1/admin/tenants')
  expect(list.status).toBe(200)
  expect(JSON.stringify(list.body)).not.toContain(t.api_key)
  const r = await t.as('alice')('GET', '/v1/rooms')
  expect(r.status).toBe(200)
  expect(r.body).toEqual({ rooms: [], next_cursor: null })
})

test('create answers 201 with the three secrets, the config and created_at', async () => {
  const r = await s.admin('POST', '/v1/admin/tenants', { body: { name: 'acme', config: { rate_limit_per_sec: 50 } } })
  expect(r.status).toBe(201)
  expect(Object.keys(r.body).sort()).toEqual(
    ['api_key', 'config', 'created_at', 'name', 'tenant_id', 'user_token_secret', 'webhook_secret'].sort(),
  )
  expect(r.body.tenant_id).toMatch(/^tnt_[0-9A-Za-z]{16,}$/)
  expect(r.body.api_key).toMatch(/^sk_/)
  expect(r.body.webhook_secret).toMatch(/^whsec_/)
  expect(r.body.name).toBe('acme')
  expect(r.body.config).toEqual({ rate_limit_per_sec: 50 })
  expect(r.body.created_at).toMatch(ISO_MS)
})

test('list and get never carry a secret; get has usage {rooms, messages, connections, uploads, storage_bytes}', async () => {
  const t = await s.newTenant()
  const a = t.as('alice')
  const g = await room(a, 'group', ['bob'])
  await send(a, g.room_id, 'one')
  await send(a, g.room_id, 'two')
  await room(a, 'channel')

  const list = await s.admin('GET', '/v1/admin/tenants')
  const mine = list.body.tenants.find((x: any) => x.tenant_id === t.tenant_id)
  expect(Object.keys(mine).sort()).toEqual(['config', 'created_at', 'name', 'tenant_id'])

  const got = await s.admin('GET', `/v1/admin/tenants/${t.tenant_id}`)
  expect(got.status).toBe(200)
  expect(got.body.usage).toEqual({ rooms: 2, messages: 2, connections: 0, uploads: 0, storage_bytes: 0 })
  for (const secret of [t.api_key, t.webhook_secret, t.user_token_secret]) {
    expect(JSON.stringify(got.body)).not.toContain(secret)
    expect(JSON.stringify(list.body)).not.toContain(secret)
  }
  expect(JSON.stringify(got.body)).not.toContain('hash')
})

test('an unknown tenant id is 404', async () => {
  expectError(await s.admin('GET', '/v1/admin/tenants/tnt_nope'), 404, 'NOT_FOUND')
  expectError(await s.admin('PATCH', '/v1/admin/tenants/tnt_nope', { body: { name: 'x' } }), 404, 'NOT_FOUND')
  expectError(await s.admin('POST', '/v1/admin/tenants/tnt_nope/rotate-key'), 404, 'NOT_FOUND')
})

describe('PATCH merges config', () => {
  test('keys are merged, features key by key, name changes', async () => {
    const t = await s.newTenant({ rate_limit_per_sec: 10, features: { typing: false } })
    let r = await s.admin('PATCH', `/v1/admin/tenants/${t.tenant_id}`, {
      body: { name: 'renamed', config: { max_room_members: 5, features: { presence: false } } },
    })
    expect(r.status).toBe(200)
    expect(r.body.name).toBe('renamed')
    expect(r.body.config).toEqual({ rate_limit_per_sec: 10, max_room_members: 5, features: { typing: false, presence: false } })

    r = await s.admin('PATCH', `/v1/admin/tenants/${t.tenant_id}`, { body: { config: { features: { typing: true } } } })
    expect(r.body.config.features).toEqual({ typing: true, presence: false })
    expect(r.body.name).toBe('renamed')
    // what GET shows is what PATCH stored
    const got = await s.admin('GET', `/v1/admin/tenants/${t.tenant_id}`)
    expect(got.body.config).toEqual(r.body.config)
  })

  test('the merged config takes effect at once for tenant calls', async () => {
    const t = await s.newTenant()
    const a = t.as('alice')
    const g = await room(a, 'group')
    await s.admin('PATCH', `/v1/admin/tenants/${t.tenant_id}`, { body: { config: { max_message_bytes: 5 } } })
    expectError(await a('POST', `/v1/rooms/${g.room_id}/messages`, { body: { content: '123456' } }), 400, 'VALIDATION_ERROR', 'content')
    expect((await a('POST', `/v1/rooms/${g.room_id}/messages`, { body: { content: '12345' } })).status).toBe(201)
  })
})

describe('rotate-key', () => {
  test('api_key (the default): 200 with the new key; the old key is 401 at once', async () => {
    const t = await s.newTenant()
    expect((await t.as('alice')('GET', '/v1/rooms')).status).toBe(200) // warm the key cache
    const r = await s.admin('POST', `/v1/admin/tenants/${t.tenant_id}/rotate-key`)
    expect(r.status).toBe(200)
    expect(Object.keys(r.body)).toEqual(['api_key'])
    expect(r.body.api_key).toMatch(/^sk_/)
    expect(r.body.api_key).not.toBe(t.api_key)
    expectError(await t.as('alice')('GET', '/v1/rooms'), 401, 'AUTHENTICATION_ERROR')
    const fresh = await call(s.url, 'GET', '/v1/rooms', { headers: { 'x-api-key': r.body.api_key, 'x-user-id': 'alice' } })
    expect(fresh.status).toBe(200)
  })

  test('explicit which=api_key also rotates the key', async () => {
    const t = await s.newTenant()
    const r = await s.admin('POST', `/v1/admin/tenants/${t.tenant_id}/rotate-key`, { body: { which: 'api_key' } })
    expect(r.status).toBe(200)
    expect(r.body.api_key).toMatch(/^sk_/)
    expectError(await t.as('alice')('GET', '/v1/rooms'), 401, 'AUTHENTICATION_ERROR')
  })

  test.each([
    ['webhook_secret', /^whsec_/],
    ['user_token_secret', /.{20,}/],
  ])('which=%s answers only the new value and leaves the API key working', async (which, shape) => {
    const t = await s.newTenant()
    const r = await s.admin('POST', `/v1/admin/tenants/${t.tenant_id}/rotate-key`, { body: { which } })
    expect(r.status).toBe(200)
    expect(Object.keys(r.body)).toEqual([which])
    expect(r.body[which]).toMatch(shape)
    expect(r.body[which]).not.toBe((t as any)[which])
    expect((await t.as('alice')('GET', '/v1/rooms')).status).toBe(200)
  })

  test('an unknown which is 400 on field which', async () => {
    const t = await s.newTenant()
    expectError(
      await s.admin('POST', `/v1/admin/tenants/${t.tenant_id}/rotate-key`, { body: { which: 'password' } }),
      400,
      'VALIDATION_ERROR',
      'which',
    )
    expect((await t.as('alice')('GET', '/v1/rooms')).status).toBe(200)
  })
})
