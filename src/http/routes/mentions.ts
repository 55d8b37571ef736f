// /v1/mentions: the caller's mentions (SPEC §11.5).

import { Elysia } from 'elysia'
import { PageQuery, tenantErrorsWith } from '../../schemas/common'
import { MentionList } from '../../schemas/mention'
import { actorOf, chargeItems, tenantSecurity, type RouteDeps } from '../deps'

export const mentionsRoutes = (deps: RouteDeps) => {
  const { mention } = deps.services
  return new Elysia().get('/v1/mentions', async ({ request, query, set }) => {
    const page = await mention.list(actorOf(deps, request), query)
    await chargeItems(deps, request, set, page.mentions.length)
    return page
  }, {
    query: PageQuery,
    response: { 200: MentionList, ...tenantErrorsWith() },
    detail: {
      operationId: 'listMentions',
      tags: ['messages'],
      summary: 'Messages that mention you, newest first',
      description:
        'Messages that mention you in the rooms you are a member of now, newest first, paged by cursor. A deleted message no longer mentions anyone; GET /v1/rooms counts the unread ones per room (unread_mentions). Costs one rate-limit token per started 100 mentions returned.',
      security: tenantSecurity,
    },
  })
}
