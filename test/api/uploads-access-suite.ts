// Attachments and downloads (SPEC §12) on one file storage: attachments only from one's own
// uploads (REST and WebSocket), who may download, every download header, Range and If-None-Match,
// signed URLs (no headers, altered, expired), and the clean-up of orphans and deleted messages' files.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createHash } from 'node:crypto'
import type { TestServer, TestTenant } from '../support/server'
import { WsClient } from '../support/ws'
import { png } from '../support/images'
import { expectError, room, send } from './helpers'
import { download, startUploadServer, testClock, uploadRaw, type FileStorage } from './uploads-kit'

const ORPHAN_TTL_MS = 60_000

export function accessSuite(storage: () => FileStorage) {
  describe(`attachments and downloads (${storage().name} storage)`, () => {
    let s: TestServer
    const clock = testClock()
    beforeAll(async () => (s = await startUploadServer(storage(), { UPLOAD_URL_TTL_S: '60', UPLOAD_ORPHAN_TTL_MS: String(ORPHAN_TTL_MS) }, clock)))
    afterAll(() => s.stop())

    const up = async (t: TestTenant, user: string, bytes: Uint8Array | string = png(4, 3), type = 'image/png', name = 'pic.png') => {
      const r = await uploadRaw(s, t, user, bytes, type, name)
      if (r.status !== 201) throw new Error(`upload: ${r.status} ${JSON.stringify(r.body)}`)
      return r.body as { upload_id: string; sha256: string; bytes: number; filename: string; content_type: string; width: number | null; height: number | null }
    }
    const get = (t: TestTenant, user: string, id: string, headers: Record<string, string> = {}) => download(`${s.url}/v1/uploads/${id}`, { ...t.headers(user), ...headers })

    test('a message lists its attachments [{upload_id, filename, content_type, bytes, width, height}] in history, get and the room list', async () => {
      const t = await s.newTenant()
      const a = t.as('alice')
      const g = await room(a, 'group', ['bob'])
      const pic = await up(t, 'alice')
      const doc = await up(t, 'alice', 'notes', 'text/plain', 'notes.txt')
      const ack = await send(a, g.room_id, 'two files', { attachments: [doc.upload_id, pic.upload_id] })
      const expected = [
        { upload_id: doc.upload_id, filename: 'notes.txt', content_type: 'text/plain', bytes: 5, width: null, height: null },
        { upload_id: pic.upload_id, filename: 'pic.png', content_type: 'image/png', bytes: pic.bytes, width: 4, height: 3 },
      ]
      expect((await t.as('bob')('GET', `/v1/rooms/${g.room_id}/messages/${ack.message_id}`)).body.attachments).toEqual(expected)
      expect((await t.as('bob')('GET', `/v1/rooms/${g.room_id}/messages`)).body.messages[0].attachments).toEqual(expected)
      expect((await t.as('bob')('GET', '/v1/rooms')).body.rooms[0].last_message.attachments).toEqual(expected)
      await send(a, g.room_id, 'plain')
      expect((await a('GET', `/v1/rooms/${g.room_id}/messages`)).body.messages[1].attachments).toEqual([])
    })

    test('attachments only from one\'s own live uploads, at most 10, no repeats: else 400 on attachments', async () => {
      const t = await s.newTenant()
      const other = await s.newTenant()
      const a = t.as('alice')
      const g = await room(a, 'group', ['bob'])
      const bobs = await up(t, 'bob')
      const foreign = await up(other, 'alice')
      const mine = await Promise.all(Array.from({ length: 11 }, () => up(t, 'alice', 'x', 'text/plain', 'x.txt')))
      const sendWith = (ids: unknown) => a('POST', `/v1/rooms/${g.room_id}/messages`, { body: { content: 'c', attachments: ids } })
      expectError(await sendWith([bobs.upload_id]), 400, 'VALIDATION_ERROR', 'attachments')
      expectError(await sendWith([foreign.upload_id]), 400, 'VALIDATION_ERROR', 'attachments')
      expectError(await sendWith(['upl_doesnotexist0000000000']), 400, 'VALIDATION_ERROR', 'attachments')
      expectError(await sendWith(mine.map((u) => u.upload_id)), 400, 'VALIDATION_ERROR', 'attachments')
      expectError(await sendWith([mine[0].upload_id, mine[0].upload_id]), 400, 'VALIDATION_ERROR', 'attachments')
      expectError(await sendWith('upl_x'), 400, 'VALIDATION_ERROR', 'attachments')
      expect((await sendWith(mine.slice(0, 10).map((u) => u.upload_id))).status).toBe(201)
      expect((await a('GET', `/v1/rooms/${g.room_id}/messages`)).body.messages).toHaveLength(1) // the refusals stored nothing
    })

    test('WebSocket send_message takes attachments too; the room frame lists them; a foreign one is an error frame', async () => {
      const t = await s.newTenant()
      const g = await room(t.as('alice'), 'group', ['bob'])
      const pic = await up(t, 'alice')
      const bobs = await up(t, 'bob')
      const alice = await WsClient.connect(s.wsUrl, t.headers('alice'))
      const bob = await WsClient.connect(s.wsUrl, t.headers('bob'))
      await Promise.all([alice.next('sync.done'), bob.next('sync.done')])
      const sent = await alice.request({ type: 'send_message', room_id: g.room_id, content: 'look', attachments: [pic.upload_id] }, 'message.sent')
      expect(sent.type).toBe('message.sent')
      const frame = await bob.next('message')
      expect(frame.attachments).toEqual([{ upload_id: pic.upload_id, filename: 'pic.png', content_type: 'image/png', bytes: pic.bytes, width: 4, height: 3 }])
      const refused = await alice.request({ type: 'send_message', room_id: g.room_id, content: 'x', attachments: [bobs.upload_id] }, 'message.sent')
      expect(refused).toMatchObject({ type: 'error', code: 'VALIDATION_ERROR', field: 'attachments' })
      alice.close()
      bob.close()
    })

    test('download: the uploader always; room members once a message lists it; non-members and other tenants 404', async () => {
      const t = await s.newTenant()
      const other = await s.newTenant()
      const bytes = png(5, 5)
      const pic = await up(t, 'alice', bytes)
      const mine = await get(t, 'alice', pic.upload_id)
      expect(mine.status).toBe(200)
      expect(Buffer.from(mine.bytes).equals(bytes)).toBe(true)
      expectError({ status: (await get(t, 'bob', pic.upload_id)).status, headers: new Headers(), body: (await get(t, 'bob', pic.upload_id)).json() }, 404, 'NOT_FOUND')
      const g = await room(t.as('alice'), 'group', ['bob'])
      await send(t.as('alice'), g.room_id, 'pic', { attachments: [pic.upload_id] })
      expect((await get(t, 'bob', pic.upload_id)).status).toBe(200)
      expect((await get(t, 'carol', pic.upload_id)).status).toBe(404)
      expect((await get(other, 'alice', pic.upload_id)).status).toBe(404)
      expect((await get(other, 'bob', pic.upload_id)).status).toBe(404)
      expect((await download(`${s.url}/v1/uploads/${pic.upload_id}`)).status).toBe(401)
      // Leaving the room ends a member's access.
      expect((await t.as('bob')('DELETE', `/v1/rooms/${g.room_id}/members/bob`)).status).toBe(204)
      expect((await get(t, 'bob', pic.upload_id)).status).toBe(404)
    })

    test('every download header: type as stored, inline only for raster images, nosniff, CSP sandbox, ETag from sha256', async () => {
      const t = await s.newTenant({ upload_types: ['image/*', 'text/html', 'text/plain', 'application/pdf'] })
      const cases = [
        ['image/png', png(2, 2), 'a.png', 'inline'],
        ['image/svg+xml', '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', 'x.svg', 'attachment'],
        ['text/html', '<script>alert(1)</script>', 'x.html', 'attachment'],
        ['text/plain', 'hi', 'é "q".txt', 'attachment'],
      ] as const
      for (const [type, bytes, name, disposition] of cases) {
        const u = await up(t, 'alice', bytes, type, name)
        const r = await get(t, 'alice', u.upload_id)
        expect(r.status).toBe(200)
        expect(r.headers.get('content-type')).toBe(type)
        expect(r.headers.get('content-disposition')!.split(';')[0]).toBe(disposition)
        expect(r.headers.get('x-content-type-options')).toBe('nosniff')
        expect(r.headers.get('content-security-policy')).toBe("sandbox; default-src 'none'")
        expect(r.headers.get('etag')).toBe(`"${createHash('sha256').update(bytes).digest('hex')}"`)
        expect(r.headers.get('accept-ranges')).toBe('bytes')
        expect(r.headers.get('content-length')).toBe(String(u.bytes))
        expect(r.headers.get('x-request-id')).toMatch(/^req_/)
      }
      const named = await up(t, 'alice', 'hi', 'text/plain', 'é "q".txt')
      expect((await get(t, 'alice', named.upload_id)).headers.get('content-disposition')).toBe(`attachment; filename="_ _q_.txt"; filename*=UTF-8''%C3%A9%20%22q%22.txt`)
    })

    test('Range gives 206 with Content-Range; If-None-Match with the ETag gives 304; an unusable range gives the whole file', async () => {
      const t = await s.newTenant()
      const bytes = new Uint8Array(1000).map((_, i) => i % 256)
      const u = await up(t, 'alice', bytes, 'text/plain', 'r.txt')
      const part = await get(t, 'alice', u.upload_id, { range: 'bytes=100-199' })
      expect(part.status).toBe(206)
      expect(part.headers.get('content-range')).toBe('bytes 100-199/1000')
      expect(part.headers.get('content-length')).toBe('100')
      expect([...part.bytes]).toEqual([...bytes.slice(100, 200)])
      const tail = await get(t, 'alice', u.upload_id, { range: 'bytes=-10' })
      expect(tail.status).toBe(206)
      expect([...tail.bytes]).toEqual([...bytes.slice(990)])
      const open = await get(t, 'alice', u.upload_id, { range: 'bytes=995-' })
      expect(open.headers.get('content-range')).toBe('bytes 995-999/1000')
      for (const bad of ['bytes=2000-3000', 'bytes=5-1', 'items=0-1', 'bytes=0-1,5-6']) {
        const r = await get(t, 'alice', u.upload_id, { range: bad })
        expect(r.status).toBe(200)
        expect(r.bytes.length).toBe(1000)
      }
      const etag = part.headers.get('etag')!
      const cached = await get(t, 'alice', u.upload_id, { 'if-none-match': etag })
      expect(cached.status).toBe(304)
      expect(cached.bytes.length).toBe(0)
      expect(cached.headers.get('etag')).toBe(etag)
      expect((await get(t, 'alice', u.upload_id, { 'if-none-match': `"other", W/${etag}` })).status).toBe(304)
      expect((await get(t, 'alice', u.upload_id, { 'if-none-match': '"other"' })).status).toBe(200)
      expect((await get(t, 'alice', u.upload_id, { range: 'bytes=0-9', 'if-range': '"stale"' })).status).toBe(200)
      expect((await get(t, 'alice', u.upload_id, { range: 'bytes=0-9', 'if-range': etag })).status).toBe(206)
    })

    test('signed URL: works with no headers for those who may download; altered or expired is 403', async () => {
      const t = await s.newTenant()
      const bytes = png(6, 6)
      const pic = await up(t, 'alice', bytes)
      expect((await t.as('bob')('GET', `/v1/uploads/${pic.upload_id}/url`)).status).toBe(404)
      const r = await t.as('alice')('GET', `/v1/uploads/${pic.upload_id}/url`)
      expect(r.status).toBe(200)
      expect(Object.keys(r.body).sort()).toEqual(['expires_at', 'url'])
      const expiresAt = Date.parse(r.body.expires_at)
      expect(expiresAt - clock.now()).toBeGreaterThan(55_000)
      expect(expiresAt - clock.now()).toBeLessThanOrEqual(60_000)
      const plain = await download(r.body.url)
      expect(plain.status).toBe(200)
      expect(Buffer.from(plain.bytes).equals(bytes)).toBe(true)
      expect(plain.headers.get('content-type')).toBe('image/png')
      expect(plain.headers.get('content-disposition')!.startsWith('inline;')).toBe(true)
      expect(plain.headers.get('x-content-type-options')).toBe('nosniff')
      expect(plain.headers.get('content-security-policy')).toBe("sandbox; default-src 'none'")
      expect(plain.headers.get('etag')).toBe(`"${pic.sha256}"`)
      expect((await download(r.body.url, { range: 'bytes=0-7' })).status).toBe(206)
      expect((await download(r.body.url, { 'if-none-match': `"${pic.sha256}"` })).status).toBe(304)

      const url = new URL(r.body.url)
      const sig = url.searchParams.get('signature')!
      const altered = (f: (u: URL) => void) => {
        const u = new URL(url)
        f(u)
        return download(u.href)
      }
      const other = await up(t, 'alice')
      for (const res of [
        await altered((u) => u.searchParams.set('signature', (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1))),
        await altered((u) => u.searchParams.set('expires', String(Number(u.searchParams.get('expires')) + 3600))),
        await altered((u) => (u.pathname = u.pathname.replace(pic.upload_id, other.upload_id))),
        await altered((u) => u.searchParams.delete('signature')),
        await altered((u) => u.searchParams.set('expires', 'soon')),
      ]) {
        expect(res.status).toBe(403)
        expect(res.json().error.code).toBe('FORBIDDEN')
      }
      clock.advance(61_000)
      const expired = await download(r.body.url)
      expect(expired.status).toBe(403)
      expect(expired.json().error.message).toMatch(/expired/)
    })

    test('orphans: an upload no message lists is deleted after UPLOAD_ORPHAN_TTL_MS, file and usage with it', async () => {
      const t = await s.newTenant()
      const orphan = await up(t, 'alice')
      const kept = await up(t, 'alice')
      const g = await room(t.as('alice'), 'group', [])
      await send(t.as('alice'), g.room_id, 'keep', { attachments: [kept.upload_id] })
      await s.handle.uploadSweep.tick()
      expect((await get(t, 'alice', orphan.upload_id)).status).toBe(200) // not old enough yet
      clock.advance(ORPHAN_TTL_MS + 1000)
      const swept = await s.handle.uploadSweep.tick()
      expect(swept.orphans).toBeGreaterThanOrEqual(1)
      expect(swept.removed).toBeGreaterThanOrEqual(1)
      expect((await get(t, 'alice', orphan.upload_id)).status).toBe(404)
      expect(await storage().exists(s, `${t.tenant_id}/${orphan.upload_id}`)).toBe(false)
      expect((await get(t, 'alice', kept.upload_id)).status).toBe(200)
      expect(await storage().exists(s, `${t.tenant_id}/${kept.upload_id}`)).toBe(true)
      expect((await s.admin('GET', `/v1/admin/tenants/${t.tenant_id}`)).body.usage).toMatchObject({ uploads: 1, storage_bytes: kept.bytes })
      // An orphan can no longer be attached.
      expectError(await t.as('alice')('POST', `/v1/rooms/${g.room_id}/messages`, { body: { content: 'late', attachments: [orphan.upload_id] } }), 400, 'VALIDATION_ERROR', 'attachments')
    })

    test('deleting a message deletes its files once no other message lists them', async () => {
      const t = await s.newTenant()
      const a = t.as('alice')
      const g = await room(a, 'group', ['bob'])
      const shared = await up(t, 'alice')
      const single = await up(t, 'alice')
      const m1 = await send(a, g.room_id, 'one', { attachments: [shared.upload_id, single.upload_id] })
      const m2 = await send(a, g.room_id, 'two', { attachments: [shared.upload_id] })
      expect((await a('DELETE', `/v1/rooms/${g.room_id}/messages/${m1.message_id}`)).status).toBe(204)
      expect((await a('GET', `/v1/rooms/${g.room_id}/messages/${m1.message_id}`)).body.attachments).toEqual([])
      await s.handle.uploadSweep.tick()
      expect((await get(t, 'alice', single.upload_id)).status).toBe(404)
      expect(await storage().exists(s, `${t.tenant_id}/${single.upload_id}`)).toBe(false)
      expect((await get(t, 'bob', shared.upload_id)).status).toBe(200)
      expect((await s.admin('GET', `/v1/admin/tenants/${t.tenant_id}`)).body.usage).toMatchObject({ uploads: 1, storage_bytes: shared.bytes })
      expect((await a('DELETE', `/v1/rooms/${g.room_id}/messages/${m2.message_id}`)).status).toBe(204)
      await s.handle.uploadSweep.tick()
      expect((await get(t, 'alice', shared.upload_id)).status).toBe(404)
      expect(await storage().exists(s, `${t.tenant_id}/${shared.upload_id}`)).toBe(false)
      expect((await s.admin('GET', `/v1/admin/tenants/${t.tenant_id}`)).body.usage).toMatchObject({ uploads: 0, storage_bytes: 0 })
    })
    test('with SPEC §11: a reply carries mentions and attachments; a refused parent links nothing; the delete reaches the change feed with attachments []', async () => {
      const t = await s.newTenant()
      const a = t.as('alice')
      const g = await room(a, 'group', ['bob'])
      const top = await send(a, g.room_id, 'top')
      const pic = await up(t, 'alice')
      const stray = await up(t, 'alice')
      const bad = await a('POST', `/v1/rooms/${g.room_id}/messages`, { body: { content: 'r', parent_id: 'msg_nope', attachments: [stray.upload_id] } })
      expectError(bad, 400, 'VALIDATION_ERROR', 'parent_id')
      expect((await get(t, 'bob', stray.upload_id)).status).toBe(404) // not linked to any message
      const reply = await send(a, g.room_id, 'see @bob', { parent_id: top.message_id, mentions: ['bob'], attachments: [pic.upload_id] })
      const got = (await t.as('bob')('GET', `/v1/rooms/${g.room_id}/messages/${reply.message_id}`)).body
      expect(got).toMatchObject({ parent_id: top.message_id, mentions: ['bob'], attachments: [{ upload_id: pic.upload_id, width: 4, height: 3 }] })
      expect((await t.as('bob')('GET', `/v1/rooms/${g.room_id}/messages/${top.message_id}`)).body.reply_count).toBe(1)
      expect((await get(t, 'bob', pic.upload_id)).status).toBe(200)
      expect((await a('DELETE', `/v1/rooms/${g.room_id}/messages/${reply.message_id}`)).status).toBe(204)
      const feed = (await t.as('bob')('GET', `/v1/rooms/${g.room_id}/changes`)).body.messages
      expect(feed.find((m: { message_id: string }) => m.message_id === reply.message_id)).toMatchObject({ mentions: [], attachments: [], content: '' })
      await s.handle.uploadSweep.tick()
      expect((await get(t, 'alice', pic.upload_id)).status).toBe(404)
      expect(await storage().exists(s, `${t.tenant_id}/${pic.upload_id}`)).toBe(false)
    })
  })
}
