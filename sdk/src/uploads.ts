// Uploads (SPEC §12): sending a file with progress where the platform reports it, and helpers for
// the attachments of a message.

import type { Attachment } from './types'

export interface UploadOptions {
  /** The file name (default: a File's own name, else "file"). */
  filename?: string
  /** The media type (default: a Blob's own type, else application/octet-stream). */
  contentType?: string
  /**
   * Called as bytes go out: `(sent, total)`. Browsers report through XMLHttpRequest's upload
   * events; elsewhere the body is a stream counted as fetch reads it.
   */
  onProgress?: (sent: number, total: number) => void
  signal?: AbortSignal
}

/** What uploadFile takes: a File or Blob (browsers), or bytes. */
export type UploadBody = Blob | Uint8Array | ArrayBuffer

export interface SentUpload {
  status: number
  text: string
  header(name: string): string | null
}

const CHUNK = 64 * 1024

const toBlob = (body: UploadBody, type: string): Blob => (body instanceof Blob ? body : new Blob([body as Uint8Array<ArrayBuffer>], { type }))

/** The file name and media type an upload goes out with. */
export function describe(body: UploadBody, o: UploadOptions): { filename: string; contentType: string } {
  const named = (body as { name?: unknown }).name
  const filename = o.filename ?? (typeof named === 'string' && named ? named : 'file')
  const contentType = o.contentType ?? (body instanceof Blob && body.type ? body.type : 'application/octet-stream')
  return { filename, contentType }
}

type XhrLike = {
  open(method: string, url: string): void
  setRequestHeader(k: string, v: string): void
  send(body: unknown): void
  abort(): void
  status: number
  responseText: string
  getResponseHeader(name: string): string | null
  upload: { onprogress: ((e: { loaded: number; total: number }) => void) | null }
  onload: (() => void) | null
  onerror: (() => void) | null
  onabort: (() => void) | null
}

/** POSTs the file; resolves with the answer whatever its status (the caller maps errors). */
export async function sendFile(url: string, headers: Record<string, string>, body: UploadBody, o: UploadOptions, doFetch: typeof fetch): Promise<SentUpload> {
  const blob = toBlob(body, headers['content-type'])
  const Xhr = (globalThis as { XMLHttpRequest?: new () => XhrLike }).XMLHttpRequest
  if (o.onProgress && Xhr) {
    return new Promise((resolve, reject) => {
      const xhr = new Xhr()
      xhr.open('POST', url)
      for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v)
      xhr.upload.onprogress = (e) => o.onProgress!(e.loaded, e.total || blob.size)
      xhr.onload = () => resolve({ status: xhr.status, text: xhr.responseText, header: (n) => xhr.getResponseHeader(n) })
      xhr.onerror = () => reject(new Error('network error'))
      xhr.onabort = () => reject(new DOMException('aborted', 'AbortError'))
      o.signal?.addEventListener('abort', () => xhr.abort(), { once: true })
      xhr.send(blob)
    })
  }
  let requestBody: Blob | ReadableStream<Uint8Array> = blob
  let duplex: { duplex?: 'half' } = {}
  if (o.onProgress) {
    // No upload events outside browsers: count the bytes as fetch pulls them from the stream.
    let sent = 0
    const total = blob.size
    requestBody = new ReadableStream<Uint8Array>({
      async pull(c) {
        if (sent >= total) return c.close()
        const part = new Uint8Array(await blob.slice(sent, sent + CHUNK).arrayBuffer())
        sent += part.byteLength
        c.enqueue(part)
        o.onProgress!(sent, total)
      },
    })
    duplex = { duplex: 'half' }
  }
  const res = await doFetch(url, { method: 'POST', headers, body: requestBody, signal: o.signal, ...duplex } as RequestInit)
  return { status: res.status, text: await res.text(), header: (n) => res.headers.get(n) }
}

/** Types a browser shows inline (the server sends these with Content-Disposition: inline). */
const INLINE = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif', 'image/bmp'])

/** True for an attachment to show as an image (`<img src>` of its signed URL); others are downloads. */
export const isInlineImage = (a: Pick<Attachment, 'content_type'>): boolean => INLINE.has(a.content_type)

/**
 * Signed download URLs, fetched once per upload and reused until a minute before they expire:
 * for `<img src>` and download links, which cannot send credentials.
 */
export function signedUrlCache(fetchUrl: (uploadId: string) => Promise<{ url: string; expires_at: string }>, now: () => number = Date.now) {
  const cache = new Map<string, Promise<{ url: string; expires_at: string }>>()
  return (uploadId: string): Promise<string> => {
    const hit = cache.get(uploadId)
    const fresh = hit?.then((v) => Date.parse(v.expires_at) - 60_000 > now(), () => false)
    return (fresh ?? Promise.resolve(false)).then((ok) => {
      if (!ok) {
        const p = fetchUrl(uploadId)
        cache.set(uploadId, p)
        p.catch(() => cache.delete(uploadId))
      }
      return cache.get(uploadId)!.then((v) => v.url)
    })
  }
}
