// /v1/uploads (SPEC §12): upload (multipart or raw, streamed), download, signed URL and the signed download.

import { Elysia } from 'elysia'
import { AppError, notFound } from '../../errors'
import { ErrorBody, tenantErrors } from '../../schemas/common'
import { SignedQuery, SignedUrl, Upload, UploadParams, UploadQuery } from '../../schemas/upload'
import { actorOf, openSecurity, signedUrl, streamedBody, tenantSecurity, type RouteDeps } from '../deps'
import { fileResponse } from '../download'
import { multipartSource, rawSource } from '../upload-source'
import { applyRateLimit } from '../plugins/rate-limit'
import { uploadDocs } from './uploads-docs'

const error = (description: string) => ({ ...ErrorBody, description })
/** Room for a multipart body's boundaries and part headers above the file's own limit. */
const MULTIPART_OVERHEAD = 64 * 1024

export const uploadsRoutes = (deps: RouteDeps) => {
  const { upload, blobs, tenant, limiter } = deps.services
  const detail = (summary: string, extra: object = {}) => ({ tags: ['uploads'], summary, security: tenantSecurity, ...extra })
  return new Elysia()
    .post(
      '/v1/uploads',
      async ({ request, query, set }) => {
        const actor = actorOf(deps, request)
        const contentType = request.headers.get('content-type') ?? ''
        let source
        if (/^multipart\/form-data\s*(;|$)/i.test(contentType)) {
          const declared = Number(request.headers.get('content-length') ?? NaN)
          const limit = actor.tenant.config.max_upload_bytes
          if (declared > limit + MULTIPART_OVERHEAD) {
            void request.body?.cancel().catch(() => {})
            throw new AppError('PAYLOAD_TOO_LARGE', `the file exceeds ${limit} bytes`)
          }
          source = await multipartSource(request, contentType)
        } else source = rawSource(request, query.filename)
        const answer = await upload.receive(actor, source)
        set.status = 201
        return answer
      },
      {
        query: UploadQuery,
        response: { 201: Upload, ...tenantErrors },
        detail: streamedBody(detail('Upload a file (multipart/form-data with one part named file, or the raw file with ?filename=)', uploadDocs.upload)),
      },
    )
    .get(
      '/v1/uploads/:upload_id',
      async ({ request, params }) => fileResponse(request, await upload.open(actorOf(deps, request), params.upload_id), blobs, 'private, no-cache'),
      {
        params: UploadParams,
        response: { ...tenantErrors, 404: error('no such upload visible to this user') },
        detail: detail('Download a file (its uploader, or a member of a room with a message that lists it)', uploadDocs.download),
      },
    )
    .get(
      '/v1/uploads/:upload_id/url',
      async ({ request, params }) => upload.signedUrl(actorOf(deps, request), params.upload_id, new URL(request.url).origin),
      {
        params: UploadParams,
        response: { 200: SignedUrl, ...tenantErrors },
        detail: detail('A signed download URL that needs no headers (for <img src>)', uploadDocs.signedUrl),
      },
    )
    .get(
      '/v1/uploads/:upload_id/content',
      async ({ request, params, query }) => {
        const { row, maxAge } = await upload.openSigned(params.upload_id, query.expires, query.signature)
        // The signature vouches for the call: it is charged to the file's tenant like any other.
        const owner = await tenant.authById(row.tenant_id)
        if (!owner) throw notFound('upload')
        const state = deps.states.get(request)!
        await applyRateLimit(limiter, { tenant: owner }, state.headers)
        const response = fileResponse(request, row, blobs, `private, max-age=${maxAge}`)
        for (const [k, v] of Object.entries(state.headers)) response.headers.set(k, v)
        return response
      },
      {
        params: UploadParams,
        query: SignedQuery,
        response: {
          // The request gate's checks still apply before the signature is read (a U+0000 in the query, say).
          400: error('a path or query value the server refuses before reading the signature'),
          403: error('the signature does not match, or the URL has expired'),
          404: error('the upload no longer exists'),
          429: error("the file tenant's rate limit is exceeded"),
          500: tenantErrors[500],
          503: tenantErrors[503],
        },
        detail: signedUrl({ tags: ['uploads'], summary: 'Download through a signed URL (no credentials; altered or expired: 403)', security: openSecurity, ...uploadDocs.signedDownload }),
      },
    )
}
