// The OpenAPI document served at /swagger/json (issue 15), checked by tools nobody here wrote:
// @apidevtools/swagger-parser validates it, Redocly lints it with the committed redocly.yaml
// (offline), and the assertions below pin what those two cannot know: which routes take a body,
// which statuses, headers and credentials each operation really has.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import SwaggerParser from '@apidevtools/swagger-parser'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { USER_ID_PATTERN } from '../../src/schemas/common'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'

const ROOT = join(import.meta.dir, '..', '..')
type Json = Record<string, any>

let s: TestServer
let doc: Json
let dir: string
beforeAll(async () => {
  s = await startTestServer()
  doc = (await s.call('GET', '/swagger/json')).body
  dir = mkdtempSync(join(tmpdir(), 'chatapi-openapi-'))
})
afterAll(async () => {
  await s?.stop()
  rmSync(dir, { recursive: true, force: true })
})

const operations = () =>
  Object.entries(doc.paths as Record<string, Json>).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([m]) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
      .map(([method, op]) => ({ path, method, op: op as Json, id: `${method.toUpperCase()} ${path}` })),
  )
const op = (method: string, path: string) => doc.paths[path][method] as Json
/** Follows local $refs (components). */
const deref = (node: Json): Json => {
  let n = node
  while (n?.$ref) n = n.$ref.slice(2).split('/').reduce((o: Json, k: string) => o[k], doc)
  return n
}
const paramsOf = (o: Json) => (o.parameters ?? []).map(deref) as Json[]
const isAdmin = (path: string) => path.startsWith('/v1/admin/')
/** Signed URLs (SPEC §12) carry their own proof: no credentials, like /health. */
const SIGNED = ['/v1/uploads/{upload_id}/content']
const isTenant = (path: string) => path.startsWith('/v1/') && !isAdmin(path) && !SIGNED.includes(path)

describe('outside validators', () => {
  test('@apidevtools/swagger-parser validates the served document', async () => {
    // validate() dereferences in place: give it a copy.
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined()
  })

  test('redocly lint with redocly.yaml reports 0 errors and 0 warnings, offline', async () => {
    const file = join(dir, 'openapi.json')
    writeFileSync(file, JSON.stringify(doc))
    // In a network namespace of its own when the machine allows it: then "offline" is proven, not assumed.
    const isolated = Bun.spawnSync(['unshare', '-n', 'true']).exitCode === 0
    if (!isolated) console.warn('[openapi] unshare -n is not permitted here: redocly runs with telemetry and update checks off, but not network-isolated')
    const cmd = [join(ROOT, 'node_modules/.bin/redocly'), 'lint', file, '--config', join(ROOT, 'redocly.yaml'), '--format', 'json', '--max-problems', '1000']
    const p = Bun.spawnSync(isolated ? ['unshare', '-n', ...cmd] : cmd, {
      cwd: dir,
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
    })
    const out = p.stdout.toString()
    const report = JSON.parse(out.slice(out.indexOf('{'))) as { totals: { errors: number; warnings: number }; problems: { ruleId: string; message: string; location: { pointer: string }[] }[] }
    const problems = report.problems.map((x) => `${x.ruleId}: ${x.message} at ${x.location?.[0]?.pointer}`)
    expect(problems).toEqual([])
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 })
  }, 60_000)
})

describe('request bodies and parameters', () => {
  const BODIES: [string, string, string[]][] = [
    ['post', '/v1/rooms', ['type', 'members']],
    ['patch', '/v1/rooms/{room_id}', []],
    ['post', '/v1/rooms/{room_id}/members', ['user_ids']],
    ['post', '/v1/rooms/{room_id}/messages', ['content']],
    ['patch', '/v1/rooms/{room_id}/messages/{message_id}', []],
    ['post', '/v1/acks', ['room_id', 'seq']],
    ['post', '/v1/rooms/{room_id}/read', ['seq']],
    ['post', '/v1/tokens', ['user_id']],
    ['post', '/v1/notify', ['topic', 'payload', 'targets']],
    ['post', '/v1/subscriptions', ['topic']],
    ['post', '/v1/admin/tenants', ['name']],
    ['patch', '/v1/admin/tenants/{tenant_id}', []],
    ['post', '/v1/admin/tenants/{tenant_id}/rotate-key', []],
    // SPEC Revision 2
    ['post', '/v1/rooms/{room_id}/bans', ['user_id']],
    ['post', '/v1/rooms/{room_id}/mutes', ['user_id']],
    ['post', '/v1/moderation/bans', ['user_id']],
    ['post', '/v1/reports', ['room_id', 'reason']],
    ['post', '/v1/moderation/reports/{report_id}/resolve', ['action']],
  ]
  test.each(BODIES)('%s %s documents its JSON body (application/json only, with its schema and example)', (method, path, required) => {
    const body = op(method, path).requestBody
    expect(Object.keys(body?.content ?? {})).toEqual(['application/json'])
    const media = body.content['application/json']
    const schema = deref(media.schema)
    expect(schema.type).toBe('object')
    expect(Object.keys(schema.properties).length).toBeGreaterThan(0)
    expect(schema.required ?? []).toEqual(expect.arrayContaining(required))
    expect(media.example ?? media.examples).toBeDefined()
  })

  test('rotate-key may be sent without a body', () => {
    expect(op('post', '/v1/admin/tenants/{tenant_id}/rotate-key').requestBody.required).toBe(false)
    expect(op('post', '/v1/rooms').requestBody.required).toBe(true)
  })

  test('no 204 answer has content', () => {
    const noContent = operations().filter((o) => o.op.responses['204'])
    expect(noContent.map((o) => o.id).sort()).toEqual(
      [
        'DELETE /v1/admin/dead-letters/{id}',
        'DELETE /v1/rooms/{room_id}',
        'DELETE /v1/rooms/{room_id}/members/{user_id}',
        'DELETE /v1/rooms/{room_id}/messages/{message_id}',
        'DELETE /v1/subscriptions/{subscription_id}',
        'DELETE /v1/rooms/{room_id}/bans/{user_id}',
        'DELETE /v1/rooms/{room_id}/mutes/{user_id}',
        'DELETE /v1/moderation/bans/{user_id}',
        'DELETE /v1/blocks/{user_id}',
      ].sort(),
    )
    for (const o of noContent) expect(deref(o.op.responses['204']).content).toBeUndefined()
  })

  test('query parameters are typed, with their ranges and required flags', () => {
    const q = (method: string, path: string, name: string) => paramsOf(op(method, path)).find((p) => p.in === 'query' && p.name === name)!
    for (const [m, p] of [['get', '/v1/rooms'], ['get', '/v1/channels'], ['get', '/v1/rooms/{room_id}/members'], ['get', '/v1/rooms/{room_id}/messages'], ['get', '/v1/admin/dead-letters'], ['get', '/v1/admin/tenants']]) {
      expect(q(m, p, 'limit')).toMatchObject({ required: false, schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } })
    }
    // Every list (Revision 2's included) takes the same limit (SPEC §7), and pages by cursor where it says so.
    for (const o of operations()) {
      const limit = paramsOf(o.op).find((p) => p.in === 'query' && p.name === 'limit')
      if (limit) expect({ op: o.id, limit: limit.schema }).toMatchObject({ op: o.id, limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 } })
    }
    for (const [m, p] of [
      ['get', '/v1/rooms/{room_id}/messages/{message_id}/reactions'], ['get', '/v1/mentions'], ['get', '/v1/search'], ['get', '/v1/rooms/{room_id}/bans'],
      ['get', '/v1/rooms/{room_id}/mutes'], ['get', '/v1/moderation/bans'], ['get', '/v1/moderation/reports'], ['get', '/v1/moderation/audit'],
      ['get', '/v1/blocks'], ['get', '/v1/admin/audit'], ['get', '/v1/admin/tenants'],
    ])
      for (const name of ['limit', 'cursor']) expect({ at: `${p} ${name}`, found: !!q(m, p, name) }).toEqual({ at: `${p} ${name}`, found: true })
    expect(q('get', '/v1/rooms/{room_id}/changes', 'after_rev').schema).toMatchObject({ type: 'integer', minimum: 0 })
    for (const name of ['after_seq', 'before_seq']) expect(q('get', '/v1/rooms/{room_id}/messages/{message_id}/replies', name).schema).toMatchObject({ type: 'integer', minimum: 0 })
    expect(q('get', '/v1/rooms/{room_id}/messages', 'top_level').schema.type).toBe('boolean')
    expect(q('get', '/v1/search', 'q')).toMatchObject({ required: true, schema: { type: 'string', minLength: 1, maxLength: 256 } })
    for (const name of ['room_id', 'sender_id']) expect(q('get', '/v1/search', name).required).toBe(false)
    expect(q('get', '/v1/moderation/reports', 'status').schema.enum).toEqual(['open', 'resolved'])
    expect(q('get', '/v1/admin/stats', 'window').schema.enum).toEqual(['15m', '1h', '24h'])
    for (const name of ['after_seq', 'before_seq']) expect(q('get', '/v1/rooms/{room_id}/messages', name).schema).toMatchObject({ type: 'integer', minimum: 0 })
    expect(q('get', '/v1/presence', 'user_ids')).toMatchObject({ required: true, schema: { type: 'string' } })
    expect(q('get', '/v1/admin/dead-letters', 'kind').schema.enum).toEqual(['message', 'notification', 'webhook'])
    for (const o of operations()) for (const p of paramsOf(o.op)) expect({ op: o.id, p: p.name, description: typeof p.description }).toEqual({ op: o.id, p: p.name, description: 'string' })
  })
})

describe('SPEC Revision 2 (§11-§16)', () => {
  // Every route §11-§16 names, with the statuses the SPEC gives it beyond the common ones (400,
  // 401, 403, 413, 415, 429, 500, 503, checked for every tenant operation below).
  const R2: [string, string, string[]][] = [
    ['get', '/v1/rooms/{room_id}/changes', ['200', '404']],
    ['post', '/v1/rooms/{room_id}/messages', ['201', '404', '409', '422']],
    ['patch', '/v1/rooms/{room_id}/messages/{message_id}', ['200', '404', '409', '422']],
    ['get', '/v1/rooms/{room_id}/messages/{message_id}/replies', ['200', '404']],
    ['put', '/v1/rooms/{room_id}/messages/{message_id}/reactions/{key}', ['200', '404', '409']],
    ['delete', '/v1/rooms/{room_id}/messages/{message_id}/reactions/{key}', ['200', '404', '409']],
    ['get', '/v1/rooms/{room_id}/messages/{message_id}/reactions', ['200', '404']],
    ['get', '/v1/mentions', ['200']],
    ['put', '/v1/rooms/{room_id}/pins/{message_id}', ['200', '404', '409']],
    ['delete', '/v1/rooms/{room_id}/pins/{message_id}', ['200', '404', '409']],
    ['get', '/v1/rooms/{room_id}/pins', ['200', '404']],
    ['post', '/v1/uploads', ['201', '409']],
    ['get', '/v1/uploads/{upload_id}', ['200', '206', '304', '404']],
    ['get', '/v1/uploads/{upload_id}/url', ['200', '404']],
    ['get', '/v1/uploads/{upload_id}/content', ['200', '206', '304', '400', '403', '404']],
    ['get', '/v1/search', ['200', '404']],
    ['post', '/v1/rooms/{room_id}/bans', ['201', '404']],
    ['get', '/v1/rooms/{room_id}/bans', ['200', '404']],
    ['delete', '/v1/rooms/{room_id}/bans/{user_id}', ['204', '404']],
    ['post', '/v1/rooms/{room_id}/mutes', ['201', '404']],
    ['get', '/v1/rooms/{room_id}/mutes', ['200', '404']],
    ['delete', '/v1/rooms/{room_id}/mutes/{user_id}', ['204', '404']],
    ['patch', '/v1/rooms/{room_id}', ['200', '404']],
    ['post', '/v1/moderation/bans', ['201']],
    ['get', '/v1/moderation/bans', ['200']],
    ['delete', '/v1/moderation/bans/{user_id}', ['204']],
    ['put', '/v1/blocks/{user_id}', ['200']],
    ['delete', '/v1/blocks/{user_id}', ['204']],
    ['get', '/v1/blocks', ['200']],
    ['post', '/v1/reports', ['200', '201', '404']],
    ['get', '/v1/moderation/reports', ['200']],
    ['post', '/v1/moderation/reports/{report_id}/resolve', ['200', '404', '409']],
    ['get', '/v1/moderation/audit', ['200']],
    ['get', '/v1/admin/audit', ['200']],
    ['delete', '/v1/rooms/{room_id}', ['204', '404']],
    ['post', '/v1/users/{user_id}/erase', ['202']],
    ['get', '/v1/users/{user_id}/export', ['200']],
    ['get', '/v1/rooms/{room_id}/export', ['200', '404']],
    ['delete', '/v1/admin/tenants/{tenant_id}', ['202', '404']],
    ['get', '/v1/admin/tenants', ['200']],
    ['get', '/v1/jobs/{job_id}', ['200', '404']],
    ['get', '/v1/admin/jobs/{job_id}', ['200', '404']],
    ['get', '/v1/admin/stats', ['200']],
  ]
  test.each(R2)('%s %s is documented with its statuses', (method, path, statuses) => {
    const o = doc.paths[path]?.[method] as Json | undefined
    expect({ op: `${method} ${path}`, documented: !!o }).toEqual({ op: `${method} ${path}`, documented: true })
    expect(Object.keys(o!.responses)).toEqual(expect.arrayContaining(statuses))
    for (const status of statuses.filter((x) => x.startsWith('2') && x !== '204' && x !== '206')) expect({ at: `${method} ${path} ${status}`, content: !!deref(o!.responses[status]).content }).toEqual({ at: `${method} ${path} ${status}`, content: true })
  })

  test('uploads take multipart or a raw body; exports answer NDJSON; downloads are any media type', () => {
    expect(Object.keys(op('post', '/v1/uploads').requestBody.content).sort()).toEqual(['application/octet-stream', 'multipart/form-data'])
    const part = deref(op('post', '/v1/uploads').requestBody.content['multipart/form-data'].schema)
    expect(part.required).toContain('file')
    expect(paramsOf(op('post', '/v1/uploads')).find((p) => p.in === 'query' && p.name === 'filename')).toBeDefined()
    for (const path of ['/v1/users/{user_id}/export', '/v1/rooms/{room_id}/export']) expect(Object.keys(deref(op('get', path).responses['200']).content)).toEqual(['application/x-ndjson'])
    expect(deref(op('post', '/v1/uploads').responses['201']).content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Upload' })
    // A download is served with the type it was stored with (SPEC §12): any type, not octet-stream.
    for (const path of ['/v1/uploads/{upload_id}', '/v1/uploads/{upload_id}/content'])
      for (const status of ['200', '206']) expect(Object.keys(deref(op('get', path).responses[status]).content)).toEqual(['*/*'])
  })

  test('the shared objects carry the Revision 2 fields', () => {
    const props = (name: string) => Object.keys(doc.components.schemas[name].properties)
    expect(props('Message')).toEqual(expect.arrayContaining(['rev', 'parent_id', 'reply_count', 'last_reply_at', 'mentions', 'attachments', 'reactions', 'pinned_at', 'pinned_by']))
    expect(props('Room')).toEqual(expect.arrayContaining(['last_rev', 'first_seq', 'read_only']))
    expect(props('RoomListItem')).toEqual(expect.arrayContaining(['unread_mentions']))
    expect(props('TenantConfig')).toEqual(
      expect.arrayContaining(['blocklist', 'presend_url', 'presend_timeout_ms', 'presend_on_failure', 'retention_days', 'max_upload_bytes', 'storage_quota_bytes', 'upload_types']),
    )
    expect(Object.keys(doc.components.schemas.TenantConfig.properties.features.properties)).toContain('search')
    expect(Object.keys(doc.components.schemas.TenantWithUsage.properties.usage.properties)).toEqual(expect.arrayContaining(['uploads', 'storage_bytes']))
    expect(Object.keys(deref(op('patch', '/v1/rooms/{room_id}').requestBody.content['application/json'].schema).properties)).toContain('read_only')
    for (const [m, p] of [['post', '/v1/rooms/{room_id}/messages'], ['patch', '/v1/rooms/{room_id}/messages/{message_id}']]) {
      const body = Object.keys(deref(op(m, p).requestBody.content['application/json'].schema).properties)
      expect(body).toEqual(expect.arrayContaining(m === 'post' ? ['parent_id', 'mentions', 'attachments'] : ['mentions']))
    }
  })
})

describe('responses', () => {
  test('every response documents X-Request-Id; tenant answers the rate-limit headers; 429 Retry-After', () => {
    for (const o of operations())
      for (const [status, r] of Object.entries(o.op.responses as Record<string, Json>)) {
        const headers = Object.fromEntries(Object.entries(deref(r).headers ?? {}).map(([k, v]) => [k.toLowerCase(), deref(v as Json)]))
        const at = `${o.id} ${status}`
        expect({ at, required: headers['x-request-id']?.required }).toEqual({ at, required: true })
        if (!isTenant(o.path)) {
          expect({ at, limit: headers['x-ratelimit-limit'] as Json | undefined }).toEqual({ at, limit: undefined })
          continue
        }
        // Set once the tenant is known: on every 2xx and 429, on most errors after that, never on a 401.
        const always = status.startsWith('2') || status === '429'
        for (const h of ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'])
          expect({ at, h, required: headers[h]?.required, type: headers[h]?.schema?.type }).toEqual(
            status === '401' ? { at, h, required: undefined, type: undefined } : { at, h, required: always, type: 'integer' },
          )
        expect({ at, retry: headers['retry-after']?.required }).toEqual({ at, retry: status === '429' ? true : undefined })
      }
  })

  test('every tenant operation answers 400, 401, 403 (a banned user), 413, 415, 429, 500 and 503; admin operations 400, 401, 403, 413, 415, 500 and 503', () => {
    for (const o of operations()) {
      const codes = Object.keys(o.op.responses)
      if (isTenant(o.path)) expect({ op: o.id, codes }).toEqual({ op: o.id, codes: expect.arrayContaining(['400', '401', '403', '413', '415', '429', '500', '503']) })
      if (isAdmin(o.path)) {
        expect({ op: o.id, codes }).toEqual({ op: o.id, codes: expect.arrayContaining(['400', '401', '403', '413', '415', '500', '503']) })
        expect(codes).not.toContain('429')
      }
    }
  })

  test('the error envelope and the main objects are shared components, referenced, not copied', () => {
    const schemas = doc.components.schemas as Record<string, Json>
    for (const name of ['Error', 'Room', 'RoomListItem', 'Member', 'Message', 'MessageAck', 'Tenant', 'CreatedTenant', 'Subscription', 'DeadLetter'])
      expect({ name, type: schemas[name]?.type }).toEqual({ name, type: 'object' })
    const text = JSON.stringify(doc.paths)
    // The envelope's schema is only in components, never inlined into an operation (examples may show it).
    expect(text).not.toContain('"success":{')
    for (const o of operations())
      for (const [status, r] of Object.entries(o.op.responses as Record<string, Json>))
        if (Number(status) >= 400 && !(o.path === '/health' && status === '503'))
          expect({ at: `${o.id} ${status}`, schema: deref(r).content['application/json'].schema }).toEqual({ at: `${o.id} ${status}`, schema: { $ref: '#/components/schemas/Error' } })
    expect(deref(op('get', '/v1/rooms/{room_id}').responses['200']).content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Room' })
    // Copies of the shared objects would multiply the size; ~210 KB is what the routes of SPEC §1-15 take referenced.
    expect(JSON.stringify(doc).length).toBeLessThan(250_000)
  })

  test('GET /metrics documents its text answer; /health its 200 and 503; both need no credentials', () => {
    const metrics = op('get', '/metrics')
    expect(Object.keys(metrics.responses['200'].content)).toEqual(['text/plain'])
    expect(metrics.security).toEqual([])
    const health = op('get', '/health')
    expect(Object.keys(health.responses)).toEqual(expect.arrayContaining(['200', '503']))
    expect(health.security).toEqual([])
  })
})

describe('credentials', () => {
  const schemes = (o: Json) => (o.security ?? []).map((req: Json) => Object.keys(req).sort().join('+')).sort()
  const APP_ONLY = [
    'POST /v1/tokens',
    'POST /v1/notify',
    'POST /v1/moderation/bans',
    'GET /v1/moderation/bans',
    'DELETE /v1/moderation/bans/{user_id}',
    'GET /v1/moderation/reports',
    'POST /v1/moderation/reports/{report_id}/resolve',
    'GET /v1/moderation/audit',
    'POST /v1/users/{user_id}/erase',
    'GET /v1/users/{user_id}/export',
    'GET /v1/rooms/{room_id}/export',
    'GET /v1/jobs/{job_id}',
  ]

  test('X-User-Id is a header parameter of tenant operations, not a security scheme', () => {
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['apiKey', 'bearer', 'masterKey'])
    for (const o of operations()) {
      const header = paramsOf(o.op).find((p) => p.in === 'header' && p.name === 'X-User-Id')
      expect({ op: o.id, has: !!header }).toEqual({ op: o.id, has: isTenant(o.path) })
      if (header) expect(header.schema).toMatchObject({ type: 'string', pattern: USER_ID_PATTERN })
      // App-level calls (SPEC Revision 2) take the API key alone: there X-User-Id is optional.
      if (header) expect({ op: o.id, optional: header.description.startsWith('Optional') }).toEqual({ op: o.id, optional: APP_ONLY.includes(o.id) })
      expect(o.op['x-app-level']).toBeUndefined()
    }
  })

  test('Bearer only where a token works; the master key on admin operations only; /health and /metrics need none', () => {
    for (const o of operations()) {
      const want = isAdmin(o.path) ? ['masterKey'] : !isTenant(o.path) ? [] : APP_ONLY.includes(o.id) ? ['apiKey'] : ['apiKey', 'bearer']
      expect({ op: o.id, schemes: schemes(o.op) }).toEqual({ op: o.id, schemes: want })
    }
  })

  test('a token really is refused (403) where the document lists no Bearer', async () => {
    const t: TestTenant = await s.newTenant()
    const token = (await t.as('alice')('POST', '/v1/tokens', { body: { user_id: 'alice' } })).body.token as string
    const bearer = { authorization: `Bearer ${token}` }
    const tries: [string, string, unknown][] = [
      ['POST', '/v1/tokens', { user_id: 'alice' }],
      ['POST', '/v1/notify', { topic: 't', payload: {}, targets: { user_ids: ['bob'] } }],
    ]
    tries.push(['POST', '/v1/users/bob/erase', undefined], ['GET', '/v1/users/bob/export', undefined], ['GET', '/v1/jobs/job_x', undefined])
    for (const [method, path, body] of tries) expect(`${method} ${path} ${(await s.call(method, path, { headers: bearer, body })).status}`).toBe(`${method} ${path} 403`)
    expect((await s.call('GET', '/v1/rooms', { headers: bearer })).status).toBe(200)
  })
})

describe('documentation', () => {
  test('servers, license, contact, and a description for every tag', () => {
    expect(doc.servers?.length).toBeGreaterThan(0)
    expect(doc.info.license?.name).toBeTruthy()
    expect(doc.info.contact?.name).toBeTruthy()
    const used = new Set(operations().flatMap((o) => o.op.tags ?? []))
    const described = new Map((doc.tags as Json[]).map((t) => [t.name, t.description]))
    for (const tag of used) expect({ tag, description: typeof described.get(tag) }).toEqual({ tag, description: 'string' })
  })

  test('every operation has an id, a summary, a description and at least one example', () => {
    const ids = new Set<string>()
    for (const o of operations()) {
      expect({ op: o.id, summary: typeof o.op.summary, description: typeof o.op.description, operationId: typeof o.op.operationId }).toEqual({
        op: o.id,
        summary: 'string',
        description: 'string',
        operationId: 'string',
      })
      ids.add(o.op.operationId)
      const bodies = [o.op.requestBody, ...Object.values(o.op.responses as Record<string, Json>)].map((b) => b && deref(b)).filter(Boolean)
      const examples = bodies.flatMap((b: Json) => Object.values((b.content ?? {}) as Record<string, Json>).filter((m) => m.example !== undefined || m.examples))
      expect({ op: o.id, examples: examples.length > 0 }).toEqual({ op: o.id, examples: true })
    }
    expect(ids.size).toBe(operations().length)
  })

  test('the document is the same whichever routes ran before it was first asked for', async () => {
    // Elysia writes into a route's schemas when it compiles the route, on its first request.
    const other = await startTestServer()
    try {
      const t = await other.newTenant()
      const a = t.as('alice')
      const room = (await a('POST', '/v1/rooms', { body: { type: 'group', members: ['bob'] } })).body.room_id
      await a('POST', `/v1/rooms/${room}/messages`, { body: { content: 'hi' } })
      await a('POST', `/v1/rooms/${room}/members`, { body: { user_ids: ['carol'] } })
      await a('POST', '/v1/rooms', { body: { type: 'nope' } })
      await other.admin('PATCH', `/v1/admin/tenants/${t.tenant_id}`, { body: { name: 'renamed' } })
      expect((await other.call('GET', '/swagger/json')).body).toEqual(doc)
    } finally {
      await other.stop()
    }
  })
})
