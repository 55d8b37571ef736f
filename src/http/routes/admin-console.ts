// GET /admin: the admin console (SPEC §16), with routes only when MASTER_API_KEY is set, so it is a
// plain 404 otherwise. The page and its assets need no credentials (they hold no data); every
// call the page makes carries the master key in X-Master-Key. Same origin, no CDN, and a strict
// CSP: the page's own script and stylesheet only, no inline script or style, talks to this origin.

import { Elysia } from 'elysia'
import { adminCss, adminHtml } from '../../admin/static'

export const ADMIN_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

const SECURITY_HEADERS = {
  'content-security-policy': ADMIN_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
}

const page = (body: string, type: string, cache: string) =>
  new Response(body, { headers: { 'content-type': type, 'cache-control': cache, ...SECURITY_HEADERS } })

export const adminConsoleRoutes = (enabled: boolean) => {
  if (!enabled) return new Elysia()
  // The script module is loaded on first use: under `bun run` that is when its bundle is built.
  let script: Promise<string> | null = null
  const loadScript = () => (script ??= import('../../admin/script').then((m) => m.adminScript))
  const hide = { detail: { hide: true } }
  return new Elysia()
    .get('/admin', () => page(adminHtml, 'text/html; charset=utf-8', 'no-store'), hide)
    .get('/admin/app.css', () => page(adminCss, 'text/css; charset=utf-8', 'no-cache'), hide)
    .get('/admin/app.js', async () => page(await loadScript(), 'text/javascript; charset=utf-8', 'no-cache'), hide)
}
