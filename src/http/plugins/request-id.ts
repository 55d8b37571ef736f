// X-Request-Id: echo a valid incoming id (SPEC §10: 1-128 of [A-Za-z0-9._:-]), else generate one.

import { randomBase62 } from '../../ids'

const VALID = /^[A-Za-z0-9._:-]{1,128}$/

export function requestIdFor(request: Request): string {
  const incoming = request.headers.get('x-request-id')
  return incoming && VALID.test(incoming) ? incoming : `req_${randomBase62(20)}`
}
