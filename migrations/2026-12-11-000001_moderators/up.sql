-- Co-moderators: people the owner lets moderate a room (delete, approve and reject, mute, answer
-- and pin) without its owner token. Each has a token of its own, stored like the owner token
-- as a SHA-256 hash; revoking sets `revoked_at` and the token is refused from then on.
CREATE TABLE moderators (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    room_id BIGINT UNSIGNED NOT NULL,
    label VARCHAR(50) NOT NULL,
    token_hash CHAR(64) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    revoked_at DATETIME(6) NULL,
    UNIQUE KEY moderators_token_hash (token_hash),
    KEY moderators_room (room_id, id),
    CONSTRAINT moderators_room FOREIGN KEY (room_id) REFERENCES rooms (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
