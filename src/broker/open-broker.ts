// Chooses the fan-out, presence and rate-limit implementations: in memory for one instance, or
// Redis when REDIS_URL is set (SPEC §9), so a message sent on instance A reaches a socket on B.

import type { Clock } from '../clock'
import type { Config } from '../config'
import type { Logger } from '../log'
import type { TenantLimiter } from './rate-limiter'
import { createRedisTenantLimiter } from './redis-rate-limiter'
import { createLocalBroker } from './local'
import { createRedisBroker } from './redis'
import { openRedis, throttledWarn } from './redis-client'
import type { RoomOrderOptions } from './room-order'
import type { PresenceAnnouncer } from './types'
import { createRedisPresence } from './redis-presence'

/** The tenant service's side of cross-instance change notices (`why` travels as a plain string). */
export interface TenantChangeSharing<W extends string> {
  shareChanges(send: (tenantId: string, why: W) => Promise<void>): void
  changedElsewhere(tenantId: string, why: W): void
  /** Applies the changes whose notices were lost while Redis was away. */
  resyncAfterOutage(): Promise<number>
}

/** The moderation service's side of cross-instance notices about one user (a tenant ban, SPEC §14). */
export interface UserChangeSharing<W extends string> {
  shareChanges(send: (tenantId: string, userId: string, why: W) => Promise<void>): void
  changedElsewhere(tenantId: string, userId: string, why: W): void
  /** Applies the bans whose notices were lost while Redis was away, to the users connected here. */
  resyncAfterOutage(connected: Iterable<{ tenantId: string; userId: string }>): Promise<number>
}

/** What GET /health reports about the cluster when instances share Redis. */
export interface ClusterHealth {
  reachable(): boolean
  figures(): Promise<{ instances: number; connections: number } | null>
}

/**
 * `order`: with shared storage, the source of a room's missed messages and the metrics hooks of
 * the per-room ordering (room-order.ts); omitted on SQLite, where one process publishes in seq order.
 */
export async function openBroker(config: Config, log: Logger, clock: Clock, opts: { order?: Omit<RoomOrderOptions, 'deliver' | 'subscriberCount' | 'warn'> } = {}) {
  const warnOrder = throttledWarn(log)
  const local = createLocalBroker(clock, config.PRESENCE_GRACE_MS, opts.order ? { order: { ...opts.order, warn: warnOrder } } : {})
  if (!config.REDIS_URL) {
    return {
      broker: local,
      /** Connected on any instance (the offline announcement waits for the last one). */
      connectedAnywhere: (t: string, u: string): boolean | Promise<boolean> => local.connected(t, u),
      /** One instance: its first connection is the first anywhere; offline once none is left here. */
      announcer: { claimOnline: () => true, claimOffline: (t: string, u: string) => !local.connected(t, u), announced: () => null } as PresenceAnnouncer,
      limiter: undefined as TenantLimiter | undefined,
      shared: false,
      /** Redis's part of GET /health (none with one instance). */
      health: null as ClusterHealth | null,
      /** Cross-instance tenant-change notices (a no-op with one instance). */
      shareTenantChanges<W extends string>(_local: TenantChangeSharing<W>) {},
      /** Cross-instance user-ban notices (a no-op with one instance). */
      shareUserChanges<W extends string>(_local: UserChangeSharing<W>) {},
      close: async () => local.close(),
    }
  }
  const instanceId = crypto.randomUUID()
  const redis = openRedis(config.REDIS_URL, { name: `chatapi:${instanceId}:cmd`, log })
  const presence = createRedisPresence({
    redis,
    instanceId,
    graceMs: config.PRESENCE_GRACE_MS,
    log,
    users: () => local.connectedUsers(),
    fallback: local,
  })
  const broker = createRedisBroker({ redisUrl: config.REDIS_URL, local, instanceId, log, presence, redis })
  const limiter = createRedisTenantLimiter({ redis, log, clock })
  // Redis down at start is not fatal: each instance then serves its own sockets (docs/scaling.md).
  await Promise.race([broker.ready(), Bun.sleep(3000)])
  return {
    broker,
    connectedAnywhere: (t: string, u: string) => presence.connectedAnywhere(t, u),
    announcer: presence as PresenceAnnouncer,
    limiter: limiter as TenantLimiter,
    shared: true,
    health: { reachable: broker.reachable, figures: broker.clusterFigures } as ClusterHealth | null,
    // SPEC §2: a rotated key stops working at once on every instance — the change is published
    // before the rotation answers, and every other instance evicts its cache and closes sockets.
    shareTenantChanges<W extends string>(tenants: TenantChangeSharing<W>) {
      tenants.shareChanges((t, why) => broker.tenantChanged(t, why))
      broker.onTenantChanged((t, why) => tenants.changedElsewhere(t, why as W)) // sent by shareChanges above
      // Notices sent while Redis was away are lost: compare with the store once it is back.
      broker.onReturned(() =>
        tenants
          .resyncAfterOutage()
          .then((changes) => log.info('tenant changes replayed after redis returned', { changes }))
          .catch((e) => log.warn('tenant resync after redis returned failed', { error: String(e) })),
      )
    },
    // SPEC §14: a tenant ban closes the user's sockets on every instance and refuses their calls
    // there too: published before the ban answers; each other instance evicts and closes.
    shareUserChanges<W extends string>(moderation: UserChangeSharing<W>) {
      moderation.shareChanges((t, u, why) => broker.userChanged(t, u, why))
      broker.onUserChanged((t, u, why) => moderation.changedElsewhere(t, u, why as W))
      broker.onReturned(() =>
        moderation
          .resyncAfterOutage(local.connectedUsers())
          .then((banned) => log.info('tenant bans rechecked after redis returned', { banned }))
          .catch((e) => log.warn('ban resync after redis returned failed', { error: String(e) })),
      )
    },
    async close() {
      await broker.close()
      await presence.close?.()
      await redis.quit().catch(() => redis.disconnect())
    },
  }
}

export type OpenedBroker = Awaited<ReturnType<typeof openBroker>>
