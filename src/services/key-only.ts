// The calls that act for the parent app and take its API key only (SPEC §14 /v1/moderation/*).

import { forbidden } from '../errors'

/** A user token gets 403 here; the API key (with or without X-User-Id) passes. */
export function requireKey(caller: { via: 'key' | 'token' }): void {
  if (caller.via !== 'key') throw forbidden('moderation calls need the API key (a user token may not do this)')
}
