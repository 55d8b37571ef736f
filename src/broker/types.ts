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
