// Shared wire shapes: ids, timestamps, paging and the error envelope (SPEC §1, §3).

import { Type as t, type Static } from '@sinclair/typebox'

/** Nesting allowed in a request body or a WebSocket frame (objects and arrays together); deeper → 400. */
export const MAX_JSON_DEPTH = 64

/**
 * User ids: 1-128 of [A-Za-z0-9._:@-], but not dots alone. `.` and `..` are dot segments that URL
 * normalisation removes, so DELETE /v1/rooms/R/members/.. would reach another route and such a
 * member could never be removed. Every user id check uses this one pattern: the schemas, X-User-Id
 * (http/plugins/auth.ts) and token `sub` at mint and verify (services/token.ts).
 */
export const USER_ID_PATTERN = '^(?!\\.+$)[A-Za-z0-9._:@-]{1,128}$'
export const CLIENT_ID_PATTERN = '^[A-Za-z0-9._:-]{1,64}$'
export const TOPIC_PATTERN = '^[A-Za-z0-9._:-]{1,128}$'

/**
 * U+0000 is refused in every string input, nested JSON and object keys included: PostgreSQL `text`
 * cannot hold it, and both stores must answer the same (400, never a 500 or a silent store).
 */
export const NUL_MESSAGE = 'strings may not contain U+0000'

/**
 * The top-level field of a parsed body or frame that holds a U+0000 in a string or a key, at any
 * depth; '' when the value itself or a top-level key holds it; null when there is none. Iterative, so a deep
 * value cannot overflow the stack (depth is capped by MAX_JSON_DEPTH before this runs anyway).
 */
export function fieldWithNul(root: unknown): string | null {
  if (typeof root === 'string') return root.includes('\0') ? '' : null
  if (root === null || typeof root !== 'object') return null
  for (const [key, value] of Object.entries(root)) {
    if (key.includes('\0')) return ''
    const stack: unknown[] = [value]
    while (stack.length) {
      const v = stack.pop()
      if (typeof v === 'string') {
        if (v.includes('\0')) return key
      } else if (v !== null && typeof v === 'object') {
        for (const [k, child] of Object.entries(v)) {
          if (k.includes('\0')) return key
          stack.push(child)
        }
      }
    }
  }
  return null
}

export const UserId = t.String({ pattern: USER_ID_PATTERN, minLength: 1, maxLength: 128, description: 'user id chosen by the parent app' })
export const Timestamp = t.String({ format: 'date-time', description: 'ISO 8601 UTC with milliseconds' })
export const JsonObject = t.Record(t.String(), t.Unknown(), { description: 'JSON object, at most 8 KiB serialized' })
/**
 * A JSON object in a REST request body. Deliberately `Unknown`: Elysia's normalize step cleans a
 * body *before* validating it and rebuilds a non-object under a Record schema ("x" → {"0":"x"},
 * 5 → {}), which would then pass. The service checks the shape instead (jsonField / validateConfig),
 * so a string, number, array or null is a 400 on that field.
 */
export const JsonObjectInput = t.Unknown({ description: 'JSON object, at most 8 KiB serialized' })
export const Nullable = <T extends import('@sinclair/typebox').TSchema>(s: T) => t.Union([s, t.Null()])

/** `limit` is validated by the service so the error carries `field: "limit"` (SPEC §10). */
export const PageQuery = t.Object({
  limit: t.Optional(t.String({ description: 'page size, 1-200 (default 50)' })),
  cursor: t.Optional(t.String({ description: 'opaque cursor from a previous page' })),
})
export type PageQuery = Static<typeof PageQuery>

export const ErrorBody = t.Object(
  {
    success: t.Literal(false),
    error: t.Object({
      code: t.String({ description: 'one of the SPEC §3 codes' }),
      message: t.String(),
      field: t.Optional(t.String()),
    }),
  },
  { description: 'the one error envelope' },
)

const errorResponse = (description: string) => ({ ...ErrorBody, description })
/** Responses every tenant route may give, for the OpenAPI document. */
export const tenantErrors = {
  400: errorResponse('validation error or malformed JSON'),
  401: errorResponse('missing or unknown credentials'),
  403: errorResponse('not allowed'),
  404: errorResponse('not found (also: another tenant\'s id)'),
  409: errorResponse('state conflict'),
  413: errorResponse('body over MAX_BODY_BYTES'),
  415: errorResponse('body is not application/json'),
  429: errorResponse('tenant rate limit exceeded'),
  500: errorResponse('internal error'),
  503: errorResponse('draining or database not writable'),
}
export const adminErrors = {
  400: tenantErrors[400],
  401: errorResponse('missing or wrong X-Master-Key'),
  403: errorResponse('admin API disabled (MASTER_API_KEY unset)'),
  404: tenantErrors[404],
  500: tenantErrors[500],
}
