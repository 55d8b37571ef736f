// GET /v1/rooms as one index range (SPEC §4, issue 13), shared by both stores: which member rows
// carry their room's activity second, the one statement that reads a page, and its parameters.
// db/sqlite/ and db/postgres/ import this (never each other), see .dependency-cruiser.cjs.

import { decodeCursor } from './cursor'
import { LAST_MESSAGE_COLUMNS } from './rows'

/**
 * Rooms of at most this many members keep their activity second on every member row
 * (members.activity_bucket, migrations 0003), so a user's room list is an index range. Larger rooms
 * keep NULL there: a send never writes their member rows, and a page reads those memberships apart.
 */
export const BUCKETED_ROOM_MAX_MEMBERS = 100

/** The second of an activity key (or of the ISO time it starts with): its first 19 characters. */
export const activityBucket = (keyOrIso: string) => keyOrIso.slice(0, 19)

/** What the member rows of a room of `memberCount` members whose activity key is `key` carry. */
export const memberBucket = (key: string, memberCount: number) => (memberCount <= BUCKETED_ROOM_MAX_MEMBERS ? activityBucket(key) : null)

/**
 * A user's rooms, most recently active first (SPEC §4), as one statement shared by both stores
 * (`$n` parameters; roomListParams gives them). Member rows of rooms of at most 100 members carry
 * their room's activity second (members.activity_bucket, kept by every write of
 * rooms.last_activity_at), so a page reads:
 * - `cut`: the bucket of the (limit + 1)-th membership below the cursor's second, walking the index
 *   (tenant_id, user_id, activity_bucket, room_id) backwards: limit + 1 index entries;
 * - `small`: the memberships from that bucket up to the cursor's second, with their rooms' exact
 *   keys, sorted: at least limit + 1 rows, plus those sharing the two boundary seconds (a second
 *   holds at most what the tenant may create or send in one second);
 * - `large`: the user's memberships of larger rooms (NULL bucket, the same index), all of them;
 * then the first limit + 1 of both by (last_activity_at, room_id), and the page rows for those only.
 * Every row of a bucket below the cursor's second sorts below the cursor (a bucket is a prefix of
 * its key), so rows of the cursor's own second are the only ones compared key by key.
 */
export const ROOM_LIST_SQL = `
WITH cut AS (
  SELECT activity_bucket AS b FROM members
  WHERE tenant_id = $1 AND user_id = $2 AND activity_bucket IS NOT NULL AND activity_bucket < $4
  ORDER BY activity_bucket DESC, room_id DESC LIMIT 1 OFFSET $3
),
small AS (
  SELECT m.room_id, r.last_activity_at AS at FROM members m JOIN rooms r ON r.room_id = m.room_id
  WHERE m.tenant_id = $1 AND m.user_id = $2 AND m.activity_bucket IS NOT NULL
    AND m.activity_bucket <= $4 AND m.activity_bucket >= coalesce((SELECT b FROM cut), '')
    AND (r.last_activity_at < $5 OR (r.last_activity_at = $5 AND r.room_id < $6))
  ORDER BY at DESC, m.room_id DESC LIMIT $3 + 1
),
large AS (
  SELECT m.room_id, r.last_activity_at AS at FROM members m JOIN rooms r ON r.room_id = m.room_id
  WHERE m.tenant_id = $1 AND m.user_id = $2 AND m.activity_bucket IS NULL
    AND (r.last_activity_at < $5 OR (r.last_activity_at = $5 AND r.room_id < $6))
  ORDER BY at DESC, m.room_id DESC LIMIT $3 + 1
),
page AS (
  SELECT room_id, at FROM small UNION ALL SELECT room_id, at FROM large
  ORDER BY at DESC, room_id DESC LIMIT $3 + 1
)
SELECT r.*, m.last_read, ${LAST_MESSAGE_COLUMNS}
FROM page p JOIN rooms r ON r.room_id = p.room_id
JOIN members m ON m.room_id = p.room_id AND m.user_id = $2
LEFT JOIN messages msg ON msg.room_id = r.room_id AND msg.seq = r.last_seq
ORDER BY r.last_activity_at DESC, r.room_id DESC`

/** How many of the user's memberships a page reads apart (rooms of more than 100 members). */
export const LARGE_MEMBERSHIPS_SQL = 'SELECT count(*) AS n FROM members WHERE tenant_id = $1 AND user_id = $2 AND activity_bucket IS NULL'

/** Sorts after every activity key and bucket (they start with a digit): "no cursor". */
const TOP = '~'

/** The parameters of ROOM_LIST_SQL: tenant, user, limit, the cursor's second, its key and room id. */
export function roomListParams(tenantId: string, userId: string, limit: number, cursor?: string): [string, string, number, string, string, string] {
  if (!cursor) return [tenantId, userId, limit, TOP, TOP, '']
  const [at, id] = decodeCursor(cursor, ['string', 'string']) as [string, string]
  return [tenantId, userId, limit, activityBucket(at), at, id]
}

/** The columns of a MemberRow (activity_bucket belongs to the room list, never to a member). */
export const MEMBER_COLUMNS = 'room_id, user_id, tenant_id, role, joined_at, last_ack, last_read'
