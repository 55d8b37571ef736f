// REST's side of the error mapping: Elysia's VALIDATION/PARSE/NOT_FOUND codes, then the transport-neutral
// toAppError of src/errors.ts for everything else (SPEC §3).

import { AppError, toAppError, toErrorBody } from '../../errors'
import type { Logger } from '../../log'
import type { RequestState } from '../../request-state'
import type { ValueError } from '@sinclair/typebox/errors'
import { article, describeValueError } from '../../schemas/error-text'

/**
 * The first failure of an Elysia/TypeBox validation error as a field and a message naming the rule
 * (schemas/error-text.ts). A body's own string `type` (a room's dm/group/channel) is the kind a
 * missing field is required for.
 */
function validationError(error: unknown): AppError {
  const e = error as { valueError?: ValueError; type?: string; value?: unknown }
  const first = e.valueError
  if (!first) return new AppError('VALIDATION_ERROR', 'invalid request', e.type === 'body' ? 'body' : undefined)
  const kindOf = e.type === 'body' && typeof e.value === 'object' && e.value !== null ? (e.value as { type?: unknown }).type : undefined
  const kind = typeof kindOf === 'string' && /^[a-z][a-z_.]{0,39}$/.test(kindOf) ? article(kindOf) : undefined
  const { field, message } = describeValueError(first, { kind, root: e.type === 'body' ? 'body' : e.type })
  return new AppError('VALIDATION_ERROR', message, field)
}

/** Turns anything thrown while serving a request into an AppError with a client-safe message. */
export function restError(code: string | number, error: unknown, log: Logger, state?: RequestState): AppError {
  if (error instanceof AppError) return error
  // Elysia wraps whatever onParse throws in a ParseError: our own 413/415 from the body reader
  // (a chunked body has no Content-Length to refuse up front) must keep its code.
  const cause = (error as { cause?: unknown } | null)?.cause
  if (code === 'PARSE' && cause instanceof AppError) return cause
  switch (code) {
    case 'VALIDATION':
      return validationError(error)
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
