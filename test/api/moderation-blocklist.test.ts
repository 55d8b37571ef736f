// The tenant blocklist (SPEC §14), black box: config validation, reject (422 CONTENT_REJECTED) and
// mask on send and edit, case and NFKC tricks caught, whole words only, terms taken literally.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startTestServer, type TestServer } from '../support/server'
import { expectError, room } from './helpers'

let s: TestServer
beforeAll(async () => {
  s = await startTestServer()
})
afterAll(() => s.stop())

async function tenantWith(blocklist: unknown) {
  const t = await s.newTenant({ blocklist })
  const alice = t.as('alice')
  const group = (await room(alice, 'group', ['bob'])).room_id
  const post = (content: string) => alice('POST', `/v1/rooms/${group}/messages`, { body: { content } })
  const stored = async (seq: number) => (await alice('GET', `/v1/rooms/${group}/messages?after_seq=${seq - 1}&limit=1`)).body.messages[0]?.content
  return { t, alice, group, post, stored }
}

describe('config', () => {
  test('validated key by key: at most 1,000 terms of 1-64 characters, action reject or mask; null removes it', async () => {
    const t = await s.newTenant()
    const patch = (config: unknown) => s.admin('PATCH', `/v1/admin/tenants/${t.tenant_id}`, { body: { config } })
    expectError(await patch({ blocklist: ['bad'] }), 400, 'VALIDATION_ERROR', 'config.blocklist')
    expectError(await patch({ blocklist: { terms: 'bad' } }), 400, 'VALIDATION_ERROR', 'config.blocklist.terms')
    expectError(await patch({ blocklist: { terms: Array.from({ length: 1001 }, (_, i) => `t${i}`) } }), 400, 'VALIDATION_ERROR', 'config.blocklist.terms')
    expectError(await patch({ blocklist: { terms: [''] } }), 400, 'VALIDATION_ERROR', 'config.blocklist.terms')
    expectError(await patch({ blocklist: { terms: ['x'.repeat(65)] } }), 400, 'VALIDATION_ERROR', 'config.blocklist.terms')
    expectError(await patch({ blocklist: { terms: [42] } }), 400, 'VALIDATION_ERROR', 'config.blocklist.terms')
    expectError(await patch({ blocklist: { terms: ['bad'], action: 'shout' } }), 400, 'VALIDATION_ERROR', 'config.blocklist.action')
    // 64 characters counted as characters, not UTF-16 units or bytes.
    expect((await patch({ blocklist: { terms: ['😀'.repeat(64)], action: 'mask' } })).body.config.blocklist).toEqual({ terms: ['😀'.repeat(64)], action: 'mask' })
    const full = Array.from({ length: 1000 }, (_, i) => `term${i}`)
    expect((await patch({ blocklist: { terms: full } })).body.config.blocklist).toEqual({ terms: full, action: 'reject' })
    expect((await patch({ blocklist: null })).body.config.blocklist).toBeUndefined()
  })
})

describe('reject', () => {
  test('a blocked term is refused with 422 CONTENT_REJECTED and nothing is stored; clean text passes', async () => {
    const { alice, group, post } = await tenantWith({ terms: ['darn', 'heck'], action: 'reject' })
    const r = await post('well darn it')
    expectError(r, 422, 'CONTENT_REJECTED')
    expect(r.body.error.message).toContain('blocked')
    expect((await post('all good')).status).toBe(201)
    expect((await alice('GET', `/v1/rooms/${group}`)).body.last_seq).toBe(1)
  })

  test('case and Unicode compatibility forms are caught: upper case, fullwidth, ligatures, circled letters', async () => {
    const { post } = await tenantWith({ terms: ['darn', 'file'], action: 'reject' })
    for (const tricky of ['DARN', 'DaRn!', 'ｄａｒｎ', 'ＤＡＲＮ', 'ⓓⓐⓡⓝ', 'the ﬁle']) expectError(await post(tricky), 422, 'CONTENT_REJECTED')
  })

  test('a term that is a word matches whole words only: "ass" does not match "class" or "passive"', async () => {
    const { post } = await tenantWith({ terms: ['ass'], action: 'reject' })
    for (const fine of ['a class act', 'passive voice', 'assets', 'grass_roots', 'ass1']) expect((await post(fine)).status).toBe(201)
    for (const bad of ['ass', 'you ass.', '(ass)', 'ASS!', 'kick-ass']) expectError(await post(bad), 422, 'CONTENT_REJECTED')
  })

  test('terms are literal text, never patterns: regular-expression characters match only themselves', async () => {
    const { post } = await tenantWith({ terms: ['a.c', '(.*)', 'x+y', '[abc]', '\\d'], action: 'reject' })
    for (const fine of ['abc', 'anything at all', 'xxy', 'a', '5']) expect((await post(fine)).status).toBe(201)
    for (const bad of ['a.c', 'see (.*) here', 'x+y=z', '[abc]', 'match \\d']) expectError(await post(bad), 422, 'CONTENT_REJECTED')
  })

  test('edits pass the blocklist too; the 422 comes before the 409 of a deleted message (SPEC §14 order)', async () => {
    const { alice, group, post } = await tenantWith({ terms: ['darn'], action: 'reject' })
    const m = (await post('fine')).body
    expectError(await alice('PATCH', `/v1/rooms/${group}/messages/${m.message_id}`, { body: { content: 'darn' } }), 422, 'CONTENT_REJECTED')
    expect((await alice('PATCH', `/v1/rooms/${group}/messages/${m.message_id}`, { body: { content: 'still fine' } })).body.content).toBe('still fine')
    expect((await alice('DELETE', `/v1/rooms/${group}/messages/${m.message_id}`)).status).toBe(204)
    expectError(await alice('PATCH', `/v1/rooms/${group}/messages/${m.message_id}`, { body: { content: 'darn' } }), 422, 'CONTENT_REJECTED')
    expectError(await alice('PATCH', `/v1/rooms/${group}/messages/${m.message_id}`, { body: { content: 'ok' } }), 409, 'CONFLICT')
  })

  test('a bad parent_id, mention or attachment is the 400 on that field, before the 422; a deleted parent\'s 409 comes after it', async () => {
    // SPEC §14: CONTENT_REJECTED comes after validation and access, before state (§3 order).
    const { alice, group, post } = await tenantWith({ terms: ['darn'], action: 'reject' })
    const top = (await post('top')).body
    const reply = (await alice('POST', `/v1/rooms/${group}/messages`, { body: { content: 'r', parent_id: top.message_id } })).body
    const other = (await room(alice, 'group', ['bob'])).room_id
    const elsewhere = (await alice('POST', `/v1/rooms/${other}/messages`, { body: { content: 'x' } })).body
    const darn = (extra: Record<string, unknown>) => alice('POST', `/v1/rooms/${group}/messages`, { body: { content: 'darn', ...extra } })
    for (const parent_id of ['msg_nope', reply.message_id, elsewhere.message_id]) expectError(await darn({ parent_id }), 400, 'VALIDATION_ERROR', 'parent_id')
    expectError(await darn({ mentions: ['zed'] }), 400, 'VALIDATION_ERROR', 'mentions')
    expectError(await darn({ attachments: ['upl_nope'] }), 400, 'VALIDATION_ERROR', 'attachments')
    expect((await alice('DELETE', `/v1/rooms/${group}/messages/${top.message_id}`)).status).toBe(204)
    expectError(await darn({ parent_id: top.message_id }), 422, 'CONTENT_REJECTED')
    expectError(await alice('POST', `/v1/rooms/${group}/messages`, { body: { content: 'fine', parent_id: top.message_id } }), 409, 'CONFLICT')
    expect((await alice('GET', `/v1/rooms/${group}`)).body.last_seq).toBe(2)
  })

  test('with all 1,000 terms the last one is still found', async () => {
    const terms = Array.from({ length: 1000 }, (_, i) => `w${i.toString(36)}x`)
    const { post } = await tenantWith({ terms, action: 'reject' })
    expectError(await post(`hello ${terms[999]} there`), 422, 'CONTENT_REJECTED')
    expect((await post('hello w0 there')).status).toBe(201)
  })
})

describe('mask', () => {
  test('each match is stored as * of the same length (in characters of the original text)', async () => {
    const { post, stored } = await tenantWith({ terms: ['darn', 'heck', 'bad word'], action: 'mask' })
    const cases: [string, string][] = [
      ['well darn it', 'well **** it'],
      ['DARN and Heck', '**** and ****'],
      ['ｄａｒｎ!', '****!'],
      ['a bad word here', 'a ******** here'],
      ['darning is fine', 'darning is fine'],
      ['é darn é', 'é **** é'],
    ]
    for (const [sent, want] of cases) {
      const r = await post(sent)
      expect(r.status).toBe(201)
      expect(await stored(r.body.seq)).toBe(want)
    }
  })

  test('an edit is masked the same way', async () => {
    const { alice, group, post } = await tenantWith({ terms: ['darn'], action: 'mask' })
    const m = (await post('fine')).body
    expect((await alice('PATCH', `/v1/rooms/${group}/messages/${m.message_id}`, { body: { content: 'oh darn' } })).body.content).toBe('oh ****')
  })
})

test('without a blocklist nothing is checked; another tenant\'s list does not apply', async () => {
  await tenantWith({ terms: ['darn'], action: 'reject' })
  const { post } = await tenantWith(null)
  expect((await post('darn')).status).toBe(201)
})
