//! Attack models: STIX bundles of intrusion sets, attack patterns (steps, in order)
//! and indicators, uploaded through the API (per tenant or global) or read from
//! `[detect] stix_dir`, stored in both backends, compiled into the STIX engine, and shown with
//! each step's sightings per device.
//!
//! Ids that are not `type--UUID` (published examples such as the threatintel seed's
//! `attack-pattern--abcd1234-efgh-…`) are accepted leniently: each is named in the model's
//! `warnings` (and logged for files); every other STIX rule still holds.
//!
//! Visibility follows the other intel: staff see and upload every model; a customer sees the
//! global models and their tenant's, and only their tenant's sightings on either. A tenant's
//! model's indicators match only that tenant's events.

use super::{ServiceError, scope_tenant};
use crate::AppState;
use outpost_core::auth::Principal;
use outpost_core::sighting::{AttackModelStored, AttackModelSummary, AttackModelView, StepView};
use outpost_detect::stix::ModelBundle;
use outpost_stix::Bundle;
use outpost_store::NewAttackModel;
use std::collections::HashMap;

/// Why a bundle is not an attack model.
#[derive(Debug)]
enum NotAModel {
    /// Not a valid bundle.
    Invalid(String),
    /// A bundle of indicators alone.
    Empty,
}

impl std::fmt::Display for NotAModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotAModel::Invalid(e) => f.write_str(e),
            NotAModel::Empty => f.write_str("the bundle holds no intrusion-set and no attack-pattern: not an attack model (indicators alone belong in [detect] stix_dir or a feed)"),
        }
    }
}

/// Reads a bundle as an attack model: lenient ids (warnings), a graph that is not empty.
fn read_model(
    bundle: &serde_json::Value,
) -> Result<(Bundle, outpost_core::sighting::AttackGraph, Vec<String>), NotAModel> {
    let (b, warnings) =
        Bundle::from_json_lenient(bundle).map_err(|e| NotAModel::Invalid(e.to_string()))?;
    let graph = outpost_stix::attack::attack_graph(&b);
    if graph.is_empty() {
        return Err(NotAModel::Empty);
    }
    Ok((b, graph, warnings))
}

/// Stores an uploaded bundle as the model of `tenant` (a tenant id or name), or as a global
/// model; staff only. The STIX engine is reloaded at once, so its indicators match the next
/// event.
pub async fn upload(
    state: &AppState,
    who: &Principal,
    tenant: Option<String>,
    bundle: serde_json::Value,
) -> Result<AttackModelStored, ServiceError> {
    if !who.is_staff() {
        return Err(ServiceError::Forbidden(
            "only technicians and admins may upload attack models".into(),
        ));
    }
    let tenant_id = match tenant {
        Some(t) => Some(state.store.find_tenant(&t).await?.id),
        None => None,
    };
    let (b, graph, warnings) =
        read_model(&bundle).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let ignored = graph.ignored.clone();
    let (id, replaced) = state
        .store
        .upsert_attack_model(&NewAttackModel {
            tenant_id: tenant_id.clone(),
            bundle_id: b.id.clone(),
            source: "api".into(),
            origin: who.subject.clone(),
            bundle,
            graph,
            warnings,
        })
        .await?;
    let (model, _) = state.store.get_attack_model(id).await?;
    state.forward.audit(
        who,
        "attack_model.upload",
        tenant_id.as_deref(),
        &id.to_string(),
        Some(format!("{} ({} steps)", model.name, model.steps)),
    );
    if let Err(e) = reload_stix(state).await {
        tracing::warn!(error = %e, "STIX indicators not reloaded after an attack model upload");
    }
    Ok(AttackModelStored {
        model,
        replaced,
        ignored,
    })
}

/// The models `who` may see; staff may narrow to a tenant (its models and the global ones).
pub async fn list(
    state: &AppState,
    who: &Principal,
    tenant: Option<String>,
) -> Result<Vec<AttackModelSummary>, ServiceError> {
    let tenant = match scope_tenant(who, tenant)? {
        Some(t) => Some(state.store.find_tenant(&t).await?.id),
        None => None,
    };
    Ok(state.store.list_attack_models(tenant.as_deref()).await?)
}

/// One model with, per step, its sightings by device: those of the model's tenant (a tenant
/// model), of `tenant` (staff's filter; a customer's own tenant always), of `device`.
pub async fn view(
    state: &AppState,
    who: &Principal,
    id: i64,
    tenant: Option<String>,
    device: Option<String>,
) -> Result<AttackModelView, ServiceError> {
    let not_found = || ServiceError::NotFound(format!("attack model {id}"));
    let (model, graph) = match state.store.get_attack_model(id).await {
        Err(outpost_store::StoreError::NotFound(_)) => return Err(not_found()),
        other => other?,
    };
    if model
        .tenant_id
        .as_deref()
        .is_some_and(|t| !who.can_access_tenant(t))
    {
        return Err(not_found());
    }
    let asked = match scope_tenant(who, tenant)? {
        Some(t) => Some(state.store.find_tenant(&t).await?.id),
        None => None,
    };
    let scope = match (&model.tenant_id, asked) {
        (Some(own), Some(a)) if *own != a => None,
        (Some(own), _) => Some(Some(own.clone())),
        (None, a) => Some(a),
    };
    let mut by_step: HashMap<String, Vec<_>> = HashMap::new();
    if let Some(t) = scope {
        for (step, s) in state
            .store
            .attack_model_sightings(id, t.as_deref(), device.as_deref())
            .await?
        {
            by_step.entry(step).or_default().push(s);
        }
    }
    let steps = graph
        .steps
        .into_iter()
        .map(|step| StepView {
            sightings: by_step.remove(&step.id).unwrap_or_default(),
            step,
        })
        .collect();
    Ok(AttackModelView {
        model,
        steps,
        edges: graph.edges,
        ignored: graph.ignored,
    })
}

/// Rebuilds the STIX engine when the files, the global intel or the stored models changed,
/// then stores the attack models of `[detect] stix_dir`'s files when those were reloaded
/// (global models of source `file`; a model whose file is gone is removed). The models of
/// `stix` feeds that changed are stored first, so the engine compiles them in the same pass.
pub async fn reload_stix(state: &AppState) -> Result<bool, String> {
    store_feed_models(state).await;
    let global = state.intel.as_ref().map(|i| i.global());
    // Every pass of every replica comes here: the bundles are read only when a model changed.
    let versions = state
        .store
        .attack_model_versions()
        .await
        .map_err(|e| format!("cannot read the attack models: {e}"))?;
    let digest = models_digest(versions.iter().copied());
    let (scoring, g) = (state.scoring.clone(), global.clone());
    let current =
        tokio::task::spawn_blocking(move || scoring.stix_is_current(g.as_deref(), &digest))
            .await
            .map_err(|e| format!("STIX reload task failed: {e}"))??;
    let reloaded = !current && reload_models(state, global).await?;
    if let Some(files) = state.scoring.file_bundles_to_store() {
        store_file_models(state, files).await;
    }
    Ok(reloaded)
}

/// The version of the stored models the STIX engine compiles: `id:updated_at` of each.
fn models_digest(versions: impl Iterator<Item = (i64, i64)>) -> String {
    versions
        .map(|(id, at)| format!("{id}:{at}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Reads the stored models and rebuilds the STIX engine with them.
async fn reload_models(
    state: &AppState,
    global: Option<std::sync::Arc<crate::intel::GlobalIntel>>,
) -> Result<bool, String> {
    let stored = state
        .store
        .attack_model_bundles()
        .await
        .map_err(|e| format!("cannot read the attack models: {e}"))?;
    let digest = models_digest(stored.iter().map(|m| (m.id, m.updated_at)));
    let models: Vec<ModelBundle> = stored
        .into_iter()
        .map(|m| ModelBundle {
            tenant: m.tenant_id,
            name: m.name,
            bundle: m.bundle,
        })
        .collect();
    let scoring = state.scoring.clone();
    tokio::task::spawn_blocking(move || {
        scoring.reload_stix_with(global.as_deref(), &digest, models)
    })
    .await
    .map_err(|e| format!("STIX reload task failed: {e}"))?
}

async fn store_file_models(state: &AppState, files: Vec<(std::path::PathBuf, serde_json::Value)>) {
    let mut keep = Vec::new();
    for (path, bundle) in files {
        let Ok((b, graph, warnings)) = read_model(&bundle) else {
            continue; // indicators only: not a model
        };
        keep.push(b.id.clone());
        let m = NewAttackModel {
            tenant_id: None,
            bundle_id: b.id.clone(),
            source: "file".into(),
            origin: path.display().to_string(),
            bundle,
            graph,
            warnings,
        };
        if let Err(e) = state.store.upsert_attack_model(&m).await {
            tracing::warn!(file = %path.display(), error = %e, "attack model of a STIX file not stored");
        }
    }
    match state.store.retire_file_models(&keep).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(models = n, "attack models of removed STIX files retired"),
        Err(e) => {
            tracing::warn!(error = %e, "cannot retire the attack models of removed STIX files")
        }
    }
}

/// Stores the attack models of the `stix` feeds whose content changed: global models of source
/// `feed`, origin the feed's name, replacing the feed's earlier model; a content equal to the
/// stored model's is not written again. A feed whose bundle holds no model any more loses
/// its model; one whose bundle does not read keeps its last model (logged and counted); a
/// store error puts the content back for the next pass. Once per start, the models of feeds
/// no longer configured are removed. The feeds' indicators load whatever happens here.
async fn store_feed_models(state: &AppState) {
    let Some(intel) = &state.intel else { return };
    let m = &crate::metrics::metrics().feed_models;
    for (feed, text) in intel.take_feed_models() {
        let bundle = match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(v) => v,
            Err(e) => {
                crate::metrics::count(m, "error", 1);
                tracing::warn!(feed = %feed, error = %e, "the STIX feed's bundle is not JSON: its attack model is not updated");
                continue;
            }
        };
        match store_feed_model(state, &feed, bundle).await {
            Ok(result) => crate::metrics::count(m, result, 1),
            Err(FeedModelError::NotAModel(e)) => {
                crate::metrics::count(m, "error", 1);
                tracing::warn!(feed = %feed, error = %e, "the STIX feed's bundle does not read as an attack model: its last model stays");
            }
            Err(FeedModelError::Store(e)) => {
                crate::metrics::count(m, "error", 1);
                tracing::warn!(feed = %feed, error = %e, "the STIX feed's attack model is not stored; retried on the next pass");
                intel.queue_feed_model(&feed, text);
            }
        }
    }
    if intel.take_prune() {
        let names = intel.stix_feed_names();
        match state
            .store
            .retire_models("feed", |origin, _| names.iter().any(|n| n == origin))
            .await
        {
            Ok(0) => {}
            Ok(n) => {
                crate::metrics::count(m, "retired", n);
                tracing::info!(models = n, "attack models of removed STIX feeds retired");
            }
            Err(e) => {
                intel.retry_prune();
                tracing::warn!(error = %e, "cannot retire the attack models of removed STIX feeds");
            }
        }
    }
}

enum FeedModelError {
    NotAModel(NotAModel),
    Store(outpost_store::StoreError),
}

impl From<outpost_store::StoreError> for FeedModelError {
    fn from(e: outpost_store::StoreError) -> Self {
        FeedModelError::Store(e)
    }
}

/// Stores one feed's model (see [`store_feed_models`]); returns the metric's result.
async fn store_feed_model(
    state: &AppState,
    feed: &str,
    bundle: serde_json::Value,
) -> Result<&'static str, FeedModelError> {
    let (b, graph, warnings) = match read_model(&bundle) {
        Ok(r) => r,
        Err(NotAModel::Empty) => {
            let n = state.store.retire_models("feed", |o, _| o != feed).await?;
            if n > 0 {
                tracing::info!(
                    feed,
                    "the STIX feed holds no attack model any more: its model is retired"
                );
            }
            return Ok(if n > 0 { "retired" } else { "not_a_model" });
        }
        Err(e) => return Err(FeedModelError::NotAModel(e)),
    };
    let stored: Vec<i64> = state
        .store
        .list_attack_models(None)
        .await?
        .into_iter()
        .filter(|s| {
            s.tenant_id.is_none() && s.source == "feed" && s.origin == feed && s.bundle_id == b.id
        })
        .map(|s| s.id)
        .collect();
    if !stored.is_empty()
        && state
            .store
            .attack_model_bundles()
            .await?
            .iter()
            .any(|s| stored.contains(&s.id) && s.bundle == bundle)
    {
        return Ok("unchanged");
    }
    let bundle_id = b.id.clone();
    state
        .store
        .upsert_attack_model(&NewAttackModel {
            tenant_id: None,
            bundle_id: bundle_id.clone(),
            source: "feed".into(),
            origin: feed.to_string(),
            bundle,
            graph,
            warnings,
        })
        .await?;
    let n = state
        .store
        .retire_models("feed", |o, id| o != feed || id == bundle_id)
        .await?;
    tracing::info!(feed, bundle = %bundle_id, replaced = n, "attack model of a STIX feed stored");
    Ok("stored")
}
