// Upload wire shapes (SPEC §12).

import { Type as t, type Static } from '@sinclair/typebox'
import { Nullable, Timestamp } from './common'
import { EX, exampleUpload } from './examples'

export const Upload = t.Object(
  {
    upload_id: t.String({ description: 'upl_…' }),
    filename: t.String({ description: 'the last path segment of the name given, at most 255 characters' }),
    content_type: t.String({ description: 'the declared media type (without parameters), as stored and served' }),
    bytes: t.Integer({ minimum: 0 }),
    sha256: t.String({ description: 'hex SHA-256 of the content (the download ETag)' }),
    width: Nullable(t.Integer({ description: 'PNG, JPEG, GIF and WebP images; else null' })),
    height: Nullable(t.Integer()),
    created_at: Timestamp,
  },
  { description: 'An uploaded file; attach it to a message with its upload_id.', examples: [exampleUpload] },
)
export type Upload = Static<typeof Upload>

export const SignedUrl = t.Object(
  {
    url: t.String({ description: 'absolute URL that needs no headers (for <img src>)' }),
    expires_at: Timestamp,
  },
  {
    examples: [
      {
        url: `https://chat.example.com/v1/uploads/${EX.uploadId}/content?expires=1796400000&signature=Qm9vZ2llLXdvb2dpZS1zaWduYXR1cmUtZXhhbXBsZQ0`,
        expires_at: '2026-12-03T16:00:00.000Z',
      },
    ],
  },
)

/** The upload id in a path. */
export const UploadParams = t.Object({ upload_id: t.String({ description: 'the upload_id (upl_…)' }) })
export type SignedUrl = Static<typeof SignedUrl>

export const UploadQuery = t.Object({
  filename: t.Optional(t.String({ description: 'the file name, for a raw (non-multipart) body' })),
})

export const SignedQuery = t.Object({
  expires: t.Optional(t.String({ description: 'expiry, Unix seconds' })),
  signature: t.Optional(t.String({ description: 'HMAC-SHA256 of the upload id and expiry (base64url)' })),
})
