// Operations without credentials (SPEC §4, §10): GET /health shape, OpenAPI at /swagger/json, offline Swagger UI.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startTestServer, type TestServer } from '../support/server'
import { onSqlite, TEST_REDIS_URL } from '../support/storage'

let s: TestServer
beforeAll(async () => (s = await startTestServer()))
afterAll(() => s.stop())

describe('GET /health', () => {
  test('200 {status ok, version, epoch, uptime_s, db {writable, wal_bytes}, workers, connections}', async () => {
    const r = await s.call('GET', '/health')
    expect(r.status).toBe(200)
    expect(r.headers.get('x-request-id')).toBeTruthy()
    const b = r.body
    // `cluster` only when instances share Redis (SPEC §9): the figures for every live instance.
    expect(Object.keys(b).sort()).toEqual(['connections', 'db', 'epoch', 'status', 'uptime_s', 'version', 'workers', ...(TEST_REDIS_URL ? ['cluster'] : [])].sort())
    if (TEST_REDIS_URL) {
      expect(b.cluster.redis).toBe('ok')
      expect(b.cluster.instances).toBeGreaterThanOrEqual(1)
      expect(b.cluster.connections).toBeGreaterThanOrEqual(0)
    }
    expect(b.status).toBe('ok')
    expect(typeof b.version).toBe('string')
    expect(b.version.length).toBeGreaterThan(0)
    expect(b.epoch).toMatch(/^\S{6,}$/)
    expect(Number.isInteger(b.uptime_s) && b.uptime_s >= 0).toBe(true)
    expect(b.db.writable).toBe(true)
    expect(Number.isInteger(b.db.wal_bytes) && b.db.wal_bytes >= 0).toBe(true)
    expect(b.connections).toBe(0)
    // The WAL checkpoint worker exists on SQLite only (PostgreSQL manages its own WAL).
    for (const name of onSqlite ? ['delivery', 'checkpoint'] : ['delivery']) {
      const w = b.workers[name]
      expect(['running', 'restarting', 'stopped']).toContain(w.state)
      expect(Number.isInteger(w.restarts)).toBe(true)
      expect(w.last_error === null || /^[A-Z0-9_]+$/.test(w.last_error)).toBe(true)
    }
  })

  test('the epoch is stable across calls; credentials are not needed and not checked', async () => {
    const a = await s.call('GET', '/health')
    const b = await s.call('GET', '/health', { headers: { 'x-api-key': 'sk_garbage', 'x-master-key': 'nope' } })
    expect(b.status).toBe(200)
    expect(b.body.epoch).toBe(a.body.epoch)
  })
})

describe('OpenAPI document', () => {
  // Every /v1 path of SPEC §4 built by the core service (issue #2), with its methods.
  const CORE: Record<string, string[]> = {
    '/v1/rooms': ['get', 'post'],
    '/v1/rooms/{room_id}': ['get', 'patch'],
    '/v1/channels': ['get'],
    '/v1/rooms/{room_id}/join': ['post'],
    '/v1/rooms/{room_id}/members': ['get', 'post'],
    '/v1/rooms/{room_id}/members/{user_id}': ['delete'],
    '/v1/rooms/{room_id}/messages': ['get', 'post'],
    '/v1/rooms/{room_id}/messages/{message_id}': ['get', 'patch', 'delete'],
    '/v1/acks': ['post'],
    '/v1/rooms/{room_id}/read': ['post'],
    '/v1/admin/tenants': ['get', 'post'],
    '/v1/admin/tenants/{tenant_id}': ['get', 'patch'],
    '/v1/admin/tenants/{tenant_id}/rotate-key': ['post'],
  }

  test('GET /swagger/json is OpenAPI 3 and lists every core path and method, plus /health', async () => {
    const r = await s.call('GET', '/swagger/json')
    expect(r.status).toBe(200)
    expect(r.body.openapi).toMatch(/^3\./)
    expect(r.body.info.title).toBe('ChatAPI')
    for (const [path, methods] of Object.entries(CORE)) {
      expect(Object.keys(r.body.paths)).toContain(path)
      expect(Object.keys(r.body.paths[path])).toEqual(expect.arrayContaining(methods))
    }
    expect(r.body.paths['/health'].get).toBeDefined()
    expect(Object.keys(r.body.paths).filter((p) => p.startsWith('/swagger'))).toEqual([])
  })

  test('security schemes exist, tenant operations use the key or a token, admin operations the master key', async () => {
    const doc = (await s.call('GET', '/swagger/json')).body
    const schemes = doc.components.securitySchemes
    expect(schemes.apiKey).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-API-Key' })
    expect(schemes.masterKey).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-Master-Key' })
    expect(schemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' })
    // X-User-Id is a header parameter, not a credential (a missing one is a 400, not a 401).
    expect(schemes.userId).toBeUndefined()
    expect(doc.components.parameters.XUserId).toMatchObject({ name: 'X-User-Id', in: 'header' })
    for (const [path, methods] of Object.entries(CORE))
      for (const m of methods) {
        const names = (doc.paths[path][m].security ?? []).flatMap((req: Record<string, unknown>) => Object.keys(req))
        expect(names).toEqual(path.startsWith('/v1/admin') ? ['masterKey'] : expect.arrayContaining(['apiKey', 'bearer']))
      }
  })

  test('error responses are documented with the envelope', async () => {
    const doc = (await s.call('GET', '/swagger/json')).body
    const post = doc.paths['/v1/rooms/{room_id}/messages'].post
    for (const code of ['400', '401', '403', '404', '413', '415', '429']) expect(post.responses[code]).toBeDefined()
  })
})

describe('Swagger UI', () => {
  test('GET /swagger is HTML that loads only local assets (no CDN), and they answer 200', async () => {
    const r = await s.call('GET', '/swagger')
    expect(r.status).toBe(200)
    expect(r.headers.get('content-type')).toContain('text/html')
    const html: string = r.body
    expect(html).not.toMatch(/https?:\/\/|\/\/cdn|unpkg|jsdelivr|cdnjs/i)
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1])
    expect(refs.some((x) => x.endsWith('.js'))).toBe(true)
    expect(refs.some((x) => x.endsWith('.css'))).toBe(true)
    for (const ref of refs) {
      const res = await fetch(new URL(ref, s.url + '/swagger'))
      expect(res.status).toBe(200)
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(10_000)
      expect(res.headers.get('content-type')).toMatch(ref.endsWith('.js') ? /javascript/ : /text\/css/)
    }
    // the spec URL the page hands to SwaggerUIBundle resolves to the document
    const specUrl = /"url":"([^"]+)"/.exec(html)?.[1]
    expect(specUrl).toBeTruthy()
    const spec = await fetch(new URL(specUrl!, s.url + '/swagger'))
    expect(spec.status).toBe(200)
    expect(((await spec.json()) as { openapi: string }).openapi).toMatch(/^3\./)
  })
})
