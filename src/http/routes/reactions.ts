// /v1/rooms/:room_id/messages/:message_id/reactions: add, remove and list reactions (SPEC §11.4).

import { Elysia, t } from 'elysia'
import { tenantErrorsWith } from '../../schemas/common'
import { Message } from '../../schemas/message'
import { ReactorList, ReactorQuery } from '../../schemas/reaction'
import { actorOf, chargeItems, tenantSecurity, type RouteDeps } from '../deps'
import { MessageParams } from './messages'

const ReactionParams = t.Object({
  ...MessageParams.properties,
  key: t.String({
    description: 'The reaction, URL-encoded: 1-64 bytes of UTF-8 with no whitespace or control characters, an emoji (👍 is %F0%9F%91%8D) or a shortcode such as +1.',
    examples: ['%F0%9F%91%8D'],
  }),
})

/** The key as sent: the path's last segment, still percent-encoded (the service decodes and checks it). */
const rawKeyOf = (request: Request) => {
  const url = request.url
  const end = url.indexOf('?') === -1 ? url.length : url.indexOf('?')
  return url.slice(url.lastIndexOf('/', end) + 1, end)
}

export const reactionsRoutes = (deps: RouteDeps) => {
  const { reaction } = deps.services
  const detail = (operationId: string, summary: string, description: string) => ({ operationId, tags: ['reactions'], summary, description, security: tenantSecurity })
  return new Elysia()
    .put(
      '/v1/rooms/:room_id/messages/:message_id/reactions/:key',
      ({ request, params }) => reaction.add(actorOf(deps, request), params.room_id, params.message_id, rawKeyOf(request)),
      {
        params: ReactionParams,
        response: { 200: { ...Message, description: 'The message with your reaction (unchanged when you had it already).' }, ...tenantErrorsWith(403, 404, 409) },
        detail: detail(
          'addReaction',
          'React to a message',
          "Adds your reaction `key` and answers the message with a new rev; the room gets message.updated (change reaction.added). Having it already answers 200 with nothing changed (no new rev, no event). A bad key is a 400 on key. Members only; a member muted in the room gets 403. A deleted message, or a 26th distinct key on the message, is a 409.",
        ),
      },
    )
    .delete(
      '/v1/rooms/:room_id/messages/:message_id/reactions/:key',
      ({ request, params }) => reaction.remove(actorOf(deps, request), params.room_id, params.message_id, rawKeyOf(request)),
      {
        params: ReactionParams,
        response: { 200: { ...Message, description: 'The message without your reaction (unchanged when you had none).' }, ...tenantErrorsWith(403, 404, 409) },
        detail: detail(
          'removeReaction',
          'Remove your reaction',
          'Removes your reaction `key` and answers the message with a new rev (change reaction.removed); with no such reaction it answers the message unchanged. Members only; a deleted message is a 409.',
        ),
      },
    )
    .get(
      '/v1/rooms/:room_id/messages/:message_id/reactions',
      async ({ request, params, query, set }) => {
        const page = await reaction.list(actorOf(deps, request), params.room_id, params.message_id, query)
        await chargeItems(deps, request, set, page.reactions.length)
        return page
      },
      {
        params: MessageParams,
        query: ReactorQuery,
        response: { 200: ReactorList, ...tenantErrorsWith(403, 404) },
        detail: detail(
          'listReactions',
          'List who reacted',
          "Every reaction of the message (or of one `key`), earliest first, paged by cursor. The message's own `reactions` lists only the first 25 reactors of each key. Members only. Costs one rate-limit token per started 100 reactions returned.",
        ),
      },
    )
}
