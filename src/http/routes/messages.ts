// /v1/rooms/:room_id/messages: send, history, replies, get, edit, delete.

import { Elysia, t } from 'elysia'
import { tenantErrors } from '../../schemas/common'
import { HistoryQuery, Message, MessageAck, MessagePage, PatchMessageBody, RepliesQuery, SendMessageBody } from '../../schemas/message'
import { actorOf, tenantSecurity, type RouteDeps } from '../deps'
import { jsonResponse } from '../json-response'

const RoomParams = t.Object({ room_id: t.String() })
const MessageParams = t.Object({ room_id: t.String(), message_id: t.String() })

export const messagesRoutes = (deps: RouteDeps) => {
  const { message } = deps.services
  const detail = (summary: string) => ({ tags: ['messages'], summary, security: tenantSecurity })
  return new Elysia()
    .post(
      '/v1/rooms/:room_id/messages',
      async ({ request, params, body, set }) => {
        const r = await message.send(actorOf(deps, request), params.room_id, body)
        set.status = r.created ? 201 : 200 // a client_msg_id replay answers 200 with the original
        return r.ack
      },
      {
        params: RoomParams,
        body: SendMessageBody,
        response: { 200: MessageAck, 201: MessageAck, ...tenantErrors },
        detail: detail('Send a message (client_msg_id makes retries safe)'),
      },
    )
    .get('/v1/rooms/:room_id/messages', async ({ request, params, query }) => jsonResponse(await message.history(actorOf(deps, request), params.room_id, query)), {
      params: RoomParams,
      query: HistoryQuery,
      response: { 200: MessagePage, ...tenantErrors },
      detail: detail('Page through history in ascending seq (after_seq forward, before_seq back; top_level=true leaves replies out)'),
    })
    .get(
      '/v1/rooms/:room_id/messages/:message_id/replies',
      async ({ request, params, query }) => jsonResponse(await message.replies(actorOf(deps, request), params.room_id, params.message_id, query)),
      {
        params: MessageParams,
        query: RepliesQuery,
        response: { 200: MessagePage, ...tenantErrors },
        detail: detail("Page through a message's replies (its thread), with history's paging rules"),
      },
    )
    .get(
      '/v1/rooms/:room_id/messages/:message_id',
      ({ request, params }) => message.get(actorOf(deps, request), params.room_id, params.message_id),
      { params: MessageParams, response: { 200: Message, ...tenantErrors }, detail: detail('Get one message') },
    )
    .patch(
      '/v1/rooms/:room_id/messages/:message_id',
      ({ request, params, body }) => message.edit(actorOf(deps, request), params.room_id, params.message_id, body),
      {
        params: MessageParams,
        body: PatchMessageBody,
        response: { 200: Message, ...tenantErrors },
        detail: detail('Edit your own message'),
      },
    )
    .delete(
      '/v1/rooms/:room_id/messages/:message_id',
      async ({ request, params, set }) => {
        await message.remove(actorOf(deps, request), params.room_id, params.message_id)
        set.status = 204
      },
      {
        params: MessageParams,
        response: { 204: t.Void({ description: 'deleted (tombstoned)' }), ...tenantErrors },
        detail: detail('Delete a message (sender or owner/admin); it keeps its seq'),
      },
    )
}
