// OpenAPI details of the upload routes that TypeBox schemas cannot say: the multipart and raw
// request bodies, and binary answers with their headers.

import { ErrorBody } from '../../schemas/common'

const binary = { type: 'string' as const, format: 'binary' }
const header = (description: string) => ({ description, schema: { type: 'string' as const } })
const error = (description: string) => ({ description, content: { 'application/json': { schema: ErrorBody } } })

const fileHeaders = {
  'Content-Type': header('the media type the file was uploaded with'),
  'Content-Disposition': header('inline for PNG, JPEG, GIF, WebP, AVIF and BMP images; attachment for everything else (SVG and HTML included)'),
  'Content-Length': header('bytes in this answer'),
  ETag: header('"<sha256>" of the whole file'),
  'Accept-Ranges': header('bytes'),
  'X-Content-Type-Options': header('nosniff'),
  'Content-Security-Policy': header("sandbox; default-src 'none'"),
  'Cache-Control': header('private'),
}

const fileAnswers = {
  200: { description: 'the whole file', headers: fileHeaders, content: { '*/*': { schema: binary } } },
  206: {
    description: 'one byte range (Range: bytes=start-end, start- or -suffix); other Range values get the whole file',
    headers: { ...fileHeaders, 'Content-Range': header('bytes start-end/size') },
    content: { '*/*': { schema: binary } },
  },
  304: { description: 'If-None-Match names the ETag: not modified', headers: { ETag: fileHeaders.ETag } },
}

export const uploadDocs = {
  upload: {
    description:
      'The file is streamed to storage as it arrives. Limits: MAX_UPLOAD_BYTES or the tenant max_upload_bytes (413), ' +
      'the tenant storage_quota_bytes (409), the tenant upload_types (415). A file whose first bytes contradict its ' +
      'declared image, PDF or zip type is refused (400, field "file"). width/height are set for PNG, JPEG, GIF and WebP.',
    parameters: [{ name: 'filename', in: 'query', required: false, schema: { type: 'string' as const }, description: 'the file name, with a raw body' }],
    requestBody: {
      required: true,
      content: {
        'multipart/form-data': {
          schema: { type: 'object' as const, required: ['file'], properties: { file: { ...binary, description: 'the file; its filename and Content-Type are used' } } },
        },
        '*/*': { schema: { ...binary, description: 'the raw file, with its own Content-Type and ?filename=' } },
      },
    },
  },
  download: {
    description: 'Others (non-members, other tenants) get 404. Honours Range (206) and If-None-Match (304).',
    responses: { ...fileAnswers, 401: error('missing or unknown credentials'), 404: error('no such upload visible to this user'), 429: error('tenant rate limit exceeded') },
  },
  signedDownload: {
    description: 'The URL from GET /v1/uploads/{upload_id}/url; it needs no headers. Same answers as GET /v1/uploads/{upload_id}.',
    responses: { ...fileAnswers, 403: error('the signature does not match or has expired'), 404: error('the upload no longer exists'), 429: error('tenant rate limit exceeded') },
  },
}
