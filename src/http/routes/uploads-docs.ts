// OpenAPI details of the upload routes that TypeBox schemas cannot say: the multipart and raw
// request bodies, and the file answers with their headers (document.ts adds them beside the
// generated error answers).

import { EXTRA_RESPONSES } from '../deps'

const binary = { type: 'string' as const, format: 'binary' }
const header = (description: string, example: string) => ({ description, required: true, schema: { type: 'string' as const }, example })

const fileHeaders = {
  'Content-Type': header('the media type the file was uploaded with', 'image/png'),
  'Content-Disposition': header(
    'inline for PNG, JPEG, GIF, WebP, AVIF and BMP images; attachment for everything else (SVG and HTML included)',
    `inline; filename="mockup.png"; filename*=UTF-8''mockup.png`,
  ),
  'Content-Length': header('bytes in this answer', '48213'),
  ETag: header('"<sha256>" of the whole file', '"9f2c4a1b7e3d5f608192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8"'),
  'Accept-Ranges': header('always bytes', 'bytes'),
  'X-Content-Type-Options': header('always nosniff: browsers use the declared type only', 'nosniff'),
  'Content-Security-Policy': header('keeps a file opened in a tab from running script or loading anything', "sandbox; default-src 'none'"),
  'Cache-Control': header('private; the signed URL may be cached until it expires', 'private, no-cache'),
}

/** The file itself, served with the Content-Type it was uploaded with: any media type (the range *\/*). */
const file = (description: string) => ({ description, content: { '*/*': { schema: binary, example: '<the file bytes>' } } })

const fileAnswers = {
  200: { ...file('the whole file, served with the Content-Type it was uploaded with'), headers: fileHeaders },
  206: {
    ...file('one byte range (Range: bytes=start-end, start- or -suffix); a Range that is malformed, multiple or unsatisfiable gets the whole file'),
    headers: { ...fileHeaders, 'Content-Range': header('bytes start-end/size', 'bytes 0-1023/48213') },
  },
  304: { description: 'If-None-Match names the ETag: not modified (no body)', headers: { ETag: fileHeaders.ETag } },
}

export const uploadDocs = {
  upload: {
    description:
      'Streamed to storage as it arrives (never held whole in memory). Limits: MAX_UPLOAD_BYTES or the tenant ' +
      'max_upload_bytes (413), the tenant storage_quota_bytes (409), the tenant upload_types (415). A file whose first ' +
      'bytes contradict its declared image, PDF or zip type is refused (400 on field file). width and height are set for ' +
      'PNG, JPEG, GIF and WebP images. An upload that no message lists within UPLOAD_ORPHAN_TTL_MS is deleted.',
    requestBody: {
      required: true,
      description: 'multipart/form-data with one part named file (its filename and Content-Type are used), or the raw file with its own Content-Type (documented here as application/octet-stream) and ?filename=',
      content: {
        'multipart/form-data': {
          schema: { type: 'object' as const, required: ['file'], properties: { file: { ...binary, description: 'the file' } } },
          example: { file: '<the file bytes>' },
        },
        'application/octet-stream': { schema: binary, example: '<the file bytes>' },
      },
    },
  },
  download: {
    description:
      'Streams the file to its uploader and to members of a room with a message that lists it; anyone else (non-members, ' +
      'other tenants) gets 404. Honours Range (206) and If-None-Match (304).',
    [EXTRA_RESPONSES]: fileAnswers,
  },
  signedUrl: {
    description:
      'A URL for the same file that needs no headers, for <img src> or a download link: valid UPLOAD_URL_TTL_S seconds ' +
      '(default 3,600), signed by the server (HMAC-SHA256). Only those who may download the file get one.',
  },
  signedDownload: {
    description:
      'The URL from GET /v1/uploads/{upload_id}/url, fetched with no credentials. An altered or expired URL is 403; a file ' +
      'deleted since is 404. Same headers, Range and If-None-Match as GET /v1/uploads/{upload_id}.',
    [EXTRA_RESPONSES]: fileAnswers,
  },
}
