// POST /v1/acks and POST /v1/rooms/:room_id/read: the delivery and read cursors.

import { Elysia } from 'elysia'
import { tenantErrorsWith } from '../../schemas/common'
import { AckBody, AckResult, ReadBody, ReadResult } from '../../schemas/message'
import { RoomParams } from '../../schemas/room'
import { actorOf, tenantSecurity, type RouteDeps } from '../deps'

export const acksRoutes = (deps: RouteDeps) => {
  const { receipt } = deps.services
  const detail = (operationId: string, summary: string, description: string) => ({ operationId, tags: ['delivery'], summary, description, security: tenantSecurity })
  return new Elysia()
    .post('/v1/acks', ({ request, body }) => receipt.ack(actorOf(deps, request), body.room_id, body.seq), {
      body: AckBody,
      response: { 200: AckResult, ...tenantErrorsWith(403, 404) },
      detail: detail(
        'ack',
        'Move your delivery cursor (never backwards)',
        "Records that the caller has received everything up to seq in a room (clients ack on receipt; the SDK does it). A lower seq than the current ack leaves it unchanged; a seq above the room's last_seq is a 400. Drives sync and redelivery.",
      ),
    })
    .post('/v1/rooms/:room_id/read', ({ request, params, body }) => receipt.read(actorOf(deps, request), params.room_id, body.seq), {
      params: RoomParams,
      body: ReadBody,
      response: { 200: ReadResult, ...tenantErrorsWith(403, 404) },
      detail: detail(
        'markRead',
        'Move your read marker (and ack) forward',
        'Records that the caller has seen everything up to seq (drives unread_count and read receipts); also moves the ack up to seq. Never moves backwards.',
      ),
    })
}
