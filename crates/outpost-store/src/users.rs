//! UI users and their sessions. The store keeps the argon2 PHC string the server computed
//! (never a password) and the SHA-256 of each 256-bit session token.

use crate::ids::{hash_secret, new_id, new_secret};
use crate::{Store, StoreError, dispatch, ms_to_dt, now_ms};
use outpost_core::api::User;
use outpost_core::auth::Role;
use sqlx::Row;

/// A user with the stored password hash, for verifying a login.
#[derive(Clone)]
pub struct UserCredentials {
    pub user: User,
    /// argon2 PHC string.
    pub password_hash: String,
}

impl std::fmt::Debug for UserCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserCredentials")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

fn role_str(r: Role) -> Result<&'static str, StoreError> {
    match r {
        Role::Admin => Ok("admin"),
        Role::Technician => Ok("technician"),
        Role::Customer => Ok("customer"),
        Role::Device => Err(StoreError::Invalid(
            "a user cannot have the device role".into(),
        )),
    }
}

fn parse_role(s: &str) -> Result<Role, StoreError> {
    match s {
        "admin" => Ok(Role::Admin),
        "technician" => Ok(Role::Technician),
        "customer" => Ok(Role::Customer),
        other => Err(StoreError::Corrupt(format!("unknown user role {other:?}"))),
    }
}

/// Checks a username: 1-100 printable characters without spaces.
pub fn validate_username(name: &str) -> Result<(), StoreError> {
    if name.is_empty()
        || name.len() > 100
        || !name
            .chars()
            .all(|c| c.is_ascii_graphic() || c.is_alphanumeric())
    {
        return Err(StoreError::Invalid(
            "username must be 1-100 characters, no spaces or control characters".into(),
        ));
    }
    Ok(())
}

fn user_from_row(r: &impl outpost_db::DbRow) -> Result<User, StoreError> {
    let role: String = r.try_get("role")?;
    Ok(User {
        id: r.try_get("id")?,
        username: r.try_get("username")?,
        role: parse_role(&role)?,
        tenant_id: r.try_get("tenant_id")?,
        created_at: ms_to_dt(r.try_get("created_at")?),
        disabled: r.try_get::<Option<i64>>("disabled_at")?.is_some(),
    })
}

impl Store {
    /// Creates a user. `password_hash` is an argon2 PHC string made by the caller. Customers
    /// must belong to a tenant; staff must not.
    pub async fn create_user(
        &self,
        username: &str,
        password_hash: &str,
        role: Role,
        tenant_id: Option<&str>,
    ) -> Result<User, StoreError> {
        validate_username(username)?;
        let role_s = role_str(role)?;
        let needs_tenant = role == Role::Customer;
        if needs_tenant != tenant_id.is_some() {
            return Err(StoreError::Invalid(if needs_tenant {
                "a customer user needs a tenant".into()
            } else {
                format!("a {role_s} user is not bound to a tenant")
            }));
        }
        if let Some(t) = tenant_id {
            self.find_tenant(t).await?;
        }
        let user = User {
            id: new_id(),
            username: username.to_string(),
            role,
            tenant_id: tenant_id.map(str::to_string),
            created_at: ms_to_dt(now_ms()),
            disabled: false,
        };
        let n = dispatch!(self, p => {
            sqlx::query("INSERT INTO users (id, username, password_hash, role, tenant_id, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (username) DO NOTHING")
                .bind(&user.id).bind(&user.username).bind(password_hash).bind(role_s)
                .bind(&user.tenant_id).bind(user.created_at.timestamp_millis())
                .execute(p).await?.rows_affected()
        });
        if n == 0 {
            return Err(StoreError::Conflict(format!("user {username:?}")));
        }
        Ok(user)
    }

    /// The user and password hash for a login; disabled users are not returned.
    pub async fn user_credentials(
        &self,
        username: &str,
    ) -> Result<Option<UserCredentials>, StoreError> {
        dispatch!(self, p => {
            let row = sqlx::query("SELECT id, username, password_hash, role, tenant_id, created_at, disabled_at FROM users WHERE username = $1 AND disabled_at IS NULL")
                .bind(username).fetch_optional(p).await?;
            match row {
                None => Ok(None),
                Some(r) => Ok(Some(UserCredentials { password_hash: r.try_get("password_hash")?, user: user_from_row(&r)? })),
            }
        })
    }

    /// Users, optionally of one tenant.
    pub async fn list_users(&self, tenant_id: Option<&str>) -> Result<Vec<User>, StoreError> {
        dispatch!(self, p => {
            let rows = sqlx::query("SELECT id, username, role, tenant_id, created_at, disabled_at FROM users WHERE ($1 IS NULL OR tenant_id = $1) ORDER BY username")
                .bind(tenant_id).fetch_all(p).await?;
            rows.iter().map(user_from_row).collect()
        })
    }

    pub async fn get_user(&self, id: &str) -> Result<User, StoreError> {
        dispatch!(self, p => {
            let row = sqlx::query("SELECT id, username, role, tenant_id, created_at, disabled_at FROM users WHERE id = $1")
                .bind(id).fetch_optional(p).await?;
            match row {
                None => Err(StoreError::NotFound(format!("user {id:?}"))),
                Some(r) => user_from_row(&r),
            }
        })
    }

    /// Disables a user and ends all their sessions.
    pub async fn disable_user(&self, id: &str) -> Result<(), StoreError> {
        let now = now_ms();
        dispatch!(self, p => {
            let mut tx = p.begin().await?;
            // A user the OIDC mapping disabled becomes admin-disabled (a later login through
            // the provider no longer re-enables it).
            let n = sqlx::query("UPDATE users SET disabled_at = COALESCE(disabled_at, $2), disabled_by = 'admin' WHERE id = $1 AND (disabled_at IS NULL OR disabled_by = 'oidc')")
                .bind(id).bind(now).execute(&mut *tx).await?.rows_affected();
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
            tx.commit().await?;
            if n == 0 { return Err(StoreError::NotFound(format!("active user {id:?}"))); }
        });
        Ok(())
    }

    /// Replaces a user's password hash and ends their sessions.
    pub async fn set_password(&self, id: &str, password_hash: &str) -> Result<(), StoreError> {
        dispatch!(self, p => {
            let mut tx = p.begin().await?;
            let n = sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
                .bind(id).bind(password_hash).execute(&mut *tx).await?.rows_affected();
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
            tx.commit().await?;
            if n == 0 { return Err(StoreError::NotFound(format!("user {id:?}"))); }
        });
        Ok(())
    }

    /// Starts a session for `user_id`, valid for `ttl`; returns the token (shown once).
    pub async fn create_session(
        &self,
        user_id: &str,
        ttl: std::time::Duration,
    ) -> Result<(String, chrono::DateTime<chrono::Utc>), StoreError> {
        let token = new_secret("ops");
        let now = now_ms();
        let expires = now.saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX));
        dispatch!(self, p => {
            sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
                .bind(hash_secret(&token)).bind(user_id).bind(now).bind(expires)
                .execute(p).await?;
        });
        Ok((token, ms_to_dt(expires)))
    }

    /// The user of a live session; expired sessions and disabled users give `None`.
    pub async fn session_user(&self, token: &str) -> Result<Option<User>, StoreError> {
        dispatch!(self, p => {
            let row = sqlx::query("SELECT u.id, u.username, u.role, u.tenant_id, u.created_at, u.disabled_at FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled_at IS NULL")
                .bind(hash_secret(token)).bind(now_ms()).fetch_optional(p).await?;
            match row {
                None => Ok(None),
                Some(r) => Ok(Some(user_from_row(&r)?)),
            }
        })
    }

    /// Ends a session (logout). Unknown tokens are ignored.
    pub async fn delete_session(&self, token: &str) -> Result<(), StoreError> {
        dispatch!(self, p => {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(hash_secret(token)).execute(p).await?;
        });
        Ok(())
    }

    /// Deletes expired sessions (and expired OIDC logins in progress); returns how many
    /// sessions.
    pub async fn purge_sessions(&self) -> Result<u64, StoreError> {
        Ok(dispatch!(self, p => {
            sqlx::query("DELETE FROM oidc_logins WHERE expires_at <= $1").bind(now_ms()).execute(p).await?;
            sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now_ms()).execute(p).await?.rows_affected()
        }))
    }

    /// Records an OIDC login in progress under the SHA-256 of its `state`, valid for `ttl`.
    pub async fn oidc_login_begin(
        &self,
        state: &str,
        login: &PendingOidcLogin,
        ttl: std::time::Duration,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let expires = now.saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX));
        dispatch!(self, p => {
            sqlx::query("INSERT INTO oidc_logins (state_hash, provider, nonce, pkce_verifier, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(hash_secret(state)).bind(&login.provider).bind(&login.nonce).bind(&login.pkce_verifier)
                .bind(now).bind(expires).execute(p).await?;
        });
        Ok(())
    }

    /// Takes (deletes and returns) the unexpired OIDC login of `state`: a state is good for
    /// one callback only.
    pub async fn oidc_login_take(
        &self,
        state: &str,
    ) -> Result<Option<PendingOidcLogin>, StoreError> {
        dispatch!(self, p => {
            let row = sqlx::query("DELETE FROM oidc_logins WHERE state_hash = $1 RETURNING provider, nonce, pkce_verifier, expires_at")
                .bind(hash_secret(state)).fetch_optional(p).await?;
            match row {
                None => Ok(None),
                Some(r) => {
                    let expires: i64 = r.try_get("expires_at")?;
                    if expires <= now_ms() {
                        return Ok(None);
                    }
                    Ok(Some(PendingOidcLogin {
                        provider: r.try_get("provider")?,
                        nonce: r.try_get("nonce")?,
                        pkce_verifier: r.try_get("pkce_verifier")?,
                    }))
                }
            }
        })
    }

    /// The user linked to an OIDC identity, disabled or not, with who disabled it.
    async fn oidc_user(
        &self,
        provider: &str,
        subject: &str,
    ) -> Result<Option<(User, Option<String>)>, StoreError> {
        dispatch!(self, p => {
            let row = sqlx::query("SELECT id, username, role, tenant_id, created_at, disabled_at, disabled_by FROM users WHERE oidc_provider = $1 AND oidc_subject = $2")
                .bind(provider).bind(subject).fetch_optional(p).await?;
            match row {
                None => Ok(None),
                Some(r) => Ok(Some((user_from_row(&r)?, r.try_get("disabled_by")?))),
            }
        })
    }

    /// Applies an OIDC login's mapped role and tenant to the user linked to (`provider`,
    /// `subject`): created on its first login (just in time), otherwise updated — a changed
    /// role or tenant ends the user's other sessions, and a user the mapping had disabled is
    /// enabled again. A user an admin disabled stays disabled: [`OidcLogin::Disabled`].
    pub async fn oidc_login_user(
        &self,
        provider: &str,
        subject: &str,
        username: &str,
        role: Role,
        tenant_id: Option<&str>,
    ) -> Result<OidcLogin, StoreError> {
        validate_username(username)?;
        let role_s = role_str(role)?;
        if (role == Role::Customer) != tenant_id.is_some() {
            return Err(StoreError::Invalid(
                "a customer user needs a tenant, staff none".into(),
            ));
        }
        if let Some(t) = tenant_id {
            self.find_tenant(t).await?;
        }
        match self.oidc_user(provider, subject).await? {
            Some((user, by)) if user.disabled && by.as_deref() != Some("oidc") => {
                Ok(OidcLogin::Disabled(user))
            }
            Some((user, _)) => {
                let scope_changed = user.role != role || user.tenant_id.as_deref() != tenant_id;
                dispatch!(self, p => {
                    let mut tx = p.begin().await?;
                    let n = sqlx::query("UPDATE users SET username = $2, role = $3, tenant_id = $4, disabled_at = NULL, disabled_by = NULL WHERE id = $1 AND (disabled_at IS NULL OR disabled_by = 'oidc')")
                        .bind(&user.id).bind(username).bind(role_s).bind(tenant_id)
                        .execute(&mut *tx).await.map_err(|e| unique_conflict(e, username))?.rows_affected();
                    if scope_changed || user.disabled {
                        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(&user.id).execute(&mut *tx).await?;
                    }
                    tx.commit().await?;
                    if n == 0 {
                        return Err(StoreError::Conflict(format!("user {:?} was disabled meanwhile", user.username)));
                    }
                });
                Ok(OidcLogin::Updated {
                    user: self.get_user(&user.id).await?,
                    scope_changed,
                })
            }
            None => {
                let user = User {
                    id: new_id(),
                    username: username.to_string(),
                    role,
                    tenant_id: tenant_id.map(str::to_string),
                    created_at: ms_to_dt(now_ms()),
                    disabled: false,
                };
                dispatch!(self, p => {
                    sqlx::query("INSERT INTO users (id, username, password_hash, role, tenant_id, created_at, oidc_provider, oidc_subject) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                        .bind(&user.id).bind(&user.username).bind(OIDC_PASSWORD_HASH).bind(role_s)
                        .bind(&user.tenant_id).bind(user.created_at.timestamp_millis()).bind(provider).bind(subject)
                        .execute(p).await.map_err(|e| unique_conflict(e, username))?;
                });
                Ok(OidcLogin::Created(user))
            }
        }
    }

    /// Disables the user linked to (`provider`, `subject`) because the claim mapping no
    /// longer maps them, and ends their sessions. `Ok(None)`: no such user, or already
    /// disabled.
    pub async fn oidc_disable_user(
        &self,
        provider: &str,
        subject: &str,
    ) -> Result<Option<User>, StoreError> {
        let Some((user, _)) = self.oidc_user(provider, subject).await? else {
            return Ok(None);
        };
        if user.disabled {
            return Ok(None);
        }
        dispatch!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query("UPDATE users SET disabled_at = $2, disabled_by = 'oidc' WHERE id = $1 AND disabled_at IS NULL")
                .bind(&user.id).bind(now_ms()).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(&user.id).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(Some(user))
    }

    /// Keeps the ID token a session was started with (the `id_token_hint` of its logout).
    pub async fn set_session_id_token(
        &self,
        token: &str,
        id_token: &str,
    ) -> Result<(), StoreError> {
        dispatch!(self, p => {
            sqlx::query("UPDATE sessions SET oidc_id_token = $2 WHERE token_hash = $1")
                .bind(hash_secret(token)).bind(id_token).execute(p).await?;
        });
        Ok(())
    }

    /// The ID token a live session was started with, if it came from an OpenID Provider.
    pub async fn session_id_token(&self, token: &str) -> Result<Option<String>, StoreError> {
        dispatch!(self, p => {
            let row = sqlx::query("SELECT oidc_id_token FROM sessions WHERE token_hash = $1")
                .bind(hash_secret(token)).fetch_optional(p).await?;
            match row {
                None => Ok(None),
                Some(r) => Ok(r.try_get("oidc_id_token")?),
            }
        })
    }

    /// The OIDC provider a user signs in through, if any.
    pub async fn user_oidc_provider(&self, user_id: &str) -> Result<Option<String>, StoreError> {
        dispatch!(self, p => {
            let row = sqlx::query("SELECT oidc_provider FROM users WHERE id = $1").bind(user_id).fetch_optional(p).await?;
            match row {
                None => Ok(None),
                Some(r) => Ok(r.try_get("oidc_provider")?),
            }
        })
    }
}

/// The `password_hash` of users who sign in through an OpenID Provider: no PHC string, so
/// no password ever verifies (local logins treat the user as unknown).
pub const OIDC_PASSWORD_HASH: &str = "!oidc";

/// An OIDC login in progress (see [`Store::oidc_login_begin`]).
#[derive(Clone)]
pub struct PendingOidcLogin {
    pub provider: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

impl std::fmt::Debug for PendingOidcLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingOidcLogin")
            .field("provider", &self.provider)
            .finish_non_exhaustive()
    }
}

/// What [`Store::oidc_login_user`] did.
#[derive(Debug, Clone)]
pub enum OidcLogin {
    /// First login: the user was created.
    Created(User),
    /// The user exists; `scope_changed` when its role or tenant changed (sessions ended).
    Updated { user: User, scope_changed: bool },
    /// An admin disabled the user: no login.
    Disabled(User),
}

fn unique_conflict(e: sqlx::Error, username: &str) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            StoreError::Conflict(format!("user {username:?} (another account has this name)"))
        }
        _ => e.into(),
    }
}
