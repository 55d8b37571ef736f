// REST's side of the error mapping: Elysia's VALIDATION/PARSE/NOT_FOUND codes, then the transport-neutral
// toAppError of src/errors.ts for everything else (SPEC §3).

import { AppError, toAppError, toErrorBody } from '../../errors'
import type { Logger } from '../../log'
import type { RequestState } from '../../request-state'

/** First failing path of an Elysia/TypeBox validation error as a plain field name (SPEC §10). */
function fieldOf(error: unknown): string | undefined {
  const e = error as { all?: { path?: string }[]; valueError?: { path?: string }; type?: string }
  let path: string | undefined
  try {
    path = e.valueError?.path ?? e.all?.[0]?.path
  } catch {}
  const first = path?.split('/').filter(Boolean)[0]
  return first ?? (e.type === 'body' ? 'body' : undefined)
}

/** Turns anything thrown while serving a request into an AppError with a client-safe message. */
export function restError(code: string | number, error: unknown, log: Logger, state?: RequestState): AppError {
  if (error instanceof AppError) return error
  // Elysia wraps whatever onParse throws in a ParseError: our own 413/415 from the body reader
  // (a chunked body has no Content-Length to refuse up front) must keep its code.
  const cause = (error as { cause?: unknown } | null)?.cause
  if (code === 'PARSE' && cause instanceof AppError) return cause
  switch (code) {
    case 'VALIDATION': {
      const field = fieldOf(error)
      return new AppError('VALIDATION_ERROR', field ? `invalid value for ${field}` : 'invalid request', field)
    }
    case 'PARSE':
      return new AppError('VALIDATION_ERROR', 'malformed JSON body')
    case 'NOT_FOUND':
      return new AppError('NOT_FOUND', 'route not found')
  }
  return toAppError(error, log, { request_id: state?.requestId, route: state?.route })
}

export function errorResponse(e: AppError, extraHeaders: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(toErrorBody(e)), {
    status: e.status,
    headers: { 'content-type': 'application/json', ...extraHeaders, ...e.headers },
  })
}
