// The admin console (/admin, SPEC §16) in headless Chromium, driven as an operator would: sign in;
// create a tenant and see its secrets once; edit its config (a bad value shows its error next to the
// field); rotate its API key (the old key is refused by the API); drive traffic and see the message
// chart draw; retry a dead letter; start a backup; read health; every control labelled and reached
// with Tab; delete the tenant (its name typed to confirm; its key refused after). Every request of
// the page stays on this origin. The wrong key and the CSP are in admin-csp.test.ts, the audit log in
// admin-audit.test.ts. CHATAPI_WRITE_SCREENSHOT=1
// writes docs/admin-console.png from the tenant view.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { openConsole as openAdminPage } from '../support/admin-page'
import { browserSuite, type OpenPage } from '../support/browser'
import { MASTER_KEY, type TestServer } from '../support/server'
import { call } from '../support/http'
import { WsClient } from '../support/ws'
import { Receiver, until } from '../delivery/helpers'
import { controlsOnScreen, unnamedControls, unreachableByTab } from './a11y'
import { ARTIFACTS, guardNetwork, hasChromium, launch, pageProblems, pngStats, screenshot, SKIP_REASON } from './browser'

// The callbacks given to waitForFunction/evaluate run in the page, where these exist.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const document: any, window: any, sessionStorage: any

const KEY_ITEM = 'chatapi.admin.masterKey'
const MESSAGES_COLOUR: [number, number, number] = [0x2f, 0x5b, 0xd3] // charts.ts: the messages line and its fill
const SHOT = process.env.CHATAPI_WRITE_SCREENSHOT === '1' ? join(import.meta.dir, '..', '..', 'docs', 'admin-console.png') : join(ARTIFACTS, 'admin-console.png')

let s: TestServer
let rx: Receiver
let failing = true

beforeAll(() => {
  if (!hasChromium) return
  rx = new Receiver()
  rx.status = () => (failing ? 500 : 200)
})
const suite = browserSuite({ ALLOW_HTTP_WEBHOOKS: '1', RETRY_MAX_ATTEMPTS: '1', RETRY_BASE_MS: '20', CIRCUIT_FAILURES: '100' })
beforeAll(() => {
  if (hasChromium) s = suite.server
})
afterAll(() => rx?.stop())

type Session = OpenPage

/** The console with the clipboard allowed (the secrets' copy buttons). */
const openConsole = (): Promise<Session> => openAdminPage(suite, { permissions: { names: ['clipboard-read', 'clipboard-write'], origin: s.url } })

/**
 * Runs in the page: rows of the canvas in `sel` holding the colour `rgb` (the messages line and its
 * fill). A flat zero line is 2-3 rows; traffic draws many more.
 */
const colouredRows = ([sel, [r, g, b]]: [string, number[]]) => {
  const canvas = document.querySelector(`${sel} canvas`)
  const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data
  const rows = new Set<number>()
  for (let i = 0; i < d.length; i += 4)
    if (d[i + 3] > 0 && Math.abs(d[i] - r) < 8 && Math.abs(d[i + 1] - g) < 8 && Math.abs(d[i + 2] - b) < 8) rows.add(Math.floor(i / 4 / canvas.width))
  return rows.size
}
const MESSAGES_CHART: [string, number[]] = ['#tenant-chart-messages', MESSAGES_COLOUR]

const tenantCall = (apiKey: string, user: string) => (method: string, path: string, body?: unknown) =>
  call(s.url, method, path, { headers: { 'x-api-key': apiKey, 'x-user-id': user }, body })

describe.skipIf(!hasChromium)(`signed in${hasChromium ? '' : ` (${SKIP_REASON})`}`, () => {
  let c: Session
  let tenantId = ''
  let apiKey = ''
  let bob: WsClient | null = null

  beforeAll(async () => {
    c = await openConsole()
  })
  afterAll(async () => {
    bob?.close()
    await c?.context.close()
  })

  test('sign in with the keyboard: the key sits in sessionStorage, never in a URL or a cookie', async () => {
    // The key field has the focus on load; Enter submits.
    await c.page.keyboard.type(MASTER_KEY)
    await c.page.keyboard.press('Enter')
    await c.page.waitForSelector('#app', { state: 'visible' })
    expect(await c.page.isHidden('#login')).toBe(true)
    expect(await c.page.evaluate((k: string) => sessionStorage.getItem(k), KEY_ITEM)).toBe(MASTER_KEY)
    expect(await c.page.evaluate(() => document.cookie)).toBe('')
    // The overview charts load (the totals of this instance).
    await c.page.waitForSelector('#overview-charts[data-loaded]')
    await c.page.waitForFunction(() => document.querySelector('#health-pill').dataset.state === 'ok')
  })

  test('create a tenant: its secrets are shown once, with copy buttons, and work', async () => {
    await c.page.click('#nav-tenants')
    // An empty name: the API's error lands next to the name field.
    await c.page.click('#new-tenant-create')
    await c.page.waitForFunction(() => document.querySelector('#new-tenant-name-error').textContent !== '')
    expect(await c.page.getAttribute('#new-tenant-name', 'aria-invalid')).toBe('true')

    await c.page.fill('#new-tenant-name', 'Acme e2e')
    await c.page.press('#new-tenant-name', 'Enter')
    await c.page.waitForSelector('#secrets', { state: 'visible' })
    apiKey = (await c.page.textContent('#secret-api_key'))!
    const webhookSecret = (await c.page.textContent('#secret-webhook_secret'))!
    const tokenSecret = (await c.page.textContent('#secret-user_token_secret'))!
    expect(apiKey).toMatch(/^sk_/)
    expect(webhookSecret).toMatch(/^whsec_/)
    expect(tokenSecret.length).toBeGreaterThan(20)
    await c.page.waitForSelector('#tenant-detail', { state: 'visible' })
    tenantId = (await c.page.textContent('#tenant-id'))!
    expect(tenantId).toMatch(/^tnt_/)
    expect((await tenantCall(apiKey, 'alice')('GET', '/v1/rooms')).status).toBe(200)

    await c.page.click('#copy-api_key')
    expect(await c.page.evaluate(() => window.navigator.clipboard.readText())).toBe(apiKey)
    expect(await unnamedControls(c.page)).toEqual([]) // the copy buttons say which secret they copy

    // Done: gone from the page, and nothing in the API returns them again.
    await c.page.click('#secrets-done')
    expect(await c.page.isHidden('#secrets')).toBe(true)
    const text = await c.page.evaluate(() => document.body.innerText + document.body.innerHTML)
    for (const secret of [apiKey, webhookSecret, tokenSecret]) expect(text).not.toContain(secret)
    const listed = await s.admin('GET', `/v1/admin/tenants/${tenantId}`)
    expect(JSON.stringify(listed.body)).not.toContain(apiKey)
    // The new tenant is in the list.
    expect(await c.page.textContent('#tenant-rows')).toContain('Acme e2e')
  })

  test('edit config: a bad value shows the API\'s error next to its field; a good one is saved', async () => {
    await c.page.fill('#cfg-rate_limit_per_sec', '0')
    await c.page.fill('#cfg-max_room_members', '50')
    await c.page.click('#config-save')
    await c.page.waitForFunction(() => document.querySelector('#cfg-rate_limit_per_sec-error').textContent !== '')
    expect(await c.page.textContent('#cfg-rate_limit_per_sec-error')).toContain('rate_limit_per_sec')
    expect(await c.page.getAttribute('#cfg-rate_limit_per_sec', 'aria-invalid')).toBe('true')
    expect(await c.page.evaluate(() => document.activeElement.id)).toBe('cfg-rate_limit_per_sec')
    expect(await c.page.textContent('#cfg-max_room_members-error')).toBe('')
    expect((await s.admin('GET', `/v1/admin/tenants/${tenantId}`)).body.config.max_room_members).toBeUndefined() // nothing saved

    await c.page.fill('#cfg-rate_limit_per_sec', '500')
    await c.page.fill('#cfg-webhook_url', rx.url('/hook'))
    await c.page.fill('#cfg-webhook_events', 'message.created')
    await c.page.click('#config-save')
    await c.page.waitForFunction(() => document.querySelector('#config-error').textContent === 'Saved.')
    const cfg = (await s.admin('GET', `/v1/admin/tenants/${tenantId}`)).body.config
    expect(cfg).toMatchObject({ rate_limit_per_sec: 500, max_room_members: 50, webhook_url: rx.url('/hook'), webhook_events: ['message.created'] })
    expect(await c.page.inputValue('#cfg-rate_limit_per_sec')).toBe('500')
  })

  test('rotate the API key: the new one is shown once and the old one is refused at once', async () => {
    await c.page.click('#rotate-api_key') // arms
    expect(await c.page.textContent('#rotate-api_key')).toContain('Press again')
    await c.page.click('#rotate-api_key')
    await c.page.waitForSelector('#secret-api_key')
    const fresh = (await c.page.textContent('#secret-api_key'))!
    expect(fresh).toMatch(/^sk_/)
    expect(fresh).not.toBe(apiKey)
    expect((await tenantCall(apiKey, 'alice')('GET', '/v1/rooms')).status).toBe(401)
    expect((await tenantCall(fresh, 'alice')('GET', '/v1/rooms')).status).toBe(200)
    apiKey = fresh
    await c.page.click('#secrets-done')
  })

  test('drive traffic and the tenant\'s message chart draws', async () => {
    await c.page.waitForSelector('#tenant-charts[data-loaded]')
    const before = await c.page.evaluate(colouredRows, MESSAGES_CHART)
    expect(before).toBeLessThan(6) // flat: no message yet
    const as = tenantCall(apiKey, 'alice')
    const room = (await as('POST', '/v1/rooms', { type: 'group', members: ['bob'] })).body.room_id
    // bob is online, so each message is also a delivery to his socket.
    bob = await WsClient.connect(s.wsUrl, { 'x-api-key': apiKey, 'x-user-id': 'bob' })
    await bob.next('sync.done')
    for (let i = 0; i < 20; i++) {
      expect((await as('POST', `/v1/rooms/${room}/messages`, { content: `hello ${i}` })).status).toBe(201)
      await bob.next('message')
    }
    await c.page.click('#tenant-refresh')
    await until('the messages chart to draw the traffic', async () => ((await c.page.evaluate(colouredRows, MESSAGES_CHART)) > 40 ? true : undefined), 10_000, 100)
    expect(await c.page.evaluate(colouredRows, MESSAGES_CHART)).toBeGreaterThan(40)
    await c.page.click('#usage-refresh')
    await c.page.waitForFunction(() => document.querySelector('#usage-messages').textContent === '20')

    // The screenshot for docs/admin.md: the tenant with its charts.
    await c.page.evaluate(() => window.scrollTo(0, 0))
    await c.page.screenshot({ path: SHOT })
    const st = await pngStats(SHOT)
    expect(st.width).toBe(1280)
    expect(st.colours).toBeGreaterThan(20)
    expect(st.nonBackground).toBeGreaterThan(0.1)
  })

  test('retry a dead letter from the page', async () => {
    // The webhook receiver refuses: 1 + RETRY_MAX_ATTEMPTS attempts, then a dead letter.
    await until('the webhook dead letter', async () => {
      const r = await s.admin('GET', `/v1/admin/dead-letters?tenant_id=${tenantId}`)
      return r.body.dead_letters.length ? true : undefined
    }, 10_000)
    await c.page.click('#nav-dead-letters')
    await c.page.fill('#dl-tenant', tenantId)
    await c.page.selectOption('#dl-kind', 'webhook')
    await c.page.click('#dl-apply')
    // The table may still show the unfiltered list for a moment after Apply: wait for the webhook row.
    const row = c.page.locator('#dl-rows tr[data-id]', { hasText: 'HTTP_500' })
    await row.first().waitFor()
    const n = await row.count()
    expect(n).toBeGreaterThanOrEqual(1)
    const id = (await row.first().getAttribute('data-id'))!
    expect(await row.first().textContent()).toContain('HTTP_500')

    failing = false
    const okBefore = rx.matching((h) => h.status === 200).length
    await c.page.click(`#dl-rows button[data-retry="${id}"]`)
    await c.page.waitForFunction((dl: string) => document.querySelector(`#dl-rows button[data-retry="${dl}"]`).textContent === 'Queued', id)
    await rx.waitFor(okBefore + 1, (h) => h.status === 200, 10_000) // delivered this time
    await until('the dead letter to leave the list', async () => {
      const r = await s.admin('GET', `/v1/admin/dead-letters?tenant_id=${tenantId}`)
      return r.body.dead_letters.some((d: { id: string }) => d.id === id) ? undefined : true
    })
    await c.page.click('#dl-apply')
    await c.page.waitForFunction((dl: string) => !document.querySelector(`#dl-rows tr[data-id="${dl}"]`), id)
  })

  test('start a backup and see the file it made', async () => {
    await c.page.click('#nav-backups')
    await c.page.click('#backup-start')
    await c.page.waitForFunction(() => document.querySelector('#backup-status').textContent.startsWith('Done: '))
    const path = (await c.page.textContent('#backup-rows tr td code'))!
    expect(path.startsWith(join(s.dir, 'backups'))).toBe(true)
    expect(existsSync(path)).toBe(true)
  })

  test('health and workers', async () => {
    await c.page.click('#nav-health')
    await c.page.waitForFunction(() => document.querySelectorAll('#worker-rows tr').length >= 2)
    const workers = await c.page.textContent('#worker-rows')
    expect(workers).toContain('delivery')
    expect(workers).toContain('running')
    expect(await c.page.textContent('#health-facts')).toContain('Database writable')
    expect(await c.page.getAttribute('#nav-health', 'aria-current')).toBe('page')
  })

  test('every control of every view has an accessible name and is reached with Tab', async () => {
    // The tenant open: its config form, rotate, audit and delete controls are on screen too.
    await c.page.click('#nav-tenants')
    await c.page.click(`#tenant-rows button[data-open="${tenantId}"]`)
    await c.page.waitForSelector('#tenant-charts[data-loaded]')
    const views = ['overview', 'tenants', 'dead-letters', 'audit', 'backups', 'health']
    for (const v of views) {
      await c.page.click(`#nav-${v}`)
      await c.page.waitForSelector(`#view-${v}`, { state: 'visible' })
      expect({ view: v, unnamed: await unnamedControls(c.page) }).toEqual({ view: v, unnamed: [] })
      expect({ view: v, unreachable: await unreachableByTab(c.page) }).toEqual({ view: v, unreachable: [] })
    }
    await c.page.click('#nav-tenants')
    expect(await controlsOnScreen(c.page)).toBeGreaterThan(25) // the walk covered the whole tenant panel
  })

  test('delete the tenant: its name typed to confirm, then it leaves the list and its key is refused', async () => {
    await c.page.click('#nav-tenants')
    await c.page.click(`#tenant-rows button[data-open="${tenantId}"]`)
    await c.page.waitForSelector('#tenant-detail', { state: 'visible' })
    expect(await c.page.textContent('#delete-confirm-label')).toContain('Acme e2e')
    // Not the name: refused at the field, nothing sent.
    await c.page.fill('#delete-confirm', 'Acme')
    await c.page.click('#delete-tenant')
    await c.page.waitForFunction(() => document.querySelector('#delete-confirm-error').textContent !== '')
    expect(await c.page.getAttribute('#delete-confirm', 'aria-invalid')).toBe('true')
    expect(await c.page.evaluate(() => document.activeElement.id)).toBe('delete-confirm')
    expect((await s.admin('GET', `/v1/admin/tenants/${tenantId}`)).status).toBe(200)
    expect((await tenantCall(apiKey, 'alice')('GET', '/v1/rooms')).status).toBe(200)
    expect(await c.page.textContent('#tenant-rows')).toContain('Acme e2e')
    await screenshot(c.page, 'admin-delete.png') // test-artifacts/: the refused name at its field

    // The name, and Enter.
    await c.page.fill('#delete-confirm', 'Acme e2e')
    await c.page.press('#delete-confirm', 'Enter')
    await c.page.waitForSelector('#tenant-detail', { state: 'hidden' })
    await c.page.waitForFunction((id: string) => !document.querySelector(`#tenant-rows tr[data-tenant-id="${id}"]`), tenantId)
    expect(await c.page.textContent('#tenant-rows')).not.toContain('Acme e2e')
    expect(await c.page.textContent('#tenants-notice')).toContain(`Deleted Acme e2e (${tenantId})`)
    expect((await tenantCall(apiKey, 'alice')('GET', '/v1/rooms')).status).toBe(401)
    expect((await s.admin('GET', `/v1/admin/tenants/${tenantId}`)).status).toBe(404)
    // The page follows the background job to its end.
    await c.page.waitForFunction(() => document.querySelector('#tenants-notice').textContent.includes('Its data is removed'), undefined, { timeout: 15_000 })
  })

  test('every request stayed on this origin and carried no key in its URL; no page errors', async () => {
    expect(c.refused).toEqual([])
    expect(c.requests.length).toBeGreaterThan(10)
    for (const u of c.requests) {
      expect(new URL(u).origin).toBe(s.url)
      expect(u).not.toContain(MASTER_KEY)
    }
    // The two 400s are the refused empty name and rate limit above (Chromium logs every 4xx); nothing else.
    expect(c.problems.filter((p) => !/Failed to load resource: the server responded with a status of 400/.test(p))).toEqual([])
    expect(c.problems).toHaveLength(2)
  })
})
