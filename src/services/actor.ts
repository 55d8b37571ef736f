// The authenticated caller every service method takes first (input checks live in services/input.ts).

import type { AuthTenant } from './tenant'

export interface Actor {
  tenant: AuthTenant
  userId: string
  /** 'key' for X-API-Key callers, 'token' for user-token callers (SPEC §2 limits the latter). */
  via: 'key' | 'token'
  /** A token caller's `exp` in ms since the epoch: open WebSockets are closed once it passes (ws/gateway.ts). */
  expiresAt?: number
}
