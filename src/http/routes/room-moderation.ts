// /v1/rooms/:room_id/bans and /mutes (SPEC §14): an owner or admin keeps a user out of a room or
// stops them sending, for a while or until lifted.

import { Elysia, t } from 'elysia'
import { PageQuery, tenantErrorsWith } from '../../schemas/common'
import { BanBody, MuteBody, RoomBan, RoomBanList, RoomMute, RoomMuteList, UserParams } from '../../schemas/moderation'
import { RoomParams } from '../../schemas/room'
import { actorOf, chargedPage, created, noContent, tenantSecurity, type RouteDeps } from '../deps'

// The user id in the path is checked as a user id (400 before any access check), as in the body.
const MemberParams = t.Object({ ...RoomParams.properties, ...UserParams.properties })
const ROLE_RULES = 'Owner or admin of a group or channel (a dm has no moderators: 403); an admin bans and mutes plain members only, and nobody the owner (403).'

export const roomModerationRoutes = (deps: RouteDeps) => {
  const { moderation } = deps.services
  const detail = (operationId: string, summary: string, description: string) => ({ operationId, tags: ['moderation'], summary, description, security: tenantSecurity })
  return new Elysia()
    .post(
      '/v1/rooms/:room_id/bans',
      ({ request, params, body, set }) => created(set, moderation.ban(actorOf(deps, request), params.room_id, body)),
      {
        params: RoomParams,
        body: BanBody,
        response: { 201: { ...RoomBan, description: 'Banned (a ban already there is replaced); a member was removed.' }, ...tenantErrorsWith(403, 404) },
        detail: detail(
          'banFromRoom',
          'Ban a user from a room (owner/admin)',
          `Removes the user from the room at once (member.left to the room) and keeps them out until the ban ends: joining answers 403, being added 409. ${ROLE_RULES} Without duration_s the ban lasts until lifted.`,
        ),
      },
    )
    .get(
      '/v1/rooms/:room_id/bans',
      ({ request, params, query, set }) => chargedPage(deps, request, set, moderation.roomBans(actorOf(deps, request), params.room_id, query), (page) => page.bans.length),
      {
        params: RoomParams,
        query: PageQuery,
        response: { 200: RoomBanList, ...tenantErrorsWith(403, 404) },
        detail: detail('listRoomBans', "A room's bans in force (owner/admin)", 'The bans of the room that have not ended, oldest first. Owner or admin only. Costs one rate-limit token per started 100 bans returned.'),
      },
    )
    .delete(
      '/v1/rooms/:room_id/bans/:user_id',
      ({ request, params, set }) => noContent(set, moderation.unban(actorOf(deps, request), params.room_id, params.user_id)),
      {
        params: MemberParams,
        response: { 204: t.Void({ description: 'Lifted (also when there was no ban).' }), ...tenantErrorsWith(403, 404) },
        detail: detail('unbanFromRoom', 'Lift a room ban (owner/admin)', 'Lets the user join or be added again. They are not added back by this.'),
      },
    )
    .post(
      '/v1/rooms/:room_id/mutes',
      ({ request, params, body, set }) => created(set, moderation.mute(actorOf(deps, request), params.room_id, body)),
      {
        params: RoomParams,
        body: MuteBody,
        response: { 201: { ...RoomMute, description: 'Muted (a mute already there is replaced).' }, ...tenantErrorsWith(403, 404) },
        detail: detail(
          'muteInRoom',
          'Mute a member of a room (owner/admin)',
          `A muted member still reads, but sending (and reacting) answers 403 until the mute ends. ${ROLE_RULES} Without duration_s the mute lasts until lifted.`,
        ),
      },
    )
    .get(
      '/v1/rooms/:room_id/mutes',
      ({ request, params, query, set }) => chargedPage(deps, request, set, moderation.roomMutes(actorOf(deps, request), params.room_id, query), (page) => page.mutes.length),
      {
        params: RoomParams,
        query: PageQuery,
        response: { 200: RoomMuteList, ...tenantErrorsWith(403, 404) },
        detail: detail('listRoomMutes', "A room's mutes in force (owner/admin)", 'The mutes of the room that have not ended, oldest first. Owner or admin only. Costs one rate-limit token per started 100 mutes returned.'),
      },
    )
    .delete(
      '/v1/rooms/:room_id/mutes/:user_id',
      ({ request, params, set }) => noContent(set, moderation.unmute(actorOf(deps, request), params.room_id, params.user_id)),
      {
        params: MemberParams,
        response: { 204: t.Void({ description: 'Lifted (also when there was no mute).' }), ...tenantErrorsWith(403, 404) },
        detail: detail('unmuteInRoom', 'Lift a mute (owner/admin)', 'The member may send again at once.'),
      },
    )
}
