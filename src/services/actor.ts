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

/**
 * The caller of an app-level route (SPEC Revision 2): the API key alone acts for the parent app, so
 * `userId` is null unless an X-User-Id was sent (and then it limits the call as that user).
 */
export type AppCaller = Omit<Actor, 'userId'> & { userId: string | null }

/** The caller as a user, when it names one (a user token always does). */
export const asUser = (c: AppCaller): Actor | null => (c.userId === null ? null : (c as Actor))
