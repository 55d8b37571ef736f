// What a user does about other users (SPEC §14): block them (PUT/DELETE/GET /v1/blocks) and
// report a message or a user of a room to the parent app's review queue (POST /v1/reports).

import { Elysia, t } from 'elysia'
import { PageQuery, tenantErrorsWith } from '../../schemas/common'
import { Block, BlockList, CreateReportBody, Report, UserParams } from '../../schemas/moderation'
import { actorOf, chargeItems, tenantSecurity, type RouteDeps } from '../deps'

export const safetyRoutes = (deps: RouteDeps) => {
  const { blocks, reports } = deps.services
  const detail = (operationId: string, summary: string, description: string) => ({ operationId, tags: ['moderation'], summary, description, security: tenantSecurity })
  const BLOCK_EFFECT = 'While either user of a pair blocks the other, neither opens a new dm with the other nor sends into their dm (403); groups and channels are unaffected.'
  return new Elysia()
    .put('/v1/blocks/:user_id', ({ request, params }) => blocks.block(actorOf(deps, request), params.user_id), {
      params: UserParams,
      response: { 200: { ...Block, description: 'Blocked (also when the block was already there).' }, ...tenantErrorsWith() },
      detail: detail('blockUser', 'Block a user', `Adds the user to the caller's blocks (blocking yourself is a 400 on user_id). ${BLOCK_EFFECT}`),
    })
    .delete(
      '/v1/blocks/:user_id',
      async ({ request, params, set }) => {
        await blocks.unblock(actorOf(deps, request), params.user_id)
        set.status = 204
      },
      {
        params: UserParams,
        response: { 204: t.Void({ description: 'Unblocked (also when there was no block).' }), ...tenantErrorsWith() },
        detail: detail('unblockUser', 'Unblock a user', "Removes the user from the caller's blocks."),
      },
    )
    .get('/v1/blocks', async ({ request, query, set }) => {
      const page = await blocks.list(actorOf(deps, request), query)
      await chargeItems(deps, request, set, page.blocks.length)
      return page
    }, {
      query: PageQuery,
      response: { 200: BlockList, ...tenantErrorsWith() },
      detail: detail('listBlocks', 'The users the caller blocks', `Oldest first; a client may hide what it wants with this list. ${BLOCK_EFFECT} Costs one rate-limit token per started 100 blocks returned.`),
    })
    .post(
      '/v1/reports',
      async ({ request, body, set }) => {
        const r = await reports.create(actorOf(deps, request), body)
        set.status = r.created ? 201 : 200
        return r.report
      },
      {
        body: CreateReportBody,
        response: {
          200: { ...Report, description: 'You already reported this message (or user) here and the report is still open: here it is.' },
          201: { ...Report, description: 'Filed: it waits in the review queue.' },
          ...tenantErrorsWith(403, 404),
        },
        detail: detail(
          'createReport',
          'Report a message or a user of a room',
          'A member of the room reports a message (its sender is the reported user) or a user; message_id or user_id is required (400 on message_id). The report waits in the parent app\'s review queue (GET /v1/moderation/reports).',
        ),
      },
    )
}
