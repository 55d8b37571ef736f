// Swagger UI's "Try it out" in headless Chromium: authorize with an API key, open POST /v1/rooms,
// fill X-User-Id, edit the JSON body the document's example filled in, Execute, and see 201; the
// room then exists for that user. Nothing leaves this machine (the network guard of browser.ts).

import { expect, test } from 'bun:test'
import { browserSuite, openPage } from '../support/browser'
import { hasChromium, screenshot, SKIP_REASON } from './browser'

const suite = browserSuite()

test.skipIf(!hasChromium)(`Swagger UI "Try it out" creates a room with a JSON body${hasChromium ? '' : ` (${SKIP_REASON})`}`, async () => {
  const s = suite.server
  const t = await s.newTenant()
  const { context, page, refused, problems } = await openPage(suite.browser, `${s.url}/swagger`, { viewport: { width: 1280, height: 1000 } })
  // Registered after the page loaded: the only API calls it sees are the ones "Try it out" makes.
  const sent: { method: string; url: string; headers: Record<string, string>; body: string | null }[] = []
  page.on('request', (r) => {
    if (r.url().includes('/v1/')) sent.push({ method: r.method(), url: r.url(), headers: r.headers(), body: r.postData() })
  })
  await page.waitForSelector('.opblock-post .opblock-summary-path[data-path="/v1/rooms"]', { timeout: 20_000 })

  // Authorize: the API key goes in the apiKey scheme of the Authorize dialog.
  await page.click('.auth-wrapper .authorize')
  const apiKeyBox = page.locator('.modal-ux .auth-container').filter({ hasText: 'X-API-Key' }).first()
  await apiKeyBox.locator('input').fill(t.api_key)
  await apiKeyBox.locator('button.authorize').click()
  await page.click('.modal-ux button.btn-done')

  // The operation, "Try it out", the X-User-Id header parameter, then the body.
  const op = page.locator('.opblock-post').filter({ has: page.locator('.opblock-summary-path[data-path="/v1/rooms"]') })
  await op.locator('.opblock-summary').first().click()
  await op.locator('button.try-out__btn').click()
  await op.locator('tr[data-param-name="X-User-Id"] input').fill('alice')
  const body = op.locator('textarea.body-param__text')
  // The textarea starts with the document's example for this body.
  expect(JSON.parse(await body.inputValue())).toEqual({ type: 'group', name: 'Design team', members: ['bob', 'carol'], metadata: { project: 'apollo' } })
  await body.fill(JSON.stringify({ type: 'group', name: 'Made in Swagger UI', members: ['bob'] }, null, 2))
  await op.locator('button.execute').click()

  const status = op.locator('.live-responses-table .response .response-col_status').first()
  await status.waitFor({ timeout: 20_000 })
  expect((await status.textContent())?.trim()).toBe('201')
  await status.scrollIntoViewIfNeeded()
  await screenshot(page, 'swagger-try-it-out.png')

  // What the browser sent, and what the server now holds.
  const post = sent.find((r) => r.method === 'POST' && r.url === `${s.url}/v1/rooms`)!
  expect(post.headers['content-type']).toContain('application/json')
  expect(post.headers['x-api-key']).toBe(t.api_key)
  expect(post.headers['x-user-id']).toBe('alice')
  expect(JSON.parse(post.body!)).toEqual({ type: 'group', name: 'Made in Swagger UI', members: ['bob'] })
  const rooms = await t.as('bob')('GET', '/v1/rooms')
  expect(rooms.body.rooms.map((r: { name: string }) => r.name)).toEqual(['Made in Swagger UI'])

  expect(refused).toEqual([])
  expect(problems).toEqual([])
  await context.close()
}, 90_000)
