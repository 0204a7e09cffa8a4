ALTER TABLE room_events DROP KEY room_events_message, DROP COLUMN message_id;
DROP TABLE pending_updates;
DROP TABLE poll_votes;
DROP TABLE poll_options;
DROP TABLE polls;
DROP TABLE message_votes;
ALTER TABLE messages DROP KEY messages_room_votes, DROP COLUMN pinned, DROP COLUMN answered, DROP COLUMN votes;
