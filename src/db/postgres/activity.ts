// Room activity keys for "most recently active first" (SPEC §4 GET /v1/rooms), PostgreSQL version.

import type { SQL } from 'bun'

/**
 * The SQL expression of an activity key for an event at `iso`: the time plus a 12-digit counter,
 * the same format as the SQLite store's (db/sqlite/activity.ts), so two events in one millisecond
 * still order by when they happened. The counter is the database sequence `activity_keys`, shared by
 * every instance, instead of an in-process counter: a per-instance counter would order same-ms
 * events of two instances by which instance has counted more. Evaluated inside the writing statement
 * (no extra round trip).
 */
export const activityKey = (sql: SQL, iso: string) => sql`(${iso}::text || '#' || lpad(nextval('activity_keys')::text, 12, '0'))`
