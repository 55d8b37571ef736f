// Typed errors: what the server said (ChatApiError, codes of SPEC §3) and what the client saw
// without an answer (ChatClientError: timeouts, a closed client, network failures).

import type { ErrorCode } from './types'

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'VALIDATION_ERROR',
  401: 'AUTHENTICATION_ERROR',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'CONTENT_REJECTED',
  429: 'RATE_LIMIT_EXCEEDED',
  503: 'SERVICE_UNAVAILABLE',
}

/** The code for a status when a response carries no envelope (a proxy's 502 page, say). */
export function codeForStatus(status: number): ErrorCode {
  return STATUS_CODES[status] ?? 'INTERNAL_ERROR'
}

export interface ChatApiErrorInit {
  /** HTTP status; absent for an `error` frame over WebSocket. */
  status?: number
  field?: string
  /** X-Request-Id of the REST call, or the request_id echoed by an `error` frame. */
  requestId?: string
  /** Seconds, from Retry-After on a 429. */
  retryAfterS?: number
  /** `rest` or `ws`: where the error came from. */
  source: 'rest' | 'ws'
}

/** An error the server answered with: a REST error envelope or a WebSocket `error` frame. */
export class ChatApiError extends Error {
  override readonly name = 'ChatApiError'
  readonly code: ErrorCode
  readonly status?: number
  readonly field?: string
  readonly requestId?: string
  readonly retryAfterS?: number
  readonly source: 'rest' | 'ws'

  constructor(code: ErrorCode, message: string, init: ChatApiErrorInit) {
    super(message)
    this.code = code
    this.status = init.status
    this.field = init.field
    this.requestId = init.requestId
    this.retryAfterS = init.retryAfterS
    this.source = init.source
  }
}

export type ClientErrorCode = 'TIMEOUT' | 'CLOSED' | 'NETWORK_ERROR' | 'NOT_CONNECTED'

/** A failure seen only by the client: no answer in time, the client was closed, the network failed. */
export class ChatClientError extends Error {
  override readonly name = 'ChatClientError'
  constructor(
    readonly code: ClientErrorCode,
    message: string,
    readonly details?: { clientMsgId?: string; cause?: unknown },
  ) {
    super(message)
  }
}

export const isChatApiError = (e: unknown): e is ChatApiError => e instanceof ChatApiError
export const isChatClientError = (e: unknown): e is ChatClientError => e instanceof ChatClientError
