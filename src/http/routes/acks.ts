// POST /v1/acks and POST /v1/rooms/:room_id/read: the delivery and read cursors.

import { Elysia, t } from 'elysia'
import { tenantErrors } from '../../schemas/common'
import { AckBody, AckResult, ReadBody, ReadResult } from '../../schemas/message'
import { actorOf, tenantSecurity, type RouteDeps } from '../deps'

export const acksRoutes = (deps: RouteDeps) => {
  const { receipt } = deps.services
  const detail = (summary: string) => ({ tags: ['delivery'], summary, security: tenantSecurity })
  return new Elysia()
    .post('/v1/acks', ({ request, body }) => receipt.ack(actorOf(deps, request), body.room_id, body.seq), {
      body: AckBody,
      response: { 200: AckResult, ...tenantErrors },
      detail: detail('Move your delivery cursor (never backwards)'),
    })
    .post('/v1/rooms/:room_id/read', ({ request, params, body }) => receipt.read(actorOf(deps, request), params.room_id, body.seq), {
      params: t.Object({ room_id: t.String() }),
      body: ReadBody,
      response: { 200: ReadResult, ...tenantErrors },
      detail: detail('Move your read marker (and ack) forward'),
    })
}
