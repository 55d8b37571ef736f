// /admin over plain HTTP (no browser needed): served only when MASTER_API_KEY is set, same-origin
// assets under a strict CSP, a script bundle that carries uPlot and the console but nothing of the
// server, and nothing of it in the API description.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { startTestServer, type TestServer } from '../support/server'

let on: TestServer
let off: TestServer
beforeAll(async () => {
  ;[on, off] = await Promise.all([startTestServer(), startTestServer({ MASTER_API_KEY: '' })])
})
afterAll(async () => {
  await Promise.all([on?.stop(), off?.stop()])
})

test('without MASTER_API_KEY, /admin and its assets are an ordinary 404', async () => {
  for (const path of ['/admin', '/admin/app.js', '/admin/app.css']) {
    const r = await off.call('GET', path)
    expect(r.status).toBe(404)
    expect(r.body).toEqual({ success: false, error: { code: 'NOT_FOUND', message: 'route not found' } })
  }
})

test('with MASTER_API_KEY, the page, script and stylesheet come from this origin with a strict CSP and no credentials', async () => {
  const page = await fetch(`${on.url}/admin`)
  expect(page.status).toBe(200)
  expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
  expect(page.headers.get('cache-control')).toBe('no-store')
  const csp = page.headers.get('content-security-policy')!
  for (const d of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"]) expect(csp).toContain(d)
  expect(csp).not.toContain('unsafe')
  expect(page.headers.get('x-content-type-options')).toBe('nosniff')
  expect(page.headers.get('referrer-policy')).toBe('no-referrer')
  const html = await page.text()
  expect(html).toContain('<script type="module" src="/admin/app.js"></script>')
  expect(html).toContain('<link rel="stylesheet" href="/admin/app.css" />')
  expect(html).not.toMatch(/https?:\/\//)
  expect(html).not.toContain('style=')

  const js = await fetch(`${on.url}/admin/app.js`)
  expect(js.status).toBe(200)
  expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
  expect(js.headers.get('content-security-policy')).toBe(csp)
  const code = await js.text()
  expect(code).toContain('/v1/admin/stats')
  expect(code).toContain('x-master-key')
  expect(code).toContain('u-legend') // uPlot is in the bundle
  expect(code).not.toMatch(/https?:\/\//) // no CDN, no other origin
  expect(code).not.toMatch(/TypeCompiler|bun:sqlite|elysia/i) // no server code
  expect(code).not.toContain('document.cookie')
  expect(code).not.toContain('localStorage')

  const css = await fetch(`${on.url}/admin/app.css`)
  expect(css.status).toBe(200)
  expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8')
  const text = await css.text()
  expect(text).toContain('.uplot') // uPlot's stylesheet, then ours
  expect(text).toContain('.chart-card')
  expect(text).not.toMatch(/@import|url\(\s*['"]?https?:/)

  // The page needs no credentials (it holds no data); every API call it makes does.
  expect((await on.call('GET', '/v1/admin/stats')).status).toBe(401)

  const doc = (await (await fetch(`${on.url}/swagger/json`)).json()) as { paths: Record<string, unknown> }
  expect(Object.keys(doc.paths).filter((p) => p === '/admin' || p.startsWith('/admin/'))).toEqual([])
  expect(Object.keys(doc.paths)).toContain('/v1/admin/stats')
})
