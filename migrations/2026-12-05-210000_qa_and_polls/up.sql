-- Q&A: participants' upvotes on messages, and the owner's answered and pinned marks. `votes`
-- is the count of `message_votes` rows, kept in the same transaction as each vote.
ALTER TABLE messages
    ADD COLUMN votes INT UNSIGNED NOT NULL DEFAULT 0,
    ADD COLUMN answered BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN pinned BOOLEAN NOT NULL DEFAULT FALSE,
    ADD KEY messages_room_votes (room_id, state, votes);

CREATE TABLE message_votes (
    message_id BIGINT UNSIGNED NOT NULL,
    participant_id VARCHAR(128) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (message_id, participant_id),
    CONSTRAINT message_votes_message FOREIGN KEY (message_id) REFERENCES messages (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Polls: the owner's question with 2 to 10 options; one ballot per participant (a set of
-- options), replaced when they vote again. `poll_options.votes` and `polls.voters` are counts
-- kept in each ballot's transaction.
CREATE TABLE polls (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    room_id BIGINT UNSIGNED NOT NULL,
    question VARCHAR(500) NOT NULL,
    multiple BOOLEAN NOT NULL,
    state VARCHAR(16) NOT NULL,
    voters INT UNSIGNED NOT NULL DEFAULT 0,
    created_at DATETIME(6) NOT NULL,
    closed_at DATETIME(6) NULL,
    KEY polls_room (room_id, id),
    CONSTRAINT polls_room FOREIGN KEY (room_id) REFERENCES rooms (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE poll_options (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    poll_id BIGINT UNSIGNED NOT NULL,
    position INT UNSIGNED NOT NULL,
    text VARCHAR(200) NOT NULL,
    votes INT UNSIGNED NOT NULL DEFAULT 0,
    UNIQUE KEY poll_options_position (poll_id, position),
    CONSTRAINT poll_options_poll FOREIGN KEY (poll_id) REFERENCES polls (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE poll_votes (
    poll_id BIGINT UNSIGNED NOT NULL,
    participant_id VARCHAR(128) NOT NULL,
    option_id BIGINT UNSIGNED NOT NULL,
    created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (poll_id, participant_id, option_id),
    CONSTRAINT poll_votes_poll FOREIGN KEY (poll_id) REFERENCES polls (id) ON DELETE CASCADE,
    CONSTRAINT poll_votes_option FOREIGN KEY (option_id) REFERENCES poll_options (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Counts that changed and whose `message.updated` / `poll.updated` event is still to come:
-- votes arrive in bursts, so their events are coalesced (at most one per subject per flush
-- interval). A vote inserts its subject here in its own transaction; the flusher takes rows,
-- appends one event per subject with the count as it is then, and deletes them.
CREATE TABLE pending_updates (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    room_id BIGINT UNSIGNED NOT NULL,
    subject VARCHAR(16) NOT NULL,
    subject_id BIGINT UNSIGNED NOT NULL,
    created_at DATETIME(6) NOT NULL,
    UNIQUE KEY pending_updates_subject (subject, subject_id),
    CONSTRAINT pending_updates_room FOREIGN KEY (room_id) REFERENCES rooms (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Which message an event is about (`message.created`, `message.updated`), so a delete can
-- redact every logged copy of the message's text.
ALTER TABLE room_events
    ADD COLUMN message_id BIGINT UNSIGNED NULL,
    ADD KEY room_events_message (room_id, message_id);
