// GET /v1/presence?user_ids=a,b: who is online (SPEC §4 Delivery state).

import { Elysia, t } from 'elysia'
import { ServiceChecked, tenantErrorsWith } from '../../schemas/common'
import { EX } from '../../schemas/examples'
import { actorOf, tenantSecurity, type RouteDeps } from '../deps'

const PresenceList = t.Object(
  {
    presence: t.Array(
      t.Object({
        user_id: t.String(),
        status: t.Union([t.Literal('online'), t.Literal('offline')]),
        last_seen: t.Union([t.String({ format: 'date-time' }), t.Null()], { description: 'when the user was last connected; null if never' }),
      }),
    ),
  },
  { examples: [{ presence: [{ user_id: 'bob', status: 'online', last_seen: EX.later }, { user_id: 'carol', status: 'offline', last_seen: EX.at }] }] },
)

// Checked by the service, after the presence feature (403 first when it is off, SPEC §3 order).
const UserIds = ServiceChecked(
  t.String(),
  t.String({ minLength: 1, description: 'Comma-separated user ids, 1 to 100.', examples: ['bob,carol'] }),
  { required: true },
)

export const presenceRoutes = (deps: RouteDeps) =>
  new Elysia().get('/v1/presence', ({ request, query }) => deps.services.realtime.presenceOf(actorOf(deps, request), query.user_ids), {
    query: t.Object({ user_ids: t.Optional(UserIds) }),
    response: { 200: PresenceList, ...tenantErrorsWith(403) },
    detail: {
      operationId: 'getPresence',
      tags: ['delivery'],
      summary: 'Presence of up to 100 users (403 when the presence feature is off)',
      description: 'Whether each listed user has a live WebSocket connection (on any instance), and when they were last seen. 403 when the tenant turned the presence feature off.',
      security: tenantSecurity,
    },
  })
