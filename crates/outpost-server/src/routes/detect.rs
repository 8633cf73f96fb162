//! `GET /api/v1/detect/rules` and `GET /api/v1/outputs` (staff): what the scoring stage runs —
//! the loaded rules, the rules that were not loaded and why, the reload state and the alert
//! thresholds; each output's queue and delivery counters.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::AuthStaff;
use axum::Json;
use axum::extract::State;
use outpost_detect::rules::RuleSummary;
use serde::Serialize;
use std::collections::BTreeMap;

/// The detection configuration in effect.
#[derive(Debug, Serialize)]
pub struct DetectStatus {
    /// Scoring is on (`[detect] enabled`).
    pub enabled: bool,
    /// The rules directory, when one is configured.
    pub rules_dir: Option<String>,
    /// Last (re)load: generation, time, rule count, unsupported rules with reasons, last error.
    pub reload: Option<outpost_detect::reload::ReloadStatus>,
    /// Every loaded rule.
    pub rules: Vec<RuleSummary>,
    pub alert_threshold: i64,
    pub tenant_thresholds: BTreeMap<String, i64>,
    /// STIX indicator patterns evaluated on events.
    pub stix: StixStatus,
    /// Behaviour profiles are learned and scored.
    pub profiles: bool,
}

/// The STIX indicator patterns in use.
#[derive(Debug, Serialize)]
pub struct StixStatus {
    /// `[detect] stix_dir`, when configured.
    pub dir: Option<String>,
    /// Patterns compiled.
    pub patterns: usize,
    /// Indicators not used, with the reason.
    pub skipped: Vec<outpost_detect::Unsupported>,
}

pub async fn rules(
    State(state): State<AppState>,
    AuthStaff(_who): AuthStaff,
) -> Result<Json<DetectStatus>, ApiError> {
    let d = &state.config.detect;
    let handle = state.scoring.rules();
    let stix = state.scoring.scorer().stix();
    Ok(Json(DetectStatus {
        enabled: d.enabled,
        rules_dir: d.rules_dir.as_ref().map(|p| p.display().to_string()),
        reload: handle.map(|h| h.status()),
        rules: handle.map(|h| h.current().summaries()).unwrap_or_default(),
        alert_threshold: d.alert_threshold,
        tenant_thresholds: d.tenant_thresholds.clone(),
        stix: StixStatus {
            dir: d.stix_dir.as_ref().map(|p| p.display().to_string()),
            patterns: stix.and_then(|s| s.engine()).map(|e| e.len()).unwrap_or(0),
            skipped: stix.map(|s| s.skipped()).unwrap_or_default(),
        },
        profiles: state.scoring.profiles().is_some(),
    }))
}

#[derive(Debug, Serialize)]
pub struct OutputsStatus {
    pub items: Vec<outpost_outputs::OutputStatus>,
}

pub async fn outputs(
    State(state): State<AppState>,
    AuthStaff(_who): AuthStaff,
) -> Result<Json<OutputsStatus>, ApiError> {
    let items = state
        .forward
        .outputs()
        .map(|o| o.status())
        .unwrap_or_default();
    Ok(Json(OutputsStatus { items }))
}
