//! Tenants, API and enrollment keys, devices.

use crate::ids::{hash_secret, new_id, new_secret};
use crate::{Store, StoreError, dispatch, ms_to_dt, now_ms};
use outpost_core::api::{Device, Tenant};
use sqlx::Row;

/// What a key is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// Lets a device of one tenant enroll.
    Enrollment,
    /// Full API access (all tenants).
    Admin,
    /// Integration key with technician rights (all tenants).
    Technician,
    /// Integration key with a customer's rights (one tenant).
    Customer,
}

impl KeyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Enrollment => "enrollment",
            KeyKind::Admin => "admin",
            KeyKind::Technician => "technician",
            KeyKind::Customer => "customer",
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            KeyKind::Enrollment => "ope",
            KeyKind::Admin => "opa",
            KeyKind::Technician => "opt",
            KeyKind::Customer => "opc",
        }
    }

    pub fn parse(s: &str) -> Option<KeyKind> {
        match s {
            "enrollment" => Some(KeyKind::Enrollment),
            "admin" => Some(KeyKind::Admin),
            "technician" => Some(KeyKind::Technician),
            "customer" => Some(KeyKind::Customer),
            _ => None,
        }
    }

    /// Whether a key of this kind must belong to a tenant.
    pub fn needs_tenant(self) -> bool {
        matches!(self, KeyKind::Enrollment | KeyKind::Customer)
    }
}

/// A stored key, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ApiKeyInfo {
    pub id: String,
    pub kind: &'static str,
    pub tenant_id: Option<String>,
    pub name: String,
    /// The first characters of the secret, to recognise it in a list.
    pub prefix: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub revoked: bool,
}

/// An authenticated device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceAuth {
    pub device_id: String,
    pub tenant_id: String,
    pub hostname: String,
}

impl Store {
    pub async fn create_tenant(&self, name: &str) -> Result<Tenant, StoreError> {
        let name = name.trim();
        if name.is_empty() || name.len() > 200 {
            return Err(StoreError::Invalid(
                "tenant name must be 1-200 characters".into(),
            ));
        }
        let t = Tenant {
            id: new_id(),
            name: name.to_string(),
            created_at: ms_to_dt(now_ms()),
        };
        let res = dispatch!(self, p => {
            sqlx::query("INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING")
                .bind(&t.id).bind(&t.name).bind(t.created_at.timestamp_millis())
                .execute(p).await?.rows_affected()
        });
        if res == 0 {
            return Err(StoreError::Conflict(format!("tenant {name:?}")));
        }
        Ok(t)
    }

    pub async fn list_tenants(&self) -> Result<Vec<Tenant>, StoreError> {
        dispatch!(self, p => {
            let rows = sqlx::query("SELECT id, name, created_at FROM tenants ORDER BY name").fetch_all(p).await?;
            rows.iter().map(|r| Ok(Tenant {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                created_at: ms_to_dt(r.try_get("created_at")?),
            })).collect()
        })
    }

    /// Finds a tenant by id or, failing that, by name.
    pub async fn find_tenant(&self, id_or_name: &str) -> Result<Tenant, StoreError> {
        dispatch!(self, p => {
            let row = sqlx::query("SELECT id, name, created_at FROM tenants WHERE id = $1 OR name = $1 ORDER BY (id = $1) DESC LIMIT 1")
                .bind(id_or_name).fetch_optional(p).await?;
            match row {
                Some(r) => Ok(Tenant { id: r.try_get("id")?, name: r.try_get("name")?, created_at: ms_to_dt(r.try_get("created_at")?) }),
                None => Err(StoreError::NotFound(format!("tenant {id_or_name:?}"))),
            }
        })
    }

    /// Creates a key and returns it with its secret, which is not stored and cannot be shown again.
    pub async fn create_key(
        &self,
        kind: KeyKind,
        tenant_id: Option<&str>,
        name: &str,
    ) -> Result<(ApiKeyInfo, String), StoreError> {
        if kind.needs_tenant() != tenant_id.is_some() {
            return Err(StoreError::Invalid(if kind.needs_tenant() {
                format!("a {} key needs a tenant", kind.as_str())
            } else {
                format!("a {} key is not bound to a tenant", kind.as_str())
            }));
        }
        if let Some(t) = tenant_id {
            self.find_tenant(t).await?;
        }
        let secret = new_secret(kind.prefix());
        let info = ApiKeyInfo {
            id: new_id(),
            kind: kind.as_str(),
            tenant_id: tenant_id.map(str::to_string),
            name: name.to_string(),
            prefix: secret[..10].to_string(),
            created_at: ms_to_dt(now_ms()),
            revoked: false,
        };
        dispatch!(self, p => {
            sqlx::query("INSERT INTO api_keys (id, kind, tenant_id, name, secret_hash, prefix, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(&info.id).bind(info.kind).bind(&info.tenant_id).bind(&info.name)
                .bind(hash_secret(&secret)).bind(&info.prefix).bind(info.created_at.timestamp_millis())
                .execute(p).await?;
        });
        Ok((info, secret))
    }

    /// Looks a presented key up by the hash of its secret; revoked keys are not returned.
    pub async fn resolve_key(&self, secret: &str) -> Result<Option<ApiKeyInfo>, StoreError> {
        dispatch!(self, p => {
            let row = sqlx::query("SELECT id, kind, tenant_id, name, prefix, created_at FROM api_keys WHERE secret_hash = $1 AND revoked_at IS NULL")
                .bind(hash_secret(secret)).fetch_optional(p).await?;
            match row {
                None => Ok(None),
                Some(r) => {
                    let kind: String = r.try_get("kind")?;
                    let kind = KeyKind::parse(&kind).ok_or_else(|| StoreError::Corrupt(format!("unknown key kind {kind:?}")))?;
                    Ok(Some(ApiKeyInfo {
                        id: r.try_get("id")?,
                        kind: kind.as_str(),
                        tenant_id: r.try_get("tenant_id")?,
                        name: r.try_get("name")?,
                        prefix: r.try_get("prefix")?,
                        created_at: ms_to_dt(r.try_get("created_at")?),
                        revoked: false,
                    }))
                }
            }
        })
    }

    /// Registers a device of `tenant_id` and returns it with its token (shown once).
    pub async fn create_device(
        &self,
        tenant_id: &str,
        hostname: &str,
        os: Option<&str>,
        agent_version: Option<&str>,
    ) -> Result<(Device, String), StoreError> {
        let hostname = hostname.trim();
        if hostname.is_empty() || hostname.len() > 255 {
            return Err(StoreError::Invalid(
                "hostname must be 1-255 characters".into(),
            ));
        }
        let token = new_secret("opd");
        let dev = Device {
            id: new_id(),
            tenant_id: tenant_id.to_string(),
            hostname: hostname.to_string(),
            os: os.map(str::to_string),
            agent_version: agent_version.map(str::to_string),
            enrolled_at: ms_to_dt(now_ms()),
            last_seen_at: None,
            hotlist_version: None,
        };
        dispatch!(self, p => {
            sqlx::query("INSERT INTO devices (id, tenant_id, hostname, os, agent_version, token_hash, enrolled_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(&dev.id).bind(&dev.tenant_id).bind(&dev.hostname).bind(&dev.os).bind(&dev.agent_version)
                .bind(hash_secret(&token)).bind(dev.enrolled_at.timestamp_millis())
                .execute(p).await?;
        });
        Ok((dev, token))
    }

    /// Authenticates a device token; revoked devices are refused.
    pub async fn device_by_token(&self, token: &str) -> Result<Option<DeviceAuth>, StoreError> {
        dispatch!(self, p => {
            let row = sqlx::query("SELECT id, tenant_id, hostname FROM devices WHERE token_hash = $1 AND revoked_at IS NULL")
                .bind(hash_secret(token)).fetch_optional(p).await?;
            row.map(|r| Ok(DeviceAuth { device_id: r.try_get("id")?, tenant_id: r.try_get("tenant_id")?, hostname: r.try_get("hostname")? }))
                .transpose()
        })
    }

    /// Records that a device was seen, with what it reported.
    pub async fn touch_device(
        &self,
        device_id: &str,
        agent_version: Option<&str>,
        hotlist_version: Option<&str>,
    ) -> Result<(), StoreError> {
        dispatch!(self, p => {
            sqlx::query("UPDATE devices SET last_seen_at = $2, agent_version = COALESCE($3, agent_version), hotlist_version = COALESCE($4, hotlist_version) WHERE id = $1")
                .bind(device_id).bind(now_ms()).bind(agent_version).bind(hotlist_version)
                .execute(p).await?;
        });
        Ok(())
    }

    /// Devices, optionally of one tenant, ordered by hostname.
    pub async fn list_devices(&self, tenant_id: Option<&str>) -> Result<Vec<Device>, StoreError> {
        dispatch!(self, p => {
            let rows = sqlx::query("SELECT id, tenant_id, hostname, os, agent_version, enrolled_at, last_seen_at, hotlist_version FROM devices WHERE ($1 IS NULL OR tenant_id = $1) AND revoked_at IS NULL ORDER BY hostname, id")
                .bind(tenant_id).fetch_all(p).await?;
            rows.iter().map(|r| Ok(Device {
                id: r.try_get("id")?,
                tenant_id: r.try_get("tenant_id")?,
                hostname: r.try_get("hostname")?,
                os: r.try_get("os")?,
                agent_version: r.try_get("agent_version")?,
                enrolled_at: ms_to_dt(r.try_get("enrolled_at")?),
                last_seen_at: r.try_get::<Option<i64>, _>("last_seen_at")?.map(ms_to_dt),
                hotlist_version: r.try_get("hotlist_version")?,
            })).collect()
        })
    }
}
