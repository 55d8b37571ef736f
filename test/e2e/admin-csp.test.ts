// The admin console's defences in headless Chromium: a wrong master key is refused and nothing is
// kept; signing out forgets the key and the secrets on screen (and signing in again does not wire
// the page twice); the CSP header forbids inline scripts (an injected one is blocked and reported)
// and the page works under it. The operator's flows are in admin.test.ts.

import { beforeAll, expect, test } from 'bun:test'
import { openConsole as openAdminPage, signIn } from '../support/admin-page'
import { browserSuite } from '../support/browser'
import { MASTER_KEY, type TestServer } from '../support/server'
import { until } from '../delivery/helpers'
import { hasChromium, SKIP_REASON } from './browser'

// The callbacks given to evaluate run in the page, where these exist.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const document: any, window: any, sessionStorage: any

const KEY_ITEM = 'chatapi.admin.masterKey'

let s: TestServer
const suite = browserSuite()
beforeAll(() => {
  if (hasChromium) s = suite.server
})

const openConsole = () => openAdminPage(suite)

test.skipIf(!hasChromium)(`a wrong master key is refused and nothing is kept${hasChromium ? '' : ` (${SKIP_REASON})`}`, async () => {
  const c = await openConsole()
  await c.page.fill('#master-key', 'not-the-master-key')
  await c.page.click('#signin')
  await c.page.waitForFunction(() => document.querySelector('#login-error').textContent.includes('Wrong master key'))
  expect(await c.page.isHidden('#app')).toBe(true)
  expect(await c.page.evaluate((k: string) => sessionStorage.getItem(k), KEY_ITEM)).toBeNull()
  expect(c.refused).toEqual([])
  await c.context.close()
})
test.skipIf(!hasChromium)(`sign out forgets the key and any secret on screen; signed in again, each action runs once${hasChromium ? '' : ` (${SKIP_REASON})`}`, async () => {
  const c = await openConsole()
  const backups: string[] = []
  c.page.on('request', (r) => (r.method() === 'POST' && r.url().endsWith('/v1/admin/backup') ? backups.push(r.url()) : null))
  for (let i = 0; i < 2; i++) {
    await signIn(c.page)
    if (i === 0) {
      // Secrets on screen at sign-out leave the page with the key.
      await c.page.click('#nav-tenants')
      await c.page.fill('#new-tenant-name', 'signed out')
      await c.page.press('#new-tenant-name', 'Enter')
      await c.page.waitForSelector('#secrets', { state: 'visible' })
      await c.page.click('#signout')
      expect(await c.page.evaluate(() => document.querySelector('#secrets-list').textContent)).toBe('')
      await c.page.waitForSelector('#login', { state: 'visible' })
      expect(await c.page.evaluate((k: string) => sessionStorage.getItem(k), KEY_ITEM)).toBeNull()
      expect(await c.page.evaluate(() => document.activeElement.id)).toBe('master-key')
    }
  }
  // The second sign-in must not have wired the buttons a second time (two backups per press).
  await c.page.click('#nav-backups')
  await c.page.click('#backup-start')
  await c.page.waitForFunction(() => document.querySelector('#backup-status').textContent.startsWith('Done: '))
  expect(await c.page.locator('#backup-rows tr').count()).toBe(1)
  expect(backups).toHaveLength(1)
  expect(c.refused).toEqual([])
  await c.context.close()
})
test.skipIf(!hasChromium)(`the CSP forbids inline scripts, and the page works under it${hasChromium ? '' : ` (${SKIP_REASON})`}`, async () => {
  const res = await fetch(`${s.url}/admin`)
  const csp = res.headers.get('content-security-policy')!
  expect(csp).toContain("script-src 'self'")
  expect(csp).toContain("default-src 'none'")
  expect(csp).toContain("connect-src 'self'")
  expect(csp).not.toContain('unsafe-inline')
  expect(csp).not.toContain('unsafe-eval')
  const html = await res.text()
  expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/) // every script is a file
  expect(html).not.toMatch(/\son[a-z]+=/i) // no inline handlers
  expect(html).not.toMatch(/https?:\/\//)

  const c = await openConsole()
  const violations: string[] = []
  await c.page.exposeFunction('reportViolation', (v: string) => violations.push(v))
  await c.page.evaluate(() => document.addEventListener('securitypolicyviolation', (e: any) => window.reportViolation(e.violatedDirective)))
  // An injected inline script does not run.
  const ran = await c.page.evaluate(() => {
    const el = document.createElement('script')
    el.textContent = 'window.__inlineRan = true'
    document.body.append(el)
    return window.__inlineRan === true
  })
  expect(ran).toBe(false)
  await until('the CSP violation report', () => (violations.length ? true : undefined))
  expect(violations[0]).toContain('script-src')
  // The page itself still works: sign in and load the charts.
  await c.page.fill('#master-key', MASTER_KEY)
  await c.page.click('#signin')
  await c.page.waitForSelector('#overview-charts[data-loaded]')
  expect(c.refused).toEqual([])
  await c.context.close()
})
