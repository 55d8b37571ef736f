// /v1/rooms/:room_id/members: list, add, remove (or leave).

import { Elysia, t } from 'elysia'
import { PageQuery, PathId, tenantErrorsWith } from '../../schemas/common'
import { AddMembersBody, AddedMembers, MemberList, RoomParams } from '../../schemas/room'
import { actorOf, chargeItems, tenantSecurity, type RouteDeps } from '../deps'

export const membersRoutes = (deps: RouteDeps) => {
  const { chatroom } = deps.services
  const detail = (operationId: string, summary: string, description: string) => ({ operationId, tags: ['members'], summary, description, security: tenantSecurity })
  return new Elysia()
    .get(
      '/v1/rooms/:room_id/members',
      async ({ request, params, query, set }) => {
        const page = await chatroom.members(actorOf(deps, request), params.room_id, query)
        await chargeItems(deps, request, set, page.members.length)
        return page
      },
      {
        params: RoomParams,
        query: PageQuery,
        response: { 200: MemberList, ...tenantErrorsWith(403, 404) },
        detail: detail(
          'listMembers',
          'List members by join time',
          "Pages through a room's members in join order, for members only (a channel's non-members get 403). Another user's last_ack and last_read are null unless the tenant turned read_receipts on; online is null when presence is off. Costs one rate-limit token per started 100 members returned.",
        ),
      },
    )
    .post(
      '/v1/rooms/:room_id/members',
      async ({ request, params, body, set }) => {
        await chargeItems(deps, request, set, body.user_ids.length) // before any write
        return chatroom.addMembers(actorOf(deps, request), params.room_id, body)
      },
      {
        params: RoomParams,
        body: AddMembersBody,
        response: { 200: AddedMembers, ...tenantErrorsWith(403, 404, 409) },
        detail: detail(
          'addMembers',
          'Add members (owner/admin; only the owner grants admin)',
          'Adds the users in `user_ids` (note: `user_ids` here, `members` when creating a room) to a group or channel with `role` member (default) or admin. Owner or admin only; only the owner grants admin; an existing member keeps their role. A dm never changes members (403); going past max_room_members, or naming a user banned from the room, answers 409 (nobody is added). Costs one rate-limit token per started 100 users in `user_ids`, taken before anything is stored.',
        ),
      },
    )
    .delete(
      '/v1/rooms/:room_id/members/:user_id',
      async ({ request, params, set }) => {
        await chatroom.removeMember(actorOf(deps, request), params.room_id, params.user_id)
        set.status = 204
      },
      {
        params: t.Object({ ...RoomParams.properties, user_id: PathId('The member to remove; your own user id to leave.', 'bob') }),
        response: { 204: t.Void({ description: 'Removed (or left).' }), ...tenantErrorsWith(403, 404, 409) },
        detail: detail(
          'removeMember',
          'Remove a member, or leave (your own user id)',
          'Removes a member, or leaves the room when user_id is your own. An admin removes only members; the owner removes anyone but cannot be removed, and cannot leave while others remain (409). A dm never changes members (403).',
        ),
      },
    )
}
