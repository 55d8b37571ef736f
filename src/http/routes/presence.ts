// GET /v1/presence?user_ids=a,b: who is online (SPEC §4 Delivery state).

import { Elysia, t } from 'elysia'
import { tenantErrors } from '../../schemas/common'
import { actorOf, tenantSecurity, type RouteDeps } from '../deps'

const PresenceList = t.Object({
  presence: t.Array(
    t.Object({
      user_id: t.String(),
      status: t.Union([t.Literal('online'), t.Literal('offline')]),
      last_seen: t.Union([t.String({ format: 'date-time' }), t.Null()]),
    }),
  ),
})

export const presenceRoutes = (deps: RouteDeps) =>
  new Elysia().get('/v1/presence', ({ request, query }) => deps.services.realtime.presenceOf(actorOf(deps, request), query.user_ids), {
    query: t.Object({ user_ids: t.Optional(t.String({ description: 'comma-separated, at most 100' })) }),
    response: { 200: PresenceList, ...tenantErrors },
    detail: {
      tags: ['delivery'],
      summary: 'Presence of up to 100 users (403 when the presence feature is off)',
      security: tenantSecurity,
    },
  })
