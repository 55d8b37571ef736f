// A stored file as an HTTP response (SPEC §12): the headers that keep an upload from running as a
// page on this origin, validators (ETag / If-None-Match → 304), and single byte ranges (206).

import type { BlobStore, ByteRange } from '../blobs/types'
import type { StoredFile } from '../services/upload'
import { contentDisposition } from '../services/upload-media'

/**
 * One `bytes=` range of a file of `size` bytes, or null to send the whole file: a missing,
 * malformed, multi-range or unsatisfiable header is ignored (RFC 9110 §14.2 lets a server do so).
 */
export function parseRange(header: string | null, size: number): ByteRange | null {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null
  if (!m || (m[1] === '' && m[2] === '') || size === 0) return null
  if (m[1] === '') {
    const suffix = Number(m[2])
    return suffix === 0 ? null : { start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = Number(m[1])
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1)
  return start > end || start >= size ? null : { start, end }
}

/** True when an If-None-Match list names this entity tag (weak comparison, RFC 9110 §13.1.2). */
function matches(header: string, etag: string): boolean {
  if (header.trim() === '*') return true
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)
}

/**
 * The stored bytes as a plain JS stream. Bun.serve treats native bodies its own way: it answers a
 * Range header itself for a file-backed stream (a 416 where fileResponse chose to send the whole
 * file), and sends an S3 stream chunked without the Content-Length set here.
 */
const body = (blobs: BlobStore, key: string, range?: ByteRange) => blobs.read(key, range).pipeThrough(new TransformStream<Uint8Array, Uint8Array>())

export function fileResponse(request: Request, row: StoredFile, blobs: BlobStore, cacheControl: string): Response {
  const etag = `"${row.sha256}"`
  const headers: Record<string, string> = {
    'content-type': row.content_type,
    'content-disposition': contentDisposition(row.content_type, row.filename),
    'x-content-type-options': 'nosniff',
    'content-security-policy': "sandbox; default-src 'none'",
    etag,
    'accept-ranges': 'bytes',
    'cache-control': cacheControl,
  }
  const inm = request.headers.get('if-none-match')
  if (inm !== null && matches(inm, etag)) return new Response(null, { status: 304, headers })
  // If-Range with another tag (the client holds other bytes): the whole file, not a piece of this one.
  const ifRange = request.headers.get('if-range')
  const range = ifRange !== null && ifRange.trim() !== etag ? null : parseRange(request.headers.get('range'), row.bytes)
  if (range) {
    headers['content-range'] = `bytes ${range.start}-${range.end}/${row.bytes}`
    headers['content-length'] = String(range.end - range.start + 1)
    return new Response(body(blobs, row.storage_key, range), { status: 206, headers })
  }
  headers['content-length'] = String(row.bytes)
  return new Response(row.bytes ? body(blobs, row.storage_key) : null, { status: 200, headers })
}
