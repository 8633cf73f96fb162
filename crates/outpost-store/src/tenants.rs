//! Tenants, API and enrollment keys, devices.

use crate::ids::{hash_secret, new_id, new_secret};
use crate::{Store, StoreError, dispatch, ms_to_dt, now_ms};
use outpost_core::api::{Device, Tenant};
use sqlx::Row;

macro_rules! device_from_row {
    ($r:expr, $now:expr) => {{
        let r = $r;
        let last_checkin: Option<i64> = r.try_get("last_checkin_at")?;
        let last_seen: Option<i64> = r.try_get("last_seen_at")?;
        let interval: Option<i64> = r.try_get("checkin_interval_s")?;
        let counters: Option<String> = r.try_get("counters")?;
        let intel: Option<String> = r.try_get("intel_status")?;
        Device {
            id: r.try_get("id")?,
            tenant_id: r.try_get("tenant_id")?,
            hostname: r.try_get("hostname")?,
            os: r.try_get("os")?,
            agent_version: r.try_get("agent_version")?,
            enrolled_at: ms_to_dt(r.try_get("enrolled_at")?),
            last_seen_at: last_seen.map(ms_to_dt),
            hotlist_version: r.try_get("hotlist_version")?,
            last_checkin_at: last_checkin.map(ms_to_dt),
            online: is_online($now, last_checkin, interval, last_seen),
            counters: counters.and_then(|c| serde_json::from_str(&c).ok()),
            reported_config_version: r.try_get("reported_config_version")?,
            config_version: r.try_get("config_version")?,
            intel: intel.and_then(|c| serde_json::from_str(&c).ok()),
        }
    }};
}

macro_rules! key_from_row {
    ($r:expr, $revoked:expr) => {{
        let r = $r;
        let kind: String = r.try_get("kind")?;
        let kind = KeyKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown key kind {kind:?}")))?;
        ApiKeyInfo {
            id: r.try_get("id")?,
            kind: kind.as_str(),
            tenant_id: r.try_get("tenant_id")?,
            name: r.try_get("name")?,
            prefix: r.try_get("prefix")?,
            created_at: ms_to_dt(r.try_get("created_at")?),
            revoked: $revoked,
        }
    }};
}

/// Decodes a device's stored configuration columns into `(version, config)`.
macro_rules! config_from_row {
    ($r:expr) => {{
        let r = $r;
        let version: Option<String> = r.try_get("config_version")?;
        let config: Option<String> = r.try_get("config")?;
        let config = config
            .map(|c| serde_json::from_str(&c))
            .transpose()
            .map_err(|e| StoreError::Corrupt(format!("device config: {e}")))?;
        Ok((version, config))
    }};
}

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
                Some(r) => Ok(Some(key_from_row!(&r, false))),
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
            last_checkin_at: None,
            online: false,
            counters: None,
            reported_config_version: None,
            config_version: None,
            intel: None,
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

    /// Devices, optionally of one tenant, ordered by hostname.
    pub async fn list_devices(&self, tenant_id: Option<&str>) -> Result<Vec<Device>, StoreError> {
        let now = now_ms();
        dispatch!(self, p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {DEVICE_COLS} FROM devices WHERE ($1 IS NULL OR tenant_id = $1) AND revoked_at IS NULL ORDER BY hostname, id")))
                .bind(tenant_id).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows { out.push(device_from_row!(r, now)); }
            Ok(out)
        })
    }

    /// Active (not revoked) devices whose hostname equals `hostname` ignoring ASCII case,
    /// optionally of one tenant; the most recently active first (last check-in or upload,
    /// else enrollment), so a re-enrolled machine's current device comes before its old one.
    pub async fn find_devices_by_hostname(
        &self,
        tenant_id: Option<&str>,
        hostname: &str,
    ) -> Result<Vec<Device>, StoreError> {
        let now = now_ms();
        let hostname = hostname.trim().to_ascii_lowercase();
        dispatch!(self, p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {DEVICE_COLS} FROM devices WHERE ($1 IS NULL OR tenant_id = $1) AND LOWER(hostname) = $2 AND revoked_at IS NULL \
                ORDER BY COALESCE(last_checkin_at, last_seen_at, enrolled_at) DESC, enrolled_at DESC, id LIMIT 100")))
                .bind(tenant_id).bind(&hostname).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows { out.push(device_from_row!(r, now)); }
            Ok(out)
        })
    }

    /// Active devices that may be the host called `name` (ASCII case ignored, a trailing dot
    /// dropped), optionally of one tenant, the most recently active first: those whose
    /// hostname is `name` itself, or its first label (`web01` for `web01.corp.example`), or
    /// starts with that label and a dot (`web01.…` for `web01`). The caller decides which of
    /// them match (a full name's other domains do not).
    pub async fn find_devices_for_host(
        &self,
        tenant_id: Option<&str>,
        name: &str,
    ) -> Result<Vec<Device>, StoreError> {
        let now = now_ms();
        let full = name.trim().trim_end_matches('.').to_ascii_lowercase();
        let short = full.split('.').next().unwrap_or_default().to_string();
        let mut pattern = String::with_capacity(short.len() + 2);
        for c in short.chars() {
            if matches!(c, '%' | '_' | '\\') {
                pattern.push('\\');
            }
            pattern.push(c);
        }
        pattern.push_str(".%");
        dispatch!(self, p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {DEVICE_COLS} FROM devices WHERE ($1 IS NULL OR tenant_id = $1) AND revoked_at IS NULL \
                AND (LOWER(hostname) = $2 OR LOWER(hostname) = $3 OR LOWER(hostname) LIKE $4 ESCAPE '\\') \
                ORDER BY COALESCE(last_checkin_at, last_seen_at, enrolled_at) DESC, enrolled_at DESC, id LIMIT 200")))
                .bind(tenant_id).bind(&full).bind(&short).bind(&pattern).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows { out.push(device_from_row!(r, now)); }
            Ok(out)
        })
    }

    /// One device (revoked ones included, so their history stays readable).
    pub async fn get_device(&self, id: &str) -> Result<Device, StoreError> {
        let now = now_ms();
        dispatch!(self, p => {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {DEVICE_COLS} FROM devices WHERE id = $1")))
                .bind(id).fetch_optional(p).await?;
            match row {
                None => Err(StoreError::NotFound(format!("device {id:?}"))),
                Some(r) => Ok(device_from_row!(&r, now)),
            }
        })
    }

    /// Revokes a device: its token stops working at once.
    pub async fn revoke_device(&self, id: &str) -> Result<(), StoreError> {
        let n = dispatch!(self, p => {
            sqlx::query("UPDATE devices SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
                .bind(id).bind(now_ms()).execute(p).await?.rows_affected()
        });
        if n == 0 {
            return Err(StoreError::NotFound(format!("active device {id:?}")));
        }
        Ok(())
    }

    /// Records a check-in at once (what [`Store::apply_device_reports`] does for a batch) and
    /// returns the configuration the server wants the device to run
    /// (`(config_version, config)`).
    pub async fn record_checkin(
        &self,
        device_id: &str,
        c: &CheckinUpdate<'_>,
    ) -> Result<(Option<String>, Option<serde_json::Value>), StoreError> {
        self.apply_device_reports(&[(device_id.to_string(), DeviceReport::of_checkin(c)?)])
            .await?;
        self.device_config(device_id).await
    }

    /// Writes devices' reports, [`REPORT_CHUNK`] devices per transaction (a check-in sets
    /// `last_checkin_at` too); devices that no longer exist are skipped. Chunks keep each
    /// write transaction short, so hit uploads waiting for SQLite's single writer interleave
    /// with a large flush instead of queueing behind all of it.
    pub async fn apply_device_reports(
        &self,
        reports: &[(String, DeviceReport)],
    ) -> Result<(), StoreError> {
        for chunk in reports.chunks(REPORT_CHUNK) {
            self.apply_device_report_chunk(chunk).await?;
        }
        Ok(())
    }

    async fn apply_device_report_chunk(
        &self,
        reports: &[(String, DeviceReport)],
    ) -> Result<(), StoreError> {
        let _gate = self.write_gate().await;
        dispatch!(self, p => {
            let mut tx = p.begin().await?;
            for (id, r) in reports {
                // Replicas flush independently: a report older than what another replica
                // already wrote changes nothing (every SET sees the row as it was).
                sqlx::query("UPDATE devices SET last_seen_at = $2, last_checkin_at = CASE WHEN $10 = 1 THEN $2 ELSE last_checkin_at END, agent_version = COALESCE($3, agent_version), hotlist_version = COALESCE($4, hotlist_version), reported_config_version = COALESCE($5, reported_config_version), counters = COALESCE($6, counters), os = COALESCE($7, os), checkin_interval_s = COALESCE($8, checkin_interval_s), intel_status = COALESCE($9, intel_status) WHERE id = $1 AND (last_seen_at IS NULL OR last_seen_at <= $2)")
                    .bind(id).bind(r.seen_at).bind(&r.agent_version).bind(&r.hotlist_version).bind(&r.config_version)
                    .bind(&r.counters).bind(&r.os).bind(r.interval_s).bind(&r.intel).bind(i64::from(r.checkin))
                    .execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// The configuration version the server wants a device to run, if any.
    pub async fn device_config_version(
        &self,
        device_id: &str,
    ) -> Result<Option<String>, StoreError> {
        dispatch!(self, p => {
            let row = sqlx::query("SELECT config_version FROM devices WHERE id = $1").bind(device_id).fetch_optional(p).await?;
            match row { Some(r) => Ok(r.try_get("config_version")?), None => Err(StoreError::NotFound(format!("device {device_id:?}"))) }
        })
    }

    /// The configuration the server wants a device to run: `(version, config)`.
    pub async fn device_config(
        &self,
        device_id: &str,
    ) -> Result<(Option<String>, Option<serde_json::Value>), StoreError> {
        dispatch!(self, p => {
            let row = sqlx::query("SELECT config_version, config FROM devices WHERE id = $1").bind(device_id).fetch_optional(p).await?
                .ok_or_else(|| StoreError::NotFound(format!("device {device_id:?}")))?;
            config_from_row!(&row)
        })
    }

    /// The newest configuration version of any device: a cheap change marker for other
    /// replicas' configuration changes.
    pub async fn config_marker(&self) -> Result<Option<String>, StoreError> {
        dispatch!(self, p => {
            let row = sqlx::query("SELECT MAX(config_version) AS m FROM devices").fetch_one(p).await?;
            Ok(row.try_get("m")?)
        })
    }

    /// Sets the configuration a device should run; returns the new version.
    pub async fn set_device_config(
        &self,
        device_id: &str,
        config: &serde_json::Value,
    ) -> Result<String, StoreError> {
        let text = serde_json::to_string(config).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let version = format!("{}-{}", now_ms(), &crate::ids::hash_secret(&text)[..12]);
        let n = dispatch!(self, p => {
            sqlx::query("UPDATE devices SET config = $2, config_version = $3 WHERE id = $1 AND revoked_at IS NULL")
                .bind(device_id).bind(&text).bind(&version).execute(p).await?.rows_affected()
        });
        if n == 0 {
            return Err(StoreError::NotFound(format!("active device {device_id:?}")));
        }
        Ok(version)
    }

    /// Keys, optionally of one tenant (secrets are never returned).
    pub async fn list_keys(&self, tenant_id: Option<&str>) -> Result<Vec<ApiKeyInfo>, StoreError> {
        dispatch!(self, p => {
            let rows = sqlx::query("SELECT id, kind, tenant_id, name, prefix, created_at, revoked_at FROM api_keys WHERE ($1 IS NULL OR tenant_id = $1) ORDER BY created_at, id")
                .bind(tenant_id).fetch_all(p).await?;
            rows.iter().map(|r| Ok(key_from_row!(r, r.try_get::<Option<i64>, _>("revoked_at")?.is_some()))).collect()
        })
    }

    /// One key by id.
    pub async fn get_key(&self, id: &str) -> Result<ApiKeyInfo, StoreError> {
        dispatch!(self, p => {
            let r = sqlx::query("SELECT id, kind, tenant_id, name, prefix, created_at, revoked_at FROM api_keys WHERE id = $1")
                .bind(id).fetch_optional(p).await?
                .ok_or_else(|| StoreError::NotFound(format!("key {id:?}")))?;
            Ok(key_from_row!(&r, r.try_get::<Option<i64>, _>("revoked_at")?.is_some()))
        })
    }

    /// Revokes a key: it stops working at once.
    pub async fn revoke_key(&self, id: &str) -> Result<(), StoreError> {
        let n = dispatch!(self, p => {
            sqlx::query("UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
                .bind(id).bind(now_ms()).execute(p).await?.rows_affected()
        });
        if n == 0 {
            return Err(StoreError::NotFound(format!("active key {id:?}")));
        }
        Ok(())
    }
}

/// Devices written per transaction by [`Store::apply_device_reports`].
pub const REPORT_CHUNK: usize = 100;

/// What a device reported (a check-in or an upload), waiting to be written with others in
/// one transaction ([`Store::apply_device_reports`]). Fields left `None` keep their stored value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeviceReport {
    /// When the device was seen (Unix ms).
    pub seen_at: i64,
    /// A check-in (sets `last_checkin_at` too), not just an upload.
    pub checkin: bool,
    pub agent_version: Option<String>,
    pub hotlist_version: Option<String>,
    pub config_version: Option<String>,
    pub os: Option<String>,
    /// JSON.
    pub counters: Option<String>,
    pub interval_s: Option<i64>,
    /// JSON of the agent's intel status.
    pub intel: Option<String>,
}

impl DeviceReport {
    /// A check-in's report, seen now.
    pub fn of_checkin(c: &CheckinUpdate<'_>) -> Result<DeviceReport, StoreError> {
        Ok(DeviceReport {
            seen_at: now_ms(),
            checkin: true,
            agent_version: c.agent_version.map(str::to_string),
            hotlist_version: c.hotlist_version.map(str::to_string),
            config_version: c.config_version.map(str::to_string),
            os: c.os.map(str::to_string),
            counters: c
                .counters
                .map(serde_json::to_string)
                .transpose()
                .map_err(|e| StoreError::Invalid(e.to_string()))?,
            interval_s: c.interval_s.map(i64::from),
            intel: c
                .intel
                .map(serde_json::to_string)
                .transpose()
                .map_err(|e| StoreError::Invalid(e.to_string()))?,
        })
    }

    /// An upload's report (the device was seen, with these versions), seen now.
    pub fn of_upload(agent_version: Option<&str>, hotlist_version: Option<&str>) -> DeviceReport {
        DeviceReport {
            seen_at: now_ms(),
            agent_version: agent_version.map(str::to_string),
            hotlist_version: hotlist_version.map(str::to_string),
            ..Default::default()
        }
    }

    /// Folds a newer report into this one: what the newer one says wins, what it leaves out
    /// stays.
    pub fn merge(&mut self, newer: DeviceReport) {
        self.seen_at = self.seen_at.max(newer.seen_at);
        self.checkin |= newer.checkin;
        macro_rules! take {
            ($($f:ident),*) => { $( if newer.$f.is_some() { self.$f = newer.$f; } )* };
        }
        take!(
            agent_version,
            hotlist_version,
            config_version,
            os,
            counters,
            interval_s,
            intel
        );
    }
}

/// What a check-in reports (see [`Store::record_checkin`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct CheckinUpdate<'a> {
    pub agent_version: Option<&'a str>,
    pub hotlist_version: Option<&'a str>,
    pub config_version: Option<&'a str>,
    pub os: Option<&'a str>,
    pub counters: Option<&'a serde_json::Value>,
    pub interval_s: Option<u32>,
    /// The agent's intel bundle state (replaces the stored one when present).
    pub intel: Option<&'a outpost_core::api::IntelStatus>,
}

const DEVICE_COLS: &str = "id, tenant_id, hostname, os, agent_version, enrolled_at, last_seen_at, hotlist_version, last_checkin_at, checkin_interval_s, counters, reported_config_version, config_version, intel_status";

/// Slack past the announced check-in interval before a device counts as offline.
const ONLINE_SLACK_MS: i64 = 30_000;
/// Devices that never check in (run-once uploads only) are online this long after an upload.
const UPLOAD_ONLINE_MS: i64 = 15 * 60_000;

/// Whether a device is online at `now`.
pub fn is_online(
    now: i64,
    last_checkin: Option<i64>,
    interval_s: Option<i64>,
    last_seen: Option<i64>,
) -> bool {
    match last_checkin {
        Some(t) => {
            now - t <= interval_s.unwrap_or(60).saturating_mul(2000).max(0) + ONLINE_SLACK_MS
        }
        None => last_seen.is_some_and(|t| now - t <= UPLOAD_ONLINE_MS),
    }
}
