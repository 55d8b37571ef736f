// The set-up the demo page's browser suites share (test/e2e/demo*.test.ts): one server with the demo
// on, one tenant, one headless Chromium, and signing a user in through the page with a user token
// that "the backend" minted (the API key never reaches a page).

import { beforeAll, expect } from 'bun:test'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { hasChromium } from '../e2e/browser'
import { browserSuite, openPage } from './browser'
import type { TestServer, TestTenant } from './server'

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
  const suite = browserSuite({ DEMO_ENABLED: '1', ...env })
  let tenant: TestTenant | undefined
  beforeAll(async () => {
    if (hasChromium) tenant = await suite.server.newTenant()
  })
  const pages: DemoPages = {
    get server() {
      return suite.server
    },
    get tenant() {
      return tenant!
    },
    get browser() {
      return suite.browser
    },
    async tokenFor(user) {
      const r = await pages.tenant.as('backend')('POST', '/v1/tokens', { body: { user_id: user, ttl_s: 600 } })
      expect(r.status).toBe(201)
      return r.body.token
    },
    async signIn(user, viewport = { width: 1100, height: 720 }) {
      const { context, page, refused, problems } = await openPage(pages.browser, `${pages.server.url}/demo`, { viewport })
      await page.fill('#token', await pages.tokenFor(user))
      await page.click('#connect')
      await page.waitForSelector('#conn[data-state="open"]')
      await page.waitForSelector('#login', { state: 'hidden' })
      return { context, page, refused, problems }
    },
  }
  return pages
}
