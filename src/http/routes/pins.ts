// /v1/rooms/:room_id/pins: pin, unpin and list pinned messages (SPEC §11.6).

import { Elysia, t } from 'elysia'
import { tenantErrors } from '../../schemas/common'
import { Message, PinnedList } from '../../schemas/message'
import { actorOf, tenantSecurity, type RouteDeps } from '../deps'

const PinParams = t.Object({ room_id: t.String(), message_id: t.String() })

export const pinsRoutes = (deps: RouteDeps) => {
  const { pin } = deps.services
  const detail = (summary: string, description: string) => ({ tags: ['pins'], summary, description, security: tenantSecurity })
  return new Elysia()
    .put('/v1/rooms/:room_id/pins/:message_id', ({ request, params }) => pin.pin(actorOf(deps, request), params.room_id, params.message_id), {
      params: PinParams,
      response: { 200: Message, ...tenantErrors },
      detail: detail(
        'Pin a message',
        'Pins the message (pinned_at, pinned_by set) and answers it; already pinned answers it unchanged. In a group or channel only the owner or an admin pins (403), in a dm either member. A deleted message, or a 51st pin in the room, is a 409.',
      ),
    })
    .delete('/v1/rooms/:room_id/pins/:message_id', ({ request, params }) => pin.unpin(actorOf(deps, request), params.room_id, params.message_id), {
      params: PinParams,
      response: { 200: Message, ...tenantErrors },
      detail: detail('Unpin a message', 'Unpins the message and answers it (also when it was not pinned); the same roles as pinning. A deleted message is a 409.'),
    })
    .get('/v1/rooms/:room_id/pins', ({ request, params }) => pin.list(actorOf(deps, request), params.room_id), {
      params: t.Object({ room_id: t.String() }),
      response: { 200: PinnedList, ...tenantErrors },
      detail: detail('List pinned messages', "The room's pinned messages (at most 50), the newest pin first. Members only."),
    })
}
