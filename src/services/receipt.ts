// Delivery cursors: acks and read markers (SPEC §4 Delivery state), which never move backwards.

import type { Config } from '../config'
import type { Store } from '../db/types'
import { invalid, notFound } from '../errors'
import type { Broker } from '../broker/types'
import { topics } from '../broker/topics'
import { readUpdatedFrame, type ServerFrame } from '../schemas/server-frames'
import { roomFor } from './access'
import type { Actor } from './actor'

type Deps = { store: Store; broker: Broker; config: Config }

export function createReceiptService({ store, broker, config }: Deps) {
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
     */
    async read(
      actor: Actor,
      roomId: string,
      seq: number,
      /** How to fan the frame out; the WS gateway passes one that skips the reading connection (it answers directly). */
      publish: (topic: string, frame: ServerFrame) => void = broker.publish,
    ): Promise<{ room_id: string; last_read: number }> {
      const { room } = await roomFor(store, actor, roomId, 'member')
      checkSeq(seq, room.last_seq)
      const r = await store.members.advanceRead(roomId, actor.userId, seq)
      if (r === null) throw notFound('room')
      const tid = actor.tenant.tenant_id
      const frame = readUpdatedFrame(roomId, actor.userId, r.last_read)
      if (actor.tenant.config.features.read_receipts && room.member_count <= config.FANOUT_RECEIPTS_MAX_MEMBERS) {
        publish(topics.room(tid, roomId), frame)
      } else {
        publish(topics.user(tid, actor.userId), frame)
      }
      return { room_id: roomId, last_read: r.last_read }
    },
  }
}

export type ReceiptService = ReturnType<typeof createReceiptService>
