// The body of POST /v1/uploads as an UploadSource: a raw body is the file itself; a multipart body
// is parsed as it streams (@fastify/busboy, fed from the Web stream chunk by chunk, each write
// waiting until the parser has handed the bytes on), so only one chunk is in memory at a time.

import Busboy from '@fastify/busboy'
import type { Readable } from 'node:stream'
import { AppError, invalid } from '../errors'
import type { UploadSource } from '../services/upload'

const onePart = () => invalid('file', 'a multipart upload holds exactly one file part, named file')

/** The request body read as the consumer pulls (no body: an empty file). */
export function rawSource(request: Request, filename: string | undefined): UploadSource {
  const declared = request.headers.get('content-length')
  const reader = request.body?.getReader()
  return {
    filename,
    contentType: request.headers.get('content-type'),
    declaredBytes: declared !== null && /^\d+$/.test(declared) ? Number(declared) : undefined,
    chunks: {
      async *[Symbol.asyncIterator]() {
        if (!reader) return
        for (;;) {
          const { done, value } = await reader.read()
          if (done) return
          if (value.byteLength) yield value
        }
      },
    },
    complete: async () => {},
    cancel: () => void reader?.cancel().catch(() => {}),
  }
}

/**
 * Reads a multipart/form-data body up to its `file` part and resolves with that part as a source
 * (filename and media type from the part's headers). Text fields before it are skipped (at most
 * 20, 8 KiB each); a second file, or no part named file, is a 400 on `file`.
 */
export function multipartSource(request: Request, contentType: string): Promise<UploadSource> {
  let bb: ReturnType<typeof Busboy>
  try {
    bb = Busboy({
      headers: { 'content-type': contentType },
      limits: { files: 1, fields: 20, fieldSize: 8192, parts: 30, headerPairs: 20 },
    })
  } catch {
    return Promise.reject(invalid('file', 'the multipart Content-Type needs a boundary'))
  }
  const reader = request.body?.getReader()
  let failure: AppError | null = null
  let file: Readable | null = null
  let cancelled = false
  const fail = (e: AppError) => {
    failure ??= e
    file?.destroy(failure)
  }
  const finished = new Promise<void>((resolve, reject) => {
    bb.on('finish', () => (failure ? reject(failure) : resolve()))
    bb.on('error', () => reject(failure ?? invalid('file', 'the multipart body is malformed or ends early')))
  })
  finished.catch(() => {}) // observed through complete() or the part promise
  bb.on('filesLimit', () => fail(onePart()))
  bb.on('partsLimit', () => fail(invalid('file', 'the multipart body has too many parts')))

  // Feeds the parser: each write resolves once the parser took the chunk (while the file part is
  // being streamed, once the consumer read it), so a slow store holds the client back.
  void (async () => {
    try {
      if (!reader) return void bb.end()
      for (;;) {
        const { done, value } = await reader.read()
        if (done || cancelled) break
        await new Promise<void>((resolve, reject) => bb.write(value, (e?: Error | null) => (e ? reject(e) : resolve())))
      }
      if (!cancelled) bb.end()
    } catch {
      // The client went away or the parser failed: end the file stream so its reader stops waiting.
      fail(invalid('file', 'the upload ended early'))
      bb.destroy()
    }
  })()

  return new Promise<UploadSource>((resolve, reject) => {
    bb.on('file', (name: string, stream: Readable, filename: string, _encoding: string, mime: string) => {
      if (name !== 'file' || file) {
        stream.resume()
        return fail(onePart())
      }
      file = stream
      resolve({
        filename,
        contentType: mime,
        chunks: stream as AsyncIterable<Uint8Array>,
        complete: () => finished,
        cancel() {
          cancelled = true
          reader?.cancel().catch(() => {})
          stream.destroy()
          bb.destroy()
        },
      })
    })
    finished.then(() => reject(invalid('file', 'the multipart body has no part named file')), reject)
  })
}
