// The demo page's moderation controls in headless Chromium (SPEC §14): bob reports alice's
// message, alice (the owner) mutes bob from the member list, bob sees why his send is refused, and
// bob blocks and unblocks alice. Each step is checked against the server's own state too.

import { expect, test } from 'bun:test'
import { hasChromium, SKIP_REASON } from './browser'
import { demoPages } from '../support/demo-page'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const document: { querySelector(sel: string): any; querySelectorAll(sel: string): Iterable<any> & { length: number } }

const demo = demoPages()
const open = (user: string) => demo.signIn(user)

test.skipIf(!hasChromium)(`report a message, mute from the member list, see why a send is refused, block${hasChromium ? '' : ` (${SKIP_REASON})`}`, async () => {
  const room = (await demo.tenant.as('alice')('POST', '/v1/rooms', { body: { type: 'group', name: 'mod room', members: ['bob'] } })).body.room_id
  await demo.tenant.as('alice')('POST', `/v1/rooms/${room}/messages`, { body: { content: 'buy my stuff' } })
  const alice = await open('alice')
  const bob = await open('bob')
  await bob.page.waitForFunction(() => document.querySelector('#messages li .content')?.textContent === 'buy my stuff')

  // Bob reports alice's message as spam.
  await bob.page.click('#messages li button.report-open')
  await bob.page.click('#messages li button.report-spam')
  await bob.page.waitForSelector('#messages li .reported')
  const reports = await demo.server.call('GET', '/v1/moderation/reports?status=open', { headers: { 'x-api-key': demo.tenant.api_key } })
  expect(reports.body.reports).toEqual([expect.objectContaining({ room_id: room, reporter_id: 'bob', user_id: 'alice', reason: 'spam' })])

  // Alice owns the room: her member list offers mute and ban next to bob; bob's has neither.
  await alice.page.waitForSelector('#members li[data-user="bob"] button.mute')
  expect(await bob.page.locator('#members li[data-user="alice"] button.mute').count()).toBe(0)
  await alice.page.click('#members li[data-user="bob"] button.mute')
  for (let i = 0; i < 50 && (await demo.tenant.as('alice')('GET', `/v1/rooms/${room}/mutes`)).body.mutes.length === 0; i++) await Bun.sleep(50)

  // Bob tries to send and sees why it was refused.
  await bob.page.fill('#text', 'let me speak')
  await bob.page.press('#text', 'Enter')
  await bob.page.waitForFunction(() => /muted/.test(document.querySelector('#error')?.textContent ?? ''))

  // Bob blocks alice from his member list; the button turns into unblock, and back.
  await bob.page.click('#members li[data-user="alice"] button.block')
  await bob.page.waitForSelector('#members li[data-user="alice"] button.unblock')
  expect((await demo.tenant.as('bob')('GET', '/v1/blocks')).body.blocks.map((b: any) => b.user_id)).toEqual(['alice'])
  await bob.page.click('#members li[data-user="alice"] button.unblock')
  await bob.page.waitForSelector('#members li[data-user="alice"] button.block')
  expect((await demo.tenant.as('bob')('GET', '/v1/blocks')).body.blocks).toEqual([])

  for (const u of [alice, bob]) {
    expect(u.refused).toEqual([])
    expect(u.problems).toEqual([])
    await u.context.close()
  }
}, 60_000)
