// Delivery cursors: acks and read markers (SPEC §4 Delivery state), which never move backwards.

import type { Config } from '../config'
import type { Store } from '../db/types'
import { invalid, notFound } from '../errors'
import type { ServerWebSocket } from 'bun'
import { roomFor } from './access'
import type { Actor } from './actor'
import type { EventBus } from './events'

type Deps = { store: Store; events: EventBus; config: Pick<Config, 'FANOUT_RECEIPTS_MAX_MEMBERS'> }

export function createReceiptService({ store, events, config }: Deps) {
  const checkSeq = (seq: number, lastSeq: number) => {
    if (seq > lastSeq) throw invalid('seq', `seq is above the room's last_seq (${lastSeq})`)
  }

  return {
    /** Moves the caller's ack up to `seq` (a lower seq leaves it unchanged). */
    async ack(actor: Actor, roomId: string, seq: number): Promise<{ room_id: string; last_ack: number }> {
      const { room } = await roomFor(store, actor, roomId, 'member')
      checkSeq(seq, room.last_seq)
      const last = await store.members.advanceAck(roomId, actor.userId, seq)
      if (last === null) throw notFound('room')
      return { room_id: roomId, last_ack: last }
    },

    /**
     * Moves the read marker (and the ack with it). Tells the reader's own connections, and the room
     * when read_receipts is on and the room is small enough (FANOUT_RECEIPTS_MAX_MEMBERS).
     * `answered`: the WebSocket that asked, which gets its answer directly and no copy.
     */
    async read(actor: Actor, roomId: string, seq: number, answered?: ServerWebSocket<unknown>): Promise<{ room_id: string; last_read: number }> {
      const { room } = await roomFor(store, actor, roomId, 'member')
      checkSeq(seq, room.last_seq)
      const r = await store.members.advanceRead(roomId, actor.userId, seq)
      if (r === null) throw notFound('room')
      const toRoom = actor.tenant.config.features.read_receipts && room.member_count <= config.FANOUT_RECEIPTS_MAX_MEMBERS
      events.emit({
        type: 'read.updated',
        tenantId: actor.tenant.tenant_id,
        roomId,
        userId: actor.userId,
        seq: r.last_read,
        audience: toRoom ? 'room' : 'user',
        answered,
      })
      return { room_id: roomId, last_read: r.last_read }
    },
  }
}

export type ReceiptService = ReturnType<typeof createReceiptService>
