// Upload wire shapes (SPEC §12).

import { Type as t, type Static } from '@sinclair/typebox'
import { Nullable, Timestamp } from './common'

export const Upload = t.Object({
  upload_id: t.String({ description: 'upl_…' }),
  filename: t.String(),
  content_type: t.String({ description: 'the declared media type, as stored and served' }),
  bytes: t.Integer({ minimum: 0 }),
  sha256: t.String({ description: 'hex SHA-256 of the content (the download ETag)' }),
  width: Nullable(t.Integer({ description: 'PNG, JPEG, GIF and WebP images; else null' })),
  height: Nullable(t.Integer()),
  created_at: Timestamp,
})
export type Upload = Static<typeof Upload>

export const SignedUrl = t.Object({
  url: t.String({ description: 'absolute URL that needs no headers (for <img src>)' }),
  expires_at: Timestamp,
})
export type SignedUrl = Static<typeof SignedUrl>

export const UploadQuery = t.Object({
  filename: t.Optional(t.String({ description: 'the file name, for a raw (non-multipart) body' })),
})

export const SignedQuery = t.Object({
  expires: t.Optional(t.String({ description: 'expiry, Unix seconds' })),
  signature: t.Optional(t.String({ description: 'HMAC-SHA256 of the upload id and expiry (base64url)' })),
})
