// The demo page's moderation controls in headless Chromium (SPEC §14): bob reports alice's
// message, alice (the owner) mutes bob from the member list, bob sees why his send is refused, and
// bob blocks and unblocks alice. Each step is checked against the server's own state too.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import type { Browser, Page } from 'playwright-core'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'
import { guardNetwork, hasChromium, launch, pageProblems, SKIP_REASON } from './browser'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const document: { querySelector(sel: string): any; querySelectorAll(sel: string): Iterable<any> & { length: number } }

let s: TestServer
let t: TestTenant
let browser: Browser | null = null

beforeAll(async () => {
  if (!hasChromium) return
  s = await startTestServer({ DEMO_ENABLED: '1' })
  t = await s.newTenant()
  browser = await launch()
})
afterAll(async () => {
  await browser?.close()
  await s?.stop()
})

async function open(user: string) {
  const context = await browser!.newContext({ viewport: { width: 1100, height: 720 } })
  const refused = await guardNetwork(context)
  const page: Page = await context.newPage()
  const problems = pageProblems(page)
  const token = (await t.as('backend')('POST', '/v1/tokens', { body: { user_id: user, ttl_s: 600 } })).body.token
  await page.goto(`${s.url}/demo`)
  await page.fill('#token', token)
  await page.click('#connect')
  await page.waitForSelector('#conn[data-state="open"]')
  return { context, page, refused, problems }
}

test.skipIf(!hasChromium)(`report a message, mute from the member list, see why a send is refused, block${hasChromium ? '' : ` (${SKIP_REASON})`}`, async () => {
  const room = (await t.as('alice')('POST', '/v1/rooms', { body: { type: 'group', name: 'mod room', members: ['bob'] } })).body.room_id
  await t.as('alice')('POST', `/v1/rooms/${room}/messages`, { body: { content: 'buy my stuff' } })
  const alice = await open('alice')
  const bob = await open('bob')
  await bob.page.waitForFunction(() => document.querySelector('#messages li .content')?.textContent === 'buy my stuff')

  // Bob reports alice's message as spam.
  await bob.page.click('#messages li button.report-open')
  await bob.page.click('#messages li button.report-spam')
  await bob.page.waitForSelector('#messages li .reported')
  const reports = await s.call('GET', '/v1/moderation/reports?status=open', { headers: { 'x-api-key': t.api_key } })
  expect(reports.body.reports).toEqual([expect.objectContaining({ room_id: room, reporter_id: 'bob', user_id: 'alice', reason: 'spam' })])

  // Alice owns the room: her member list offers mute and ban next to bob; bob's has neither.
  await alice.page.waitForSelector('#members li[data-user="bob"] button.mute')
  expect(await bob.page.locator('#members li[data-user="alice"] button.mute').count()).toBe(0)
  await alice.page.click('#members li[data-user="bob"] button.mute')
  for (let i = 0; i < 50 && (await t.as('alice')('GET', `/v1/rooms/${room}/mutes`)).body.mutes.length === 0; i++) await Bun.sleep(50)

  // Bob tries to send and sees why it was refused.
  await bob.page.fill('#text', 'let me speak')
  await bob.page.press('#text', 'Enter')
  await bob.page.waitForFunction(() => /muted/.test(document.querySelector('#error')?.textContent ?? ''))

  // Bob blocks alice from his member list; the button turns into unblock, and back.
  await bob.page.click('#members li[data-user="alice"] button.block')
  await bob.page.waitForSelector('#members li[data-user="alice"] button.unblock')
  expect((await t.as('bob')('GET', '/v1/blocks')).body.blocks.map((b: any) => b.user_id)).toEqual(['alice'])
  await bob.page.click('#members li[data-user="alice"] button.unblock')
  await bob.page.waitForSelector('#members li[data-user="alice"] button.block')
  expect((await t.as('bob')('GET', '/v1/blocks')).body.blocks).toEqual([])

  for (const u of [alice, bob]) {
    expect(u.refused).toEqual([])
    expect(u.problems).toEqual([])
    await u.context.close()
  }
}, 60_000)
