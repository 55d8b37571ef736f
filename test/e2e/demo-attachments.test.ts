// Attachments in the demo page, in headless Chromium: alice attaches a PNG and a text file; bob's
// page shows the image inline (loaded: natural width > 0, through a signed URL, no headers) and the
// text file as a download link. No request leaves this machine; the screenshot must not be blank.

import { expect, test } from 'bun:test'
import type { Page } from 'playwright-core'
import { png } from '../support/images'
import { hasChromium, pngStats, screenshot, SKIP_REASON } from './browser'
import { demoPages } from '../support/demo-page'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const document: { querySelector(sel: string): any; querySelectorAll(sel: string): Iterable<any> & { length: number } }

const demo = demoPages()
const signIn = (user: string) => demo.signIn(user)

const openRoom = (page: Page, name: string) => page.locator('#rooms li', { has: page.locator('.name', { hasText: name }) }).click()

test.skipIf(!hasChromium)(`a PNG attached in the demo page shows inline on the other user's page${hasChromium ? '' : ` (${SKIP_REASON})`}`, async () => {
  const room = (await demo.tenant.as('alice')('POST', '/v1/rooms', { body: { type: 'group', members: ['bob'], name: 'pictures' } })).body.room_id as string
  const alice = await signIn('alice')
  const bob = await signIn('bob')
  await openRoom(alice.page, 'pictures')
  await openRoom(bob.page, 'pictures')
  await alice.page.waitForFunction(() => !document.querySelector('#text').disabled)

  // Alice picks a 160×120 PNG: it uploads, shows as pending, and goes with her next message.
  await alice.page.setInputFiles('#file', { name: 'orange.png', mimeType: 'image/png', buffer: png(160, 120) })
  await alice.page.waitForSelector('#attach-status .pending')
  await alice.page.fill('#text', 'a picture')
  await alice.page.press('#text', 'Enter')
  await alice.page.waitForFunction(() => document.querySelector('#attach-status .pending') === null)

  // Bob's page shows it: an <img> whose bytes loaded (natural size from the file).
  await bob.page.waitForFunction(() => {
    const img = document.querySelector('#messages li .attachments img')
    return img && img.complete && img.naturalWidth > 0
  })
  const size = await bob.page.locator('#messages li .attachments img').evaluate((img: { naturalWidth: number; naturalHeight: number; src: string }) => ({ w: img.naturalWidth, h: img.naturalHeight, src: img.src }))
  expect({ w: size.w, h: size.h }).toEqual({ w: 160, h: 120 })
  expect(size.src).toContain('/content?expires=') // a signed URL: an <img> sends no token
  expect(await bob.page.textContent('#messages li .content')).toBe('a picture')

  // A text file alone: its name is the message, and bob gets a download link, not an inline view.
  await alice.page.setInputFiles('#file', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('plan: ship it\n') })
  await alice.page.waitForSelector('#attach-status .pending')
  await alice.page.click('#send')
  await bob.page.waitForFunction(() => document.querySelector('#messages li .attachments a.attachment-file')?.getAttribute('href')?.includes('/content?expires='))
  const link = bob.page.locator('#messages li .attachments a.attachment-file')
  expect(await link.textContent()).toContain('notes.txt')
  const got = await fetch(new URL((await link.getAttribute('href'))!, demo.server.url))
  expect(await got.text()).toBe('plan: ship it\n')
  expect(got.headers.get('content-disposition')).toStartWith('attachment;')

  const history = await demo.tenant.as('bob')('GET', `/v1/rooms/${room}/messages`)
  expect(history.body.messages.map((m: { attachments: { filename: string }[] }) => m.attachments.map((a) => a.filename))).toEqual([['orange.png'], ['notes.txt']])

  const shot = await screenshot(bob.page, 'demo-attachments-bob.png')
  const st = await pngStats(shot)
  expect(st.colours).toBeGreaterThan(20)
  expect(st.nonBackground).toBeGreaterThan(0.05)
  expect(alice.refused).toEqual([])
  expect(bob.refused).toEqual([])
  expect(alice.problems).toEqual([])
  expect(bob.problems).toEqual([])
  await alice.context.close()
  await bob.context.close()
}, 90_000)
