// The set-up every headless-Chromium suite shares: one test server and one browser per file (both
// skipped when Chromium is missing, so the suites skip their tests), and a fresh page in its own
// context with the network guard and the error and request recorders on before the first load.

import { afterAll, beforeAll } from 'bun:test'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { guardNetwork, hasChromium, launch, pageProblems } from '../e2e/browser'
import { startTestServer, type TestServer } from './server'

export interface BrowserSuite {
  /** Set in beforeAll (not when Chromium is missing). */
  readonly server: TestServer
  readonly browser: Browser
}

/** Registers the beforeAll/afterAll that start a server with `env` and a browser, and stop both. */
export function browserSuite(env: Record<string, string> = {}): BrowserSuite {
  let server: TestServer | undefined
  let browser: Browser | null = null
  beforeAll(async () => {
    if (!hasChromium) return
    server = await startTestServer(env)
    browser = await launch()
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })
  return {
    get server() {
      return server!
    },
    get browser() {
      return browser!
    },
  }
}

export interface OpenPage {
  context: BrowserContext
  page: Page
  /** Requests the page tried to send off this machine (guardNetwork): must stay empty. */
  refused: string[]
  /** Console errors and page errors (pageProblems). */
  problems: string[]
  /** Every URL the page requested. */
  requests: string[]
}

export interface OpenOptions {
  viewport?: { width: number; height: number }
  /** Permissions granted to the context for `origin` (e.g. the clipboard). */
  permissions?: { names: string[]; origin: string }
}

/** A new context and page on `url`; the caller closes the context. */
export async function openPage(browser: Browser, url: string, opts: OpenOptions = {}): Promise<OpenPage> {
  const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1280, height: 800 } })
  if (opts.permissions) await context.grantPermissions(opts.permissions.names, { origin: opts.permissions.origin })
  const refused = await guardNetwork(context)
  const page = await context.newPage()
  const problems = pageProblems(page)
  const requests: string[] = []
  page.on('request', (r) => requests.push(r.url()))
  await page.goto(url)
  return { context, page, refused, problems, requests }
}
