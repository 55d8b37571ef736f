// The console's audit-log view (SPEC §14 and §16) in headless Chromium: an action done through the
// API shows up as a row (newest first, no secret in it); the tenant filter narrows to one tenant;
// Older and Newer walk the server's cursor; a tenant's panel opens its log. Every request of the
// page stays on this origin. The rest of the console is in admin.test.ts.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { BrowserContext, Page } from 'playwright-core'
import { openConsole, signIn } from '../support/admin-page'
import { browserSuite } from '../support/browser'
import type { TestTenant } from '../support/server'
import { hasChromium, screenshot, SKIP_REASON } from './browser'

// The callbacks given to waitForFunction/evaluate run in the page, where these exist.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const document: any

const suite = browserSuite()

interface Row {
  id: string
  action: string
  tenant: string
  text: string
}

describe.skipIf(!hasChromium)(`the audit log${hasChromium ? '' : ` (${SKIP_REASON})`}`, () => {
  let context: BrowserContext
  let page: Page
  let refused: string[]
  let problems: string[]
  let requests: string[]
  let a: TestTenant
  let b: TestTenant
  let roomId = ''

  let s: typeof suite.server

  beforeAll(async () => {
    s = suite.server
    ;[a, b] = [await s.newTenant(), await s.newTenant()]
    ;({ context, page, refused, problems, requests } = await openConsole(suite))
    await signIn(page)
  }, 30_000)
  afterAll(async () => {
    await context?.close()
  })

  /** The rows on screen, top to bottom. */
  const rows = () =>
    page.evaluate(() =>
      [...document.querySelectorAll('#audit-rows tr[data-id]')].map((tr: any) => ({
        id: tr.dataset.id,
        action: tr.dataset.action,
        tenant: tr.children[1].textContent,
        text: tr.textContent,
      })),
    ) as Promise<Row[]>
  /** Runs `act` (which makes the view load) and waits for that answer to be on screen. */
  async function loaded(act: () => Promise<unknown>) {
    const before = await page.evaluate(() => document.querySelector('#audit-filter').dataset.loaded ?? '')
    await act()
    await page.waitForFunction((b: string) => (document.querySelector('#audit-filter').dataset.loaded ?? '') !== b, before)
  }

  test('an action done through the API appears as a row, newest first, with no secret in it', async () => {
    await loaded(() => page.click('#nav-audit'))
    expect(await page.getAttribute('#nav-audit', 'aria-current')).toBe('page')
    expect((await rows()).some((r) => r.action === 'room.delete')).toBe(false)

    // A room deleted by its owner in tenant A, then B's API key rotated by the admin.
    roomId = (await a.as('alice')('POST', '/v1/rooms', { body: { type: 'group', members: ['bob'] } })).body.room_id
    expect((await a.as('alice')('DELETE', `/v1/rooms/${roomId}`)).status).toBe(204)
    const rotated = await s.admin('POST', `/v1/admin/tenants/${b.tenant_id}/rotate-key`, { body: { which: 'api_key' } })
    expect(rotated.status).toBe(200)

    await loaded(() => page.click('#audit-apply'))
    const shown = await rows()
    const del = shown.findIndex((r) => r.action === 'room.delete')
    const rot = shown.findIndex((r) => r.action === 'tenant.rotate')
    expect(del).toBeGreaterThanOrEqual(0)
    expect(rot).toBeGreaterThanOrEqual(0)
    expect(rot).toBeLessThan(del) // newest first
    expect(shown[del].tenant).toBe(a.tenant_id)
    expect(shown[del].text).toContain('alice')
    expect(shown[del].text).toContain(roomId)
    expect(shown[rot].tenant).toBe(b.tenant_id)
    expect(shown[rot].text).toContain('admin')
    const body = await page.evaluate(() => document.body.innerText)
    expect(body).not.toContain(rotated.body.api_key)
    expect(body).not.toContain(b.api_key)
    await screenshot(page, 'admin-audit.png') // test-artifacts/, for a look at the layout
  })

  test("the tenant filter shows that tenant's entries only", async () => {
    await page.fill('#audit-tenant', a.tenant_id)
    await loaded(() => page.press('#audit-tenant', 'Enter'))
    const shown = await rows()
    expect(shown.length).toBeGreaterThanOrEqual(2) // tenant.create and room.delete
    expect(new Set(shown.map((r) => r.tenant))).toEqual(new Set([a.tenant_id]))
    expect(shown.map((r) => r.action)).toContain('room.delete')
    expect(shown.map((r) => r.action)).not.toContain('tenant.rotate')
    expect(await page.textContent('#audit-page-info')).toContain(a.tenant_id)

    // An id no tenant has: an empty list that says so.
    await page.fill('#audit-tenant', 'tnt_nobody')
    await loaded(() => page.click('#audit-apply'))
    expect(await rows()).toEqual([])
    expect(await page.textContent('#audit-rows')).toContain('No entries for this tenant')
  })

  test('Older and Newer walk the log page by page, as the server pages it', async () => {
    // 30 blocks by alice: 30 more entries of tenant A.
    for (let i = 0; i < 30; i++) expect((await a.as('alice')('PUT', `/v1/blocks/user${i}`)).status).toBe(200)
    const all = (await s.admin('GET', `/v1/admin/audit?tenant_id=${a.tenant_id}&limit=200`)).body.entries.map((e: { audit_id: string }) => e.audit_id)
    expect(all.length).toBeGreaterThan(25)
    expect(all.length).toBeLessThanOrEqual(50)

    await page.fill('#audit-tenant', a.tenant_id)
    await loaded(() => page.selectOption('#audit-limit', '25')) // a new page size starts from the newest
    const first = (await rows()).map((r) => r.id)
    expect(first).toEqual(all.slice(0, 25))
    expect(await page.isDisabled('#audit-prev')).toBe(true)
    expect(await page.isDisabled('#audit-next')).toBe(false)

    await loaded(() => page.click('#audit-next'))
    expect((await rows()).map((r) => r.id)).toEqual(all.slice(25))
    expect(await page.isDisabled('#audit-next')).toBe(true)
    expect(await page.textContent('#audit-page-info')).toContain('page 2')

    await loaded(() => page.click('#audit-prev'))
    expect((await rows()).map((r) => r.id)).toEqual(first)
    expect(await page.isDisabled('#audit-prev')).toBe(true)
  })

  test("a tenant's panel opens the log filtered to it", async () => {
    await page.click('#nav-tenants')
    await page.click(`#tenant-rows button[data-open="${b.tenant_id}"]`)
    await page.waitForSelector('#tenant-detail', { state: 'visible' })
    await loaded(() => page.click('#tenant-audit'))
    expect(await page.isVisible('#view-audit')).toBe(true)
    expect(await page.inputValue('#audit-tenant')).toBe(b.tenant_id)
    const shown = await rows()
    expect(new Set(shown.map((r) => r.tenant))).toEqual(new Set([b.tenant_id]))
    expect(shown.map((r) => r.action)).toEqual(expect.arrayContaining(['tenant.rotate', 'tenant.create']))
  })

  test('every request stayed on this origin; no page errors', async () => {
    expect(refused).toEqual([])
    for (const u of requests) expect(new URL(u).origin).toBe(s.url)
    expect(problems).toEqual([])
  })
})
