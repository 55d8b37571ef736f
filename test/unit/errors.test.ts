// One mapping from anything thrown to what a client sees, whatever the transport (SPEC §3).

import { describe, expect, test } from 'bun:test'
import { AppError, invalid, rateLimited, toAppError, toErrorBody } from '../../src/errors'

function recorder() {
  const lines: { msg: string; fields?: Record<string, unknown> }[] = []
  return { lines, error: (msg: string, fields?: Record<string, unknown>) => void lines.push({ msg, fields }) }
}

describe('toAppError', () => {
  test('an AppError passes through as it is, unlogged', () => {
    const log = recorder()
    const e = invalid('content', 'too long')
    expect(toAppError(e, log)).toBe(e)
    expect(log.lines).toEqual([])
  })

  test('a storage failure (SQLite or PostgreSQL) is 503 SERVICE_UNAVAILABLE and logged with its code and context', () => {
    for (const failure of [Object.assign(new Error('disk full'), { code: 'SQLITE_FULL' }), Object.assign(new Error('no server'), { code: 'ERR_POSTGRES_CONNECTION_CLOSED' })]) {
      const log = recorder()
      const e = toAppError(failure, log, { request_id: 'req_1' })
      expect(toErrorBody(e)).toEqual({ success: false, error: { code: 'SERVICE_UNAVAILABLE', message: 'the database cannot be written right now' } })
      expect(e.status).toBe(503)
      expect(log.lines).toEqual([{ msg: 'database not writable', fields: { request_id: 'req_1', code: failure.code } }])
    }
  })

  test('anything else is 500 INTERNAL_ERROR with no detail for the client; the error itself is logged', () => {
    const log = recorder()
    const boom = new TypeError('secret internals')
    const e = toAppError(boom, log, { connection_id: 'conn_1', type: 'send_message' })
    expect(toErrorBody(e)).toEqual({ success: false, error: { code: 'INTERNAL_ERROR', message: 'internal error' } })
    expect(log.lines).toEqual([{ msg: 'unhandled error', fields: { connection_id: 'conn_1', type: 'send_message', error: boom } }])
  })

  test('rateLimited is 429 RATE_LIMIT_EXCEEDED', () => {
    expect(rateLimited()).toMatchObject({ code: 'RATE_LIMIT_EXCEEDED', status: 429, message: 'tenant rate limit exceeded' })
    expect(rateLimited('too many frames on this connection')).toBeInstanceOf(AppError)
  })
})
