//! Attack models: STIX bundles holding intrusion sets, attack patterns (the steps,
//! in order) and indicators, stored per tenant or globally (`scope` `''`), keyed by
//! (scope, bundle id) so that uploading a bundle again replaces its model. The graph is
//! computed by `outpost_stix::attack` and stored as JSON beside the bundle; the
//! `attack_model_indicators` table maps each indicator to its step, which is how a sighting
//! (of an indicator, `sightings` table) links to its step.

use crate::{Store, StoreError, dispatch, ms_to_dt, now_ms};
use outpost_core::sighting::{AttackGraph, AttackModelSummary, DeviceSightings, IndicatorStep};
use sqlx::Row;

/// An attack model to store.
#[derive(Debug, Clone)]
pub struct NewAttackModel {
    /// `None`: a global model.
    pub tenant_id: Option<String>,
    pub bundle_id: String,
    /// `api`, `file` or `feed`.
    pub source: String,
    /// The file, the feed's name, or who uploaded it.
    pub origin: String,
    pub bundle: serde_json::Value,
    pub graph: AttackGraph,
    pub warnings: Vec<String>,
}

/// A stored model's bundle, for the STIX engine.
#[derive(Debug, Clone)]
pub struct StoredModelBundle {
    pub id: i64,
    pub tenant_id: Option<String>,
    pub name: String,
    pub updated_at: i64,
    pub bundle: serde_json::Value,
}

const COLS: &str =
    "id, tenant_id, bundle_id, name, source, origin, graph, warnings, created_at, updated_at";

macro_rules! model_from_row {
    ($r:expr) => {{
        let r = $r;
        let corrupt = |what: &str, e: &dyn std::fmt::Display| {
            StoreError::Corrupt(format!("attack model {what}: {e}"))
        };
        let graph: String = r.try_get("graph")?;
        let warnings: String = r.try_get("warnings")?;
        let graph: AttackGraph = serde_json::from_str(&graph).map_err(|e| corrupt("graph", &e))?;
        let summary = AttackModelSummary {
            id: r.try_get("id")?,
            tenant_id: r.try_get("tenant_id")?,
            bundle_id: r.try_get("bundle_id")?,
            name: r.try_get("name")?,
            source: r.try_get("source")?,
            origin: r.try_get("origin")?,
            intrusion_sets: graph.intrusion_sets.clone(),
            steps: graph.steps.len(),
            warnings: serde_json::from_str(&warnings).map_err(|e| corrupt("warnings", &e))?,
            created_at: ms_to_dt(r.try_get("created_at")?),
            updated_at: ms_to_dt(r.try_get("updated_at")?),
        };
        (summary, graph)
    }};
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Invalid(e.to_string()))
}

impl Store {
    /// Stores a model, replacing the one of the same (tenant or global, bundle id); returns its
    /// id and whether it replaced one. Its indicator → step rows are written in the same
    /// transaction.
    pub async fn upsert_attack_model(&self, m: &NewAttackModel) -> Result<(i64, bool), StoreError> {
        let now = now_ms();
        let scope = m.tenant_id.clone().unwrap_or_default();
        let name = m.graph.name();
        let bundle = json(&m.bundle)?;
        let graph = json(&m.graph)?;
        let warnings = json(&m.warnings)?;
        let _gate = self.write_gate().await;
        dispatch!(self, p => {
            let mut tx = p.begin().await?;
            let existing: Option<i64> = sqlx::query("SELECT id FROM attack_models WHERE scope = $1 AND bundle_id = $2")
                .bind(&scope).bind(&m.bundle_id).fetch_optional(&mut *tx).await?
                .map(|r| r.try_get("id")).transpose()?;
            // Another replica may insert the same new model between the SELECT and here
            // (PostgreSQL has no write gate): then its row is replaced, no unique-key error.
            let inserted: Option<i64> = match existing {
                Some(_) => None,
                None => sqlx::query("INSERT INTO attack_models (scope, tenant_id, bundle_id, name, source, origin, bundle, graph, warnings, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) ON CONFLICT (scope, bundle_id) DO NOTHING RETURNING id")
                    .bind(&scope).bind(&m.tenant_id).bind(&m.bundle_id).bind(&name).bind(&m.source).bind(&m.origin)
                    .bind(&bundle).bind(&graph).bind(&warnings).bind(now)
                    .fetch_optional(&mut *tx).await?.map(|r| r.try_get("id")).transpose()?,
            };
            let (id, replaced) = match inserted {
                Some(id) => (id, false),
                None => {
                    // Another version than the one replaced even within the same millisecond:
                    // the STIX engine's reload tells a changed model by (id, updated_at).
                    let id: i64 = sqlx::query("UPDATE attack_models SET name = $1, source = $2, origin = $3, bundle = $4, graph = $5, warnings = $6, \
                                 updated_at = CASE WHEN updated_at >= $7 THEN updated_at + 1 ELSE $7 END WHERE scope = $8 AND bundle_id = $9 RETURNING id")
                        .bind(&name).bind(&m.source).bind(&m.origin).bind(&bundle).bind(&graph).bind(&warnings).bind(now)
                        .bind(&scope).bind(&m.bundle_id)
                        .fetch_one(&mut *tx).await?.try_get("id")?;
                    sqlx::query("DELETE FROM attack_model_indicators WHERE model_id = $1").bind(id).execute(&mut *tx).await?;
                    (id, true)
                }
            };
            for step in &m.graph.steps {
                for ind in &step.indicators {
                    sqlx::query("INSERT INTO attack_model_indicators (model_id, indicator_id, step_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                        .bind(id).bind(&ind.id).bind(&step.id).execute(&mut *tx).await?;
                }
            }
            tx.commit().await?;
            Ok((id, replaced))
        })
    }

    /// The models a scope sees, by name: with `tenant`, that tenant's and the global ones;
    /// without, every model.
    pub async fn list_attack_models(
        &self,
        tenant: Option<&str>,
    ) -> Result<Vec<AttackModelSummary>, StoreError> {
        dispatch!(self, p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLS} FROM attack_models \
                 WHERE ($1 IS NULL OR scope = $1 OR scope = '') ORDER BY name, id")))
                .bind(tenant).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(model_from_row!(r).0);
            }
            Ok(out)
        })
    }

    /// One model and its graph.
    pub async fn get_attack_model(
        &self,
        id: i64,
    ) -> Result<(AttackModelSummary, AttackGraph), StoreError> {
        dispatch!(self, p => {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLS} FROM attack_models WHERE id = $1")))
                .bind(id).fetch_optional(p).await?;
            match row {
                None => Err(StoreError::NotFound(format!("attack model {id}"))),
                Some(r) => Ok(model_from_row!(&r)),
            }
        })
    }

    /// The sightings of a model's steps per (step id, device): count, first and last event
    /// time, restricted to a tenant and/or a device.
    pub async fn attack_model_sightings(
        &self,
        model_id: i64,
        tenant: Option<&str>,
        device: Option<&str>,
    ) -> Result<Vec<(String, DeviceSightings)>, StoreError> {
        dispatch!(self, p => {
            let rows = sqlx::query("SELECT i.step_id, s.tenant_id, s.device_id, d.hostname, MIN(s.event_ts) AS first_ts, MAX(s.event_ts) AS last_ts, COUNT(*) AS n \
                 FROM attack_model_indicators i JOIN sightings s ON s.indicator_id = i.indicator_id JOIN devices d ON d.id = s.device_id \
                 WHERE i.model_id = $1 AND ($2 IS NULL OR s.tenant_id = $2) AND ($3 IS NULL OR s.device_id = $3) \
                 GROUP BY i.step_id, s.tenant_id, s.device_id, d.hostname ORDER BY i.step_id, first_ts, s.device_id")
                .bind(model_id).bind(tenant).bind(device).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push((r.try_get("step_id")?, DeviceSightings {
                    tenant_id: r.try_get("tenant_id")?,
                    device_id: r.try_get("device_id")?,
                    hostname: r.try_get("hostname")?,
                    first_seen: ms_to_dt(r.try_get("first_ts")?),
                    last_seen: ms_to_dt(r.try_get("last_ts")?),
                    count: r.try_get("n")?,
                }));
            }
            Ok(out)
        })
    }

    /// The version of each model [`Store::attack_model_bundles`] returns, `(id, updated_at)`
    /// by id: what tells the STIX engine's periodic reload whether to read the bundles at all.
    pub async fn attack_model_versions(&self) -> Result<Vec<(i64, i64)>, StoreError> {
        dispatch!(self, p => {
            let rows = sqlx::query("SELECT id, updated_at FROM attack_models WHERE source <> 'file' ORDER BY id")
                .fetch_all(p).await?;
            rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("updated_at")?))).collect()
        })
    }

    /// The bundles of the uploaded models (not the `file` ones: the engine reads the files
    /// themselves), for the STIX engine.
    pub async fn attack_model_bundles(&self) -> Result<Vec<StoredModelBundle>, StoreError> {
        dispatch!(self, p => {
            let rows = sqlx::query("SELECT id, tenant_id, name, updated_at, bundle FROM attack_models WHERE source <> 'file' ORDER BY id")
                .fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                let bundle: String = r.try_get("bundle")?;
                out.push(StoredModelBundle {
                    id: r.try_get("id")?,
                    tenant_id: r.try_get("tenant_id")?,
                    name: r.try_get("name")?,
                    updated_at: r.try_get("updated_at")?,
                    bundle: serde_json::from_str(&bundle).map_err(|e| StoreError::Corrupt(format!("attack model bundle: {e}")))?,
                });
            }
            Ok(out)
        })
    }

    /// Removes the global `file` models whose bundle id is not in `keep` (their file is gone);
    /// returns how many.
    pub async fn retire_file_models(&self, keep: &[String]) -> Result<u64, StoreError> {
        self.retire_models("file", |_, bundle_id| keep.iter().any(|k| k == bundle_id))
            .await
    }

    /// Removes the global models of `source` for which `keep(origin, bundle id)` is false
    /// (a `feed` model's origin is its feed's name); returns how many.
    pub async fn retire_models(
        &self,
        source: &str,
        keep: impl Fn(&str, &str) -> bool,
    ) -> Result<u64, StoreError> {
        let _gate = self.write_gate().await;
        dispatch!(self, p => {
            let rows = sqlx::query("SELECT id, origin, bundle_id FROM attack_models WHERE source = $1 AND scope = ''")
                .bind(source).fetch_all(p).await?;
            let mut n = 0;
            for r in &rows {
                let origin: String = r.try_get("origin")?;
                let bundle_id: String = r.try_get("bundle_id")?;
                if !keep(&origin, &bundle_id) {
                    let id: i64 = r.try_get("id")?;
                    sqlx::query("DELETE FROM attack_model_indicators WHERE model_id = $1").bind(id).execute(p).await?;
                    n += sqlx::query("DELETE FROM attack_models WHERE id = $1").bind(id).execute(p).await?.rows_affected();
                }
            }
            Ok(n)
        })
    }

    /// The steps (of models `tenant` sees: its own and the global ones) that these
    /// indicators indicate.
    pub async fn indicator_steps(
        &self,
        tenant: &str,
        indicator_ids: &[String],
    ) -> Result<Vec<IndicatorStep>, StoreError> {
        if indicator_ids.is_empty() {
            return Ok(Vec::new());
        }
        let models = self.list_attack_models(Some(tenant)).await?;
        let mut out = Vec::new();
        for m in models {
            let (_, graph) = self.get_attack_model(m.id).await?;
            for step in &graph.steps {
                for ind in &step.indicators {
                    if indicator_ids.contains(&ind.id) {
                        out.push(IndicatorStep {
                            indicator_id: ind.id.clone(),
                            model_id: m.id,
                            model_name: m.name.clone(),
                            tenant_id: m.tenant_id.clone(),
                            step_id: step.id.clone(),
                            step_name: step.name.clone(),
                            step_order: step.order,
                        });
                    }
                }
            }
        }
        Ok(out)
    }
}
