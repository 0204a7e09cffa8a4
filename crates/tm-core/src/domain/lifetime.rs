//! How long a room stays open.

use std::time::Duration;

use super::ValidationError;

/// One of the lifetimes the create form offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lifetime {
    TwoHours,
    OneDay,
    OneWeek,
    /// 30 days.
    OneMonth,
    /// 365 days.
    OneYear,
}

impl Lifetime {
    pub const ALL: [Lifetime; 5] = [
        Lifetime::TwoHours,
        Lifetime::OneDay,
        Lifetime::OneWeek,
        Lifetime::OneMonth,
        Lifetime::OneYear,
    ];

    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        match input.trim() {
            "2h" => Ok(Lifetime::TwoHours),
            "1d" => Ok(Lifetime::OneDay),
            "1w" => Ok(Lifetime::OneWeek),
            "1m" => Ok(Lifetime::OneMonth),
            "1y" => Ok(Lifetime::OneYear),
            _ => Err(ValidationError::InvalidLifetime),
        }
    }

    /// The wire form: `2h`, `1d`, `1w`, `1m`, `1y`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Lifetime::TwoHours => "2h",
            Lifetime::OneDay => "1d",
            Lifetime::OneWeek => "1w",
            Lifetime::OneMonth => "1m",
            Lifetime::OneYear => "1y",
        }
    }

    pub fn duration(&self) -> Duration {
        const HOUR: u64 = 3600;
        Duration::from_secs(match self {
            Lifetime::TwoHours => 2 * HOUR,
            Lifetime::OneDay => 24 * HOUR,
            Lifetime::OneWeek => 7 * 24 * HOUR,
            Lifetime::OneMonth => 30 * 24 * HOUR,
            Lifetime::OneYear => 365 * 24 * HOUR,
        })
    }
}

impl serde::Serialize for Lifetime {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Lifetime {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Lifetime::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_offered_lifetime_and_round_trips() {
        for lifetime in Lifetime::ALL {
            assert_eq!(Lifetime::parse(lifetime.as_str()), Ok(lifetime));
        }
        assert_eq!(Lifetime::parse("2h").unwrap().duration(), Duration::from_secs(7200));
        assert_eq!(Lifetime::parse("1y").unwrap().duration().as_secs(), 365 * 86400);
        assert_eq!(Lifetime::parse("1m").unwrap().duration().as_secs(), 30 * 86400);
    }

    #[test]
    fn rejects_anything_else() {
        for bad in ["", "2d", "1h", "3h", "1M", "forever", "1 d"] {
            assert_eq!(Lifetime::parse(bad), Err(ValidationError::InvalidLifetime), "{bad:?}");
        }
    }
}
