// Domain events: what the services tell the rest of the process after each commit, and the small
// synchronous bus that hands them to the subscribers the composition root (src/core.ts) registers:
// live fan-out, tenant webhooks, redelivery bookkeeping, metrics, caches and the WebSocket layer.

import type { ServerWebSocket } from 'bun'
import type { Logger } from '../log'
import type { MessageChange } from '../schemas/change'
import type { Message } from '../schemas/message'
import type { Role, Room } from '../schemas/room'
import type { ServerFrame } from '../schemas/server-frames'
import type { Report, RoomBan, RoomMute, TenantBan } from '../schemas/moderation'

/**
 * What changed on a tenant: the API key ('rotate'), user_token_secret ('token_secret'),
 * webhook_secret ('secret') or name/config ('config'). Travels between instances as it is (broker/redis.ts).
 */
export type TenantChange = 'rotate' | 'token_secret' | 'secret' | 'config'

/**
 * A user's standing in a tenant changed: a tenant ban ('banned') or its end ('unbanned'). Travels
 * between instances as it is (broker/redis.ts), like TenantChange.
 */
export type UserChange = 'banned' | 'unbanned'

/** A notification as recipients and webhooks see it. */
export type NotificationWire = Omit<ServerFrame<'notification'>, 'type'>

/**
 * Everything a service emits. Each event is emitted once its store step has committed (SPEC §6:
 * store, then send), on the thread that committed it; a replay (client_msg_id seen before) emits
 * nothing. Payloads are wire shapes where a wire shape exists.
 */
export type DomainEvent =
  | { type: 'message.created'; tenantId: string; message: Message }
  /** A change to an existing message (SPEC §11.1): an edit, a reaction, a pin, a reply to it; `message` is after it. */
  | { type: 'message.updated'; tenantId: string; message: Message; change: MessageChange }
  | { type: 'message.deleted'; tenantId: string; message: Message; change: MessageChange }
  /** A new room (not a dm that already existed) with its first members. */
  | { type: 'room.created'; tenantId: string; room: Room; memberIds: string[] }
  /** One user joined or was added (a new membership, not an existing one). */
  | { type: 'member.added'; tenantId: string; roomId: string; userId: string; role: Role }
  /** One user left or was removed. */
  | { type: 'member.removed'; tenantId: string; roomId: string; userId: string; role: Role }
  /**
   * A read marker moved. `audience` is who may see it: the room (read_receipts on and the room small
   * enough) or only the reader's own connections. `answered` is a socket that already got its reply
   * directly (the WebSocket reader), so fan-out skips it.
   */
  | { type: 'read.updated'; tenantId: string; roomId: string; userId: string; seq: number; audience: 'room' | 'user'; answered?: ServerWebSocket<unknown> }
  | { type: 'notification.created'; tenantId: string; notification: NotificationWire; recipients: string[] }
  /**
   * A user came online or went offline (after the grace period). `audience`: users who share a small
   * enough room with them (never the user), each once; a user in many rooms gives several events.
   */
  | { type: 'presence.changed'; tenantId: string; userId: string; status: 'online' | 'offline'; audience: string[] }
  /** A tenant's key, secret or config changed, here or on another instance (caches evicted already). */
  | { type: 'tenant.changed'; tenantId: string; why: TenantChange }
  // Moderation (SPEC §14). A room ban also emits member.removed when it ended a membership.
  | { type: 'member.banned'; tenantId: string; ban: RoomBan }
  | { type: 'member.unbanned'; tenantId: string; roomId: string; userId: string }
  | { type: 'member.muted'; tenantId: string; mute: RoomMute }
  | { type: 'member.unmuted'; tenantId: string; roomId: string; userId: string }
  /** A tenant ban committed here (webhooks); what it does to sockets travels as user.changed. */
  | { type: 'user.banned'; tenantId: string; ban: TenantBan }
  | { type: 'user.unbanned'; tenantId: string; userId: string }
  | { type: 'report.created'; tenantId: string; report: Report }
  | { type: 'report.resolved'; tenantId: string; report: Report }
  /** A user was banned from or let back into the tenant, here or on another instance (caches evicted already). */
  | { type: 'user.changed'; tenantId: string; userId: string; why: UserChange }

export type DomainEventType = DomainEvent['type']
export type EventOf<T extends DomainEventType> = Extract<DomainEvent, { type: T }>

/** The event of a committed change to an existing message: message.deleted for a delete, else message.updated. */
export const changeEvent = (tenantId: string, message: Message, change: MessageChange): EventOf<'message.updated' | 'message.deleted'> =>
  change.kind === 'deleted' ? { type: 'message.deleted', tenantId, message, change } : { type: 'message.updated', tenantId, message, change }

/** A named consumer of events: one handler per event type it cares about. */
export interface Subscriber {
  name: string
  handlers: { [T in DomainEventType]?: (e: EventOf<T>) => void | Promise<void> }
}

/**
 * Dispatch is synchronous and in order: `emit` returns after every handler ran, handlers run in the
 * order their subscribers were registered, and events in the order they were emitted. So frames
 * go out in commit order (services/group-commit.ts), and a webhook for a message is queued after
 * the message was published. A handler that throws (or rejects) is logged; the others still run
 * and the emitter never sees it: the commit has happened, the caller's answer stands.
 */
export function createEventBus(log: Logger) {
  type Handler = { name: string; fn: (e: DomainEvent) => void | Promise<void> }
  const byType = new Map<DomainEventType, Handler[]>()
  const failed = (name: string, type: DomainEventType) => (error: unknown) => log.error('event subscriber failed', { subscriber: name, type, error })

  return {
    subscribe(s: Subscriber): void {
      for (const type of Object.keys(s.handlers) as DomainEventType[]) {
        const fn = s.handlers[type] as Handler['fn']
        let list = byType.get(type)
        if (!list) byType.set(type, (list = []))
        list.push({ name: s.name, fn })
      }
    },

    emit(e: DomainEvent): void {
      const list = byType.get(e.type)
      if (!list) return
      for (const h of list) {
        try {
          const r = h.fn(e)
          if (r instanceof Promise) r.catch(failed(h.name, e.type))
        } catch (error) {
          failed(h.name, e.type)(error)
        }
      }
    },

    /** The subscribers of one event type, in dispatch order (docs, tests). */
    subscribersOf: (type: DomainEventType): string[] => (byType.get(type) ?? []).map((h) => h.name),
  }
}

export type EventBus = ReturnType<typeof createEventBus>
