//! Agent self-update: release upload (staff, signed with the release key that
//! staff keep; the server only checks the signature against `[releases] public_key`),
//! download (enrolled devices only), rollouts with stages, and the fleet's versions.
//!
//! A device learns its target at check-in ([`offer_for`]): the newest rollout that is not
//! aborted, for its tenant (or all tenants) and platform, whose current stage includes it
//! (canary devices first, then a stable hash of (rollout, device) under the stage's
//! percentage). A paused rollout offers its release only to devices it already offered it
//! to. [`tick`] (housekeeping, and after every update report) advances a running rollout when
//! every device offered the release reported a healthy install at least `healthy_secs` ago,
//! and pauses it when failures (refused, failed, rolled back) since the last resume reach
//! `failure_threshold`.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiQuery, AuthDevice, AuthStaff, AuthUser};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use outpost_core::api::{
    FleetVersions, NewRollout, Release, Rollout, RolloutAction, TenantVersions, UpdateEvent,
    UpdateOffer, UpdateReport,
};
use outpost_core::auth::Role;
use outpost_intel::release::{ReleaseStatement, compare_versions, sha256_hex, verify_signature};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Operating systems and architectures a release may be for.
pub const OSES: [&str; 2] = ["linux", "windows"];
pub const ARCHES: [&str; 2] = ["x86_64", "aarch64"];
/// Outcomes an agent reports; all but `installed` count as failures of a rollout.
pub const OUTCOMES: [&str; 4] = ["installed", "refused", "failed", "rolled_back"];

/// The configured public release key, when it is a valid ed25519 key.
pub fn release_key(state: &AppState) -> Option<String> {
    let k = state.config.releases.public_key.as_deref()?.trim();
    outpost_intel::distribute::verifying_key_from_hex(k)
        .ok()
        .map(|_| k.to_ascii_lowercase())
}

fn valid_version(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 64
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | '_'))
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    pub os: String,
    pub arch: String,
    pub version: String,
    /// The release key's signature (hex) of the release statement.
    pub signature: String,
}

fn count_upload(result: &'static str) {
    crate::metrics::metrics()
        .releases_uploaded
        .get_or_create(&crate::metrics::ResultLabel { result })
        .inc();
}

/// `POST /api/v1/releases?os=&arch=&version=&signature=` with the file as the body.
pub async fn upload(
    State(state): State<AppState>,
    AuthStaff(who): AuthStaff,
    ApiQuery(q): ApiQuery<UploadQuery>,
    body: Bytes,
) -> Result<(StatusCode, Json<Release>), ApiError> {
    let Some(key) = release_key(&state) else {
        count_upload("no_key");
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "no_release_key",
            "no release key is configured ([releases] public_key): releases cannot be uploaded",
        ));
    };
    if !OSES.contains(&q.os.as_str()) || !ARCHES.contains(&q.arch.as_str()) {
        count_upload("invalid");
        return Err(ApiError::invalid(format!(
            "os must be one of {OSES:?} and arch one of {ARCHES:?}"
        )));
    }
    if !valid_version(&q.version) {
        count_upload("invalid");
        return Err(ApiError::invalid("version: 1 to 64 of A-Z a-z 0-9 . - + _"));
    }
    if body.len() > state.config.releases.max_bytes {
        count_upload("invalid");
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!(
                "the release is {} bytes; at most {} ([releases] max_bytes)",
                body.len(),
                state.config.releases.max_bytes
            ),
        ));
    }
    if body.is_empty() {
        count_upload("invalid");
        return Err(ApiError::invalid("the release file is empty"));
    }
    let sha = sha256_hex(&body);
    let st = ReleaseStatement {
        os: &q.os,
        arch: &q.arch,
        version: &q.version,
        size: body.len() as u64,
        sha256: &sha,
    };
    if let Err(e) = verify_signature(&key, &st, &q.signature) {
        count_upload("bad_signature");
        return Err(ApiError::invalid(format!("release refused: {e}")));
    }
    let r = state
        .store
        .put_release(
            &outpost_store::NewRelease {
                os: &q.os,
                arch: &q.arch,
                version: &q.version,
                sha256: &sha,
                signature: &q.signature.trim().to_ascii_lowercase(),
            },
            &body,
            &who.subject,
        )
        .await
        .inspect_err(|e| {
            if matches!(e, outpost_store::StoreError::Conflict(_)) {
                count_upload("conflict");
            }
        })?;
    count_upload("stored");
    state.forward.audit(
        &who,
        "release.upload",
        None,
        &r.id,
        Some(format!(
            "{} {} {} sha256={}",
            r.os, r.arch, r.version, r.sha256
        )),
    );
    Ok((StatusCode::CREATED, Json(r)))
}

/// `GET /api/v1/releases`
pub async fn list(
    State(state): State<AppState>,
    AuthStaff(_): AuthStaff,
) -> Result<Json<Vec<Release>>, ApiError> {
    Ok(Json(state.store.list_releases().await?))
}

/// `GET /api/v1/releases/{id}/download`: the file, for enrolled devices only.
pub async fn download(
    State(state): State<AppState>,
    AuthDevice(_): AuthDevice,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let bytes = state.store.release_content(&id).await?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes))
}

/// `POST /api/v1/rollouts`
pub async fn create_rollout(
    State(state): State<AppState>,
    AuthStaff(who): AuthStaff,
    crate::extract::ApiJson(n): crate::extract::ApiJson<NewRollout>,
) -> Result<(StatusCode, Json<Rollout>), ApiError> {
    let rel = state.store.get_release(&n.release_id).await?;
    if n.tenant_id.is_none() && who.role != Role::Admin {
        return Err(ApiError::forbidden(
            "only admins may roll out to every tenant; name a tenant_id",
        ));
    }
    // A tenant may be named by id or name; the rollout keeps its id.
    let tenant_id = match &n.tenant_id {
        Some(t) => Some(state.store.find_tenant(t).await?.id),
        None => None,
    };
    let percents = if n.percents.is_empty() {
        vec![100]
    } else {
        n.percents.clone()
    };
    if percents.windows(2).any(|w| w[0] >= w[1])
        || percents.iter().any(|p| *p == 0 || *p > 100)
        || percents.last() != Some(&100)
    {
        return Err(ApiError::invalid(
            "percents must increase, each 1 to 100, the last 100",
        ));
    }
    if n.canary.len() > 1000 {
        return Err(ApiError::invalid("at most 1000 canary devices"));
    }
    for d in &n.canary {
        let dev = state.store.get_device(d).await?;
        if tenant_id.as_ref().is_some_and(|t| *t != dev.tenant_id) {
            return Err(ApiError::invalid(format!(
                "canary device {d} is not in tenant {:?}",
                n.tenant_id
            )));
        }
    }
    let r = state
        .store
        .create_rollout(&outpost_store::NewRolloutRow {
            release_id: &rel.id,
            tenant_id: tenant_id.as_deref(),
            canary: &n.canary,
            percents: &percents,
            healthy_secs: n.healthy_secs.unwrap_or(3600),
            failure_threshold: n.failure_threshold.unwrap_or(1),
            rollback: n.rollback,
            created_by: &who.subject,
        })
        .await?;
    state.forward.audit(
        &who,
        "rollout.create",
        r.tenant_id.as_deref(),
        &r.id,
        Some(format!("release {} {}", rel.id, rel.version)),
    );
    state.notify_changes();
    Ok((StatusCode::CREATED, Json(r)))
}

/// `GET /api/v1/rollouts`
pub async fn list_rollouts(
    State(state): State<AppState>,
    AuthStaff(_): AuthStaff,
) -> Result<Json<Vec<Rollout>>, ApiError> {
    Ok(Json(state.store.list_rollouts(false).await?))
}

/// `GET /api/v1/rollouts/{id}`
pub async fn get_rollout(
    State(state): State<AppState>,
    AuthStaff(_): AuthStaff,
    Path(id): Path<String>,
) -> Result<Json<Rollout>, ApiError> {
    Ok(Json(state.store.get_rollout(&id).await?))
}

/// `POST /api/v1/rollouts/{id}/state`: `pause`, `resume` or `abort`.
pub async fn set_rollout_state(
    State(state): State<AppState>,
    AuthStaff(who): AuthStaff,
    Path(id): Path<String>,
    crate::extract::ApiJson(a): crate::extract::ApiJson<RolloutAction>,
) -> Result<Json<Rollout>, ApiError> {
    let r = state.store.get_rollout(&id).await?;
    if r.tenant_id.is_none() && who.role != Role::Admin {
        return Err(ApiError::forbidden(
            "only admins may change a rollout to every tenant",
        ));
    }
    let done = |s: &str| matches!(s, "aborted" | "completed");
    match a.action.as_str() {
        "pause" if r.state == "running" => {
            state
                .store
                .set_rollout(&id, "paused", Some("paused by staff"), None, None)
                .await?
        }
        "resume" if r.state == "paused" => {
            let failures = failures(&state.store.rollout_devices(&id).await?);
            state
                .store
                .set_rollout(&id, "running", None, None, Some(failures))
                .await?
        }
        "abort" if !done(&r.state) => {
            state
                .store
                .set_rollout(&id, "aborted", Some("aborted by staff"), None, None)
                .await?
        }
        "pause" | "resume" | "abort" => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                format!("cannot {} a rollout that is {}", a.action, r.state),
            ));
        }
        other => {
            return Err(ApiError::invalid(format!(
                "action {other:?}: pause, resume or abort"
            )));
        }
    }
    state.forward.audit(
        &who,
        &format!("rollout.{}", a.action),
        r.tenant_id.as_deref(),
        &id,
        None,
    );
    state.notify_changes();
    Ok(Json(state.store.get_rollout(&id).await?))
}

/// `GET /api/v1/devices/{id}/updates`: a device's update history.
pub async fn device_history(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<UpdateEvent>>, ApiError> {
    crate::routes::devices::visible_device(&state, &who, &id).await?;
    Ok(Json(state.store.update_history(&id, 200).await?))
}

/// `GET /api/v1/fleet`: agent versions per tenant (a customer sees its own tenant).
pub async fn fleet(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
) -> Result<Json<FleetVersions>, ApiError> {
    Ok(Json(fleet_versions(&state, &who).await?))
}

/// The fleet's versions as `who` may see them.
pub async fn fleet_versions(
    state: &AppState,
    who: &outpost_core::auth::Principal,
) -> Result<FleetVersions, ApiError> {
    state.fresh_devices().await;
    let mut latest: BTreeMap<String, String> = BTreeMap::new();
    for r in state.store.list_releases().await? {
        let k = format!("{} {}", r.os, r.arch);
        match latest.get(&k) {
            Some(v) if compare_versions(v, &r.version).is_ge() => {}
            _ => {
                latest.insert(k, r.version);
            }
        }
    }
    let devices = state.store.list_devices(who.tenant_id.as_deref()).await?;
    let mut tenants: BTreeMap<String, TenantVersions> = BTreeMap::new();
    for d in devices {
        let t = tenants
            .entry(d.tenant_id.clone())
            .or_insert_with(|| TenantVersions {
                tenant_id: d.tenant_id.clone(),
                versions: BTreeMap::new(),
                outdated: 0,
                devices: 0,
            });
        t.devices += 1;
        let v = d.agent_version.clone().unwrap_or_else(|| "unknown".into());
        *t.versions.entry(v.clone()).or_default() += 1;
        if let Some(newest) = d.os.as_deref().and_then(|os| latest.get(os))
            && compare_versions(&v, newest).is_lt()
        {
            t.outdated += 1;
        }
    }
    Ok(FleetVersions {
        latest,
        tenants: tenants.into_values().collect(),
    })
}

/// A stable bucket 0..10000 of a device in a rollout.
fn bucket(rollout_id: &str, device_id: &str) -> u32 {
    let d = Sha256::digest(format!("{rollout_id}:{device_id}").as_bytes());
    u32::from_be_bytes([d[0], d[1], d[2], d[3]]) % 10_000
}

/// Whether the rollout's current stage includes the device.
pub fn in_stage(r: &Rollout, device_id: &str) -> bool {
    if r.canary.iter().any(|c| c == device_id) {
        return true;
    }
    let idx = if r.canary.is_empty() {
        Some(r.stage as usize)
    } else {
        (r.stage as usize).checked_sub(1)
    };
    match idx.and_then(|i| r.percents.get(i)) {
        Some(p) => bucket(&r.id, device_id) < p * 100,
        None => false,
    }
}

fn is_failure(status: &str) -> bool {
    matches!(status, "refused" | "failed" | "rolled_back")
}

fn failures(devs: &[outpost_store::RolloutDevice]) -> u64 {
    devs.iter().filter(|d| is_failure(&d.status)).count() as u64
}

/// Records an agent's update report (counted by outcome) and re-evaluates the rollouts.
pub async fn record_report(
    state: &AppState,
    device_id: &str,
    r: &UpdateReport,
) -> Result<(), ApiError> {
    if !OUTCOMES.contains(&r.outcome.as_str()) {
        return Err(ApiError::invalid(format!(
            "update.outcome must be one of {OUTCOMES:?}"
        )));
    }
    if r.release_id.len() > 64 || r.version.len() > 64 {
        return Err(ApiError::invalid("update.release_id/version too long"));
    }
    if r.reason.as_ref().is_some_and(|s| s.len() > 4096) {
        return Err(ApiError::invalid("update.reason is longer than 4096 bytes"));
    }
    if state.store.record_update_report(device_id, r).await? {
        crate::metrics::metrics()
            .update_reports
            .get_or_create(&crate::metrics::CodeLabel {
                code: r.outcome.clone(),
            })
            .inc();
        tracing::info!(device_id, release = %r.release_id, version = %r.version, outcome = %r.outcome, reason = ?r.reason, "agent update report");
        tick(state).await?;
    }
    Ok(())
}

/// The release the device should run, if a rollout includes it. `platform` is the
/// check-in's `os` ("linux x86_64").
pub async fn offer_for(
    state: &AppState,
    dev: &outpost_store::DeviceAuth,
    platform: Option<&str>,
) -> Result<Option<UpdateOffer>, ApiError> {
    let Some(platform) = platform else {
        return Ok(None);
    };
    let rollouts = state.store.list_rollouts(true).await?;
    for r in rollouts {
        if r.tenant_id.as_ref().is_some_and(|t| *t != dev.tenant_id) {
            continue;
        }
        let rel = state.store.get_release(&r.release_id).await?;
        if format!("{} {}", rel.os, rel.arch) != platform {
            continue;
        }
        let status = state.store.update_status(&dev.device_id, &r.id).await?;
        let offer = match (r.state.as_str(), status.as_deref()) {
            (_, Some(s)) if is_failure(s) => false,
            (_, Some(_)) => true,
            ("running" | "completed", None)
                if r.state == "completed" || in_stage(&r, &dev.device_id) =>
            {
                state.store.assign_update(&dev.device_id, &r.id).await?;
                true
            }
            _ => false,
        };
        if offer {
            return Ok(Some(UpdateOffer {
                release_id: rel.id,
                version: rel.version,
                os: rel.os,
                arch: rel.arch,
                size: rel.size,
                sha256: rel.sha256,
                signature: rel.signature,
                rollback: r.rollback,
            }));
        }
        // A newer rollout for this platform that does not (yet) include the device hides
        // older ones only once it includes it: fall through to them.
    }
    Ok(None)
}

/// Advances, pauses or completes running rollouts (see the module's documentation).
pub async fn tick(state: &AppState) -> Result<(), ApiError> {
    let now = chrono::Utc::now();
    let m = crate::metrics::metrics();
    for r in state.store.list_rollouts(true).await? {
        if r.state != "running" {
            continue;
        }
        let devs = state.store.rollout_devices(&r.id).await?;
        let failed = failures(&devs).saturating_sub(r.failure_base);
        if r.failure_threshold > 0 && failed >= r.failure_threshold {
            let why = format!(
                "{failed} device(s) failed to update (threshold {})",
                r.failure_threshold
            );
            tracing::warn!(rollout = %r.id, reason = %why, "rollout paused");
            state
                .store
                .set_rollout(&r.id, "paused", Some(&why), None, None)
                .await?;
            m.rollout_transitions
                .get_or_create(&crate::metrics::ResultLabel { result: "paused" })
                .inc();
            continue;
        }
        let healthy_for =
            chrono::Duration::seconds(i64::try_from(r.healthy_secs).unwrap_or(i64::MAX / 1000));
        let settled = r.stage_started_at + healthy_for <= now
            && devs.iter().all(|d| {
                d.status == "installed" && d.reported_at.is_some_and(|t| t + healthy_for <= now)
            });
        if !settled {
            continue;
        }
        if r.stage + 1 < r.stages {
            tracing::info!(rollout = %r.id, stage = r.stage + 1, "rollout advanced");
            state
                .store
                .set_rollout(&r.id, "running", None, Some(r.stage + 1), None)
                .await?;
            m.rollout_transitions
                .get_or_create(&crate::metrics::ResultLabel { result: "advanced" })
                .inc();
        } else {
            tracing::info!(rollout = %r.id, "rollout completed");
            state
                .store
                .set_rollout(&r.id, "completed", None, None, None)
                .await?;
            m.rollout_transitions
                .get_or_create(&crate::metrics::ResultLabel {
                    result: "completed",
                })
                .inc();
        }
        state.notify_changes();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_include_canaries_then_growing_shares() {
        let mut r = Rollout {
            id: "r1".into(),
            release_id: "x".into(),
            version: "1".into(),
            tenant_id: None,
            canary: vec!["c".into()],
            percents: vec![10, 100],
            stage: 0,
            stages: 3,
            state: "running".into(),
            reason: None,
            healthy_secs: 0,
            failure_threshold: 1,
            failure_base: 0,
            rollback: false,
            created_by: "a".into(),
            created_at: chrono::Utc::now(),
            stage_started_at: chrono::Utc::now(),
            devices: Default::default(),
        };
        let devs: Vec<String> = (0..1000).map(|i| format!("d{i}")).collect();
        assert!(in_stage(&r, "c"));
        assert_eq!(devs.iter().filter(|d| in_stage(&r, d)).count(), 0);
        r.stage = 1;
        let n = devs.iter().filter(|d| in_stage(&r, d)).count();
        assert!((60..140).contains(&n), "{n} of 1000 at 10 %");
        r.stage = 2;
        assert_eq!(devs.iter().filter(|d| in_stage(&r, d)).count(), 1000);
    }
}
