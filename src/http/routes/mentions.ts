// /v1/mentions: the caller's mentions (SPEC §11.5).

import { Elysia } from 'elysia'
import { PageQuery, tenantErrors } from '../../schemas/common'
import { MentionList } from '../../schemas/mention'
import { actorOf, tenantSecurity, type RouteDeps } from '../deps'

export const mentionsRoutes = (deps: RouteDeps) => {
  const { mention } = deps.services
  return new Elysia().get('/v1/mentions', ({ request, query }) => mention.list(actorOf(deps, request), query), {
    query: PageQuery,
    response: { 200: MentionList, ...tenantErrors },
    detail: {
      tags: ['messages'],
      summary: 'Messages that mention the caller, newest first',
      description: 'Messages that mention the caller in the rooms they are a member of now, newest first, paged by cursor. A deleted message no longer mentions anyone.',
      security: tenantSecurity,
    },
  })
}
