// /v1/rooms/:room_id/pins: pin, unpin and list pinned messages (SPEC §11.6).

import { Elysia } from 'elysia'
import { tenantErrorsWith } from '../../schemas/common'
import { Message, PinnedList } from '../../schemas/message'
import { RoomParams } from '../../schemas/room'
import { actorOf, tenantSecurity, type RouteDeps } from '../deps'
import { MessageParams } from './messages'

export const pinsRoutes = (deps: RouteDeps) => {
  const { pin } = deps.services
  const detail = (operationId: string, summary: string, description: string) => ({ operationId, tags: ['pins'], summary, description, security: tenantSecurity })
  return new Elysia()
    .put('/v1/rooms/:room_id/pins/:message_id', ({ request, params }) => pin.pin(actorOf(deps, request), params.room_id, params.message_id), {
      params: MessageParams,
      response: { 200: { ...Message, description: 'The message, pinned (unchanged when it was pinned already).' }, ...tenantErrorsWith(403, 404, 409) },
      detail: detail(
        'pinMessage',
        'Pin a message',
        'Pins the message (pinned_at, pinned_by, a new rev; the room gets message.updated with change pinned) and answers it; already pinned answers it unchanged. In a group or channel only the owner or an admin pins (403), in a dm either member. A deleted message, or a 51st pin in the room, is a 409.',
      ),
    })
    .delete('/v1/rooms/:room_id/pins/:message_id', ({ request, params }) => pin.unpin(actorOf(deps, request), params.room_id, params.message_id), {
      params: MessageParams,
      response: { 200: { ...Message, description: 'The message, not pinned (unchanged when it was not pinned).' }, ...tenantErrorsWith(403, 404, 409) },
      detail: detail(
        'unpinMessage',
        'Unpin a message',
        'Unpins the message and answers it (a new rev, change unpinned); when it was not pinned, it answers it unchanged. The same roles as pinning; a deleted message is a 409.',
      ),
    })
    .get('/v1/rooms/:room_id/pins', ({ request, params }) => pin.list(actorOf(deps, request), params.room_id), {
      params: RoomParams,
      response: { 200: PinnedList, ...tenantErrorsWith(403, 404) },
      detail: detail('listPins', 'List pinned messages', "The room's pinned messages (at most 50), the newest pin first. Members only."),
    })
}
