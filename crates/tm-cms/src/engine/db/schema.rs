//! Diesel's view of the tables in `migrations/` (kept by hand, in step with the SQL).

diesel::table! {
    rooms (id) {
        id -> Unsigned<BigInt>,
        slug -> Varchar,
        open_slug -> Nullable<Varchar>,
        topic -> Varchar,
        state -> Varchar,
        close_reason -> Nullable<Varchar>,
        expires_at -> Datetime,
        closed_at -> Nullable<Datetime>,
        max_length -> Unsigned<Integer>,
        slow_mode_seconds -> Unsigned<Integer>,
        moderation -> Varchar,
        password_hash -> Nullable<Varchar>,
        owner_token_hash -> Char,
        hashtags -> Text,
        reactions -> Text,
        seq -> Unsigned<BigInt>,
        created_at -> Datetime,
        blocked_words -> Text,
    }
}

diesel::table! {
    messages (id) {
        id -> Unsigned<BigInt>,
        room_id -> Unsigned<BigInt>,
        seq -> Nullable<Unsigned<BigInt>>,
        nickname -> Varchar,
        participant_id -> Varchar,
        color -> Char,
        body -> Text,
        tokens -> Mediumtext,
        kind -> Varchar,
        source -> Nullable<Varchar>,
        external_id -> Nullable<Varchar>,
        source_url -> Nullable<Varchar>,
        client_id -> Nullable<Char>,
        state -> Varchar,
        created_at -> Datetime,
        votes -> Unsigned<Integer>,
        answered -> Bool,
        pinned -> Bool,
    }
}

diesel::table! {
    message_votes (message_id, participant_id) {
        message_id -> Unsigned<BigInt>,
        participant_id -> Varchar,
        created_at -> Datetime,
    }
}

diesel::table! {
    polls (id) {
        id -> Unsigned<BigInt>,
        room_id -> Unsigned<BigInt>,
        question -> Varchar,
        multiple -> Bool,
        state -> Varchar,
        voters -> Unsigned<Integer>,
        created_at -> Datetime,
        closed_at -> Nullable<Datetime>,
    }
}

diesel::table! {
    poll_options (id) {
        id -> Unsigned<BigInt>,
        poll_id -> Unsigned<BigInt>,
        position -> Unsigned<Integer>,
        text -> Varchar,
        votes -> Unsigned<Integer>,
    }
}

diesel::table! {
    poll_votes (poll_id, participant_id, option_id) {
        poll_id -> Unsigned<BigInt>,
        participant_id -> Varchar,
        option_id -> Unsigned<BigInt>,
        created_at -> Datetime,
    }
}

diesel::table! {
    pending_updates (id) {
        id -> Unsigned<BigInt>,
        room_id -> Unsigned<BigInt>,
        subject -> Varchar,
        subject_id -> Unsigned<BigInt>,
        created_at -> Datetime,
    }
}

diesel::table! {
    room_events (id) {
        id -> Unsigned<BigInt>,
        room_id -> Nullable<Unsigned<BigInt>>,
        seq -> Nullable<Unsigned<BigInt>>,
        event_type -> Varchar,
        routing_key -> Varchar,
        envelope_id -> Char,
        envelope -> Mediumtext,
        created_at -> Datetime,
        published_at -> Nullable<Datetime>,
        message_id -> Nullable<Unsigned<BigInt>>,
    }
}

diesel::table! {
    mutes (id) {
        id -> Unsigned<BigInt>,
        room_id -> Unsigned<BigInt>,
        participant_id -> Varchar,
        created_at -> Datetime,
    }
}

diesel::table! {
    moderation_log (id) {
        id -> Unsigned<BigInt>,
        room_id -> Unsigned<BigInt>,
        actor -> Varchar,
        action -> Varchar,
        target -> Varchar,
        created_at -> Datetime,
    }
}

diesel::table! {
    moderators (id) {
        id -> Unsigned<BigInt>,
        room_id -> Unsigned<BigInt>,
        label -> Varchar,
        token_hash -> Char,
        created_at -> Datetime,
        revoked_at -> Nullable<Datetime>,
    }
}

diesel::table! {
    pages (id) {
        id -> Unsigned<BigInt>,
        slug -> Varchar,
        title -> Varchar,
        body_markdown -> Mediumtext,
        updated_at -> Datetime,
    }
}

diesel::table! {
    admin_users (id) {
        id -> Unsigned<BigInt>,
        username -> Varchar,
        password_hash -> Varchar,
        created_at -> Datetime,
        session_nonce -> Varchar,
    }
}

diesel::joinable!(poll_options -> polls (poll_id));

diesel::allow_tables_to_appear_in_same_query!(
    rooms,
    messages,
    message_votes,
    polls,
    poll_options,
    poll_votes,
    pending_updates,
    room_events,
    mutes,
    moderation_log,
    moderators
);
