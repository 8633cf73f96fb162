//! Behaviour profiles at the server: one replicated [`ProfileEngine`] per tenant, learning from
//! full telemetry, kept in step with the database so stateless replicas share what they learn.
//!
//! Every `[detect.profiles] sync_secs` (and right after a reset through the API) a replica
//! merges the changes its engines recorded into the `profiles` table and reads back what every
//! replica merged since its last read (see `outpost_store::profiles`). Profiles learn from
//! telemetry events only, never from hits' sample events: a hit is an intel match, and
//! learning it would make a known-bad destination "normal".

use crate::metrics::{self, metrics};
use chrono::Utc;
use outpost_core::Event;
use outpost_core::api::ProfileRecord;
use outpost_detect::Scored;
use outpost_detect::profile::{Profile, ProfileConfig, ProfileEngine, ProfileStatus};
use outpost_store::{ProfileMerge, Store, StoreError};
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

/// The tenants' profile engines (see the module docs).
#[derive(Debug)]
pub struct Profiles {
    cfg: ProfileConfig,
    engines: RwLock<HashMap<String, Arc<ProfileEngine>>>,
    /// Highest database revision read.
    rev: AtomicI64,
    sync_lock: tokio::sync::Mutex<()>,
}

/// What one synchronization did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncStats {
    /// Changes merged into the database.
    pub merged: u64,
    /// Profiles read back (changed by any replica).
    pub read: u64,
}

impl Profiles {
    pub fn new(cfg: ProfileConfig) -> Profiles {
        Profiles {
            cfg,
            engines: RwLock::new(HashMap::new()),
            rev: AtomicI64::new(0),
            sync_lock: tokio::sync::Mutex::new(()),
        }
    }

    fn engine(&self, tenant_id: &str) -> Arc<ProfileEngine> {
        if let Some(e) = self
            .engines
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(tenant_id)
        {
            return e.clone();
        }
        self.engines
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .entry(tenant_id.to_string())
            .or_insert_with(|| Arc::new(ProfileEngine::replicated(self.cfg.clone())))
            .clone()
    }

    /// Learns from / scores one event of a tenant.
    pub fn eval_into(&self, tenant_id: &str, e: &Event, out: &mut Scored) {
        self.engine(tenant_id).eval_into(e, out);
    }

    /// Merges local learning into the database and reads back every replica's changes.
    /// Changes that could not be written are kept for the next attempt.
    pub async fn sync(&self, store: &Store) -> Result<SyncStats, StoreError> {
        let _one_at_a_time = self.sync_lock.lock().await;
        let engines: Vec<(String, Arc<ProfileEngine>)> = self
            .engines
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(t, e)| (t.clone(), e.clone()))
            .collect();
        let mut taken = Vec::new();
        let mut merges = Vec::new();
        for (tenant, eng) in &engines {
            let deltas = eng.take_deltas();
            merges.extend(deltas.iter().map(|d| ProfileMerge {
                tenant_id: tenant.clone(),
                subject: d.subject.clone(),
                epoch: i64::try_from(d.epoch).unwrap_or(i64::MAX),
                first_seen: d.first_seen,
                learning_until: d.learning_until,
                command_lines: d.command_lines.clone(),
                children: d.children.clone(),
                destinations: d.destinations.clone(),
                files: d.files.clone(),
                events_learned: i64::try_from(d.events_learned).unwrap_or(i64::MAX),
                deviations: i64::try_from(d.deviations).unwrap_or(i64::MAX),
            }));
            taken.push((eng.clone(), deltas));
        }
        let merged = match store.merge_profiles(&merges, self.cfg.max_items).await {
            Ok(n) => n,
            Err(e) => {
                for (eng, deltas) in taken {
                    eng.restore_deltas(deltas);
                }
                metrics::count(&metrics().profile_syncs, "error", 1);
                return Err(e);
            }
        };
        metrics().profile_merges.inc_by(merged);
        let (changed, max) = match store
            .profiles_changed_since(self.rev.load(Ordering::Relaxed))
            .await
        {
            Ok(c) => c,
            Err(e) => {
                metrics::count(&metrics().profile_syncs, "error", 1);
                return Err(e);
            }
        };
        let read = changed.len() as u64;
        for p in changed {
            self.engine(&p.tenant_id).apply_remote(profile_of(p));
        }
        self.rev.store(max, Ordering::Relaxed);
        metrics::count(&metrics().profile_syncs, "ok", 1);
        Ok(SyncStats { merged, read })
    }

    /// Runs [`Profiles::sync`] every `every` until the process ends.
    pub fn spawn_sync(self: &Arc<Self>, store: Store, every: std::time::Duration) {
        let me = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = me.sync(&store).await {
                    tracing::warn!(error = %e, "cannot synchronize behaviour profiles with the database");
                }
            }
        });
    }
}

fn profile_of(p: ProfileRecord) -> Profile {
    let now = Utc::now();
    let learning_until = p.learning_until.unwrap_or(now);
    Profile {
        subject: p.subject,
        status: if learning_until < now {
            ProfileStatus::Profiled
        } else {
            ProfileStatus::Learning
        },
        first_seen: p.first_seen.unwrap_or(now),
        learning_until,
        command_lines: p.command_lines.into_iter().collect::<BTreeSet<_>>(),
        children: p.children.into_iter().collect(),
        destinations: p.destinations.into_iter().collect(),
        files: p.files.into_iter().collect(),
        events_learned: u64::try_from(p.events_learned).unwrap_or(0),
        deviations: u64::try_from(p.deviations).unwrap_or(0),
        epoch: u64::try_from(p.epoch).unwrap_or(0),
    }
}
