//! Password sign-in of local users, for `POST /api/v1/auth/login` and the UI's login form.
//!
//! In order: refused when `[auth] local_login` is off; one attempt of the client address's
//! login rate limit (IPv6 per /64); an empty or over-long username or an over-long password
//! is a failed login without a lookup; users of an OpenID Provider have no password and count
//! as unknown; unknown users cost the same argon2 verification as known ones (a dummy
//! hash). A success creates a session of `session_hours`. Every outcome is counted in
//! `outpost_logins_total{result}`.

use super::{ServiceError, Via};
use crate::AppState;
use crate::config::ServerConfig;
use crate::limits::Limits;
use crate::metrics::{ResultLabel, metrics};
use chrono::{DateTime, Utc};
use outpost_core::api::User;
use outpost_store::Store;
use std::net::IpAddr;
use std::time::Duration;

/// The message of every failed login (which part was wrong is not told).
pub const WRONG_CREDENTIALS: &str = "wrong username or password";

/// Longest username accepted.
const MAX_USERNAME_LEN: usize = 100;

/// A new session.
#[derive(Debug)]
pub struct Session {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    /// Its lifetime (the cookie's `Max-Age`).
    pub ttl: Duration,
    pub user: User,
}

/// The refusal of a password login when `[auth] local_login = false`.
pub fn local_login_off() -> ServiceError {
    ServiceError::Forbidden(
        "local login is turned off; sign in through your identity provider".into(),
    )
}

/// Whether a username and password are worth looking up: a username of 1–100 bytes, a
/// password not longer than the password policy allows.
pub fn plausible(username: &str, password: &str) -> bool {
    !username.is_empty()
        && username.len() <= MAX_USERNAME_LEN
        && password.len() <= crate::password::MAX_PASSWORD_LEN
}

/// The login service over the configuration, the rate limits and the store.
pub struct Login<'a> {
    config: &'a ServerConfig,
    limits: &'a Limits,
    store: &'a Store,
}

impl AppState {
    /// The login service over this state.
    pub fn login(&self) -> Login<'_> {
        Login {
            config: &self.config,
            limits: &self.limits,
            store: &self.store,
        }
    }
}

fn count(result: &'static str) {
    metrics()
        .logins
        .get_or_create(&ResultLabel { result })
        .inc();
}

impl Login<'_> {
    /// Signs `username` in with `password` from `peer` (see the module docs). Wrong
    /// credentials are [`ServiceError::Unauthorized`] with [`WRONG_CREDENTIALS`].
    pub async fn password(
        &self,
        peer: Option<IpAddr>,
        username: &str,
        password: String,
        via: Via,
    ) -> Result<Session, ServiceError> {
        if !self.config.auth.local_login {
            return Err(local_login_off());
        }
        let peer = peer.unwrap_or(IpAddr::from([0, 0, 0, 0]));
        self.limits
            .check_login(peer)
            .map_err(ServiceError::Refused)?;
        let failed = || {
            count("failed");
            ServiceError::Unauthorized(WRONG_CREDENTIALS.into())
        };
        if !plausible(username, &password) {
            return Err(failed());
        }
        // Users of an OpenID Provider have no password: treated as unknown.
        let creds = self
            .store
            .user_credentials(username)
            .await?
            .filter(|c| c.password_hash != outpost_store::OIDC_PASSWORD_HASH);
        let phc = creds
            .as_ref()
            .map(|c| c.password_hash.clone())
            .unwrap_or_else(|| crate::password::dummy_hash().to_string());
        let ok = crate::password::verify(password, phc).await?;
        let Some(creds) = creds.filter(|_| ok) else {
            tracing::info!(username = %username, client = %peer, ?via, "login failed");
            return Err(failed());
        };
        let ttl = Duration::from_secs(u64::from(self.config.session_hours.max(1)) * 3600);
        let (token, expires_at) = self.store.create_session(&creds.user.id, ttl).await?;
        count("ok");
        tracing::info!(username = %creds.user.username, role = ?creds.user.role, ?via, "login");
        Ok(Session {
            token,
            expires_at,
            ttl,
            user: creds.user,
        })
    }
}
