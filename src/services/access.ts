// Room visibility and membership rules of SPEC §2, in one place for every service.

import type { Store, RoomRow, MemberRow } from '../db/types'
import { forbidden, notFound } from '../errors'
import type { Actor } from './actor'

export interface RoomAccess {
  room: RoomRow
  member: MemberRow | null
}

/**
 * Loads a room as the actor may see it. Groups and dms are invisible to non-members (404, the same
 * answer as a missing or other-tenant id); a channel is visible to all but `member` access is 403.
 */
export function roomFor(store: Store, actor: Actor, roomId: string, need: 'view' | 'member'): RoomAccess {
  const room = store.rooms.get(actor.tenant.tenant_id, roomId)
  if (!room) throw notFound('room')
  const member = store.members.get(roomId, actor.userId) ?? null
  if (!member && room.type !== 'channel') throw notFound('room')
  if (need === 'member' && !member) throw forbidden('you are not a member of this room')
  return { room, member }
}

export const isManager = (m: MemberRow | null) => m?.role === 'owner' || m?.role === 'admin'
