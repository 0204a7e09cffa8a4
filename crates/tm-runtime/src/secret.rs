//! Secrets that never print.

use std::fmt;

use serde::{Deserialize, Deserializer};

/// A value that `Debug` and `Display` show as `[redacted]`. Read it with [`Secret::expose`].
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Secret(value)
    }

    /// The secret itself; call only where it is used, never to log it.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Secret<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(Secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_its_value() {
        #[derive(Debug, Deserialize)]
        struct S {
            #[allow(dead_code)]
            token: Secret<String>,
        }
        let s: S = serde_json::from_str(r#"{"token": "hunter2"}"#).unwrap();
        assert!(!format!("{s:?}").contains("hunter2"));
        assert!(!format!("{}", s.token).contains("hunter2"));
        assert_eq!(s.token.expose(), "hunter2");
    }
}
