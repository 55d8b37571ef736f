// Ports between the services and the live connections: fan-out (Broker) and presence (PresenceStore).

import type { ServerWebSocket } from 'bun'
import type { ServerFrame } from '../schemas/server-frames'

export interface Broker {
  /** Serializes the frame once and delivers it to every socket subscribed to the topic. */
  publish(topic: string, frame: ServerFrame): void
  /** Like publish, but skips the socket `from` (typing and read receipts never echo to their sender). */
  publishFrom(from: ServerWebSocket<unknown>, topic: string, frame: ServerFrame): void
  /**
   * Sends the frame once to every live connection of each listed user, on every instance (presence:
   * one frame per socket however many rooms it shares with the subject). Users without a live
   * connection cost a map lookup.
   */
  publishToUsers(tenantId: string, userIds: readonly string[], frame: ServerFrame): void
  /** Subscribes every live connection of the user to the room's topic (a member was added). */
  joinRoom(tenantId: string, userId: string, roomId: string): void
  /** Unsubscribes every live connection of the user from the room's topic (a member left). */
  leaveRoom(tenantId: string, userId: string, roomId: string): void
  /** Number of live connections across the tenant (usage figures). */
  connectionCount(tenantId: string): number | Promise<number>
}

export interface PresenceStore {
  /** True while the user has a live connection, or is still inside the offline grace period. */
  isOnline(tenantId: string, userId: string): boolean | Promise<boolean>
  /** Epoch ms when the user was last seen connected, or null if never. */
  lastSeen(tenantId: string, userId: string): number | null | Promise<number | null>
}

/**
 * Decides each presence announcement once for the whole cluster (SPEC §5: `online` on a user's
 * first connection anywhere, `offline` once the last one anywhere has been gone the grace period).
 */
export interface PresenceAnnouncer {
  /**
   * The user's first connection on this instance opened (no offline pending here): true when no
   * instance counts them online, so this one announces `online`.
   */
  claimOnline(tenantId: string, userId: string): boolean | Promise<boolean>
  /**
   * The grace period after the user's last connection here ended: true when they have no
   * connection anywhere and were online, so this one announces `offline` (at most one instance does).
   */
  claimOffline(tenantId: string, userId: string): boolean | Promise<boolean>
  /**
   * Online as last decided for the cluster, or null where one instance decides alone. Read after an
   * announcement: another instance's later decision may have been published before it.
   */
  announced(tenantId: string, userId: string): boolean | null | Promise<boolean | null>
}
