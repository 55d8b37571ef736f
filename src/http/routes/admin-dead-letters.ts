// /v1/admin/dead-letters: list (filters), retry (202), delete (204).

import { Elysia, t } from 'elysia'
import { adminErrorsWith, PathId } from '../../schemas/common'
import { EX } from '../../schemas/examples'
import { DeadLetterList, DeadLetterQuery } from '../../schemas/notification'
import type { DeliveryService } from '../../services/delivery'
import { adminSecurity } from '../deps'

export const adminDeadLettersRoutes = (delivery: DeliveryService) => {
  const detail = (operationId: string, summary: string, description: string) => ({ operationId, tags: ['admin'], summary, description, security: adminSecurity })
  const Params = t.Object({ id: PathId('The dead letter (dl_…).', EX.deadLetterId) })
  return new Elysia()
    .get('/v1/admin/dead-letters', ({ query }) => delivery.listDeadLetters(query), {
      query: DeadLetterQuery,
      response: { 200: DeadLetterList, ...adminErrorsWith() },
      detail: detail('listDeadLetters', 'Dead letters, newest first (filter by tenant_id, kind)', 'Deliveries that ran out of retries, newest first, across tenants; filter by tenant and kind.'),
    })
    .post(
      '/v1/admin/dead-letters/:id/retry',
      async ({ params, set }) => {
        await delivery.retryDeadLetter(params.id)
        set.status = 202
        return { accepted: true }
      },
      {
        params: Params,
        response: { 202: t.Object({ accepted: t.Boolean() }, { description: 'Back on its queue with attempts reset.', examples: [{ accepted: true }] }), ...adminErrorsWith(404) },
        detail: detail('retryDeadLetter', 'Retry with attempts reset', 'Puts a dead letter back on its queue with its attempts reset; it stays listed until a delivery succeeds.'),
      },
    )
    .delete(
      '/v1/admin/dead-letters/:id',
      async ({ params, set }) => {
        await delivery.deleteDeadLetter(params.id)
        set.status = 204
      },
      {
        params: Params,
        response: { 204: t.Void({ description: 'Deleted.' }), ...adminErrorsWith(404) },
        detail: detail('deleteDeadLetter', 'Delete a dead letter', 'Deletes a dead letter and the stored delivery it kept for a retry.'),
      },
    )
}
