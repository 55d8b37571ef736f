// User tokens (SPEC §2): HS256 JWTs {sub, tid, exp} signed with the tenant's user_token_secret.

import { createHmac, timingSafeEqual } from 'node:crypto'
import type { Clock } from '../clock'
import { forbidden, invalid, unauthenticated } from '../errors'
import { USER_ID_PATTERN } from '../schemas/common'
import type { Actor } from './actor'
import type { AuthTenant, TenantService } from './tenant'

const USER_ID = new RegExp(USER_ID_PATTERN)
const MAX_TTL_S = 2_592_000
const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url')
const HEADER = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))

/** HMAC key: the UTF-8 bytes of user_token_secret exactly as returned (SPEC §10). */
const mac = (secret: string, data: string) => createHmac('sha256', Buffer.from(secret, 'utf8')).update(data).digest()

export function signUserToken(secret: string, claims: { sub: string; tid: string; exp: number; iat?: number }): string {
  const body = `${HEADER}.${b64url(JSON.stringify(claims))}`
  return `${body}.${b64url(mac(secret, body))}`
}

export function createTokenService({ tenants, clock }: { tenants: Pick<TenantService, 'authById'>; clock: Clock }) {
  // Tenants by id; forgetTenant (on every tenant change) makes a rotated secret kill its tokens at once.
  const cache = new Map<string, AuthTenant | null>()
  const tenantById = async (id: string) => {
    if (!cache.has(id)) {
      const t = await tenants.authById(id)
      if (cache.size > 10_000) cache.clear()
      cache.set(id, t)
    }
    return cache.get(id) ?? null
  }

  return {
    /** A tenant changed: the next token of it is checked against a fresh secret. */
    forgetTenant(tenantId: string) {
      cache.delete(tenantId)
    },

    /** POST /v1/tokens and `chatapi token create`: API key callers only; ttl 1 s to 30 days. */
    mint(actor: Actor, body: { user_id: string; ttl_s?: number }) {
      if (actor.via !== 'key') throw forbidden('minting tokens needs the API key (a user token may not do this)')
      const ttl = body.ttl_s ?? 3600
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL_S) throw invalid('ttl_s', `ttl_s must be an integer between 1 and ${MAX_TTL_S}`)
      if (!USER_ID.test(body.user_id)) throw invalid('user_id', 'user_id must be 1-128 characters of [A-Za-z0-9._:@-]')
      const now = Math.floor(clock.now() / 1000)
      const exp = now + ttl
      const token = signUserToken(actor.tenant.user_token_secret, { sub: body.user_id, tid: actor.tenant.tenant_id, iat: now, exp })
      return { token, expires_at: new Date(exp * 1000).toISOString() }
    },

    /**
     * Verifies a token and returns its actor; any problem is 401: malformed, alg other than HS256
     * (`none` included), unknown tenant, bad signature, missing or past `exp`, bad `sub`.
     */
    async verify(token: string): Promise<Actor> {
      const parts = token.split('.')
      if (parts.length !== 3 || token.length > 4096) throw unauthenticated('malformed token')
      let header: { alg?: unknown }
      let claims: { sub?: unknown; tid?: unknown; exp?: unknown }
      try {
        header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'))
        claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'))
      } catch {
        throw unauthenticated('malformed token')
      }
      if (header?.alg !== 'HS256') throw unauthenticated('token algorithm must be HS256')
      if (typeof claims?.tid !== 'string' || typeof claims.sub !== 'string' || typeof claims.exp !== 'number')
        throw unauthenticated('token must carry sub, tid and exp')
      const tenant = await tenantById(claims.tid)
      if (!tenant) throw unauthenticated('invalid token')
      const expected = mac(tenant.user_token_secret, `${parts[0]}.${parts[1]}`)
      const given = Buffer.from(parts[2], 'base64url')
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw unauthenticated('invalid token')
      if (claims.exp * 1000 <= clock.now()) throw unauthenticated('token expired')
      if (!USER_ID.test(claims.sub)) throw unauthenticated('invalid token subject')
      return { tenant, userId: claims.sub, via: 'token' }
    },
  }
}

export type TokenService = ReturnType<typeof createTokenService>
