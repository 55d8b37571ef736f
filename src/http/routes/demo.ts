// GET /demo: the demo chat page (SPEC §8 DEMO_ENABLED); without the flag the routes do not exist, so
// it is a plain 404. Same origin as the API: no CORS, no CDN, and a strict CSP (the page
// loads its own script and stylesheet and talks to this server only). The page takes a user token;
// an API key never reaches the browser.

import { Elysia } from 'elysia'
import { demoCss, demoHtml } from '../../demo/static'

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
}

const page = (body: string, type: string, cache: string) =>
  new Response(body, { headers: { 'content-type': type, 'cache-control': cache, ...SECURITY_HEADERS } })

export const demoRoutes = (enabled: boolean) => {
  if (!enabled) return new Elysia()
  // The script module is loaded on first use: under `bun run` that is when its bundle is built.
  let script: Promise<string> | null = null
  const loadScript = () => (script ??= import('../../demo/script').then((m) => m.demoScript))
  const hide = { detail: { hide: true } }
  return new Elysia()
    .get('/demo', () => page(demoHtml, 'text/html; charset=utf-8', 'no-store'), hide)
    .get('/demo/app.css', () => page(demoCss, 'text/css; charset=utf-8', 'no-cache'), hide)
    .get('/demo/app.js', async () => page(await loadScript(), 'text/javascript; charset=utf-8', 'no-cache'), hide)
}
