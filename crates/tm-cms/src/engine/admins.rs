//! Site admins: accounts (argon2id passwords) and their sessions.
//!
//! A session is the admin's current *session nonce* (128 random bits in `admin_users`), which
//! the signed `tm_admin` cookie carries. A cookie is good only while its nonce is the stored
//! one, so replacing the nonce ends every session of that admin at once: signing out, a
//! password reset (`tm-cms admin create` on an existing name) and deleting the admin
//! (`tm-cms admin delete`) all do. Knowing the signing key is not enough to forge a session.

use std::sync::OnceLock;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use tm_core::keys::constant_time_eq;

use super::Admins;
use super::{clock, secrets};
use crate::engine::db::schema::admin_users;
use crate::engine::db::{DbError, DbPool};

/// Admin names are 1 to this many bytes (the column's width).
pub const MAX_NAME_LEN: usize = 64;
/// Admin passwords are at least this many characters.
pub const MIN_PASSWORD_CHARS: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("user names are 1 to {MAX_NAME_LEN} characters")]
    InvalidName,
    #[error("admin passwords are at least {MIN_PASSWORD_CHARS} characters")]
    WeakPassword,
    #[error("no admin named {0:?}")]
    NotFound(String),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<diesel::result::Error> for AdminError {
    fn from(err: diesel::result::Error) -> Self {
        AdminError::Db(DbError::from(err))
    }
}

fn new_nonce() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>())
}

/// Adds an admin, or resets an existing admin's password. Either way every session of that
/// name ends (a reset is how a leaked password is dealt with).
pub async fn create_or_reset(pool: &DbPool, username: &str, password: &str) -> Result<(), AdminError> {
    let username = username.trim();
    if username.is_empty() || username.len() > MAX_NAME_LEN {
        return Err(AdminError::InvalidName);
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AdminError::WeakPassword);
    }
    let password = password.to_owned();
    let hash = tokio::task::spawn_blocking(move || secrets::hash_password(&password))
        .await
        .map_err(anyhow::Error::from)?
        .map_err(anyhow::Error::msg)?;
    let mut conn = crate::engine::db::conn(pool).await?;
    diesel::replace_into(admin_users::table)
        .values((
            admin_users::username.eq(username),
            admin_users::password_hash.eq(hash),
            admin_users::created_at.eq(clock::now()),
            admin_users::session_nonce.eq(new_nonce()),
        ))
        .execute(&mut conn)
        .await?;
    Ok(())
}

/// Deletes an admin; their sessions end with the row.
pub async fn delete(pool: &DbPool, username: &str) -> Result<(), AdminError> {
    let mut conn = crate::engine::db::conn(pool).await?;
    let deleted = diesel::delete(admin_users::table.filter(admin_users::username.eq(username.trim())))
        .execute(&mut conn)
        .await?;
    if deleted == 0 {
        return Err(AdminError::NotFound(username.trim().to_owned()));
    }
    Ok(())
}

/// A hash of a password nobody knows: unknown names are checked against it, so that a sign-in
/// takes as long for a name that does not exist as for a wrong password.
async fn dummy_hash() -> Result<String, AdminError> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if let Some(hash) = DUMMY.get() {
        return Ok(hash.clone());
    }
    let hash = tokio::task::spawn_blocking(|| secrets::hash_password(&new_nonce()))
        .await
        .map_err(anyhow::Error::from)?
        .map_err(anyhow::Error::msg)?;
    Ok(DUMMY.get_or_init(|| hash).clone())
}

/// Checks a sign-in. On success, the session nonce to put in the cookie (a fresh one if the
/// admin has none). Unknown names cost one argon2 verification, like wrong passwords.
pub async fn sign_in(
    pool: &DbPool,
    work: &secrets::PasswordWork,
    username: &str,
    password: &str,
) -> Result<Option<String>, AdminError> {
    let username = username.trim().to_owned();
    let mut conn = crate::engine::db::conn(pool).await?;
    let stored: Option<(String, String)> = admin_users::table
        .filter(admin_users::username.eq(&username))
        .select((admin_users::password_hash, admin_users::session_nonce))
        .first(&mut conn)
        .await
        .optional()?;
    drop(conn);
    let (hash, nonce) = match stored {
        Some((hash, nonce)) => (hash, Some(nonce)),
        None => (dummy_hash().await?, None),
    };
    let verified = work.verify(password.to_owned(), hash).await;
    match nonce {
        Some(nonce) if verified && !nonce.is_empty() => Ok(Some(nonce)),
        Some(_) if verified => {
            let fresh = new_nonce();
            let mut conn = crate::engine::db::conn(pool).await?;
            diesel::update(admin_users::table.filter(admin_users::username.eq(&username)))
                .set(admin_users::session_nonce.eq(&fresh))
                .execute(&mut conn)
                .await?;
            Ok(Some(fresh))
        }
        _ => Ok(None),
    }
}

/// Whether `nonce` is `username`'s current session.
pub async fn session_is_current(pool: &DbPool, username: &str, nonce: &str) -> Result<bool, DbError> {
    let mut conn = crate::engine::db::conn(pool).await?;
    let stored: Option<String> = admin_users::table
        .filter(admin_users::username.eq(username))
        .select(admin_users::session_nonce)
        .first(&mut conn)
        .await
        .optional()?;
    Ok(stored.is_some_and(|stored| !stored.is_empty() && constant_time_eq(stored.as_bytes(), nonce.as_bytes())))
}

/// Ends every session of `username` (signing out).
pub async fn end_sessions(pool: &DbPool, username: &str) -> Result<(), DbError> {
    let mut conn = crate::engine::db::conn(pool).await?;
    diesel::update(admin_users::table.filter(admin_users::username.eq(username)))
        .set(admin_users::session_nonce.eq(new_nonce()))
        .execute(&mut conn)
        .await?;
    Ok(())
}

/// The web's view of the admin domain: the same operations on the engine's own pool and
/// password work.
impl Admins<'_> {
    pub async fn sign_in(&self, username: &str, password: &str) -> Result<Option<String>, AdminError> {
        sign_in(&self.pool, &self.passwords, username, password).await
    }

    pub async fn session_is_current(&self, username: &str, nonce: &str) -> Result<bool, DbError> {
        session_is_current(&self.pool, username, nonce).await
    }

    pub async fn end_sessions(&self, username: &str) -> Result<(), DbError> {
        end_sessions(&self.pool, username).await
    }
}
