// Typed domain errors and the one error envelope of SPEC §3, shared by REST and WebSocket.

import type { Logger } from './log'

export type ErrorCode =
  | 'VALIDATION_ERROR'
  | 'AUTHENTICATION_ERROR'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'CONTENT_REJECTED'
  | 'RATE_LIMIT_EXCEEDED'
  | 'INTERNAL_ERROR'
  | 'SERVICE_UNAVAILABLE'

export const STATUS: Record<ErrorCode, number> = {
  VALIDATION_ERROR: 400,
  AUTHENTICATION_ERROR: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  /** SPEC §14: a message refused by the tenant's blocklist or its pre-send hook; after access, before state. */
  CONTENT_REJECTED: 422,
  RATE_LIMIT_EXCEEDED: 429,
  INTERNAL_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
}

/** A failure the client can act on. Services throw these; transports map them once. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
    readonly headers?: Record<string, string>,
  ) {
    super(message)
  }
  get status(): number {
    return STATUS[this.code]
  }
}

export const invalid = (field: string, message: string) => new AppError('VALIDATION_ERROR', message, field)
export const notFound = (what: string) => new AppError('NOT_FOUND', `${what} not found`)
export const forbidden = (message: string) => new AppError('FORBIDDEN', message)
export const conflict = (message: string) => new AppError('CONFLICT', message)
export const unauthenticated = (message: string) => new AppError('AUTHENTICATION_ERROR', message)
export const unavailable = (message: string) => new AppError('SERVICE_UNAVAILABLE', message)
/** The blocklist or the pre-send hook refused the content (422); `message` says why. */
export const contentRejected = (message: string) => new AppError('CONTENT_REJECTED', message)
/** A send's attachments that are not all live uploads of the sender (SPEC §12); the stores re-check in their transaction. */
export const attachmentsRefused = () => invalid('attachments', 'attachments must be upload_ids you uploaded (and not yet deleted)')
/** The tenant's bucket (or a connection's frame bucket) is empty: 429. */
export const rateLimited = (message = 'tenant rate limit exceeded') => new AppError('RATE_LIMIT_EXCEEDED', message)

export interface ErrorBody {
  success: false
  error: { code: ErrorCode; message: string; field?: string }
}

export function toErrorBody(e: AppError): ErrorBody {
  const error: ErrorBody['error'] = { code: e.code, message: e.message }
  if (e.field) error.field = e.field
  return { success: false, error }
}

/**
 * Turns anything thrown while serving a caller into what the caller may see, for every transport
 * (REST, WebSocket, the group commit): an AppError as it is; a storage failure (disk full, read-only,
 * database unreachable) as 503 SERVICE_UNAVAILABLE; anything else as 500 INTERNAL_ERROR. The last
 * two are logged here, once, with `context` (request or connection ids), never shown to the client.
 */
export function toAppError(e: unknown, log: Pick<Logger, 'error'>, context: Record<string, unknown> = {}): AppError {
  if (e instanceof AppError) return e
  if (isStorageUnavailable(e)) {
    log.error('database not writable', { ...context, code: (e as { code?: string }).code })
    return unavailable('the database cannot be written right now')
  }
  log.error('unhandled error', { ...context, error: e })
  return new AppError('INTERNAL_ERROR', 'internal error')
}

/** SQLite errors that mean "the database cannot be written right now" (SPEC §4 health, §3 503). */
export function isStorageUnavailable(e: unknown): boolean {
  const { code = '', errno = '' } = (e ?? {}) as { code?: string; errno?: string | number }
  if (/^SQLITE_(FULL|READONLY|IOERR|BUSY|CANTOPEN|LOCKED)/.test(code)) return true
  // PostgreSQL: the server unreachable or closing (Bun's client codes), or SQLSTATE classes 08
  // (connection), 53 (resources: disk full, out of memory), 57P0x (shutdown) and 25006 (read-only).
  if (/^ERR_POSTGRES_(CONNECTION|SERVER_CLOSED|IDLE_TIMEOUT|CONNECTION_TIMEOUT)/.test(code)) return true
  return /^(08|53)|^57P0|^25006$/.test(String(errno))
}

/**
 * The storage itself is failing, not a transient contention or connection blip: disk full, I/O
 * error, a read-only or vanished file (SQLite), disk full or I/O error (PostgreSQL 53100, 58030).
 * /health stays 503 after one of these until a write succeeds (storage-health.ts).
 */
export function isStorageFault(e: unknown): boolean {
  const { code = '', errno = '' } = (e ?? {}) as { code?: string; errno?: string | number }
  if (/^SQLITE_(FULL|IOERR|READONLY|CANTOPEN)/.test(code)) return true
  return /^(53100|58030)$/.test(String(errno))
}
