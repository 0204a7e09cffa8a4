-- The event log: a transactional outbox that is kept. Rows are written in the same transaction
-- as the change they describe; the relay publishes rows whose `published_at` is NULL, in id
-- order, and `/events?after=` replays a room's rows by `seq`. `room_id` is NULL for events that
-- belong to no room (`sources.snapshot`).
CREATE TABLE room_events (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    room_id BIGINT UNSIGNED NULL,
    seq BIGINT UNSIGNED NULL,
    event_type VARCHAR(64) NOT NULL,
    routing_key VARCHAR(255) NOT NULL,
    envelope_id CHAR(36) NOT NULL,
    envelope MEDIUMTEXT NOT NULL,
    created_at DATETIME(6) NOT NULL,
    published_at DATETIME(6) NULL,
    UNIQUE KEY room_events_envelope (envelope_id),
    UNIQUE KEY room_events_room_seq (room_id, seq),
    KEY room_events_unpublished (published_at, id),
    CONSTRAINT room_events_room FOREIGN KEY (room_id) REFERENCES rooms (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
