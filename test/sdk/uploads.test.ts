// The SDK's upload helpers against the real server: uploadFile (bytes and Blob, with progress counted
// as the body streams out), attachments sent over the realtime client, signed URLs with a cache, the
// download, and errors mapped to ChatApiError.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { createHash } from 'node:crypto'
import { ChatApiError, ChatClient, isInlineImage, RestClient, signedUrlCache } from '../../sdk/src'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'
import { png } from '../support/images'
import { FAST, record } from './helpers'

let s: TestServer
let t: TestTenant
let alice: RestClient
const open: ChatClient[] = []

beforeAll(async () => {
  s = await startTestServer()
  t = await s.newTenant()
  alice = new RestClient({ baseUrl: s.url, apiKey: t.api_key, userId: 'alice' })
})
afterAll(async () => {
  for (const c of open) c.close()
  await s.stop()
})

test('uploadFile: bytes with a name and type, and a Blob with its own type; sha256 and size as uploaded', async () => {
  const bytes = png(8, 6)
  const up = await alice.uploadFile(bytes, { filename: 'dot.png', contentType: 'image/png' })
  expect(up).toMatchObject({ filename: 'dot.png', content_type: 'image/png', bytes: bytes.length, width: 8, height: 6 })
  expect(up.sha256).toBe(createHash('sha256').update(bytes).digest('hex'))
  const fromBlob = await alice.uploadFile(new File(['hello'], 'note.txt', { type: 'text/plain' }))
  expect(fromBlob).toMatchObject({ filename: 'note.txt', content_type: 'text/plain', bytes: 5 })
})

test('onProgress reports the bytes as they go out, ending at the total', async () => {
  const bytes = new Uint8Array(300 * 1024).fill(42)
  const seen: [number, number][] = []
  const up = await alice.uploadFile(bytes, { filename: 'big.txt', contentType: 'text/plain', onProgress: (sent, total) => seen.push([sent, total]) })
  expect(up.bytes).toBe(bytes.length)
  expect(seen.length).toBeGreaterThan(1)
  expect(seen.every(([, total]) => total === bytes.length)).toBe(true)
  expect(seen.map(([sent]) => sent)).toEqual([...seen.map(([sent]) => sent)].sort((a, b) => a - b))
  expect(seen.at(-1)![0]).toBe(bytes.length)
})

test('errors are ChatApiError with the envelope: 415 for a refused type, 400 on file for a contradiction', async () => {
  const e1 = await alice.uploadFile(new Uint8Array([1, 2]), { filename: 'a.exe', contentType: 'application/x-msdownload' }).catch((e) => e)
  expect(e1).toBeInstanceOf(ChatApiError)
  expect(e1).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', status: 415 })
  const e2 = await alice.uploadFile(new TextEncoder().encode('not a png'), { filename: 'x.png', contentType: 'image/png' }).catch((e) => e)
  expect(e2).toMatchObject({ code: 'VALIDATION_ERROR', status: 400, field: 'file' })
})

test('a realtime send with attachments; the other user sees them, gets a signed URL (cached) and downloads the file', async () => {
  const sender = new ChatClient({ baseUrl: s.url, apiKey: t.api_key, userId: 'ann', ...FAST })
  const { token } = await alice.createToken({ user_id: 'ben', ttl_s: 600 })
  const receiver = record(new ChatClient({ baseUrl: s.url, token, ...FAST }))
  open.push(sender, receiver.client)
  await Promise.all([sender.connect(), receiver.client.connect()])
  const room = await sender.rest.createRoom({ type: 'group', members: ['ben'] })
  const bytes = png(3, 3)
  const pic = await sender.rest.uploadFile(bytes, { filename: 'p.png', contentType: 'image/png' })
  await sender.send(room.room_id, 'look', { attachments: [pic.upload_id] })
  const [m] = await receiver.waitMessages(1, room.room_id)
  expect(m.attachments).toEqual([{ upload_id: pic.upload_id, filename: 'p.png', content_type: 'image/png', bytes: bytes.length, width: 3, height: 3 }])
  expect(isInlineImage(m.attachments[0])).toBe(true)
  expect(isInlineImage({ content_type: 'image/svg+xml' })).toBe(false)

  let asked = 0
  const urlOf = signedUrlCache((id) => (asked++, receiver.client.rest.uploadUrl(id)))
  const url = await urlOf(pic.upload_id)
  expect(await urlOf(pic.upload_id)).toBe(url)
  expect(asked).toBe(1)
  const viaUrl = await fetch(url) // no headers, as an <img src>
  expect(Buffer.from(await viaUrl.arrayBuffer()).equals(bytes)).toBe(true)
  const blob = await receiver.client.rest.downloadFile(pic.upload_id)
  expect(Buffer.from(await blob.arrayBuffer()).equals(bytes)).toBe(true)
  const outsider = new RestClient({ baseUrl: s.url, apiKey: t.api_key, userId: 'carl' })
  expect(await outsider.downloadFile(pic.upload_id).catch((e) => e)).toMatchObject({ code: 'NOT_FOUND', status: 404 })
})
