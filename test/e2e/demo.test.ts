// The demo page in headless Chromium: two users in two browser contexts sign in with user tokens,
// create a room, chat, see typing and presence, edit a message, and one reloads and sees the
// history. No request may leave this machine. Screenshots go to test-artifacts/ and must not be blank.

import { expect, test } from 'bun:test'
import type { Page } from 'playwright-core'
import { guardNetwork, hasChromium, pngStats, screenshot, SKIP_REASON } from './browser'
import { demoPages, type DemoUser } from '../support/demo-page'

// The callbacks given to waitForFunction/evaluate run in the page, where this exists.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const document: { querySelector(sel: string): any; querySelectorAll(sel: string): Iterable<any> & { length: number } }

const demo = demoPages({ PRESENCE_GRACE_MS: '300' })

async function signIn(user: string): Promise<DemoUser> {
  const u = await demo.signIn(user)
  await u.page.waitForSelector('#app', { state: 'visible' })
  expect(await u.page.textContent('#me')).toContain(user)
  return u
}

const roomItem = (page: Page, name: string) => page.locator('#rooms li', { has: page.locator('.name', { hasText: name }) })
const messageItems = (page: Page) => page.locator('#messages li .content')

test.skipIf(!hasChromium)(
  `two users chat in the demo page: rooms, unread counts, typing, presence, edits, history after reload${hasChromium ? '' : ` (${SKIP_REASON})`}`,
  async () => {
    const alice = await signIn('alice')
    const bob = await signIn('bob')

    // Alice creates a group with bob from the page and says hello.
    await alice.page.selectOption('#new-room-type', 'group')
    await alice.page.fill('#new-room-members', 'bob')
    await alice.page.fill('#new-room-name', 'e2e room')
    await alice.page.click('#new-room button[type="submit"]')
    await alice.page.waitForFunction(() => document.querySelector('#room-title')?.textContent === 'e2e room')
    await alice.page.fill('#text', 'hello bob')
    await alice.page.press('#text', 'Enter')
    await alice.page.waitForFunction(() => [...document.querySelectorAll('#messages li .content')].at(-1)?.textContent === 'hello bob')

    // Bob's list shows the new room with one unread message; opening it reads it.
    const bobRoom = roomItem(bob.page, 'e2e room')
    await bobRoom.waitFor()
    await bob.page.waitForFunction(() => document.querySelector('#rooms li .unread')?.textContent === '1')
    await bobRoom.click()
    await bob.page.waitForFunction(() => document.querySelector('#messages li .content')?.textContent === 'hello bob')
    await bob.page.waitForFunction(() => document.querySelector('#rooms li .unread')?.getAttribute('data-count') === '0')

    // Presence dots: both are online, each sees the other's green dot.
    await bob.page.waitForSelector('#members li[data-user="alice"] .dot.online')
    await alice.page.waitForSelector('#members li[data-user="bob"] .dot.online')

    // Typing: bob types, alice sees it; bob sends, the indicator goes and the message comes.
    await bob.page.click('#text')
    await bob.page.keyboard.type('hi ali', { delay: 20 })
    await alice.page.waitForFunction(() => document.querySelector('#typing')?.textContent === 'bob is typing…')
    await bob.page.keyboard.type('ce')
    await bob.page.click('#send')
    await alice.page.waitForFunction(() => [...document.querySelectorAll('#messages li .content')].some((e) => e.textContent === 'hi alice'))
    await alice.page.waitForFunction(() => document.querySelector('#typing')?.textContent === '')

    // Editing: alice edits her message, bob sees the new text marked (edited).
    await alice.page.locator('#messages li.mine', { hasText: 'hello bob' }).locator('button.edit').click()
    await alice.page.fill('#messages .edit-input', 'hello bob, edited')
    await alice.page.press('#messages .edit-input', 'Enter')
    await bob.page.waitForFunction(() => document.querySelector('#messages li .content')?.textContent === 'hello bob, edited')
    await bob.page.waitForSelector('#messages li .edited')

    // A few more lines so the screenshots have something to show.
    for (const line of ['how is the demo?', 'no CDN, no API key in the browser']) {
      await alice.page.fill('#text', line)
      await alice.page.press('#text', 'Enter')
    }
    await bob.page.waitForFunction(() => document.querySelectorAll('#messages li').length === 4)

    // Bob reloads: the tab keeps its token, signs in again and shows the history in order.
    await bob.page.reload()
    await bob.page.waitForSelector('#conn[data-state="open"]')
    await bob.page.waitForSelector('#login', { state: 'hidden' })
    await bob.page.waitForFunction(() => document.querySelectorAll('#messages li').length === 4)
    expect(await messageItems(bob.page).allTextContents()).toEqual(['hello bob, edited', 'hi alice', 'how is the demo?', 'no CDN, no API key in the browser'])
    const seqs = await bob.page.locator('#messages li').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-seq'))))
    expect(seqs).toEqual([1, 2, 3, 4])
    expect(await bob.page.textContent('#room-title')).toBe('e2e room')

    // Live after the reload too.
    await alice.page.fill('#text', 'welcome back')
    await alice.page.press('#text', 'Enter')
    await bob.page.waitForFunction(() => [...document.querySelectorAll('#messages li .content')].at(-1)?.textContent === 'welcome back')

    const shots = [await screenshot(alice.page, 'demo-alice.png'), await screenshot(bob.page, 'demo-bob.png')]
    for (const shot of shots) {
      const st = await pngStats(shot)
      expect(st.bytes).toBeGreaterThan(15_000)
      expect(st.colours).toBeGreaterThan(20)
      expect(st.nonBackground).toBeGreaterThan(0.05)
    }

    // Presence going away: alice closes her tab; bob's dot for her turns grey (PRESENCE_GRACE_MS = 300).
    await alice.context.close()
    await bob.page.waitForSelector('#members li[data-user="alice"] .dot:not(.online)', { timeout: 5000 })

    expect(alice.refused).toEqual([])
    expect(bob.refused).toEqual([])
    expect(alice.problems).toEqual([])
    expect(bob.problems).toEqual([])
    await bob.context.close()
  },
  90_000,
)

test.skipIf(!hasChromium)(`the demo page refuses an API key pasted as a token${hasChromium ? '' : ` (${SKIP_REASON})`}`, async () => {
  const context = await demo.browser.newContext()
  const refused = await guardNetwork(context)
  const page = await context.newPage()
  await page.goto(`${demo.server.url}/demo`)
  await page.fill('#token', demo.tenant.api_key)
  await page.click('#connect')
  await page.waitForFunction(() => /API key/.test(document.querySelector('#login-error')?.textContent ?? ''))
  expect(await page.isVisible('#login')).toBe(true)
  expect(refused).toEqual([])
  await context.close()
})
