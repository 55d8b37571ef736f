// Room activity keys for "most recently active first" (SPEC §4 GET /v1/rooms).

/**
 * Returns a function turning an event's ISO time into a sortable activity key: the time plus a
 * counter, so two events in the same millisecond (group commit makes that common) still order by
 * when they happened instead of tying and falling back to room_id order. Keys stay internal
 * (`rooms.last_activity_at` and list cursors); a plain ISO time from older rows sorts just before
 * any suffixed key of the same millisecond. One per store: the main thread is the only writer.
 */
export function createActivityKeys(): (iso: string) => string {
  let n = 0
  return (iso) => {
    n = (n + 1) % 1e12
    return `${iso}#${String(n).padStart(12, '0')}`
  }
}
export type ActivityKeys = ReturnType<typeof createActivityKeys>
