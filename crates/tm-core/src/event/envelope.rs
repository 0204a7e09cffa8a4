//! The envelope every bus message travels in.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use time::OffsetDateTime;
use uuid::Uuid;

use super::Event;

/// `{ id, type, version, occurred_at, producer, payload }`. The id is also the AMQP
/// `message_id`; consumers are idempotent on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope<P> {
    pub id: Uuid,
    #[serde(rename = "type")]
    pub kind: String,
    pub version: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
    pub producer: String,
    pub payload: P,
}

/// An envelope whose payload is not decoded yet: what a consumer reads first to dispatch on
/// `type`.
pub type RawEnvelope = Envelope<serde_json::Value>;

impl<E: Event> Envelope<E> {
    /// Wraps a payload with a fresh time-ordered id and the current time.
    pub fn new(producer: &str, payload: E) -> Self {
        Self::with_id(Uuid::now_v7(), OffsetDateTime::now_utc(), producer, payload)
    }

    /// Wraps a payload with a given id and time (the CMS keeps both in its event log).
    pub fn with_id(id: Uuid, occurred_at: OffsetDateTime, producer: &str, payload: E) -> Self {
        Envelope {
            id,
            kind: E::TYPE.to_owned(),
            version: E::VERSION,
            occurred_at,
            producer: producer.to_owned(),
            payload,
        }
    }

    /// The routing key of this message.
    pub fn routing_key(&self) -> String {
        self.payload.routing_key()
    }

    /// JSON bytes for the wire.
    pub fn to_json(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(self)
    }
}

/// Why a payload could not be taken out of a raw envelope.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("envelope is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("expected type {expected}, got {found}")]
    WrongType { expected: &'static str, found: String },
    #[error("type {kind} version {found} is newer than this reader knows ({known})")]
    UnknownVersion { kind: String, found: u32, known: u32 },
}

impl RawEnvelope {
    /// Reads an envelope from bytes without decoding its payload.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, DecodeError> {
        Ok(serde_json::from_slice(bytes)?)
    }

    /// Decodes the payload as `E`, checking type and version.
    pub fn decode<E: Event>(self) -> Result<Envelope<E>, DecodeError> {
        if self.kind != E::TYPE {
            return Err(DecodeError::WrongType {
                expected: E::TYPE,
                found: self.kind,
            });
        }
        if self.version > E::VERSION {
            return Err(DecodeError::UnknownVersion {
                kind: self.kind,
                found: self.version,
                known: E::VERSION,
            });
        }
        Ok(Envelope {
            id: self.id,
            kind: self.kind,
            version: self.version,
            occurred_at: self.occurred_at,
            producer: self.producer,
            payload: serde_json::from_value(self.payload)?,
        })
    }
}

/// An envelope read in place: the payload stays the JSON text it arrived in. A reader that
/// forwards payloads (the gateway, to its sockets) reads only the fields it routes on and never
/// re-encodes the rest.
#[derive(Debug, Deserialize)]
pub struct BorrowedEnvelope<'a> {
    #[serde(rename = "type", borrow)]
    pub kind: Cow<'a, str>,
    pub version: u32,
    #[serde(borrow)]
    pub payload: &'a RawValue,
}

impl<'a> BorrowedEnvelope<'a> {
    /// Reads the envelope's type, version and payload text from `bytes`, which it borrows.
    pub fn from_slice(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        Ok(serde_json::from_slice(bytes)?)
    }

    /// Decodes the payload as `E`, checking type and version as [`RawEnvelope::decode`] does.
    pub fn decode<E: Event>(&self) -> Result<E, DecodeError> {
        if self.kind != E::TYPE {
            return Err(DecodeError::WrongType {
                expected: E::TYPE,
                found: self.kind.clone().into_owned(),
            });
        }
        if self.version > E::VERSION {
            return Err(DecodeError::UnknownVersion {
                kind: self.kind.clone().into_owned(),
                found: self.version,
                known: E::VERSION,
            });
        }
        Ok(serde_json::from_str(self.payload.get())?)
    }
}
