// Token buckets: per tenant (SPEC §2) and per WebSocket connection; one policy, two keys.
//
// A take has a cost (issue 13: work that grows with input pays in proportion, services/cost.ts).
// It passes when the bucket holds min(cost, rate) tokens and then spends the whole cost, so the
// bucket may go below zero: a request dearer than the burst is still possible from a full bucket,
// and the debt is waited out by the takes after it. Over time a tenant never spends more than its
// rate; a refused take spends nothing.

import type { Clock } from '../clock'

export interface TakeResult {
  allowed: boolean
  limit: number
  remaining: number
  /** Unix seconds when the bucket is full again. */
  reset: number
  /** Whole seconds until the next token, at least 1 (only meaningful when refused). */
  retryAfter: number
}

export class TokenBucket {
  private tokens: number
  private updated: number
  constructor(private rate: number, private capacity: number, private clock: Clock) {
    this.tokens = capacity
    this.updated = clock.now()
  }

  /** Changes rate and burst (a tenant's config was patched) keeping the current fill. */
  resize(rate: number, capacity: number) {
    this.rate = rate
    this.capacity = capacity
    this.tokens = Math.min(this.tokens, capacity)
  }

  take(cost = 1): TakeResult {
    const now = this.clock.now()
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.updated) / 1000) * this.rate)
    this.updated = now
    const need = neededFor(cost, this.rate)
    const allowed = this.tokens >= need
    if (allowed) this.tokens -= cost
    return takeResult(allowed, this.tokens, now, this.rate, this.capacity, need)
  }
}

/** Tokens a take of `cost` needs in the bucket: the cost, but never more than one second's refill. */
export const neededFor = (cost: number, rate: number) => Math.min(cost, Math.max(1, rate))

/** The header figures of SPEC §10 from the bucket state after a take (shared with the Redis bucket). */
export function takeResult(allowed: boolean, tokens: number, nowMs: number, rate: number, capacity: number, need = 1): TakeResult {
  return {
    allowed,
    limit: capacity,
    remaining: Math.max(0, Math.floor(tokens)),
    reset: Math.ceil((nowMs + ((capacity - tokens) / rate) * 1000) / 1000),
    retryAfter: Math.max(1, Math.ceil((need - tokens) / rate)),
  }
}

/** Per-tenant buckets with burst = 2 × rate (SPEC §2). */
export function createTenantLimiter(clock: Clock) {
  const buckets = new Map<string, TokenBucket>()
  return {
    take(tenantId: string, ratePerSec: number, cost = 1): TakeResult {
      let b = buckets.get(tenantId)
      if (!b) buckets.set(tenantId, (b = new TokenBucket(ratePerSec, ratePerSec * 2, clock)))
      else b.resize(ratePerSec, ratePerSec * 2)
      return b.take(cost)
    },
  }
}
/** One tenant bucket: in memory (one instance) or in Redis (shared by every instance). */
export interface TenantLimiter {
  /** Spends `cost` tokens (default 1) of the tenant's bucket, or none when refused. */
  take(tenantId: string, ratePerSec: number, cost?: number): TakeResult | Promise<TakeResult>
}
