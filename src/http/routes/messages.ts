// /v1/rooms/:room_id/messages: send, history, replies, get, edit, delete.

import { Elysia, t } from 'elysia'
import { PathId, tenantErrorsWith } from '../../schemas/common'
import { EX } from '../../schemas/examples'
import { HistoryQuery, Message, MessageAck, MessagePage, PatchMessageBody, RepliesQuery, SendMessageBody } from '../../schemas/message'
import { actorOf, chargeItems, tenantSecurity, type RouteDeps } from '../deps'
import { jsonResponse, jsonText } from '../json-response'
import { RoomParams } from '../../schemas/room'

export const MessageParams = t.Object({ ...RoomParams.properties, message_id: PathId('The message (msg_…).', EX.messageId) })

export const messagesRoutes = (deps: RouteDeps) => {
  const { message } = deps.services
  const detail = (operationId: string, summary: string, description: string) => ({ operationId, tags: ['messages'], summary, description, security: tenantSecurity })
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
        response: {
          200: { ...MessageAck, description: 'A retry: this client_msg_id was already used here, and this is the original message (nothing new stored).' },
          201: { ...MessageAck, description: 'Stored with the next seq and published to the members.' },
          ...tenantErrorsWith(403, 404, 409, 422),
        },
        detail: detail(
          'sendMessage',
          'Send a message (client_msg_id makes retries safe)',
          "Stores a message with the room's next seq and publishes it to the members. Members only (403 for a channel's non-members); a muted member, a plain member of a read-only room, and either user of a dm where one blocks the other get 403. The tenant's blocklist and pre-send hook may refuse the content (422 CONTENT_REJECTED) or change it (masked terms, a replacement). Send a client_msg_id to retry safely: the same id from the same sender in the same room answers 200 with the original. Also moves the sender's own ack and read marker to the new seq. parent_id makes it a reply: a top-level message of this room (else 400 on parent_id; a deleted parent is a 409), whose reply_count and last_reply_at change with a new rev. mentions names up to 50 members of the room (else 400 on mentions).",
        ),
      },
    )
    .get(
      '/v1/rooms/:room_id/messages',
      async ({ request, params, query, set }) => {
        const page = await message.historyJson(actorOf(deps, request), params.room_id, query)
        await chargeItems(deps, request, set, page.count)
        return jsonText(page.json, set)
      },
      {
        params: RoomParams,
        query: HistoryQuery,
        response: { 200: MessagePage, ...tenantErrorsWith(403, 404) },
        detail: detail(
          'listMessages',
          'Page through history in ascending seq (after_seq forward, before_seq back)',
          'Messages in ascending seq. after_seq pages forward; before_seq pages back; with neither, the newest `limit` messages. Both at once is a 400 on before_seq. top_level=true leaves replies out (a thread view lists them with GET …/replies). Members only. Costs one rate-limit token per started 100 messages returned (429 when the tenant cannot pay).',
        ),
      },
    )
    .get(
      '/v1/rooms/:room_id/messages/:message_id/replies',
      async ({ request, params, query, set }) => {
        const page = await message.replies(actorOf(deps, request), params.room_id, params.message_id, query)
        await chargeItems(deps, request, set, page.messages.length)
        return jsonResponse(page, set)
      },
      {
        params: MessageParams,
        query: RepliesQuery,
        response: { 200: MessagePage, ...tenantErrorsWith(403, 404) },
        detail: detail(
          'listReplies',
          "Page through a message's replies (its thread)",
          "The replies of a message in ascending seq, with history's paging rules (after_seq forward, before_seq back, the newest `limit` by default). A message without replies answers an empty page; an unknown one is a 404. Members only. Costs one rate-limit token per started 100 messages returned.",
        ),
      },
    )
    .get(
      '/v1/rooms/:room_id/messages/:message_id',
      ({ request, params }) => message.get(actorOf(deps, request), params.room_id, params.message_id),
      {
        params: MessageParams,
        response: { 200: Message, ...tenantErrorsWith(403, 404) },
        detail: detail('getMessage', 'Get one message', 'One message of a room, for its members; a deleted one comes back with empty content and deleted_at set.'),
      },
    )
    .patch(
      '/v1/rooms/:room_id/messages/:message_id',
      ({ request, params, body }) => message.edit(actorOf(deps, request), params.room_id, params.message_id, body),
      {
        params: MessageParams,
        body: PatchMessageBody,
        response: { 200: Message, ...tenantErrorsWith(403, 404, 409, 422) },
        detail: detail(
          'editMessage',
          'Edit your own message',
          "Changes the content, meta and/or mentions (replaced as a whole; each a member of the room, else 400) of a message; only its sender may (403). Sets edited_at and a new rev. New content passes the tenant's blocklist (422 CONTENT_REJECTED, or masked). A deleted message cannot be edited (409).",
        ),
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
        response: { 204: t.Void({ description: 'Deleted (tombstoned); deleting again also answers 204.' }), ...tenantErrorsWith(403, 404) },
        detail: detail(
          'deleteMessage',
          'Delete a message (sender or owner/admin); it keeps its seq',
          'Tombstones a message: it keeps its seq, its content becomes "" and meta null, deleted_at is set, its mentions, reactions and pin are gone, and it takes a new rev. Its sender or a room owner/admin may (403 otherwise).',
        ),
      },
    )
}
