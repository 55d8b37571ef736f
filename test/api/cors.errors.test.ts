// CORS with CORS_ORIGINS set to an allowlist (SPEC §4 Operations, TESTING D12): explicit origin, no credentials.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'
import type { CallResult } from '../support/http'

const APP = 'https://app.example'
let s: TestServer
let t: TestTenant
beforeAll(async () => {
  s = await startTestServer({ CORS_ORIGINS: `${APP}, https://admin.example` })
  t = await s.newTenant()
})
afterAll(() => s.stop())

const preflight = (origin: string, path = '/v1/rooms') =>
  s.call('OPTIONS', path, {
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-api-key, x-user-id, content-type' },
  })
const list = (h: string | null) => (h ?? '').split(',').map((x) => x.trim().toLowerCase()).filter(Boolean)
const cors = (r: CallResult) => [...r.headers.keys()].filter((k) => k.startsWith('access-control-'))

describe('an allowed origin', () => {
  test('preflight: 204 without credentials, the SPEC headers allowed, the origin echoed, no credentials', async () => {
    const r = await preflight(APP)
    expect(r.status).toBe(204)
    expect(r.headers.get('access-control-allow-origin')).toBe(APP)
    expect(list(r.headers.get('access-control-allow-headers')).sort()).toEqual(
      ['authorization', 'content-type', 'x-api-key', 'x-request-id', 'x-user-id'],
    )
    expect(list(r.headers.get('access-control-allow-methods'))).toEqual(expect.arrayContaining(['get', 'post', 'patch', 'delete']))
    expect(r.headers.get('access-control-allow-credentials')).toBeNull()
    expect(list(r.headers.get('vary'))).toContain('origin')
    expect((await preflight('https://admin.example')).headers.get('access-control-allow-origin')).toBe('https://admin.example')
  })

  test('actual requests, errors included, expose the request id and rate-limit headers', async () => {
    for (const r of [
      await t.as('alice')('GET', '/v1/rooms', { headers: { origin: APP } }),
      await s.call('GET', '/v1/rooms', { headers: { origin: APP } }),
    ]) {
      expect(r.headers.get('access-control-allow-origin')).toBe(APP)
      expect(r.headers.get('access-control-allow-credentials')).toBeNull()
      expect(list(r.headers.get('access-control-expose-headers')).sort()).toEqual(
        ['retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'x-request-id'],
      )
    }
  })
})

describe('any other origin', () => {
  test('gets no CORS headers at all, on a preflight or a request; never a reflected origin', async () => {
    for (const origin of ['https://evil.example', 'https://app.example.evil.com', 'null', 'http://app.example']) {
      const pre = await preflight(origin)
      expect(pre.status).not.toBe(204)
      expect(cors(pre)).toEqual([])
      const r = await t.as('alice')('GET', '/v1/rooms', { headers: { origin } })
      expect(r.status).toBe(200)
      expect(cors(r)).toEqual([])
    }
  })

  test('a request without Origin gets no CORS headers', async () => {
    expect(cors(await t.as('alice')('GET', '/v1/rooms'))).toEqual([])
  })
})
