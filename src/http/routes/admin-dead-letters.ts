// /v1/admin/dead-letters: list (filters), retry (202), delete (204).

import { Elysia, t } from 'elysia'
import { adminErrors } from '../../schemas/common'
import { DeadLetterList, DeadLetterQuery } from '../../schemas/notification'
import type { DeliveryService } from '../../services/delivery'
import { adminSecurity } from '../deps'

export const adminDeadLettersRoutes = (delivery: DeliveryService) => {
  const detail = (summary: string) => ({ tags: ['admin'], summary, security: adminSecurity })
  const Params = t.Object({ id: t.String() })
  return new Elysia()
    .get('/v1/admin/dead-letters', ({ query }) => delivery.listDeadLetters(query), {
      query: DeadLetterQuery,
      response: { 200: DeadLetterList, ...adminErrors },
      detail: detail('Dead letters, newest first (filter by tenant_id, kind)'),
    })
    .post(
      '/v1/admin/dead-letters/:id/retry',
      async ({ params, set }) => {
        await delivery.retryDeadLetter(params.id)
        set.status = 202
        return { accepted: true }
      },
      { params: Params, response: { 202: t.Object({ accepted: t.Boolean() }), ...adminErrors }, detail: detail('Retry with attempts reset') },
    )
    .delete(
      '/v1/admin/dead-letters/:id',
      async ({ params, set }) => {
        await delivery.deleteDeadLetter(params.id)
        set.status = 204
      },
      { params: Params, response: { 204: t.Void({ description: 'deleted' }), ...adminErrors }, detail: detail('Delete a dead letter') },
    )
}
