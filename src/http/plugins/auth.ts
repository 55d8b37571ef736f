// Credentials for tenant calls (X-API-Key + X-User-Id, or a user token; app-level calls need no user)
// and admin calls (X-Master-Key).

import { AppError, invalid, unauthenticated } from '../../errors'
import { USER_ID_PATTERN } from '../../schemas/common'
import type { Actor, AppCaller } from '../../services/actor'
import { secretsEqual, type TenantService } from '../../services/tenant'

const USER_ID = new RegExp(USER_ID_PATTERN)

/** Verifies a user token (SPEC §2) and returns its actor (services/token.ts); any problem is 401. */
export type TokenVerifier = (token: string) => Actor | Promise<Actor>

/** Whether a user is banned from the tenant now (SPEC §14): answered from memory after the first ask. */
export type BanCheck = (tenantId: string, userId: string) => boolean | Promise<boolean>

export function createAuth(deps: { tenants: TenantService; masterKey: string; verifyToken: TokenVerifier; isBanned: BanCheck }) {
  /** A tenant-banned user's every call is 403 (SPEC §14), a WebSocket upgrade included. */
  async function notBanned<C extends AppCaller>(c: C): Promise<C> {
    if (c.userId !== null && (await deps.isBanned(c.tenant.tenant_id, c.userId))) throw new AppError('FORBIDDEN', 'this user is banned')
    return c
  }

  /**
   * Order (SPEC §2/§3): a Bearer token if present, else the API key (missing/unknown → 401), then
   * X-User-Id (malformed → 400 on `X-User-Id`; missing → the same 400 unless `needUser` is false).
   */
  async function authenticate(request: Request, tokenQuery: string | null | undefined, needUser: boolean): Promise<AppCaller> {
    const authz = request.headers.get('authorization')
    if (authz !== null || tokenQuery) {
      const m = authz ? /^Bearer\s+(\S+)$/i.exec(authz) : null
      const token = m?.[1] ?? tokenQuery
      if (!token) throw unauthenticated('malformed Authorization header (expected Bearer <token>)')
      return notBanned(await deps.verifyToken(token))
    }
    const key = request.headers.get('x-api-key')
    if (!key) throw unauthenticated('missing X-API-Key')
    const tenant = await deps.tenants.authenticate(key)
    const userId = request.headers.get('x-user-id')
    if (userId === null && !needUser) return { tenant, userId: null, via: 'key' }
    if (!userId || !USER_ID.test(userId))
      throw invalid('X-User-Id', 'X-User-Id must be 1-128 characters of [A-Za-z0-9._:@-], not dots alone')
    return notBanned({ tenant, userId, via: 'key' as const })
  }

  return {
    /**
     * Authenticates a tenant call as one user (see authenticate for the order of checks).
     * `tokenQuery` is the WebSocket `?token=`; REST never reads credentials from the URL.
     */
    tenant: (request: Request, tokenQuery?: string | null): Promise<Actor> => authenticate(request, tokenQuery, true) as Promise<Actor>,

    /**
     * An app-level call (SPEC Revision 2): the API key alone acts for the parent app (userId null);
     * an X-User-Id that is sent is still checked and makes the call act as that user.
     */
    appLevel: (request: Request): Promise<AppCaller> => authenticate(request, null, false),

    /**
     * The WebSocket upgrade (SPEC §5): headers or `?token=` only (a key never sits in a URL). Any
     * credential problem is 401; key auth on a tenant with require_user_tokens is 403 (SPEC §10).
     */
    async socket(request: Request): Promise<Actor> {
      const q = request.url.indexOf('?')
      const token = q === -1 ? null : new URLSearchParams(request.url.slice(q + 1)).get('token')
      let actor: Actor
      try {
        actor = await this.tenant(request, token)
      } catch (e) {
        if (e instanceof AppError && e.code === 'VALIDATION_ERROR') throw unauthenticated(e.message)
        throw e
      }
      if (actor.via === 'key' && actor.tenant.config.require_user_tokens)
        throw new AppError('FORBIDDEN', 'this tenant requires user tokens for WebSocket connections')
      return actor
    },

    /** Admin calls: 403 when MASTER_API_KEY is unset, 401 on a missing or wrong key (SPEC §10). */
    admin(request: Request): void {
      if (!deps.masterKey) throw new AppError('FORBIDDEN', 'the admin API is disabled (MASTER_API_KEY is not set)')
      const given = request.headers.get('x-master-key')
      if (!given || !secretsEqual(given, deps.masterKey)) throw unauthenticated('missing or wrong X-Master-Key')
    },
  }
}
export type Auth = ReturnType<typeof createAuth>
