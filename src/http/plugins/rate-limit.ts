// The per-tenant token bucket applied to REST calls, with the X-RateLimit-* headers of SPEC §2/§10.

import { rateLimited } from '../../errors'
import type { Actor } from '../../services/actor'
import type { TenantLimiter } from '../../broker/rate-limiter'

/**
 * Takes `cost` tokens (the gate: one, before the body is read) for the caller's tenant; writes the
 * headers; throws 429 when the bucket cannot pay.
 */
export async function applyRateLimit(limiter: TenantLimiter, actor: Pick<Actor, 'tenant'>, headers: Record<string, string>, cost = 1): Promise<void> {
  const r = await limiter.take(actor.tenant.tenant_id, actor.tenant.config.rate_limit_per_sec, cost)
  headers['x-ratelimit-limit'] = String(r.limit)
  headers['x-ratelimit-remaining'] = String(r.allowed ? r.remaining : 0)
  headers['x-ratelimit-reset'] = String(r.reset)
  if (!r.allowed) {
    headers['retry-after'] = String(r.retryAfter)
    throw rateLimited()
  }
}
