//! Why a value was rejected, with the snake_case code of docs/protocol.md.

/// A rejected input. `code()` is what the JSON API and the WebSocket send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    #[error("room names are 3 to 64 characters of a-z, 0-9 and single dashes, not at either end")]
    InvalidName,
    #[error("the room name {0:?} is reserved")]
    ReservedName(String),
    #[error("nicknames are 1 to 32 characters, without control or invisible characters")]
    InvalidNickname,
    #[error("the message is empty")]
    BodyEmpty,
    #[error("the message is longer than {max} characters")]
    BodyTooLong { max: usize },
    #[error("the message contains control or invisible characters")]
    InvalidBody,
    #[error("hashtags are 1 to 100 letters, digits or underscores, not only digits")]
    InvalidHashtag,
    #[error("lifetime must be one of 2h, 1d, 1w, 1m, 1y")]
    InvalidLifetime,
    #[error("a reaction is a single emoji")]
    InvalidReaction,
    #[error("reactions are 1 to {} different emoji, each a single emoji", super::MAX_REACTIONS)]
    InvalidReactions,
}

impl ValidationError {
    /// The stable snake_case error code.
    pub fn code(&self) -> &'static str {
        match self {
            ValidationError::InvalidName | ValidationError::ReservedName(_) => "invalid_name",
            ValidationError::InvalidNickname => "invalid_nickname",
            ValidationError::BodyEmpty => "body_empty",
            ValidationError::BodyTooLong { .. } => "body_too_long",
            ValidationError::InvalidBody => "invalid_body",
            ValidationError::InvalidHashtag => "invalid_hashtag",
            ValidationError::InvalidLifetime => "invalid_lifetime",
            ValidationError::InvalidReaction => "invalid_reaction",
            ValidationError::InvalidReactions => "invalid_reactions",
        }
    }
}
