// /v1/rooms/:room_id/members: list, add, remove (or leave).

import { Elysia, t } from 'elysia'
import { PageQuery, tenantErrors } from '../../schemas/common'
import { AddMembersBody, AddedMembers, MemberList } from '../../schemas/room'
import { actorOf, chargeItems, tenantSecurity, type RouteDeps } from '../deps'

export const membersRoutes = (deps: RouteDeps) => {
  const { chatroom } = deps.services
  const detail = (summary: string) => ({ tags: ['members'], summary, security: tenantSecurity })
  return new Elysia()
    .get(
      '/v1/rooms/:room_id/members',
      async ({ request, params, query, set }) => {
        const page = await chatroom.members(actorOf(deps, request), params.room_id, query)
        await chargeItems(deps, request, set, page.members.length)
        return page
      },
      {
        params: t.Object({ room_id: t.String() }),
        query: PageQuery,
        response: { 200: MemberList, ...tenantErrors },
        detail: detail('List members by join time'),
      },
    )
    .post(
      '/v1/rooms/:room_id/members',
      async ({ request, params, body, set }) => {
        await chargeItems(deps, request, set, body.user_ids.length) // before any write
        return chatroom.addMembers(actorOf(deps, request), params.room_id, body)
      },
      {
        params: t.Object({ room_id: t.String() }),
        body: AddMembersBody,
        response: { 200: AddedMembers, ...tenantErrors },
        detail: detail('Add members (owner/admin; only the owner grants admin)'),
      },
    )
    .delete(
      '/v1/rooms/:room_id/members/:user_id',
      async ({ request, params, set }) => {
        await chatroom.removeMember(actorOf(deps, request), params.room_id, params.user_id)
        set.status = 204
      },
      {
        params: t.Object({ room_id: t.String(), user_id: t.String() }),
        response: { 204: t.Void({ description: 'removed' }), ...tenantErrors },
        detail: detail('Remove a member, or leave (your own user id)'),
      },
    )
}
