//! Owner tokens and room passwords.
//!
//! Owner tokens are 256 random bits, base64url, shown once and stored as a SHA-256 hash (they
//! are high-entropy, so a fast hash is enough). Passwords are low-entropy, so they get argon2id
//! at OWASP's settings (m = 19 MiB, t = 2, p = 1), computed on the blocking pool through
//! [`PasswordWork`], which bounds how many run at once.

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::metrics::Metrics;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A fresh owner token and the hash to store.
pub fn new_owner_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = sha256_hex(&token);
    (token, hash)
}

/// Lower-case hex SHA-256 of a string.
pub fn sha256_hex(input: &str) -> String {
    let digest = Sha256::digest(input.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn argon2() -> Result<Argon2<'static>, argon2::Error> {
    Ok(Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(19_456, 2, 1, None)?,
    ))
}

/// Hashes a room password (blocking: call it through `spawn_blocking`).
pub fn hash_password(password: &str) -> Result<String, String> {
    let mut salt_bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut salt_bytes);
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| e.to_string())?;
    let hasher = argon2().map_err(|e| e.to_string())?;
    hasher
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Checks a password against a stored hash (blocking: call it through `spawn_blocking`).
pub fn verify_password(password: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    argon2()
        .map(|a| a.verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

/// Password hashing and checking for request handlers: on the blocking pool, at most
/// `passwords.max_concurrent_hashes` at once (each takes 19 MiB and tens of milliseconds of
/// CPU), so a flood of password requests queues instead of exhausting memory and cores.
#[derive(Clone)]
pub struct PasswordWork {
    permits: Arc<Semaphore>,
    metrics: Arc<Metrics>,
}

impl PasswordWork {
    pub fn new(max_concurrent: usize, metrics: Arc<Metrics>) -> Self {
        PasswordWork {
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            metrics,
        }
    }

    async fn permit(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        /// Counts a waiter until it gets its permit or gives up (its future dropped).
        struct Waiting<'a>(&'a prometheus_client::metrics::gauge::Gauge);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                self.0.dec();
            }
        }
        self.metrics.password_waiting.inc();
        let _waiting = Waiting(&self.metrics.password_waiting);
        self.permits.acquire().await.ok()
    }

    /// Hashes a new password once a permit is free.
    pub async fn hash(&self, password: String) -> Result<String, String> {
        let _permit = self.permit().await.ok_or("password hashing has stopped")?;
        self.metrics.password_hashes.inc();
        tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(|e| e.to_string())?
    }

    /// Checks a password once a permit is free; any failure is "no".
    pub async fn verify(&self, password: String, stored: String) -> bool {
        let Some(_permit) = self.permit().await else {
            return false;
        };
        self.metrics.password_checks.inc();
        tokio::task::spawn_blocking(move || verify_password(&password, &stored))
            .await
            .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_tokens_are_256_bits_and_hash_stably() {
        let (token, hash) = new_owner_token();
        assert_eq!(URL_SAFE_NO_PAD.decode(&token).unwrap().len(), 32);
        assert_eq!(sha256_hex(&token), hash);
        assert_eq!(hash.len(), 64);
        assert_ne!(new_owner_token().0, token);
    }

    #[test]
    fn passwords_verify_only_with_the_right_text() {
        let stored = hash_password("hunter2").unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password("hunter2", &stored));
        assert!(!verify_password("hunter3", &stored));
        assert!(!verify_password("hunter2", "not a hash"));
    }

    #[tokio::test]
    async fn password_work_waits_for_a_free_permit() {
        let metrics = Arc::new(Metrics::new());
        let work = PasswordWork::new(1, metrics.clone());
        let held = work.permits.clone().acquire_owned().await.unwrap();
        let blocked = tokio::time::timeout(std::time::Duration::from_millis(300), work.hash("pw".into())).await;
        assert!(blocked.is_err(), "no hash runs while every permit is taken");
        let waiting = work.clone();
        let queued = tokio::spawn(async move { waiting.hash("queued".into()).await });
        tokio::time::timeout(std::time::Duration::from_secs(10), async {
            while metrics.password_waiting.get() != 1 {
                tokio::task::yield_now().await;
            }
        })
        .await
        .expect("the queued hash shows as waiting");
        drop(held);
        queued.await.unwrap().unwrap();
        let stored = work.hash("pw".into()).await.unwrap();
        assert!(work.verify("pw".into(), stored).await);
        assert_eq!(work.permits.available_permits(), 1, "permits come back");
        assert_eq!(metrics.password_waiting.get(), 0);
        assert_eq!((metrics.password_hashes.get(), metrics.password_checks.get()), (2, 1));
    }
}
