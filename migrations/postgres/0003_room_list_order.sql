-- GET /v1/rooms as one index range (issue 13): the same column, meaning and index as
-- migrations/sqlite/0003_room_list_order.sql. Each member row of a room of at most 100 members
-- carries the second of the room's last activity (rooms.last_activity_at cut to 19 characters); rooms
-- of more than 100 members leave it NULL, so a send there never writes member rows (SPEC §6).

ALTER TABLE members ADD COLUMN activity_bucket TEXT COLLATE "C";
UPDATE members m SET activity_bucket = left(r.last_activity_at, 19)
  FROM rooms r WHERE r.room_id = m.room_id AND r.member_count <= 100;
DROP INDEX members_by_user;
CREATE INDEX members_by_user_activity ON members (tenant_id, user_id, activity_bucket, room_id);
