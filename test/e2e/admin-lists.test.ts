// The console's lists in headless Chromium: the tenant list pages with the server's cursor (Next
// and Previous show exactly the API's pages), and a dead letter is deleted from the page only on
// the second press. The operator's main flows are in admin.test.ts.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { BrowserContext, Page } from 'playwright-core'
import { openConsole, signIn } from '../support/admin-page'
import { browserSuite } from '../support/browser'
import type { TestServer } from '../support/server'
import { Receiver, until } from '../delivery/helpers'
import { hasChromium, SKIP_REASON } from './browser'

// The callbacks given to waitForFunction/evaluate run in the page, where these exist.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const document: any

let s: TestServer
let rx: Receiver
beforeAll(() => {
  if (!hasChromium) return
  rx = new Receiver()
  rx.status = () => 500
})
const suite = browserSuite({ ALLOW_HTTP_WEBHOOKS: '1', RETRY_MAX_ATTEMPTS: '1', RETRY_BASE_MS: '20', CIRCUIT_FAILURES: '100' })
afterAll(() => rx?.stop())

describe.skipIf(!hasChromium)(`lists${hasChromium ? '' : ` (${SKIP_REASON})`}`, () => {
  let context: BrowserContext
  let page: Page
  let refused: string[]

  beforeAll(async () => {
    s = suite.server
    ;({ context, page, refused } = await openConsole(suite))
    await signIn(page)
  }, 30_000)
  afterAll(async () => {
    await context?.close()
  })

  const tenantRows = () => page.evaluate(() => [...document.querySelectorAll('#tenant-rows tr[data-tenant-id]')].map((tr: any) => tr.dataset.tenantId)) as Promise<string[]>
  /** The API's own pages of 20, as the console asks for them. */
  async function apiPages(): Promise<string[][]> {
    const pages: string[][] = []
    let cursor: string | null = null
    do {
      const r = await s.admin('GET', `/v1/admin/tenants?limit=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
      pages.push(r.body.tenants.map((t: { tenant_id: string }) => t.tenant_id))
      cursor = r.body.next_cursor
    } while (cursor)
    return pages
  }

  test('the tenant list pages as the server does: Next and Previous', async () => {
    for (let i = 0; i < 23; i++) await s.newTenant()
    const pages = await apiPages()
    expect(pages.map((p) => p.length)).toEqual([20, 3])

    await page.click('#nav-tenants')
    await page.waitForFunction(() => document.querySelectorAll('#tenant-rows tr[data-tenant-id]').length === 20)
    expect(await tenantRows()).toEqual(pages[0])
    expect(await page.isDisabled('#tenants-prev')).toBe(true)
    expect(await page.textContent('#tenants-page-info')).toContain('paged by the server')

    await page.click('#tenants-next')
    await page.waitForFunction(() => document.querySelector('#tenants-page-info').textContent.startsWith('page 2'))
    expect(await tenantRows()).toEqual(pages[1])
    expect(await page.isDisabled('#tenants-next')).toBe(true)

    await page.click('#tenants-prev')
    await page.waitForFunction(() => document.querySelector('#tenants-page-info').textContent.startsWith('page 1'))
    expect(await tenantRows()).toEqual(pages[0])
  })

  test('a dead letter is deleted on the second press only', async () => {
    const t = await s.newTenant({ webhook_url: rx.url('/hook'), webhook_events: ['message.created'] })
    const room = (await t.as('alice')('POST', '/v1/rooms', { body: { type: 'group', members: ['bob'] } })).body.room_id
    expect((await t.as('alice')('POST', `/v1/rooms/${room}/messages`, { body: { content: 'hi' } })).status).toBe(201)
    const id = await until('the webhook dead letter', async () => {
      const r = await s.admin('GET', `/v1/admin/dead-letters?tenant_id=${t.tenant_id}`)
      return r.body.dead_letters[0]?.id as string | undefined
    }, 10_000)

    // The only dead letter on this server: the list the section loads on opening shows it (a
    // second load, of a filter, could redraw the row between the two presses).
    await page.click('#nav-dead-letters')
    await page.waitForFunction(() => document.querySelector('#dl-count').textContent === '1 shown')
    const button = `#dl-rows button[data-delete="${id}"]`
    await page.click(button)
    expect(await page.textContent(button)).toContain('Press again')
    const listed = async () => (await s.admin('GET', `/v1/admin/dead-letters?tenant_id=${t.tenant_id}`)).body.dead_letters.length
    expect(await listed()).toBe(1) // armed, not sent
    await page.click(button)
    await page.waitForFunction((dl: string) => !document.querySelector(`#dl-rows tr[data-id="${dl}"]`), id)
    expect(await page.textContent('#dl-status')).toContain(`${id} deleted`)
    expect(await listed()).toBe(0)
    expect(refused).toEqual([])
  })
})
