// The set-up the demo page's browser suites share (test/e2e/demo*.test.ts): one server with the demo
// on, one tenant, one headless Chromium, and signing a user in through the page with a user token
// that "the backend" minted (the API key never reaches a page).

import { afterAll, beforeAll, expect } from 'bun:test'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { guardNetwork, hasChromium, launch, pageProblems } from '../e2e/browser'
import { startTestServer, type TestServer, type TestTenant } from './server'

export interface DemoUser {
  context: BrowserContext
  page: Page
  /** Requests the page tried to send off this machine (guardNetwork): must stay empty. */
  refused: string[]
  /** Console errors and page errors (pageProblems). */
  problems: string[]
}

export interface DemoPages {
  /** Set in beforeAll (not when Chromium is missing: the suites skip their tests then). */
  readonly server: TestServer
  readonly tenant: TestTenant
  readonly browser: Browser
  /** A user token minted with the tenant's API key, as the parent app's backend would. */
  tokenFor(user: string): Promise<string>
  /** A fresh browser context on /demo, signed in as `user`: the socket is open and the login form gone. */
  signIn(user: string, viewport?: { width: number; height: number }): Promise<DemoUser>
}

/** Registers the beforeAll/afterAll of a demo suite; `env` is added to DEMO_ENABLED=1. */
export function demoPages(env: Record<string, string> = {}): DemoPages {
  let server: TestServer | undefined
  let tenant: TestTenant | undefined
  let browser: Browser | null = null
  beforeAll(async () => {
    if (!hasChromium) return
    server = await startTestServer({ DEMO_ENABLED: '1', ...env })
    tenant = await server.newTenant()
    browser = await launch()
  })
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })
  const pages: DemoPages = {
    get server() {
      return server!
    },
    get tenant() {
      return tenant!
    },
    get browser() {
      return browser!
    },
    async tokenFor(user) {
      const r = await pages.tenant.as('backend')('POST', '/v1/tokens', { body: { user_id: user, ttl_s: 600 } })
      expect(r.status).toBe(201)
      return r.body.token
    },
    async signIn(user, viewport = { width: 1100, height: 720 }) {
      const context = await pages.browser.newContext({ viewport })
      const refused = await guardNetwork(context)
      const page = await context.newPage()
      const problems = pageProblems(page)
      await page.goto(`${pages.server.url}/demo`)
      await page.fill('#token', await pages.tokenFor(user))
      await page.click('#connect')
      await page.waitForSelector('#conn[data-state="open"]')
      await page.waitForSelector('#login', { state: 'hidden' })
      return { context, page, refused, problems }
    },
  }
  return pages
}
