// The admin console (/admin) in the browser suites (test/e2e/admin*.test.ts): a fresh page on it,
// and signing in with the master key.

import type { Page } from 'playwright-core'
import type { BrowserSuite, OpenOptions, OpenPage } from './browser'
import { openPage } from './browser'
import { MASTER_KEY } from './server'

/** The console's page, not signed in (1280×800 unless `opts` says otherwise). */
export function openConsole(suite: BrowserSuite, opts: OpenOptions = {}): Promise<OpenPage> {
  return openPage(suite.browser, `${suite.server.url}/admin`, opts)
}

/** Signs in with the master key (Enter in the key field) and waits for the console to show. */
export async function signIn(page: Page): Promise<void> {
  await page.fill('#master-key', MASTER_KEY)
  await page.press('#master-key', 'Enter')
  await page.waitForSelector('#app', { state: 'visible' })
}
