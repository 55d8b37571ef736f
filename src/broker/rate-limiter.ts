// Token buckets: per tenant (SPEC §2) and per WebSocket connection; one policy, two keys.

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

  take(): TakeResult {
    const now = this.clock.now()
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.updated) / 1000) * this.rate)
    this.updated = now
    const allowed = this.tokens >= 1
    if (allowed) this.tokens -= 1
    const missing = this.capacity - this.tokens
    return {
      allowed,
      limit: this.capacity,
      remaining: Math.floor(this.tokens),
      reset: Math.ceil((now + (missing / this.rate) * 1000) / 1000),
      retryAfter: Math.max(1, Math.ceil((1 - this.tokens) / this.rate)),
    }
  }
}

/** Per-tenant buckets with burst = 2 × rate (SPEC §2). */
export function createTenantLimiter(clock: Clock) {
  const buckets = new Map<string, TokenBucket>()
  return {
    take(tenantId: string, ratePerSec: number): TakeResult {
      let b = buckets.get(tenantId)
      if (!b) buckets.set(tenantId, (b = new TokenBucket(ratePerSec, ratePerSec * 2, clock)))
      else b.resize(ratePerSec, ratePerSec * 2)
      return b.take()
    },
  }
}
/** One tenant bucket: in memory (one instance) or in Redis (shared by every instance). */
export interface TenantLimiter {
  take(tenantId: string, ratePerSec: number): TakeResult | Promise<TakeResult>
}
