// /v1/rooms/:room_id/changes: the room change feed (SPEC §11.1).

import { Elysia } from 'elysia'
import { ChangesPage, ChangesQuery } from '../../schemas/change'
import { tenantErrorsWith } from '../../schemas/common'
import { RoomParams } from '../../schemas/room'
import { actorOf, chargeItems, tenantSecurity, type RouteDeps } from '../deps'
import { jsonResponse } from '../json-response'

export const changesRoutes = (deps: RouteDeps) => {
  const { changes } = deps.services
  return new Elysia().get(
    '/v1/rooms/:room_id/changes',
    async ({ request, params, query, set }) => {
      const page = await changes.page(actorOf(deps, request), params.room_id, query)
      await chargeItems(deps, request, set, page.messages.length)
      return jsonResponse(page, set)
    },
    {
      params: RoomParams,
      query: ChangesQuery,
      response: { 200: ChangesPage, ...tenantErrorsWith(403, 404) },
      detail: {
        operationId: 'listChanges',
        tags: ['messages'],
        summary: 'Catch up on changes to messages after a rev (edits, deletes, reactions, pins, replies)',
        description:
          "Each message changed after `after_rev`, once, in its current state, in ascending rev. Every room counts changes to its existing messages in last_rev; a client keeps it beside last_seq. With has_more false, keep last_rev for the next call; with has_more true, continue with after_rev = the last message's rev. New messages are not here: they come by seq (history after_seq). Members only. Costs one rate-limit token per started 100 messages returned.",
        security: tenantSecurity,
      },
    },
  )
}
