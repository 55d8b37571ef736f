// /v1/rooms/:room_id/messages/:message_id/reactions: add, remove and list reactions (SPEC §11.4).

import { Elysia, t } from 'elysia'
import { tenantErrors } from '../../schemas/common'
import { Message } from '../../schemas/message'
import { ReactorList, ReactorQuery } from '../../schemas/reaction'
import { actorOf, tenantSecurity, type RouteDeps } from '../deps'

const MessageParams = t.Object({ room_id: t.String(), message_id: t.String() })
const ReactionParams = t.Object({
  room_id: t.String(),
  message_id: t.String(),
  key: t.String({ description: 'the reaction, URL-encoded: 1-64 bytes of UTF-8, no whitespace or control characters (👍 is %F0%9F%91%8D)' }),
})

/** The key as sent: the path's last segment, still percent-encoded (the service decodes and checks it). */
const rawKeyOf = (request: Request) => {
  const url = request.url
  const end = url.indexOf('?') === -1 ? url.length : url.indexOf('?')
  return url.slice(url.lastIndexOf('/', end) + 1, end)
}

export const reactionsRoutes = (deps: RouteDeps) => {
  const { reaction } = deps.services
  const detail = (summary: string, description: string) => ({ tags: ['reactions'], summary, description, security: tenantSecurity })
  return new Elysia()
    .put(
      '/v1/rooms/:room_id/messages/:message_id/reactions/:key',
      ({ request, params }) => reaction.add(actorOf(deps, request), params.room_id, params.message_id, rawKeyOf(request)),
      {
        params: ReactionParams,
        response: { 200: Message, ...tenantErrors },
        detail: detail(
          'React to a message',
          "Adds the caller's reaction `key` and answers the message. Having it already answers 200 with nothing changed (no new rev, no event). Members only; a deleted message or a 26th distinct key is a 409.",
        ),
      },
    )
    .delete(
      '/v1/rooms/:room_id/messages/:message_id/reactions/:key',
      ({ request, params }) => reaction.remove(actorOf(deps, request), params.room_id, params.message_id, rawKeyOf(request)),
      {
        params: ReactionParams,
        response: { 200: Message, ...tenantErrors },
        detail: detail('Remove your reaction', "Removes the caller's reaction `key` and answers the message (also when there was none). Members only; a deleted message is a 409."),
      },
    )
    .get(
      '/v1/rooms/:room_id/messages/:message_id/reactions',
      ({ request, params, query }) => reaction.list(actorOf(deps, request), params.room_id, params.message_id, query),
      {
        params: MessageParams,
        query: ReactorQuery,
        response: { 200: ReactorList, ...tenantErrors },
        detail: detail('List who reacted', 'Every reaction of the message (or of one `key`), earliest first, paged: the message object lists only the first 25 reactors per key.'),
      },
    )
}
