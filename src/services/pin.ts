// Pins (SPEC §11.6): owners and admins pin in groups and channels, either member in a dm.

import { isoNow, type Clock } from '../clock'
import type { Store } from '../db/types'
import { toMessage } from '../db/rows'
import { forbidden, notFound } from '../errors'
import { MAX_PINS, type Message } from '../schemas/message'
import type { Actor } from './actor'
import { changeEvent, type EventBus } from './events'
import { isManager, roomFor, type MemberCache } from './access'

type Deps = { store: Store; clock: Clock; events: EventBus; memberships: MemberCache }

export function createPinService({ store, clock, events, memberships }: Deps) {
  /** Access (404/403), the pinning role (403), then the message (404). */
  async function target(actor: Actor, roomId: string, messageId: string) {
    const { room, member } = await roomFor(store, actor, roomId, 'member')
    if (room.type !== 'dm' && !isManager(member)) throw forbidden('only the owner or an admin pins in a group or channel')
    const row = await store.messages.get(roomId, messageId)
    if (!row) throw notFound('message')
    return row
  }

  return {
    /** PUT /v1/rooms/{room_id}/pins/{message_id}: the message after; already pinned changes nothing. */
    async pin(actor: Actor, roomId: string, messageId: string): Promise<Message> {
      const row = await target(actor, roomId, messageId)
      const r = await store.pins.pin(roomId, row.seq, actor.userId, isoNow(clock), MAX_PINS)
      const m = toMessage(r.row)
      if (r.changed) events.emit(changeEvent(actor.tenant.tenant_id, m, { kind: 'pinned', user_id: actor.userId }))
      return m
    },

    /** DELETE /v1/rooms/{room_id}/pins/{message_id}: the message after; not pinned changes nothing. */
    async unpin(actor: Actor, roomId: string, messageId: string): Promise<Message> {
      const row = await target(actor, roomId, messageId)
      const r = await store.pins.unpin(roomId, row.seq, actor.userId)
      const m = toMessage(r.row)
      if (r.changed) events.emit(changeEvent(actor.tenant.tenant_id, m, { kind: 'unpinned', user_id: actor.userId }))
      return m
    },

    /** GET /v1/rooms/{room_id}/pins: the pinned messages, newest pin first. */
    async list(actor: Actor, roomId: string): Promise<{ messages: Message[] }> {
      await memberships.requireMember(actor, roomId)
      return { messages: (await store.pins.list(roomId)).map(toMessage) }
    },
  }
}

export type PinService = ReturnType<typeof createPinService>
