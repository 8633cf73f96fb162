//! Password hashing for UI users: argon2id with a random salt, stored as a PHC string.
//! Hashing costs tens of milliseconds and 19 MiB of memory by design, so it runs on the
//! blocking pool — and at most [`max_concurrent`] at once in the whole process (one per CPU,
//! whatever the number of clients or addresses): the others wait their turn, and past
//! [`MAX_WAITING`] waiting ones a check is refused as busy (`503`), so a flood of logins
//! cannot take every core or gigabytes of memory. Counted in
//! `outpost_password_checks{result}` and `outpost_password_checks_in_flight`.

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
    #[error("too many password checks are waiting; retry shortly")]
    Busy,
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

/// Checks that may wait for a slot before new ones are refused as busy.
pub const MAX_WAITING: usize = 64;

/// Argon2 computations allowed at once: the number of CPUs (at least 1, at most 16).
pub fn max_concurrent() -> usize {
    static N: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *N.get_or_init(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .clamp(1, 16)
    })
}

struct Gate {
    slots: tokio::sync::Semaphore,
    waiting: std::sync::atomic::AtomicUsize,
    in_flight: std::sync::atomic::AtomicUsize,
    peak: std::sync::atomic::AtomicUsize,
}

fn gate() -> &'static Gate {
    static G: std::sync::OnceLock<Gate> = std::sync::OnceLock::new();
    G.get_or_init(|| Gate {
        slots: tokio::sync::Semaphore::new(max_concurrent()),
        waiting: Default::default(),
        in_flight: Default::default(),
        peak: Default::default(),
    })
}

/// The most argon2 computations that ran at once since the process started.
pub fn peak_in_flight() -> usize {
    gate().peak.load(std::sync::atomic::Ordering::Relaxed)
}

fn count(result: &'static str) {
    crate::metrics::metrics()
        .password_checks
        .get_or_create(&crate::metrics::ResultLabel { result })
        .inc();
}

/// Runs `work` on the blocking pool once a slot is free; `Busy` when too many wait already.
async fn gated<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, PasswordError> {
    use std::sync::atomic::Ordering::Relaxed;
    let g = gate();
    let permit = match g.slots.try_acquire() {
        Ok(p) => p,
        Err(_) => {
            if g.waiting.fetch_add(1, Relaxed) >= MAX_WAITING {
                g.waiting.fetch_sub(1, Relaxed);
                count("busy");
                return Err(PasswordError::Busy);
            }
            count("waited");
            let p = g.slots.acquire().await;
            g.waiting.fetch_sub(1, Relaxed);
            p.map_err(|_| PasswordError::Join)?
        }
    };
    let now = g.in_flight.fetch_add(1, Relaxed) + 1;
    g.peak.fetch_max(now, Relaxed);
    crate::metrics::metrics()
        .password_checks_in_flight
        .set(i64::try_from(now).unwrap_or(i64::MAX));
    count("run");
    let r = tokio::task::spawn_blocking(work).await;
    let left = g.in_flight.fetch_sub(1, Relaxed) - 1;
    crate::metrics::metrics()
        .password_checks_in_flight
        .set(i64::try_from(left).unwrap_or(i64::MAX));
    drop(permit);
    r.map_err(|_| PasswordError::Join)
}

impl From<PasswordError> for crate::error::ApiError {
    fn from(e: PasswordError) -> Self {
        match e {
            PasswordError::Length => crate::error::ApiError::invalid(e.to_string()),
            PasswordError::Busy => crate::error::ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                e.to_string(),
            ),
            other => {
                tracing::error!(error = %other, "password hashing failed");
                crate::error::ApiError::internal()
            }
        }
    }
}

pub async fn hash(password: String) -> Result<String, PasswordError> {
    gated(move || hash_blocking(&password)).await?
}

/// Verifies a password through the process-wide gate. `Err(Busy)` when too many checks are
/// already waiting (the caller answers 503 and the client retries later).
pub async fn verify(password: String, phc: String) -> Result<bool, PasswordError> {
    gated(move || verify_blocking(&password, &phc)).await
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

    /// Argon2 checks have a process-wide concurrency cap — 40 concurrent
    /// verifications never run more than `max_concurrent()` at once, the rest wait (counted),
    /// and all of them still get their answer.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_checks_are_bounded() {
        let phc = hash_blocking("correct horse battery").unwrap();
        let tasks: Vec<_> = (0..40)
            .map(|i| {
                let phc = phc.clone();
                tokio::spawn(async move {
                    let pw = if i % 2 == 0 {
                        "correct horse battery"
                    } else {
                        "wrong password!"
                    };
                    verify(pw.to_string(), phc).await
                })
            })
            .collect();
        for (i, t) in tasks.into_iter().enumerate() {
            assert_eq!(t.await.unwrap().unwrap(), i % 2 == 0);
        }
        assert!(peak_in_flight() >= 1);
        assert!(
            peak_in_flight() <= max_concurrent(),
            "{} > {}",
            peak_in_flight(),
            max_concurrent()
        );
        let waited = crate::metrics::metrics()
            .password_checks
            .get_or_create(&crate::metrics::ResultLabel { result: "waited" })
            .get();
        assert!(
            waited > 0,
            "40 checks on {} slots never waited",
            max_concurrent()
        );
    }

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
