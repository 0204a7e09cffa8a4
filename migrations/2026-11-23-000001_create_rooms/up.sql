-- Rooms. `open_slug` equals `slug` while the room is open or paused and is NULL once it closes:
-- its unique index makes a name unique among open rooms and free for reuse after close.
CREATE TABLE rooms (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    slug VARCHAR(64) NOT NULL,
    open_slug VARCHAR(64) NULL,
    topic VARCHAR(500) NOT NULL DEFAULT '',
    state VARCHAR(16) NOT NULL DEFAULT 'open',
    close_reason VARCHAR(16) NULL,
    expires_at DATETIME(6) NOT NULL,
    closed_at DATETIME(6) NULL,
    max_length INT UNSIGNED NOT NULL,
    slow_mode_seconds INT UNSIGNED NOT NULL DEFAULT 0,
    moderation VARCHAR(16) NOT NULL DEFAULT 'post',
    password_hash VARCHAR(255) NULL,
    owner_token_hash CHAR(64) NOT NULL,
    hashtags TEXT NOT NULL,
    seq BIGINT UNSIGNED NOT NULL DEFAULT 0,
    created_at DATETIME(6) NOT NULL,
    UNIQUE KEY rooms_open_slug (open_slug),
    KEY rooms_slug (slug),
    KEY rooms_expires_at (expires_at),
    KEY rooms_closed_at (closed_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
