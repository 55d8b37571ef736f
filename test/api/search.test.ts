// Search (SPEC §13), black box on a real server: what matches (AND, phrases, prefixes, case,
// diacritics), who sees what (other rooms, rooms left, other tenants), edits and deletes, the 2 s
// bound, snippets, sender and room filters, and paging. On SQLite the index is the search worker's
// file; on the PG+Redis pass it is PostgreSQL's GIN index.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { Value } from '@sinclair/typebox/value'
import { startTestServer, type TestServer } from '../support/server'
import type { CallResult } from '../support/http'
import { SearchResults } from '../../src/schemas/search'
import { expectError, room, send, type As } from './helpers'

let s: TestServer
beforeAll(async () => (s = await startTestServer()))
afterAll(() => s.stop())

const search = (as: As, params: Record<string, string>) => as('GET', `/v1/search?${new URLSearchParams(params)}`)
const contents = (r: CallResult) => (r.body.results as { message: { content: string } }[]).map((x) => x.message.content)

/**
 * Polls the search until `ok` holds or 2 s have passed since `since` (SPEC §13: searchable within 2 s
 * of the 201), then returns the last answer: the caller asserts on it, so a miss fails with the data.
 */
async function within2s(since: number, run: () => Promise<CallResult>, ok: (r: CallResult) => boolean): Promise<CallResult> {
  for (;;) {
    const r = await run()
    if (r.status === 200 && ok(r)) return r
    if (performance.now() - since > 2000) return r
    await Bun.sleep(20)
  }
}

/** Sends and waits until the message is found by `word` (by a member); returns the ack. */
async function sendIndexed(as: As, roomId: string, content: string, word: string) {
  const t0 = performance.now()
  const ack = await send(as, roomId, content)
  const r = await within2s(t0, () => search(as, { q: word, room_id: roomId }), (r) => contents(r).includes(content))
  expect(contents(r)).toContain(content)
  return ack
}

describe('matching', () => {
  test('a message is found within 2 s of its 201; the answer is {results: [{room_id, message, snippet}], next_cursor}', async () => {
    const t = await s.newTenant()
    const a = t.as('alice')
    const g = await room(a, 'group', ['bob'])
    const t0 = performance.now()
    const ack = await send(a, g.room_id, 'the zebra crossing is closed')
    const r = await within2s(t0, () => search(t.as('bob'), { q: 'zebra' }), (r) => r.body.results.length === 1)
    const elapsed = performance.now() - t0
    expect(r.status).toBe(200)
    expect(Value.Check(SearchResults, r.body)).toBe(true)
    expect(Object.keys(r.body).sort()).toEqual(['next_cursor', 'results'])
    expect(r.body.next_cursor).toBeNull()
    const one = await a('GET', `/v1/rooms/${g.room_id}/messages/${ack.message_id}`)
    expect(r.body.results).toEqual([{ room_id: g.room_id, message: one.body, snippet: 'the <mark>zebra</mark> crossing is closed' }])
    expect(elapsed).toBeLessThan(2000)
  })

  test('words are ANDed; "a phrase" matches in order; a trailing * is a prefix; case and diacritics are ignored', async () => {
    const t = await s.newTenant()
    const a = t.as('alice')
    const g = await room(a, 'group')
    const docs = ['quick brown fox', 'brown quick fox', 'quick red fox', 'Deployment finished', 'we redeploy daily', 'mail ops@example.com or see https://status.example.org/now', 'Un CAFÉ noir']
    for (const d of docs.slice(0, -1)) await send(a, g.room_id, d)
    await sendIndexed(a, g.room_id, docs[docs.length - 1], 'noir')
    const q = async (text: string) => contents(await search(a, { q: text })).sort()
    expect(await q('quick fox')).toEqual(['brown quick fox', 'quick brown fox', 'quick red fox'])
    expect(await q('quick brown')).toEqual(['brown quick fox', 'quick brown fox'])
    expect(await q('"quick brown"')).toEqual(['quick brown fox'])
    expect(await q('"quick brown" red')).toEqual([])
    expect(await q('deplo*')).toEqual(['Deployment finished'])
    expect(await q('deplo')).toEqual([]) // no * → whole words only
    expect(await q('"brown qu"*')).toEqual(['brown quick fox'])
    expect(await q('QUICK RED')).toEqual(['quick red fox'])
    expect(await q('cafe')).toEqual(['Un CAFÉ noir'])
    // Punctuation separates words everywhere: addresses and URLs are found by their parts.
    expect(await q('example ops')).toEqual(['mail ops@example.com or see https://status.example.org/now'])
    expect(await q('"status example org"')).toEqual(['mail ops@example.com or see https://status.example.org/now'])
    expect(await q('café NOIR')).toEqual(['Un CAFÉ noir'])
  })
})

describe('scoping', () => {
  test('only rooms the caller is a member of now: never other rooms, a room they left, a channel they did not join, another tenant', async () => {
    const t = await s.newTenant()
    const other = await s.newTenant()
    const [a, b, c] = ['alice', 'bob', 'carol'].map((u) => t.as(u))
    const mine = await room(a, 'group', ['bob'])
    const theirs = await room(c, 'group') // alice is not in it
    const channel = await room(c, 'channel') // public, but alice never joined
    const left = await room(b, 'group', ['alice'])
    await send(a, mine.room_id, 'walrus in my room')
    await sendIndexed(c, theirs.room_id, 'walrus in a private room', 'walrus')
    await sendIndexed(c, channel.room_id, 'walrus in a channel', 'walrus')
    await sendIndexed(b, left.room_id, 'walrus in a room alice leaves', 'walrus')
    // The same user id in another tenant, with a message of its own.
    const oa = other.as('alice')
    const og = await room(oa, 'group')
    await sendIndexed(oa, og.room_id, 'walrus of another tenant', 'walrus')

    expect(contents(await search(a, { q: 'walrus' })).sort()).toEqual(['walrus in a room alice leaves', 'walrus in my room'])
    expect((await a('DELETE', `/v1/rooms/${left.room_id}/members/alice`)).status).toBe(204)
    expect(contents(await search(a, { q: 'walrus' }))).toEqual(['walrus in my room'])
    expect(contents(await search(b, { q: 'walrus' })).sort()).toEqual(['walrus in a room alice leaves', 'walrus in my room'])
    expect(contents(await search(oa, { q: 'walrus' }))).toEqual(['walrus of another tenant'])

    // room_id follows SPEC §2: a group of others and another tenant's room are invisible, a channel is members-only.
    expectError(await search(a, { q: 'walrus', room_id: theirs.room_id }), 404, 'NOT_FOUND')
    expectError(await search(a, { q: 'walrus', room_id: og.room_id }), 404, 'NOT_FOUND')
    expectError(await search(a, { q: 'walrus', room_id: left.room_id }), 404, 'NOT_FOUND')
    expectError(await search(a, { q: 'walrus', room_id: channel.room_id }), 403, 'FORBIDDEN')
    expectError(await search(a, { q: 'walrus', room_id: 'room_doesnotexist000000' }), 404, 'NOT_FOUND')
    // Joining the channel makes its messages searchable for alice at once.
    expect((await a('POST', `/v1/rooms/${channel.room_id}/join`)).status).toBe(200)
    expect(contents(await search(a, { q: 'walrus', room_id: channel.room_id }))).toEqual(['walrus in a channel'])
  })

  test('room_id and sender_id narrow the results', async () => {
    const t = await s.newTenant()
    const [a, b] = [t.as('alice'), t.as('bob')]
    const g1 = await room(a, 'group', ['bob'])
    const g2 = await room(a, 'group', ['bob'])
    await send(a, g1.room_id, 'otter one by alice')
    await send(b, g1.room_id, 'otter two by bob')
    await sendIndexed(b, g2.room_id, 'otter three by bob', 'otter')
    expect(contents(await search(a, { q: 'otter', room_id: g1.room_id })).sort()).toEqual(['otter one by alice', 'otter two by bob'])
    expect(contents(await search(a, { q: 'otter', sender_id: 'bob' })).sort()).toEqual(['otter three by bob', 'otter two by bob'])
    expect(contents(await search(a, { q: 'otter', sender_id: 'bob', room_id: g1.room_id }))).toEqual(['otter two by bob'])
    expect(contents(await search(a, { q: 'otter', sender_id: 'nobody' }))).toEqual([])
  })
})

describe('edits and deletes', () => {
  test('an edited message matches its new words at once or within 2 s, its old words never again; a deleted one never matches', async () => {
    const t = await s.newTenant()
    const a = t.as('alice')
    const g = await room(a, 'group')
    const e = await sendIndexed(a, g.room_id, 'meet at the lighthouse', 'lighthouse')
    const d = await sendIndexed(a, g.room_id, 'the lighthouse password is swordfish', 'swordfish')

    const t0 = performance.now()
    expect((await a('PATCH', `/v1/rooms/${g.room_id}/messages/${e.message_id}`, { body: { content: 'meet at the harbour' } })).status).toBe(200)
    expect(contents(await search(a, { q: 'lighthouse' }))).toEqual(['the lighthouse password is swordfish'])
    const r = await within2s(t0, () => search(a, { q: 'harbour' }), (r) => r.body.results.length === 1)
    expect(contents(r)).toEqual(['meet at the harbour'])
    expect(r.body.results[0].message.edited_at).not.toBeNull()

    expect((await a('DELETE', `/v1/rooms/${g.room_id}/messages/${d.message_id}`)).status).toBe(204)
    expect(contents(await search(a, { q: 'swordfish' }))).toEqual([])
    expect(contents(await search(a, { q: 'lighthouse' }))).toEqual([])
    // Still nothing once the worker has applied the change (a later message is indexed after it).
    await sendIndexed(a, g.room_id, 'marker after the delete', 'marker')
    expect(contents(await search(a, { q: 'swordfish' }))).toEqual([])
    expect(contents(await search(a, { q: 'harbour' }))).toEqual(['meet at the harbour'])
  })
})

describe('snippets', () => {
  test('HTML in the content comes back escaped; only <mark> and </mark> are markup; at most 200 characters around the first match', async () => {
    const t = await s.newTenant()
    const a = t.as('alice')
    const g = await room(a, 'group')
    const html = `<img src=x onerror="alert('x')"> & <b>pelican</b>`
    await sendIndexed(a, g.room_id, html, 'pelican')
    const r = await search(a, { q: 'pelican' })
    expect(r.body.results[0].snippet).toBe('&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt; &amp; &lt;b&gt;<mark>pelican</mark>&lt;/b&gt;')

    const long = `${'lorem ipsum '.repeat(40)}the heron stands <still> and the heron waits ${'dolor sit '.repeat(40)}`
    await sendIndexed(a, g.room_id, long, 'heron')
    const snip: string = (await search(a, { q: 'heron' })).body.results[0].snippet
    const bare = snip.replaceAll('<mark>', '').replaceAll('</mark>', '')
    expect(bare).not.toMatch(/[<>]/)
    const text = bare.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&').replaceAll('&quot;', '"').replaceAll('&#39;', "'")
    expect([...text].length).toBeLessThanOrEqual(200)
    expect(long).toContain(text)
    expect(snip.match(/<mark>heron<\/mark>/g)?.length).toBe(2)
    expect(snip).toContain('&lt;still&gt;')
  })
})

describe('paging', () => {
  test('newest first; limit and next_cursor walk every match once; null on the last page', async () => {
    const t = await s.newTenant()
    const a = t.as('alice')
    const g1 = await room(a, 'group')
    const g2 = await room(a, 'group')
    const sent: string[] = []
    for (let i = 0; i < 7; i++) {
      const content = `puffin number ${i}`
      await send(a, i % 2 ? g1.room_id : g2.room_id, content)
      sent.push(content)
    }
    await sendIndexed(a, g1.room_id, 'puffin last', 'last')
    sent.push('puffin last')
    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const r: CallResult = await search(a, { q: 'puffin', limit: '3', ...(cursor ? { cursor } : {}) })
      expect(r.status).toBe(200)
      expect(r.body.results.length).toBeLessThanOrEqual(3)
      seen.push(...contents(r))
      cursor = r.body.next_cursor
      pages++
    } while (cursor && pages < 10)
    expect(pages).toBe(3)
    expect(seen).toEqual([...sent].reverse())
  })
})
