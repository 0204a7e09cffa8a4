//! Time as the database stores it: UTC `DATETIME(6)`, i.e. `PrimitiveDateTime` in UTC.

use time::{OffsetDateTime, PrimitiveDateTime};

/// Now, in UTC, truncated to microseconds so it round-trips through `DATETIME(6)` unchanged.
pub fn now() -> PrimitiveDateTime {
    to_db(OffsetDateTime::now_utc())
}

pub fn to_db(at: OffsetDateTime) -> PrimitiveDateTime {
    let utc = at.to_offset(time::UtcOffset::UTC);
    let micros = utc.microsecond();
    let truncated = utc.replace_nanosecond(micros * 1000).unwrap_or(utc);
    PrimitiveDateTime::new(truncated.date(), truncated.time())
}

pub fn from_db(at: PrimitiveDateTime) -> OffsetDateTime {
    at.assume_utc()
}
