-- GET /v1/rooms as one index range (issue 13): a user's rooms in activity order without reading all
-- of their memberships. Each member row of a room of at most 100 members carries the second of the
-- room's last activity (rooms.last_activity_at cut to 19 characters, 2026-01-01T00:00:00); it moves
-- at most once a second per room, with that room's activity. Rooms of more than 100 members leave it
-- NULL, so a send there never writes member rows (SPEC §6: the write cost does not grow with the
-- audience); a page reads those memberships apart (db/room-list.ts).

ALTER TABLE members ADD COLUMN activity_bucket TEXT;
UPDATE members SET activity_bucket = (
  SELECT substr(r.last_activity_at, 1, 19) FROM rooms r WHERE r.room_id = members.room_id AND r.member_count <= 100
);
DROP INDEX members_by_user;
CREATE INDEX members_by_user_activity ON members (tenant_id, user_id, activity_bucket, room_id);
