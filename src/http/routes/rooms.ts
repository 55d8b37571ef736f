// /v1/rooms and /v1/channels: create, list, get, patch, discover, join.

import { Elysia } from 'elysia'
import { PageQuery, tenantErrorsWith } from '../../schemas/common'
import { ChannelList, CreateRoomBody, Member, PatchRoomBody, Room, RoomList, RoomParams } from '../../schemas/room'
import { actorOf, chargeItems, tenantSecurity, type RouteDeps } from '../deps'

export const roomsRoutes = (deps: RouteDeps) => {
  const { chatroom } = deps.services
  const detail = (operationId: string, summary: string, description: string) => ({ operationId, tags: ['rooms'], summary, description, security: tenantSecurity })
  return new Elysia()
    .post(
      '/v1/rooms',
      async ({ request, body, set }) => {
        await chargeItems(deps, request, set, body.members.length) // before any write
        const r = await chatroom.create(actorOf(deps, request), body)
        set.status = r.created ? 201 : 200 // an existing dm answers 200 (idempotent)
        return r.room
      },
      {
        body: CreateRoomBody,
        response: { 200: { ...Room, description: 'The dm of this pair already existed: here it is.' }, 201: { ...Room, description: 'Created.' }, ...tenantErrorsWith(403) },
        detail: detail(
          'createRoom',
          'Create a room (a dm is idempotent per pair)',
          'Creates a dm, group or channel. The caller is always a member: the owner of a group or channel, a plain member of a dm. `members` names the other users: exactly one for a dm (asking again for the same pair answers 200 with the existing room; 403 when either user blocks the other), any number up to the tenant\'s max_room_members in all for a group or channel. Costs one rate-limit token per started 100 users in `members`, taken before anything is stored.',
        ),
      },
    )
    .get(
      '/v1/rooms',
      async ({ request, query, set }) => {
        const { rooms, next_cursor, large_memberships } = await chatroom.list(actorOf(deps, request), query)
        // every page also reads the caller's memberships of large rooms (db/room-list.ts)
        await chargeItems(deps, request, set, rooms.length + large_memberships)
        return { rooms, next_cursor }
      },
      {
        query: PageQuery,
        response: { 200: RoomList, ...tenantErrorsWith() },
        detail: detail(
          'listRooms',
          "The caller's rooms, most recently active first, with unread counts",
          "Pages through the rooms the caller is a member of, the most recently active first. Each comes with the caller's unread_count and the newest message; pass next_cursor as cursor for the next page. Costs one rate-limit token per started 100 of the rooms returned plus the caller's rooms of more than 100 members (every page reads those).",
        ),
      },
    )
    .get('/v1/rooms/:room_id', ({ request, params }) => chatroom.get(actorOf(deps, request), params.room_id), {
      params: RoomParams,
      response: { 200: Room, ...tenantErrorsWith(404) },
      detail: detail('getRoom', 'Get a room', 'A group or dm is visible to its members only (404 for anyone else); a channel is visible to everyone in the tenant.'),
    })
    .patch('/v1/rooms/:room_id', ({ request, params, body }) => chatroom.patch(actorOf(deps, request), params.room_id, body), {
      params: RoomParams,
      body: PatchRoomBody,
      response: { 200: Room, ...tenantErrorsWith(403, 404) },
      detail: detail(
        'updateRoom',
        'Rename a room, replace its metadata or make it read-only (owner/admin)',
        'Changes the name, replaces the metadata object and/or sets read_only of a group or channel. Only its owner or an admin may (403 otherwise). In a read-only room only the owner and admins send; everyone else gets 403.',
      ),
    })
    .get(
      '/v1/channels',
      async ({ request, query, set }) => {
        const page = await chatroom.channels(actorOf(deps, request), query)
        await chargeItems(deps, request, set, page.channels.length)
        return page
      },
      {
        query: PageQuery,
        response: { 200: ChannelList, ...tenantErrorsWith() },
        detail: detail(
          'listChannels',
          "The tenant's channels, for discovery",
          'Pages through every channel of the tenant, member or not, so users can find one to join. Costs one rate-limit token per started 100 channels returned.',
        ),
      },
    )
    .post('/v1/rooms/:room_id/join', ({ request, params }) => chatroom.join(actorOf(deps, request), params.room_id), {
      params: RoomParams,
      response: { 200: { ...Member, description: 'Your membership (an existing member gets their current role).' }, ...tenantErrorsWith(403, 404, 409) },
      detail: detail(
        'joinChannel',
        'Join a channel',
        'Adds the caller to a channel as a member. A group or dm cannot be joined: 404 for a non-member, 403 for a member. A user banned from the channel gets 403 until the ban ends. Joining past max_room_members answers 409.',
      ),
    })
}
