// Shared wire shapes: ids, timestamps, paging and the error envelope (SPEC §1, §3).

import { Type as t, type Static, type TSchema } from '@sinclair/typebox'
import { STATUS, type ErrorCode } from '../errors'

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
 * Where a schema keeps what the OpenAPI document shows in its place (see ServiceChecked); the
 * document builder (http/openapi/document.ts) swaps it in, so the served document never has these keys.
 */
export const DOCUMENTED_AS = 'x-chatapi-documented-as'
export const DOCUMENTED_REQUIRED = 'x-chatapi-required'

/**
 * A value the service checks itself, so a bad one gets a 400 whose message names the rule, in SPEC §3
 * order (a required query value after the 403 of a disabled feature, say): Elysia validates only
 * `loose`, and the OpenAPI document shows `strict`, the rule the service enforces. `required` marks a
 * query parameter the service requires although Elysia lets it through.
 */
export function ServiceChecked<T extends TSchema>(loose: T, strict: TSchema, o: { required?: boolean } = {}): T {
  return { ...loose, [DOCUMENTED_AS]: strict, ...(o.required && { [DOCUMENTED_REQUIRED]: true }) }
}

/**
 * A JSON object in a REST request body. Deliberately `Unknown` for Elysia: its normalize step cleans a
 * body *before* validating it and rebuilds a non-object under a Record schema ("x" → {"0":"x"},
 * 5 → {}), which would then pass. The service checks the shape instead (jsonField / validateConfig),
 * so a string, number, array or null is a 400 on that field.
 */
export const JsonObjectInput = ServiceChecked(
  t.Unknown({ description: 'JSON object, at most 8 KiB serialized' }),
  t.Object({}, { additionalProperties: true, description: 'JSON object, at most 8 KiB serialized' }),
)
export const Nullable = <T extends import('@sinclair/typebox').TSchema>(s: T) => t.Union([s, t.Null()])

/** A path parameter: an id of `what`, with an example the document shows. */
export const PathId = (description: string, example: string) => t.String({ description, examples: [example] })

/** A query value the service parses as an integer (`limit`, `after_seq`): a string for Elysia. */
export const QueryInteger = (o: { description: string; minimum: number; maximum?: number; default?: number; examples?: number[] }) =>
  ServiceChecked(t.String({ description: o.description }), t.Integer(o))

/** `limit` is validated by the service so the error carries `field: "limit"` (SPEC §10). */
export const PageQuery = t.Object({
  limit: t.Optional(QueryInteger({ description: 'Page size.', minimum: 1, maximum: 200, default: 50, examples: [50] })),
  cursor: t.Optional(t.String({ description: 'The `next_cursor` of the previous page (opaque); absent for the first page.' })),
})
export type PageQuery = Static<typeof PageQuery>

const CODES = Object.keys(STATUS) as ErrorCode[]

export const ErrorBody = t.Object(
  {
    success: t.Literal(false),
    error: t.Object({
      code: t.Union(CODES.map((c) => t.Literal(c)), { description: 'the SPEC §3 code; it fixes the HTTP status' }),
      message: t.String({ description: 'for people; never a stack trace or SQL' }),
      field: t.Optional(t.String({ description: 'the one input at fault, when there is one (a body field, a query parameter, X-User-Id)' })),
    }),
  },
  {
    description: 'The one error envelope (SPEC §3): every non-2xx JSON answer has this shape.',
    examples: [{ success: false, error: { code: 'VALIDATION_ERROR', message: 'members must list at least one user for a group', field: 'members' } }],
  },
)

type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 500 | 503
const CODE_OF = Object.fromEntries(Object.entries(STATUS).map(([code, status]) => [status, code])) as Record<ErrorStatus, ErrorCode>

/** An error answer for the OpenAPI document: the envelope, what it means here, and an example. */
const errorResponse = (status: ErrorStatus, description: string, message: string, field?: string) => ({
  ...ErrorBody,
  description,
  examples: [{ success: false, error: { code: CODE_OF[status], message, ...(field && { field }) } }],
})

const TENANT_ERRORS = {
  400: errorResponse(400, 'A body, path or query value is invalid (U+0000 anywhere included), the JSON is malformed, or X-User-Id is missing or malformed (with X-API-Key).', 'X-User-Id must be 1-128 characters of [A-Za-z0-9._:@-]', 'X-User-Id'),
  401: errorResponse(401, 'Missing or unknown API key, or a bad, expired or revoked user token.', 'missing X-API-Key'),
  403: errorResponse(
    403,
    'Authenticated but not allowed: a user the parent app banned from the tenant (any call), a channel you are not a member of, a role rule, a mute or a read-only room, a disabled feature, or a user token where the API key is needed.',
    'only the owner or an admin may change the room',
  ),
  404: errorResponse(404, 'Not found, or not visible to the caller (another tenant\'s id answers exactly the same).', 'room not found'),
  409: errorResponse(409, 'The current state does not allow it.', 'the message is deleted'),
  413: errorResponse(413, 'The body is larger than MAX_BODY_BYTES.', 'request body exceeds 65536 bytes'),
  415: errorResponse(415, 'A non-empty body that is not application/json.', 'request body must be application/json'),
  422: errorResponse(422, "The tenant's blocklist or its pre-send hook refused the content; the message says why.", 'the message contains a blocked term'),
  429: errorResponse(429, 'The tenant\'s rate limit cannot pay for this call (list pages and calls naming many users cost one token per started 100 items); retry after Retry-After seconds.', 'tenant rate limit exceeded'),
  500: errorResponse(500, 'Internal error; the log has the detail under the X-Request-Id.', 'internal error'),
  503: errorResponse(503, 'The database cannot be written right now.', 'the database cannot be written right now'),
}

/**
 * Responses every tenant route may give, for the OpenAPI document. The ones any tenant call can
 * answer before its route runs (SPEC §3 order: credentials, a user banned from the tenant (403,
 * SPEC §14), rate limit, body size and type, then validation; a failing store) are always listed; `extra` adds the route's own (403, 404, 409, 422).
 */
export const tenantErrorsWith = (...extra: (403 | 404 | 409 | 422)[]) => pick(TENANT_ERRORS, [400, 401, 403, 413, 415, 429, 500, 503, ...extra])
/** Every tenant error status, for a route that may give any of them. */
export const tenantErrors = TENANT_ERRORS

const ADMIN_ERRORS = {
  400: errorResponse(400, 'A body, path or query value is invalid (U+0000 anywhere included), or the JSON is malformed.', 'name must be 1-200 characters', 'name'),
  401: errorResponse(401, 'Missing or wrong X-Master-Key.', 'missing or wrong X-Master-Key'),
  403: errorResponse(403, 'The admin API is disabled (MASTER_API_KEY is not set).', 'the admin API is disabled (MASTER_API_KEY is not set)'),
  404: errorResponse(404, 'Not found.', 'tenant not found'),
  409: errorResponse(409, 'The current state does not allow it.', 'on PostgreSQL, back up with its own tools (pg_dump, base backups)'),
  413: TENANT_ERRORS[413],
  415: TENANT_ERRORS[415],
  500: TENANT_ERRORS[500],
  503: TENANT_ERRORS[503],
}
/**
 * Admin routes: the master key (401/403), body size and type, a U+0000 anywhere in the URL or an
 * invalid body (400), a failing store; `extra` adds 404 and 409.
 */
export const adminErrorsWith = (...extra: (404 | 409)[]) => pick(ADMIN_ERRORS, [400, 401, 403, 413, 415, 500, 503, ...extra])
/** Every admin error status. */
export const adminErrors = ADMIN_ERRORS
/** What any route may answer when something unexpected breaks. */
export const internalError = { 500: TENANT_ERRORS[500] }

function pick<K extends number, V>(all: Record<K, V>, keys: K[]): Record<K, V> {
  return Object.fromEntries(keys.sort((a, b) => a - b).map((k) => [k, all[k]])) as Record<K, V>
}
