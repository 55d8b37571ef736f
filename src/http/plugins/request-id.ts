// X-Request-Id: echo a valid incoming id (SPEC §10: 1-128 of [A-Za-z0-9._:-]), else generate one.

import { randomBase62 } from '../../ids'

const VALID = /^[A-Za-z0-9._:-]{1,128}$/

/**
 * Generated ids are a random per-process prefix plus a counter: unique across restarts and
 * instances (the prefix has ~71 bits), and they cost no random bytes per request. They correlate
 * logs; nothing uses them as a secret.
 */
export function createRequestIds() {
  const prefix = `req_${randomBase62(12)}`
  let n = 0
  return (request: Request): string => {
    const incoming = request.headers.get('x-request-id')
    return incoming && VALID.test(incoming) ? incoming : `${prefix}${(++n).toString(36)}`
  }
}
