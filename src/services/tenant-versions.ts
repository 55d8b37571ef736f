// What this instance last read of each tenant's secrets and config. Other instances' tenant
// changes reach this one as notices over Redis (broker/redis.ts); a notice sent while Redis was
// away is lost. When Redis returns, comparing these versions with the stored rows tells which
// changes were missed, so they can be applied here late rather than never (tenant.ts resync).

import type { TenantRow } from '../db/types'
import type { TenantChange } from './events'

interface Version {
  apiKeyHash: string
  userTokenSecret: string
  webhookSecret: string
  config: string
}

const versionOf = (r: TenantRow): Version => ({
  apiKeyHash: r.api_key_hash,
  userTokenSecret: r.user_token_secret,
  webhookSecret: r.webhook_secret,
  config: r.config,
})

/**
 * The changes that lead from `old` to `now` (null: the tenant was deleted), as the notices that
 * would have said so: a deletion alone, else one per changed part.
 */
export function missedChanges(old: Version, now: TenantRow | null): TenantChange[] {
  if (!now) return ['deleted']
  const out: TenantChange[] = []
  if (now.api_key_hash !== old.apiKeyHash) out.push('rotate')
  if (now.user_token_secret !== old.userTokenSecret) out.push('token_secret')
  if (now.webhook_secret !== old.webhookSecret) out.push('secret')
  if (now.config !== old.config) out.push('config')
  return out
}

/**
 * Bounded by `max` tenants: past it the record starts afresh (a tenant not recorded is only read
 * again, not compared, after an outage; its REST callers see the change at once anyway, since the
 * caches are emptied).
 */
export function createTenantVersions(max = 100_000) {
  const seen = new Map<string, Version>()
  return {
    /** Records a row this instance has just read and will act on (cache it or hand it to a socket). */
    saw(r: TenantRow): void {
      if (seen.size >= max && !seen.has(r.tenant_id)) seen.clear()
      seen.set(r.tenant_id, versionOf(r))
    },
    forget(tenantId: string): void {
      seen.delete(tenantId)
    },
    /** Every recorded tenant with its version, to compare with the store. */
    entries(): [string, Version][] {
      return [...seen]
    },
  }
}
