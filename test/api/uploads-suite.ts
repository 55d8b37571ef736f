// POST /v1/uploads (SPEC §12) on one file storage: multipart and raw, the answer, sha256 and
// dimensions, 413 / 415 / 400 contradiction / 409 quota, and the tenant's usage figures.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createHash } from 'node:crypto'
import { Value } from '@sinclair/typebox/value'
import type { TestServer } from '../support/server'
import { Upload } from '../../src/schemas/upload'
import { gif, jpeg, png, webp } from '../support/images'
import { expectError, ISO_MS } from './helpers'
import { startUploadServer, uploadForm, uploadRaw, type FileStorage } from './uploads-kit'

const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex')

export function uploadSuite(storage: () => FileStorage) {
  describe(`POST /v1/uploads (${storage().name} storage)`, () => {
    let s: TestServer
    beforeAll(async () => (s = await startUploadServer(storage(), { MAX_UPLOAD_BYTES: String(4 * 1024 * 1024) })))
    afterAll(() => s.stop())

    test('multipart: 201 with exactly the SPEC fields, sha256 of the bytes, PNG width/height; the file is stored', async () => {
      const t = await s.newTenant()
      const bytes = png(3, 2)
      const r = await uploadForm(s, t, 'alice', bytes, 'image/png', 'dot.png')
      expect(r.status).toBe(201)
      expect(Object.keys(r.body).sort()).toEqual(['bytes', 'content_type', 'created_at', 'filename', 'height', 'sha256', 'upload_id', 'width'])
      expect(Value.Check(Upload, r.body)).toBe(true)
      expect(r.body).toMatchObject({ filename: 'dot.png', content_type: 'image/png', bytes: bytes.length, sha256: sha(bytes), width: 3, height: 2 })
      expect(r.body.upload_id).toMatch(/^upl_[0-9A-Za-z]{22}$/)
      expect(r.body.created_at).toMatch(ISO_MS)
      expect(await storage().exists(s, `${t.tenant_id}/${r.body.upload_id}`)).toBe(true)
    })

    test('raw body with its Content-Type and ?filename=: JPEG, GIF and WebP dimensions; other types get null', async () => {
      const t = await s.newTenant()
      for (const [type, bytes, w, h] of [
        ['image/jpeg', jpeg(640, 480), 640, 480],
        ['image/gif', gif(5, 4), 5, 4],
        ['image/webp', webp(300, 200), 300, 200],
      ] as const) {
        const r = await uploadRaw(s, t, 'alice', bytes, type, `pic.${type.slice(6)}`)
        expect(r.status).toBe(201)
        expect(r.body).toMatchObject({ content_type: type, bytes: bytes.length, sha256: sha(bytes), width: w, height: h })
      }
      const text = await uploadRaw(s, t, 'alice', 'hello, world\n', 'text/plain; charset=utf-8', 'note.txt')
      expect(text.status).toBe(201)
      expect(text.body).toMatchObject({ content_type: 'text/plain', bytes: 13, sha256: sha('hello, world\n'), width: null, height: null })
      const pdf = await uploadRaw(s, t, 'alice', '%PDF-1.4\n%\xe2\xe3\n1 0 obj\n<<>>\nendobj\n', 'application/pdf', 'doc.pdf')
      expect(pdf.status).toBe(201)
      expect(pdf.body.width).toBeNull()
    })

    test('a 1 MiB file streamed in chunks (no Content-Length) is stored whole, with the right sha256', async () => {
      const t = await s.newTenant()
      const part = new Uint8Array(64 * 1024).map((_, i) => i % 251)
      let sent = 0
      const body = new ReadableStream<Uint8Array>({
        pull(c) {
          if (sent === 16) return c.close()
          sent++
          c.enqueue(part)
        },
      })
      const r = await fetch(`${s.url}/v1/uploads?filename=blob.zip`, {
        method: 'POST',
        headers: { ...t.headers('alice'), 'content-type': 'text/plain' },
        body,
      })
      const up = await r.json()
      expect(r.status).toBe(201)
      const whole = new Uint8Array(16 * part.length)
      for (let i = 0; i < 16; i++) whole.set(part, i * part.length)
      expect(up).toMatchObject({ bytes: whole.length, sha256: sha(whole) })
    })

    test('the file name: the last path segment of the multipart filename; a raw body without ?filename= is 400', async () => {
      const t = await s.newTenant()
      const r = await uploadForm(s, t, 'alice', 'x', 'text/plain', '../../etc/passwd')
      expect(r.status).toBe(201)
      expect(r.body.filename).toBe('passwd')
      const unicode = await uploadForm(s, t, 'alice', 'x', 'text/plain', 'résumé 📄.txt')
      expect(unicode.body.filename).toBe('résumé 📄.txt')
      expectError(await uploadRaw(s, t, 'alice', 'x', 'text/plain'), 400, 'VALIDATION_ERROR', 'filename')
    })

    test('multipart without a part named file, or with two files, is 400 on file; text fields beside it are ignored', async () => {
      const t = await s.newTenant()
      const none = new FormData()
      none.append('other', 'value')
      const r1 = await fetch(`${s.url}/v1/uploads`, { method: 'POST', headers: t.headers('alice'), body: none })
      expectError({ status: r1.status, headers: r1.headers, body: await r1.json() }, 400, 'VALIDATION_ERROR', 'file')
      const two = await uploadForm(s, t, 'alice', 'a', 'text/plain', 'a.txt', (f) => f.append('file', new Blob(['b'], { type: 'text/plain' }), 'b.txt'))
      expectError(two, 400, 'VALIDATION_ERROR', 'file')
      const withField = await uploadForm(s, t, 'alice', 'a', 'text/plain', 'a.txt', (f) => f.append('caption', 'hi'))
      expect(withField.status).toBe(201)
    })

    test('413: over MAX_UPLOAD_BYTES (declared or streamed) and over the tenant max_upload_bytes; nothing is stored', async () => {
      const t = await s.newTenant({ max_upload_bytes: 1000 })
      expectError(await uploadRaw(s, t, 'alice', new Uint8Array(1001), 'text/plain', 'big.txt'), 413, 'PAYLOAD_TOO_LARGE')
      expectError(await uploadForm(s, t, 'alice', new Uint8Array(1001), 'text/plain', 'big.txt'), 413, 'PAYLOAD_TOO_LARGE')
      expect((await uploadRaw(s, t, 'alice', new Uint8Array(1000), 'text/plain', 'ok.txt')).status).toBe(201)
      const other = await s.newTenant()
      expectError(await uploadRaw(s, other, 'alice', new Uint8Array(4 * 1024 * 1024 + 1), 'text/plain', 'big.txt'), 413, 'PAYLOAD_TOO_LARGE')
      // A chunked body has no length to refuse up front: it is counted as it streams.
      let n = 0
      const body = new ReadableStream<Uint8Array>({ pull: (c) => (n++ < 3 ? c.enqueue(new Uint8Array(600)) : c.close()) })
      const r = await fetch(`${s.url}/v1/uploads?filename=s.txt`, { method: 'POST', headers: { ...t.headers('alice'), 'content-type': 'text/plain' }, body })
      expectError({ status: r.status, headers: r.headers, body: await r.json() }, 413, 'PAYLOAD_TOO_LARGE')
      const usage = await s.admin('GET', `/v1/admin/tenants/${t.tenant_id}`)
      expect(usage.body.usage).toMatchObject({ uploads: 1, storage_bytes: 1000 })
      expect(await storage().objects(s, t.tenant_id)).toHaveLength(1) // no partial file left behind
      expectError(await s.admin('PATCH', `/v1/admin/tenants/${t.tenant_id}`, { body: { config: { max_upload_bytes: 4 * 1024 * 1024 + 1 } } }), 400, 'VALIDATION_ERROR', 'config.max_upload_bytes')
    })

    test('415: types outside the default list, and outside a tenant upload_types with wildcards', async () => {
      const t = await s.newTenant()
      expectError(await uploadRaw(s, t, 'alice', 'MZ', 'application/x-msdownload', 'a.exe'), 415, 'UNSUPPORTED_MEDIA_TYPE')
      expectError(await uploadRaw(s, t, 'alice', '<p>', 'text/html', 'a.html'), 415, 'UNSUPPORTED_MEDIA_TYPE')
      expectError(await uploadRaw(s, t, 'alice', 'x', null, 'a.bin'), 415, 'UNSUPPORTED_MEDIA_TYPE')
      expectError(await uploadForm(s, t, 'alice', 'x', 'application/octet-stream', 'a.bin'), 415, 'UNSUPPORTED_MEDIA_TYPE')
      expect((await uploadRaw(s, t, 'alice', new Uint8Array(16), 'audio/ogg', 'a.ogg')).status).toBe(201)

      const strict = await s.newTenant({ upload_types: ['image/*', 'text/html'] })
      expect((await uploadRaw(s, strict, 'alice', gif(1, 1), 'image/gif', 'a.gif')).status).toBe(201)
      expect((await uploadRaw(s, strict, 'alice', '<p>hi</p>', 'text/html', 'a.html')).status).toBe(201)
      expectError(await uploadRaw(s, strict, 'alice', 'x', 'text/plain', 'a.txt'), 415, 'UNSUPPORTED_MEDIA_TYPE')
      expectError(await s.admin('PATCH', `/v1/admin/tenants/${strict.tenant_id}`, { body: { config: { upload_types: ['*/*x'] } } }), 400, 'VALIDATION_ERROR', 'config.upload_types')
    })

    test('400 on file when the first bytes contradict a declared image, PDF or zip type; text is not checked', async () => {
      const t = await s.newTenant()
      for (const [type, bytes] of [
        ['image/png', jpeg(2, 2)],
        ['image/jpeg', 'just text, not a picture'],
        ['image/webp', png(1, 1)],
        ['application/pdf', 'plain text'],
        ['application/zip', png(1, 1)],
        ['image/svg+xml', png(1, 1)],
      ] as const) {
        expectError(await uploadRaw(s, t, 'alice', bytes, type, 'f'), 400, 'VALIDATION_ERROR', 'file')
        expectError(await uploadForm(s, t, 'alice', bytes, type, 'f'), 400, 'VALIDATION_ERROR', 'file')
      }
      // A contradiction found in the first bytes of a large body is refused before the rest arrives.
      const big = Buffer.concat([jpeg(1, 1), Buffer.alloc(2 * 1024 * 1024)])
      expectError(await uploadRaw(s, t, 'alice', big, 'image/png', 'big.png'), 400, 'VALIDATION_ERROR', 'file')
      expect((await uploadRaw(s, t, 'alice', jpeg(2, 2), 'image/jpg', 'alias.jpg')).status).toBe(201)
      expect((await uploadRaw(s, t, 'alice', '<svg xmlns="http://www.w3.org/2000/svg"/>', 'image/svg+xml', 'a.svg')).status).toBe(201)
      expect((await uploadRaw(s, t, 'alice', png(1, 1), 'text/plain', 'looks-like.txt')).status).toBe(201)
      expect((await uploadRaw(s, t, 'alice', Buffer.from([0x50, 0x4b, 5, 6, ...new Array(18).fill(0)]), 'application/zip', 'empty.zip')).status).toBe(201)
      expect((await s.admin('GET', `/v1/admin/tenants/${t.tenant_id}`)).body.usage.uploads).toBe(4)
      expect(await storage().objects(s, t.tenant_id)).toHaveLength(4)
    })

    test('409 when an upload would pass storage_quota_bytes; usage counts live uploads and bytes', async () => {
      const t = await s.newTenant({ storage_quota_bytes: 100 })
      expect((await uploadRaw(s, t, 'alice', new Uint8Array(60), 'text/plain', 'a.txt')).status).toBe(201)
      expectError(await uploadRaw(s, t, 'alice', new Uint8Array(41), 'text/plain', 'b.txt'), 409, 'CONFLICT')
      expectError(await uploadForm(s, t, 'bob', new Uint8Array(41), 'text/plain', 'b.txt'), 409, 'CONFLICT')
      expect((await uploadRaw(s, t, 'bob', new Uint8Array(40), 'text/plain', 'c.txt')).status).toBe(201)
      const got = await s.admin('GET', `/v1/admin/tenants/${t.tenant_id}`)
      expect(got.body.usage).toMatchObject({ uploads: 2, storage_bytes: 100 })
      expect(got.body.config.storage_quota_bytes).toBe(100)
      // Parallel uploads cannot pass the quota together.
      const q = await s.newTenant({ storage_quota_bytes: 500 })
      const all = await Promise.all(Array.from({ length: 8 }, (_, i) => uploadRaw(s, q, 'alice', new Uint8Array(100), 'text/plain', `p${i}.txt`)))
      expect(all.filter((r) => r.status === 201)).toHaveLength(5)
      expect(all.filter((r) => r.status === 409)).toHaveLength(3)
      expect((await s.admin('GET', `/v1/admin/tenants/${q.tenant_id}`)).body.usage).toMatchObject({ uploads: 5, storage_bytes: 500 })
      expect(await storage().objects(s, q.tenant_id)).toHaveLength(5) // the refused ones were removed
    })

    test('credentials come first: without an API key an upload is 401', async () => {
      const r = await fetch(`${s.url}/v1/uploads?filename=a.txt`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' })
      expect(r.status).toBe(401)
    })
  })
}
