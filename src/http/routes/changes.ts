// /v1/rooms/:room_id/changes: the room change feed (SPEC §11.1).

import { Elysia, t } from 'elysia'
import { ChangesPage, ChangesQuery } from '../../schemas/change'
import { tenantErrors } from '../../schemas/common'
import { actorOf, tenantSecurity, type RouteDeps } from '../deps'
import { jsonResponse } from '../json-response'

export const changesRoutes = (deps: RouteDeps) => {
  const { changes } = deps.services
  return new Elysia().get(
    '/v1/rooms/:room_id/changes',
    async ({ request, params, query }) => jsonResponse(await changes.page(actorOf(deps, request), params.room_id, query)),
    {
      params: t.Object({ room_id: t.String() }),
      query: ChangesQuery,
      response: { 200: ChangesPage, ...tenantErrors },
      detail: {
        tags: ['messages'],
        summary: 'Catch up on changes to messages (edits, deletes, reactions, pins, replies) after a rev',
        description:
          "Each message changed after `after_rev`, once, in its current state, in ascending rev. Keep the room's last_rev: with has_more false, the next call starts from it; with has_more true, continue from the last message's rev. New messages are not here (they come by seq). Members only.",
        security: tenantSecurity,
      },
    },
  )
}
