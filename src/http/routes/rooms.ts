// /v1/rooms and /v1/channels: create, list, get, patch, discover, join.

import { Elysia, t } from 'elysia'
import { PageQuery, tenantErrors } from '../../schemas/common'
import { ChannelList, CreateRoomBody, Member, PatchRoomBody, Room, RoomList } from '../../schemas/room'
import { actorOf, chargeItems, tenantSecurity, type RouteDeps } from '../deps'

const RoomParams = t.Object({ room_id: t.String() })

export const roomsRoutes = (deps: RouteDeps) => {
  const { chatroom } = deps.services
  const detail = (summary: string) => ({ tags: ['rooms'], summary, security: tenantSecurity })
  return new Elysia()
    .post(
      '/v1/rooms',
      async ({ request, body, set }) => {
        await chargeItems(deps, request, set, body.members.length) // before any write
        const r = await chatroom.create(actorOf(deps, request), body)
        set.status = r.created ? 201 : 200 // an existing dm answers 200 (idempotent)
        return r.room
      },
      { body: CreateRoomBody, response: { 200: Room, 201: Room, ...tenantErrors }, detail: detail('Create a room (a dm is idempotent per pair)') },
    )
    .get(
      '/v1/rooms',
      async ({ request, query, set }) => {
        const { rooms, next_cursor, large_memberships } = await chatroom.list(actorOf(deps, request), query)
        // every page also reads the caller's memberships of large rooms (db/sqlite/rooms.ts)
        await chargeItems(deps, request, set, rooms.length + large_memberships)
        return { rooms, next_cursor }
      },
      {
        query: PageQuery,
        response: { 200: RoomList, ...tenantErrors },
        detail: detail("The caller's rooms, most recently active first, with unread counts"),
      },
    )
    .get('/v1/rooms/:room_id', ({ request, params }) => chatroom.get(actorOf(deps, request), params.room_id), {
      params: RoomParams,
      response: { 200: Room, ...tenantErrors },
      detail: detail('Get a room'),
    })
    .patch('/v1/rooms/:room_id', ({ request, params, body }) => chatroom.patch(actorOf(deps, request), params.room_id, body), {
      params: RoomParams,
      body: PatchRoomBody,
      response: { 200: Room, ...tenantErrors },
      detail: detail('Rename a room or replace its metadata (owner/admin)'),
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
        response: { 200: ChannelList, ...tenantErrors },
        detail: detail("The tenant's channels, for discovery"),
      },
    )
    .post('/v1/rooms/:room_id/join', ({ request, params }) => chatroom.join(actorOf(deps, request), params.room_id), {
      params: RoomParams,
      response: { 200: Member, ...tenantErrors },
      detail: detail('Join a channel'),
    })
}
