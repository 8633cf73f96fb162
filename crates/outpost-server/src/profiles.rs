//! Behaviour profiles at the server: the detection pipeline's per-tenant engines
//! ([`TenantProfiles`], learning from full telemetry), kept in step with the database so
//! stateless replicas share what they learn.
//!
//! Every `[detect.profiles] sync_secs` (and right after a reset through the API) a replica
//! merges the changes its engines recorded into the `profiles` table and reads back what every
//! replica merged since its last read (see `outpost_store::profiles`). Profiles learn from
//! telemetry events only, never from hits' sample events: a hit is an intel match, and
//! learning it would make a known-bad destination "normal".

use crate::metrics::{self, metrics};
use chrono::Utc;
use outpost_detect::profile::{Profile, ProfileConfig, TenantProfiles};
use outpost_store::{Store, StoreError};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// The tenants' profile engines (the pipeline's, see [`TenantProfiles`]) and their
/// synchronization with the database (see the module docs).
#[derive(Debug)]
pub struct Profiles {
    tenants: Arc<TenantProfiles>,
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
            tenants: Arc::new(TenantProfiles::new(cfg)),
            rev: AtomicI64::new(0),
            sync_lock: tokio::sync::Mutex::new(()),
        }
    }

    /// The tenants' engines, for the detection pipeline.
    pub fn tenants(&self) -> &Arc<TenantProfiles> {
        &self.tenants
    }

    /// Merges local learning into the database and reads back every replica's changes.
    /// Changes that could not be written are kept for the next attempt.
    pub async fn sync(&self, store: &Store) -> Result<SyncStats, StoreError> {
        let _one_at_a_time = self.sync_lock.lock().await;
        let engines = self.tenants.engines();
        let changes: Vec<(String, Vec<outpost_detect::profile::ProfileDelta>)> = engines
            .iter()
            .map(|(tenant, eng)| (tenant.clone(), eng.take_deltas()))
            .collect();
        let max_items = self.tenants.config().max_items;
        let merged = match store.merge_profiles(&changes, max_items).await {
            Ok(n) => n,
            Err(e) => {
                for ((_, eng), (_, deltas)) in engines.iter().zip(changes) {
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
        let now = Utc::now();
        for p in changed {
            let tenant = p.tenant_id.clone();
            self.tenants
                .apply_remote(&tenant, Profile::from_record(p, now));
        }
        self.rev.store(max, Ordering::Relaxed);
        metrics::count(&metrics().profile_syncs, "ok", 1);
        Ok(SyncStats { merged, read })
    }
}
