// Uploads (SPEC §12): a file streamed to the file store with its limits and checks, access to it,
// and signed download URLs.

import { createHmac, timingSafeEqual } from 'node:crypto'
import { isoNow, type Clock } from '../clock'
import type { Config } from '../config'
import type { Store } from '../db/types'
import type { UploadRow } from '../db/rows'
import type { BlobStore } from '../blobs/types'
import { AppError, conflict, forbidden, invalid, notFound } from '../errors'
import { newId, randomBase62 } from '../ids'
import type { SignedUrl, Upload } from '../schemas/upload'
import type { Actor } from './actor'
import { cleanFilename, contradicts, dimensions, isChecked, mediaEssence, typeAllowed } from './upload-media'

/** A file as a transport hands it over: its metadata, then its bytes as they arrive. */
export interface UploadSource {
  filename: string | null | undefined
  /** The declared Content-Type (of the body, or of the multipart part). */
  contentType: string | null | undefined
  /** The body's Content-Length when it is the file alone (raw uploads), for a 413 before reading. */
  declaredBytes?: number
  chunks: AsyncIterable<Uint8Array>
  /** Resolves once the whole request body was read and well formed (multipart: its closing boundary). */
  complete(): Promise<void>
  /** Stops reading the body (after a refusal). */
  cancel(): void
}

/** What a download needs to know of a stored file. */
export type StoredFile = Pick<UploadRow, 'upload_id' | 'tenant_id' | 'storage_key' | 'filename' | 'content_type' | 'bytes' | 'sha256'>

/** Bytes of the file's start kept for the content check and the image dimensions. */
const HEAD_BYTES = 256 * 1024
/** What the content check reads (file-type's own sample size). */
const SNIFF_BYTES = 4100
/** The meta key of the signing secret every instance reads from the shared database. */
const URL_KEY = 'upload_url_key'

export const toUpload = (r: UploadRow): Upload => ({
  upload_id: r.upload_id,
  filename: r.filename,
  content_type: r.content_type,
  bytes: r.bytes,
  sha256: r.sha256,
  width: r.width,
  height: r.height,
  created_at: r.created_at,
})

const tooLarge = (max: number) => new AppError('PAYLOAD_TOO_LARGE', `the file exceeds ${max} bytes`)
const contradiction = (type: string) => invalid('file', `the file's content is not ${type}`)
const b64url = (b: Buffer) => b.toString('base64url')

type Deps = { store: Store; blobs: BlobStore; clock: Clock; config: Pick<Config, 'UPLOAD_URL_TTL_S' | 'PUBLIC_URL'> }

export function createUploadService({ store, blobs, clock, config }: Deps) {
  let key: Promise<Buffer> | null = null
  /** One secret for the cluster, made by the first instance that needs it and read by the others. */
  const signingKey = () =>
    (key ??= Promise.resolve(store.meta.setIfAbsent(URL_KEY, randomBase62(43))).then(
      (v) => Buffer.from(v),
      (e) => {
        key = null
        throw e
      },
    ))
  const sign = async (uploadId: string, expires: number) => createHmac('sha256', await signingKey()).update(`${uploadId}.${expires}`).digest()

  async function visible(actor: Actor, uploadId: string): Promise<UploadRow> {
    const row = await store.uploads.get(actor.tenant.tenant_id, uploadId)
    if (row && (row.uploader_id === actor.userId || (await store.uploads.visibleTo(uploadId, actor.userId)))) return row
    throw notFound('upload')
  }

  /** The streaming part of receive (metadata already checked). */
  async function streamToStore(actor: Actor, src: UploadSource, type: string, filename: string, limit: number): Promise<Upload> {
    const tenantId = actor.tenant.tenant_id
    const uploadId = newId('upl')
    const storageKey = `${tenantId}/${uploadId}`
    const writer = blobs.create(storageKey, type)
    const hash = new Bun.CryptoHasher('sha256')
    const head = new Uint8Array(HEAD_BYTES)
    let headLength = 0
    let bytes = 0
    let sniffed = !isChecked(type)
    let size: { width: number | null; height: number | null }
    try {
      for await (const chunk of src.chunks) {
        bytes += chunk.byteLength
        if (bytes > limit) throw tooLarge(limit)
        hash.update(chunk)
        if (headLength < HEAD_BYTES) {
          const take = Math.min(chunk.byteLength, HEAD_BYTES - headLength)
          head.set(chunk.subarray(0, take), headLength)
          headLength += take
        }
        // Checked as soon as enough has arrived: a mislabelled 25 MiB file is refused early.
        if (!sniffed && headLength >= SNIFF_BYTES) {
          sniffed = true
          if (await contradicts(type, head.subarray(0, headLength))) throw contradiction(type)
        }
        await writer.write(chunk)
      }
      await src.complete()
      if (!sniffed && (await contradicts(type, head.subarray(0, headLength)))) throw contradiction(type)
      size = type.startsWith('image/') ? dimensions(head.subarray(0, headLength)) : { width: null, height: null }
      await writer.commit()
    } catch (e) {
      await writer.abort()
      throw e
    }
    const row = {
      upload_id: uploadId,
      tenant_id: tenantId,
      uploader_id: actor.userId,
      filename,
      content_type: type,
      bytes,
      sha256: hash.digest('hex'),
      width: size.width,
      height: size.height,
      storage_key: storageKey,
      created_at: isoNow(clock),
    }
    let stored: boolean
    try {
      stored = await store.uploads.insert(row, actor.tenant.config.storage_quota_bytes)
    } catch (e) {
      await blobs.remove(storageKey).catch(() => {})
      throw e
    }
    if (!stored) {
      await blobs.remove(storageKey).catch(() => {})
      throw conflict('this upload would pass the tenant storage quota')
    }
    return toUpload({ ...row, attached_at: null, deleted_at: null })
  }

  return {
    /**
     * Streams the file to the file store, hashing and counting as it goes (never holding more than
     * one chunk and the first 256 KiB), then records it. Refusals: 415 type, 400 file/filename,
     * 413 size (before reading when the length is declared), 409 quota.
     */
    async receive(actor: Actor, src: UploadSource): Promise<Upload> {
      const cfg = actor.tenant.config
      const limit = cfg.max_upload_bytes
      try {
        const type = mediaEssence(src.contentType)
        if (!type || !typeAllowed(type, cfg.upload_types))
          throw new AppError('UNSUPPORTED_MEDIA_TYPE', `this tenant accepts uploads of ${cfg.upload_types.join(', ')}`)
        const filename = cleanFilename(src.filename)
        if (!filename) throw invalid('filename', 'a file name is required (the multipart filename, or ?filename= with a raw body)')
        if (src.declaredBytes !== undefined && src.declaredBytes > limit) throw tooLarge(limit)
        if (src.declaredBytes !== undefined && cfg.storage_quota_bytes !== null) {
          const used = (await store.uploads.usage(actor.tenant.tenant_id)).bytes
          if (used + src.declaredBytes > cfg.storage_quota_bytes) throw conflict('this upload would pass the tenant storage quota')
        }
        return await streamToStore(actor, src, type, filename, limit)
      } catch (e) {
        src.cancel()
        throw e
      }
    },

    /** The upload, for its uploader and the members of a room with a message that lists it; else 404. */
    open: visible,

    /** A URL for the same file that needs no headers, valid UPLOAD_URL_TTL_S seconds. */
    async signedUrl(actor: Actor, uploadId: string, origin: string): Promise<SignedUrl> {
      await visible(actor, uploadId)
      const expires = Math.floor(clock.now() / 1000) + config.UPLOAD_URL_TTL_S
      const signature = b64url(await sign(uploadId, expires))
      const base = (config.PUBLIC_URL || origin).replace(/\/$/, '')
      return {
        url: `${base}/v1/uploads/${encodeURIComponent(uploadId)}/content?expires=${expires}&signature=${signature}`,
        expires_at: new Date(expires * 1000).toISOString(),
      }
    },

    /** The upload a signed URL names: 403 when the signature does not match or has expired, 404 when the file is gone. */
    async openSigned(uploadId: string, expiresRaw: string | undefined, signature: string | undefined): Promise<{ row: UploadRow; maxAge: number }> {
      const expires = /^\d{1,12}$/.test(expiresRaw ?? '') ? Number(expiresRaw) : NaN
      const given = /^[A-Za-z0-9_-]{43}$/.test(signature ?? '') ? Buffer.from(signature!, 'base64url') : null
      if (!Number.isFinite(expires) || !given || !timingSafeEqual(given, await sign(uploadId, expires)))
        throw forbidden('the signed URL is not valid')
      const now = clock.now()
      if (expires * 1000 <= now) throw forbidden('the signed URL has expired')
      const row = await store.uploads.getSigned(uploadId)
      if (!row) throw notFound('upload')
      return { row, maxAge: Math.max(0, expires - Math.ceil(now / 1000)) }
    },
  }
}

export type UploadService = ReturnType<typeof createUploadService>
