-- Messages. `seq` is the room seq of the message's `message.created` event: NULL while the
-- message waits for approval. The unique keys make both consumers idempotent.
CREATE TABLE messages (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    room_id BIGINT UNSIGNED NOT NULL,
    seq BIGINT UNSIGNED NULL,
    nickname VARCHAR(128) NOT NULL,
    participant_id VARCHAR(128) NOT NULL,
    color CHAR(7) NOT NULL,
    body TEXT NOT NULL,
    tokens MEDIUMTEXT NOT NULL,
    kind VARCHAR(16) NOT NULL,
    source VARCHAR(16) NULL,
    external_id VARCHAR(191) NULL,
    source_url VARCHAR(2048) NULL,
    client_id CHAR(36) NULL,
    state VARCHAR(16) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    UNIQUE KEY messages_room_client (room_id, client_id),
    UNIQUE KEY messages_room_external (room_id, source, external_id),
    UNIQUE KEY messages_room_seq (room_id, seq),
    KEY messages_room_participant (room_id, participant_id, created_at),
    CONSTRAINT messages_room FOREIGN KEY (room_id) REFERENCES rooms (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
