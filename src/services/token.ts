// User tokens (SPEC §2): HS256 JWTs {sub, tid, exp} signed with the tenant's user_token_secret.
// Signing and verifying (signature, alg, crit, exp, nbf) are jose's; the rules jose leaves to the
// caller are here: one canonical spelling of the signature, exp at most 30 days ahead, sub and tid.

import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, SignJWT } from 'jose'
import type { Clock } from '../clock'
import { AppError, forbidden, invalid, unauthenticated } from '../errors'
import { USER_ID_PATTERN } from '../schemas/common'
import type { Actor, AppCaller } from './actor'
import type { AuthTenant, TenantService } from './tenant'
import type { Subscriber } from './events'

const USER_ID = new RegExp(USER_ID_PATTERN)
/** Longest lifetime: what POST /v1/tokens mints at most, and the furthest `exp` verify accepts. */
export const MAX_TTL_S = 2_592_000
/** Allowance for a parent backend whose clock runs ahead when it mints a full 30-day token. */
export const EXP_SKEW_S = 60
/** An HS256 signature is 32 bytes: exactly 43 base64url characters, no padding. */
const SIGNATURE = /^[A-Za-z0-9_-]{43}$/
const MAX_TOKEN_CHARS = 4096

/** HMAC key: the UTF-8 bytes of user_token_secret exactly as returned (SPEC §10). */
const hmacKey = (secret: string, use: 'sign' | 'verify') =>
  crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [use])

export async function signUserToken(secret: string, claims: { sub: string; tid: string; exp: number; iat?: number }): Promise<string> {
  const jwt = new SignJWT({ tid: claims.tid }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setSubject(claims.sub).setExpirationTime(claims.exp)
  if (claims.iat !== undefined) jwt.setIssuedAt(claims.iat)
  return jwt.sign(await hmacKey(secret, 'sign'))
}

export function createTokenService({ tenants, clock }: { tenants: Pick<TenantService, 'authById'>; clock: Clock }) {
  // Tenant id → tenant and its imported key. Only tenants that exist are cached (an unknown tid is
  // one read by primary key, as an unknown API key is), so no request can push out another
  // tenant's entry, and the map is as large as the tenant table at most. Any tenant change
  // (forgetTenant, on tenant.changed) drops its entry and bumps `generation`: a miss that read the
  // row before the change (an old secret) sees the bump and does not cache what it read.
  const cache = new Map<string, { tenant: AuthTenant; key: CryptoKey }>()
  let generation = 0
  async function entryFor(tenantId: string) {
    const hit = cache.get(tenantId)
    if (hit) return hit
    const seen = generation
    const tenant = await tenants.authById(tenantId)
    if (!tenant) return null
    const entry = { tenant, key: await hmacKey(tenant.user_token_secret, 'verify') }
    if (seen === generation) cache.set(tenantId, entry)
    return entry
  }

  return {
    /** A tenant changed: the next token of it is checked against a fresh secret. */
    forgetTenant(tenantId: string) {
      generation++
      cache.delete(tenantId)
    },

    /** POST /v1/tokens and `chatapi token create`: API key callers only (no user needed); ttl 1 s to 30 days. */
    async mint(actor: AppCaller, body: { user_id: string; ttl_s?: number }) {
      if (actor.via !== 'key') throw forbidden('minting tokens needs the API key (a user token may not do this)')
      const ttl = body.ttl_s ?? 3600
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL_S) throw invalid('ttl_s', `ttl_s must be an integer between 1 and ${MAX_TTL_S}`)
      if (!USER_ID.test(body.user_id)) throw invalid('user_id', 'user_id must be 1-128 characters of [A-Za-z0-9._:@-]')
      const now = Math.floor(clock.now() / 1000)
      const exp = now + ttl
      const token = await signUserToken(actor.tenant.user_token_secret, { sub: body.user_id, tid: actor.tenant.tenant_id, iat: now, exp })
      return { token, expires_at: new Date(exp * 1000).toISOString() }
    },

    /**
     * Verifies a token and returns its actor (with `expiresAt`, which the WebSocket gateway enforces
     * on open sockets); any problem is 401: malformed or non-canonical, alg other than HS256 (`none`
     * included), an unknown `crit` extension, unknown tenant, bad signature, missing, past or more
     * than 30 days ahead `exp`, a future `nbf`, bad `sub`.
     */
    async verify(token: string): Promise<Actor> {
      const parts = token.split('.')
      if (parts.length !== 3 || token.length > MAX_TOKEN_CHARS) throw unauthenticated('malformed token')
      let claims: ReturnType<typeof decodeJwt>
      try {
        if (decodeProtectedHeader(token).alg !== 'HS256') throw unauthenticated('token algorithm must be HS256')
        claims = decodeJwt(token)
      } catch (e) {
        if (e instanceof AppError) throw e
        throw unauthenticated('malformed token')
      }
      const { sub, tid, exp } = claims
      if (typeof tid !== 'string' || typeof sub !== 'string' || typeof exp !== 'number') throw unauthenticated('token must carry sub, tid and exp')
      // jose decodes base64url leniently here (padding, whitespace, unused bits), so one signature
      // would have many spellings; only the canonical one is the token.
      const sig = parts[2]
      if (!SIGNATURE.test(sig) || Buffer.from(sig, 'base64url').toString('base64url') !== sig) throw unauthenticated('malformed token')
      const entry = await entryFor(tid)
      if (!entry) throw unauthenticated('invalid token')
      const now = clock.now()
      try {
        await jwtVerify(token, entry.key, { algorithms: ['HS256'], currentDate: new Date(now), requiredClaims: ['exp'] })
      } catch (e) {
        if (e instanceof errors.JWTExpired) throw unauthenticated('token expired')
        if (e instanceof errors.JWTClaimValidationFailed && e.claim === 'nbf') throw unauthenticated('token not yet valid')
        throw unauthenticated('invalid token') // signature, crit, a non-numeric nbf or iat
      }
      // Also refuses 1e308 and Infinity (`1e999` in the JSON): minting never goes past 30 days.
      if (!(exp <= Math.floor(now / 1000) + MAX_TTL_S + EXP_SKEW_S)) throw unauthenticated('token exp is more than 30 days ahead')
      if (!USER_ID.test(sub)) throw unauthenticated('invalid token subject')
      return { tenant: entry.tenant, userId: sub, via: 'token', expiresAt: exp * 1000 }
    },
  }
}

export type TokenService = ReturnType<typeof createTokenService>

/** Any tenant change drops the tenant's cached secret: the next token of it is checked afresh. */
export const tokenCacheEviction = (tokens: TokenService): Subscriber => ({
  name: 'user tokens',
  handlers: { 'tenant.changed': (e) => tokens.forgetTenant(e.tenantId) },
})
