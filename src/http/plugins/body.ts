// Body rules of SPEC §3, checked by the service itself: size (413), media type (415), JSON (400).

import { AppError } from '../../errors'
import { fieldWithNul, MAX_JSON_DEPTH, NUL_MESSAGE } from '../../schemas/common'

const tooLarge = (max: number) => new AppError('PAYLOAD_TOO_LARGE', `request body exceeds ${max} bytes`)

/** Before the body is read: a declared length over the limit is refused without reading it. */
export function checkBodyHeaders(request: Request, maxBytes: number): void {
  const len = request.headers.get('content-length')
  const declared = len === null ? null : Number(len)
  const chunked = /chunked/i.test(request.headers.get('transfer-encoding') ?? '')
  if (declared !== null && declared > maxBytes) throw tooLarge(maxBytes)
  const hasBody = (declared !== null && declared > 0) || chunked
  if (hasBody && !isJson(request.headers.get('content-type'))) {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'request body must be application/json')
  }
}

function isJson(contentType: string | null): boolean {
  if (!contentType) return false
  return contentType.split(';')[0].trim().toLowerCase() === 'application/json'
}

/**
 * Reads and parses the body, counting bytes as they arrive so a chunked body cannot pass the limit.
 * An empty body parses as undefined (the route's schema decides whether that is allowed).
 */
export async function parseJsonBody(request: Request, maxBytes: number): Promise<unknown> {
  if (!request.body) return undefined
  const bytes = await readBody(request, maxBytes)
  const total = bytes.byteLength
  if (total === 0) return undefined
  if (!isJson(request.headers.get('content-type')))
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'request body must be application/json')
  let text: string
  try {
    text = UTF8.decode(bytes) // JSON text is UTF-8 (RFC 8259 §8.1): invalid bytes are malformed
  } catch {
    throw new AppError('VALIDATION_ERROR', 'malformed JSON body (not valid UTF-8)')
  }
  // Refused before parsing: a 60 KB body 10,000 levels deep cost seconds of event-loop time and
  // ~100 MB in Elysia's validation error (it pretty-prints the value), a request-sized DoS.
  if (nestedDeeperThan(text, MAX_JSON_DEPTH)) throw new AppError('VALIDATION_ERROR', `JSON nested deeper than ${MAX_JSON_DEPTH} levels`)
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new AppError('VALIDATION_ERROR', 'malformed JSON body')
  }
  // A raw NUL is malformed JSON already; a parsed value can hold one only through a \u0000 escape,
  // so the walk runs only for bodies whose text has one (or an escaped backslash before "u0000").
  if (text.includes('u0000')) {
    const field = fieldWithNul(value)
    if (field !== null) throw new AppError('VALIDATION_ERROR', NUL_MESSAGE, field || 'body')
  }
  return value
}

const UTF8 = new TextDecoder('utf-8', { fatal: true })

/**
 * The body's bytes, at most `maxBytes`. A declared Content-Length (already checked against the
 * limit in onRequest, and enforced by Bun) is read in one piece; a chunked body is read as a stream
 * and counted as it arrives, so it cannot pass the limit. The one-piece read skips a reader and its
 * promise per chunk: it was ~20% of the main thread's time under REST load (docs/performance.md).
 */
async function readBody(request: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = request.headers.get('content-length')
  if (declared !== null && Number(declared) <= maxBytes) {
    const bytes = new Uint8Array(await request.arrayBuffer())
    if (bytes.byteLength > maxBytes) throw tooLarge(maxBytes)
    return bytes
  }
  const reader = request.body!.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > maxBytes) {
      reader.cancel().catch(() => {})
      throw tooLarge(maxBytes)
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks)
}

/** True when brackets outside strings nest deeper than `max` (a linear scan; stops at the first excess). */
export function nestedDeeperThan(text: string, max: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 92) i++ // backslash: skip the escaped character
      else if (c === 34) inString = false
    } else if (c === 34) inString = true
    else if (c === 123 || c === 91) {
      if (++depth > max) return true
    } else if (c === 125 || c === 93) depth--
  }
  return false
}
