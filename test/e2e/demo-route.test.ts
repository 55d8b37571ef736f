// /demo over plain HTTP (no browser needed): served only with DEMO_ENABLED, same-origin assets with
// a strict CSP, and a script bundle that carries the SDK but nothing of the server.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { startTestServer, type TestServer } from '../support/server'

let on: TestServer
let off: TestServer
beforeAll(async () => {
  ;[on, off] = await Promise.all([startTestServer({ DEMO_ENABLED: '1' }), startTestServer()])
})
afterAll(async () => {
  await Promise.all([on.stop(), off.stop()])
})

test('without DEMO_ENABLED, /demo and its assets are an ordinary 404', async () => {
  for (const path of ['/demo', '/demo/app.js', '/demo/app.css']) {
    const r = await off.call('GET', path)
    expect(r.status).toBe(404)
    expect(r.body).toEqual({ success: false, error: { code: 'NOT_FOUND', message: 'route not found' } })
  }
})

test('with DEMO_ENABLED, the page, script and stylesheet are served from this origin', async () => {
  const page = await fetch(`${on.url}/demo`)
  expect(page.status).toBe(200)
  expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
  const csp = page.headers.get('content-security-policy')!
  expect(csp).toContain("script-src 'self'")
  expect(csp).toContain("connect-src 'self'")
  expect(page.headers.get('x-request-id')).toMatch(/^req_/)
  const html = await page.text()
  expect(html).toContain('<script type="module" src="/demo/app.js"></script>')
  expect(html).not.toMatch(/https?:\/\//) // no CDN, no external anything

  const js = await fetch(`${on.url}/demo/app.js`)
  expect(js.status).toBe(200)
  expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
  const code = await js.text()
  expect(code.length).toBeGreaterThan(5000)
  expect(code).toContain('/v1/rooms') // the SDK's REST client is in the bundle
  expect(code).not.toMatch(/TypeCompiler|bun:sqlite|elysia/i) // type-only imports: no server code

  const css = await fetch(`${on.url}/demo/app.css`)
  expect(css.status).toBe(200)
  expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8')

  // Not in the API description.
  const doc = (await (await fetch(`${on.url}/swagger/json`)).json()) as { paths: Record<string, unknown> }
  expect(Object.keys(doc.paths).filter((p) => p.startsWith('/demo'))).toEqual([])
})
