// Connection caps (issue 13): WS_MAX_CONNECTIONS_PER_USER per user, the tenant's max_connections
// per tenant. Over either, the upgrade is refused with 429 RATE_LIMIT_EXCEEDED before it happens.

import { AppError } from '../errors'
import type { Config } from '../config'
import type { LocalBroker } from '../broker/local'
import type { Broker } from '../broker/types'
import type { Actor } from '../services/actor'

/**
 * Retry-After of a refusal, in seconds. Unlike the token bucket, a cap has no refill time to
 * report: a slot frees when one of the user's or tenant's connections closes.
 */
const RETRY_AFTER_S = 5

export interface CapsDeps {
  config: Pick<Config, 'WS_MAX_CONNECTIONS_PER_USER'>
  broker: Pick<Broker, 'connectionCount'> & Pick<LocalBroker, 'localCounts'>
}

/**
 * Counting: the per-user cap counts the user's connections on this instance (the registry), so
 * behind N instances a user may hold up to N × the cap; it exists to bound what one user can make
 * one instance do, and presence in Redis records instances per user, not connections. The tenant
 * cap counts the whole cluster when Redis is configured (the per-instance counters behind the
 * usage figures, kept by every instance) and this instance otherwise; the larger of that and the
 * exact local count is compared. Across instances it is approximate: upgrades landing on several
 * instances at the same moment may pass it by a few.
 */
export function connectionCaps({ config, broker }: CapsDeps) {
  const refuse = (headers: Record<string, string>, message: string) => {
    headers['retry-after'] = String(RETRY_AFTER_S)
    headers['x-ratelimit-remaining'] = '0' // SPEC §10: every 429 says Remaining: 0
    return new AppError('RATE_LIMIT_EXCEEDED', message)
  }
  return {
    /** The tenant's live connections as the broker counts them (the cluster with Redis). */
    tenantTotal: (tenantId: string) => broker.connectionCount(tenantId),

    /**
     * Throws 429 when the actor's user or tenant is at its cap; writes Retry-After into `headers`.
     * Synchronous on purpose: the caller upgrades right after it in the same turn, and Bun runs the
     * socket's open handler (which registers it) inside upgrade(), so two upgrades on this
     * instance can never both pass the last free slot.
     */
    admit(actor: Actor, tenantTotal: number, headers: Record<string, string>): void {
      const here = broker.localCounts(actor.tenant.tenant_id, actor.userId)
      if (here.user >= config.WS_MAX_CONNECTIONS_PER_USER)
        throw refuse(headers, `this user already has ${here.user} connections (WS_MAX_CONNECTIONS_PER_USER)`)
      const max = actor.tenant.config.max_connections
      if (Math.max(here.tenant, tenantTotal) >= max) throw refuse(headers, `this tenant is at its max_connections (${max})`)
    },
  }
}
