//! Password hashing for UI users: argon2id with a random salt, stored as a PHC string.
//! Hashing costs tens of milliseconds by design, so it runs on the blocking pool.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

/// Shortest accepted password.
pub const MIN_PASSWORD_LEN: usize = 10;
/// Longest accepted password (bounds the hashing work an attacker can ask for).
pub const MAX_PASSWORD_LEN: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password must be {MIN_PASSWORD_LEN}-{MAX_PASSWORD_LEN} bytes")]
    Length,
    #[error("cannot hash password: {0}")]
    Hash(String),
    #[error("hashing task failed")]
    Join,
}

/// Checks the password policy.
pub fn check_policy(password: &str) -> Result<(), PasswordError> {
    if password.len() < MIN_PASSWORD_LEN || password.len() > MAX_PASSWORD_LEN {
        return Err(PasswordError::Length);
    }
    Ok(())
}

/// Hashes `password` (after the policy check) to an argon2id PHC string.
pub fn hash_blocking(password: &str) -> Result<String, PasswordError> {
    check_policy(password)?;
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Verifies `password` against a stored PHC string; a malformed hash never verifies.
pub fn verify_blocking(password: &str, phc: &str) -> bool {
    if password.len() > MAX_PASSWORD_LEN {
        return false;
    }
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

pub async fn hash(password: String) -> Result<String, PasswordError> {
    tokio::task::spawn_blocking(move || hash_blocking(&password))
        .await
        .map_err(|_| PasswordError::Join)?
}

pub async fn verify(password: String, phc: String) -> bool {
    tokio::task::spawn_blocking(move || verify_blocking(&password, &phc))
        .await
        .unwrap_or(false)
}

/// A PHC string of a random password, verified against when a login names an unknown user,
/// so that unknown and known usernames take the same time.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        let random = crate::random_token();
        hash_blocking(&random).unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_policy() {
        let h = hash_blocking("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_blocking("correct horse battery", &h));
        assert!(!verify_blocking("correct horse batterY", &h));
        assert!(!verify_blocking(
            "correct horse battery",
            "not a phc string"
        ));
        assert!(matches!(hash_blocking("short"), Err(PasswordError::Length)));
        // The same password hashes differently each time (random salt).
        assert_ne!(h, hash_blocking("correct horse battery").unwrap());
    }
}
