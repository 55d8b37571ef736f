// Rich messages in the demo page, in headless Chromium: alice and bob in two browser contexts. Bob
// goes offline (the context's network is cut; the SDK drops its socket on the browser's 'offline');
// alice, from her page, edits one message, deletes another, reacts to a third, pins a fourth,
// replies to a fifth (mentioning bob) and mentions bob in a second room. Bob comes back: his page
// shows exactly alice's state (compared element by element, and with the server's), the reply in
// the thread he had open, the mention highlighted, and the second room's mention count.

import { expect, test } from 'bun:test'
import type { Page } from 'playwright-core'
import { hasChromium, SKIP_REASON } from './browser'
import { demoPages } from '../support/demo-page'

// The callbacks given to waitForFunction/evaluate run in the page, where this exists.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const document: { querySelector(sel: string): any; querySelectorAll(sel: string): Iterable<any> & { length: number } }

const demo = demoPages()
const signIn = (user: string) => demo.signIn(user, { width: 1280, height: 800 })

async function createRoom(page: Page, name: string, members: string) {
  await page.selectOption('#new-room-type', 'group')
  await page.fill('#new-room-members', members)
  await page.fill('#new-room-name', name)
  await page.click('#new-room button[type="submit"]')
  await page.waitForFunction((n) => document.querySelector('#room-title')?.textContent === n, name)
}

async function say(page: Page, text: string) {
  await page.fill('#text', text)
  await page.press('#text', 'Enter')
  await page.waitForFunction((x) => [...document.querySelectorAll('#messages > li .content')].some((e) => e.textContent === x), text)
}

const item = (page: Page, text: string) => page.locator('#messages > li', { has: page.locator('.content', { hasText: text }) })

/** What a page shows of the room: every message with its content, marks, reactions and thread size, and the pins. */
const snapshot = (page: Page) =>
  page.evaluate(() => ({
    messages: [...document.querySelectorAll('#messages > li')].map((li) => ({
      id: li.getAttribute('data-message-id'),
      seq: li.getAttribute('data-seq'),
      rev: li.getAttribute('data-rev'),
      content: li.querySelector('.content')?.textContent,
      edited: !!li.querySelector('.edited'),
      deleted: li.classList.contains('deleted'),
      pinned: li.classList.contains('pinned'),
      reactions: [...li.querySelectorAll('button.reaction')].map((b) => `${b.getAttribute('data-key')} ${b.getAttribute('data-count')}`),
      thread: li.querySelector('button.thread')?.textContent ?? null,
    })),
    pins: [...document.querySelectorAll('#pin-list > li')].map((li) => li.getAttribute('data-message-id')),
  }))

test.skipIf(!hasChromium)(
  `offline in the demo page: bob catches up on alice's edit, delete, reaction, pin, reply and mentions${hasChromium ? '' : ` (${SKIP_REASON})`}`,
  async () => {
    const alice = await signIn('alice')
    const bob = await signIn('bob')
    await createRoom(alice.page, 'side room', 'bob')
    await createRoom(alice.page, 'rich room', 'bob')
    for (const text of ['m1', 'm2', 'm3', 'm4', 'm5']) await say(alice.page, text)

    // Bob opens the room and the (empty) thread of m5, then loses the network.
    const bobRoom = bob.page.locator('#rooms li', { has: bob.page.locator('.name', { hasText: 'rich room' }) })
    await bobRoom.click()
    await bob.page.waitForFunction(() => document.querySelectorAll('#messages > li').length === 5)
    await item(bob.page, 'm5').locator('button.thread').click()
    await bob.page.waitForSelector('#thread:not([hidden])')
    expect(await bob.page.locator('#messages > li button.pin').count()).toBe(0) // a plain member of a group does not pin
    await bob.context.setOffline(true)
    await bob.page.waitForSelector('#conn[data-state="reconnecting"]')

    // Alice, from her page: edit m1, delete m2, react to m3, pin m4, reply to m5 mentioning bob.
    await item(alice.page, 'm1').locator('button.edit').click()
    await alice.page.fill('#messages .edit-input', 'm1, edited')
    await alice.page.press('#messages .edit-input', 'Enter')
    await alice.page.waitForSelector('#messages > li .edited')
    await item(alice.page, 'm2').locator('button.delete').click()
    await alice.page.waitForSelector('#messages > li.deleted')
    await item(alice.page, 'm3').locator('button.reaction[data-key="👍"]').click()
    await alice.page.waitForSelector('#messages > li button.reaction[data-key="👍"][aria-pressed="true"][data-count="1"]')
    await item(alice.page, 'm4').locator('button.pin').click()
    await alice.page.waitForSelector('#pin-list > li')
    await item(alice.page, 'm5').locator('button.thread').click()
    await alice.page.fill('#thread-text', '@bob see this')
    await alice.page.press('#thread-text', 'Enter')
    await alice.page.waitForFunction(() => document.querySelector('#thread-messages > li .content')?.textContent === '@bob see this')
    await alice.page.waitForFunction(() => [...document.querySelectorAll('#messages > li button.thread')].some((b) => b.textContent === '1 reply'))
    // And a mention in the other room (bob is not looking at it).
    await alice.page.locator('#rooms li', { has: alice.page.locator('.name', { hasText: 'side room' }) }).click()
    await alice.page.waitForFunction(() => document.querySelector('#room-title')?.textContent === 'side room')
    await say(alice.page, '@bob over here')
    await alice.page.locator('#rooms li', { has: alice.page.locator('.name', { hasText: 'rich room' }) }).click()
    await alice.page.waitForFunction(() => document.querySelectorAll('#messages > li').length === 5)
    const aliceState = await snapshot(alice.page)

    // Nothing reached bob meanwhile.
    expect(await item(bob.page, 'm1').locator('.content').textContent()).toBe('m1')
    expect(await bob.page.locator('#messages > li.deleted').count()).toBe(0)

    await bob.context.setOffline(false)
    await bob.page.waitForSelector('#conn[data-state="open"]')
    await bob.page.waitForFunction((want) => {
      const li = [...document.querySelectorAll('#messages > li')]
      return JSON.stringify(li.map((x) => x.getAttribute('data-rev'))) === want
    }, JSON.stringify(aliceState.messages.map((m) => m.rev)))
    await bob.page.waitForFunction(() => document.querySelectorAll('#pin-list > li').length === 1)
    const bobState = await snapshot(bob.page)
    expect(bobState).toEqual(aliceState)

    // The page state is the server's state.
    const roomId = await bob.page.locator('#rooms li.active').getAttribute('data-room-id')
    const server = (await demo.tenant.as('bob')('GET', `/v1/rooms/${roomId}/messages?top_level=true`)).body.messages
    expect(bobState.messages.map((m) => [m.id, m.rev, m.deleted ? '' : m.content])).toEqual(server.map((m: any) => [m.message_id, String(m.rev), m.content]))
    expect(bobState.messages.map((m) => m.content)).toEqual(['m1, edited', 'message deleted', 'm3', 'm4', 'm5'])
    expect(bobState.messages[0]!.edited).toBe(true)
    expect(bobState.messages[2]!.reactions).toContain('👍 1')
    expect(bobState.messages[3]!.pinned).toBe(true)
    expect(bobState.pins).toEqual([bobState.messages[3]!.id])
    expect(bobState.messages[4]!.thread).toBe('1 reply')

    // The thread bob had open got the reply, highlighted as mentioning him (not so on alice's page).
    await bob.page.waitForFunction(() => document.querySelector('#thread-messages > li .content')?.textContent === '@bob see this')
    expect(await bob.page.locator('#thread-messages > li.mention-me .mention-badge').textContent()).toBe('mentions you')
    expect(await alice.page.locator('#thread-messages > li.mention-me').count()).toBe(0)

    // The side room counts bob's unread mention; opening it reads it.
    const side = bob.page.locator('#rooms li', { has: bob.page.locator('.name', { hasText: 'side room' }) })
    await bob.page.waitForFunction(() => [...document.querySelectorAll('#rooms li')].some((li) => li.querySelector('.mentions')?.getAttribute('data-count') === '1'))
    expect(await side.locator('.mentions').getAttribute('data-count')).toBe('1')
    await side.click()
    await bob.page.waitForFunction(() => document.querySelector('#messages > li.mention-me .content')?.textContent === '@bob over here')
    await bob.page.waitForFunction(() => document.querySelector('#rooms li.active .mentions')?.getAttribute('data-count') === '0')

    // Keyboard: bob reacts from the keyboard and the focus stays on the button across the redraw.
    await bob.page.locator('#messages > li.mention-me button.reaction[data-key="🎉"]').focus()
    await bob.page.keyboard.press('Enter')
    await bob.page.waitForSelector('#messages > li.mention-me button.reaction[data-key="🎉"][aria-pressed="true"]')
    expect(await bob.page.evaluate(() => document.querySelector(':focus')?.getAttribute('data-key'))).toBe('🎉')

    expect(alice.refused).toEqual([])
    expect(bob.refused).toEqual([])
    expect(alice.problems).toEqual([])
    expect(bob.problems).toEqual([])
    await alice.context.close()
    await bob.context.close()
  },
  90_000,
)
