-- v0 -> v1: Latest revision
-- One row per room that has been subscribed at some point: how far its
-- announcements have gone. No message content is stored.
CREATE TABLE announcement_progress (
	room_id    TEXT PRIMARY KEY,
	-- the newest change-log entry the room was sent (or subscribed at)
	last_id    TEXT NOT NULL,
	-- its date, YYYY-MM-DD, to place the room if that entry is ever removed
	last_date  TEXT NOT NULL,
	-- the newest entry of a send that was started but not yet confirmed
	pending_id TEXT NOT NULL DEFAULT ''
);
