// The history cache (src/services/history-cache.ts): a page read again after any change to the room
// shows the change, and a cached page never crosses a room or a tenant. Every test first reads the
// pages it will read again, so the second read would come from the cache if the cache were wrong.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startTestServer, type TestServer } from '../support/server'
import { groupWithMessages, msgPath, pinPath, reactionPath } from './rich-helpers'
import { expectError, send, type As } from './helpers'

let s: TestServer
beforeAll(async () => (s = await startTestServer()))
afterAll(() => s.stop())

type Page = { messages: { seq: number; content: string; [k: string]: any }[]; has_more: boolean }
const QUERIES = ['', '?limit=3', '?after_seq=0&limit=3', '?after_seq=2&limit=50', '?before_seq=5&limit=2', '?before_seq=100']

/** Reads every query of QUERIES twice (the second from the cache), checks both agree, returns the pages. */
async function pages(as: As, roomId: string): Promise<Record<string, Page>> {
  const out: Record<string, Page> = {}
  for (const q of QUERIES) {
    const a = await as('GET', msgPath(roomId, '', q))
    const b = await as('GET', msgPath(roomId, '', q))
    expect(a.status).toBe(200)
    expect(b.body).toEqual(a.body)
    out[q] = a.body
  }
  return out
}
const bySeq = (p: Page, seq: number) => p.messages.find((m) => m.seq === seq)

describe('history pages after a change to the room', () => {
  test('a new message is on the next newest page and on an after_seq page that reaches it', async () => {
    const t = await s.newTenant()
    const { roomId } = await groupWithMessages(t.as, 5)
    await pages(t.as('bob'), roomId)
    await send(t.as('carol'), roomId, 'six')
    const after = await pages(t.as('bob'), roomId)
    expect(after[''].messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6])
    expect(after['?limit=3'].messages.map((m) => m.content)).toEqual(['m4', 'm5', 'six'])
    expect(after['?after_seq=2&limit=50'].messages.map((m) => m.seq)).toEqual([3, 4, 5, 6])
    expect(after['?after_seq=0&limit=3']).toMatchObject({ has_more: true })
  }, 30_000)

  test('an edit, a delete, a reaction, a pin and a reply each show on the next read', async () => {
    const t = await s.newTenant()
    const alice = t.as('alice')
    const bob = t.as('bob')
    const { roomId, ids } = await groupWithMessages(t.as, 5)
    await pages(bob, roomId)

    expect((await alice('PATCH', msgPath(roomId, ids[3]), { body: { content: 'edited' } })).status).toBe(200)
    let p = await pages(bob, roomId)
    expect(bySeq(p[''], 4)).toMatchObject({ content: 'edited' })
    expect(bySeq(p['?after_seq=2&limit=50'], 4)?.edited_at).not.toBeNull()

    expect((await alice('DELETE', msgPath(roomId, ids[2]))).status).toBe(204)
    p = await pages(bob, roomId)
    expect(bySeq(p[''], 3)).toMatchObject({ content: '' })
    expect(bySeq(p['?before_seq=5&limit=2'], 3)?.deleted_at).not.toBeNull()

    expect((await bob('PUT', reactionPath(roomId, ids[4], '👍'))).status).toBeLessThan(300)
    p = await pages(bob, roomId)
    expect(bySeq(p[''], 5)?.reactions).toEqual([expect.objectContaining({ key: '👍', count: 1 })])
    expect((await bob('DELETE', reactionPath(roomId, ids[4], '👍'))).status).toBeLessThan(300)
    expect(bySeq((await pages(bob, roomId))[''], 5)?.reactions).toEqual([])

    expect((await alice('PUT', pinPath(roomId, ids[0]))).status).toBeLessThan(300)
    p = await pages(bob, roomId)
    expect(bySeq(p[''], 1)).toMatchObject({ pinned_by: 'alice' })

    await send(bob, roomId, 'a reply', { parent_id: ids[1] })
    p = await pages(bob, roomId)
    expect(bySeq(p[''], 2)).toMatchObject({ reply_count: 1 })
    expect(bySeq(p[''], 6)).toMatchObject({ content: 'a reply', parent_id: ids[1] })
  }, 30_000)
})

describe('pre-encoded answers', () => {
  test('a history page (stored or cached), a replies page and a change-feed page carry the request id and the rate-limit figures like any answer', async () => {
    const t = await s.newTenant()
    const { roomId, ids } = await groupWithMessages(t.as, 3)
    const bob = t.as('bob')
    const paths = [msgPath(roomId), msgPath(roomId), msgPath(roomId, ids[0], '/replies'), `/v1/rooms/${roomId}/changes?after_rev=0`]
    for (const p of paths) {
      const r = await bob('GET', p, { headers: { 'x-request-id': 'req-abc' } })
      expect(r.status).toBe(200)
      expect(r.headers.get('content-type')).toStartWith('application/json')
      expect(r.headers.get('x-request-id')).toBe('req-abc')
      expect(Number(r.headers.get('x-ratelimit-limit'))).toBeGreaterThan(0)
      expect(r.headers.get('x-ratelimit-remaining')).not.toBeNull()
    }
  }, 30_000)
})

describe('isolation', () => {
  test("a room's cached pages are its own; another tenant gets 404 for it, with the same user ids", async () => {
    const t = await s.newTenant()
    const other = await s.newTenant()
    const a = await groupWithMessages(t.as, 4)
    const b = await groupWithMessages(t.as, 2)
    const pa = await pages(t.as('bob'), a.roomId)
    const pb = await pages(t.as('bob'), b.roomId)
    expect(pa[''].messages.every((m) => m.room_id === a.roomId)).toBe(true)
    expect(pb[''].messages.map((m) => m.room_id)).toEqual([b.roomId, b.roomId])
    for (const q of QUERIES) expectError(await other.as('bob')('GET', msgPath(a.roomId, '', q)), 404, 'NOT_FOUND')
    // a non-member of the same tenant is refused too, whatever is cached
    expectError(await t.as('mallory')('GET', msgPath(a.roomId)), 404, 'NOT_FOUND')
  }, 30_000)
})
