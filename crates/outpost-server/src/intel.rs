//! Intel publishing: the server's bundle signing key, global intel from the configured feeds,
//! and each tenant's signed bundle (global intel + tenant intel − tenant allowlist), cached per
//! tenant and rebuilt when either side changes.
//!
//! A tenant's bundle is keyed by (global intel digest, tenant intel revision, creation time).
//! The creation time is the start of the current half-TTL period, or the tenant's last change
//! when that is later, so replicas with the same key, feeds and database build the same bytes
//! (and ETag), an unchanged bundle is re-signed only every half TTL, and agents always get one
//! with at least half its TTL left.

use crate::config::{IntelConfig, ServerConfig};
use chrono::{DateTime, TimeZone, Utc};
use outpost_intel::bundle::{BundleSpec, build_bundle, key_id};
use outpost_intel::distribute::{merge_for_tenant, tenant_allowlist};
use outpost_intel::feed::{Feed, FeedFormat, FeedLocation, FeedOptions, FeedState, RefreshOutcome};
use outpost_intel::{Indicator, IndicatorKind, IndicatorValue, IntelSet, SigningKey};
use outpost_store::Store;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// File name of the generated signing key in the data directory.
pub const KEY_FILE: &str = "intel-signing.key";
/// File name of its public key (hex), for `outpost up` and operators.
pub const PUBLIC_KEY_FILE: &str = "intel-signing.pub";

/// Why intel could not be set up or a bundle built.
#[derive(Debug, thiserror::Error)]
pub enum IntelServiceError {
    #[error("intel signing key {path}: {message}")]
    Key { path: String, message: String },
    #[error(
        "intel signing key {path} (key id {ours}) is not the key this database's servers sign with (key id {recorded}, recorded by the first server that started on it): agents pin that key and would refuse bundles signed with this one. Give every replica on one database the same key: set [intel] signing_key_file (OUTPOST_INTEL_SIGNING_KEY_FILE) to a copy of that server's key file on every replica; to rotate the key on purpose, stop all replicas, give them the new key and delete the intel_signing_key row"
    )]
    KeyMismatch {
        path: String,
        ours: String,
        recorded: String,
    },
    #[error("storage: {0}")]
    Store(#[from] outpost_store::StoreError),
    #[error("tenant intel: {0}")]
    Corrupt(String),
    #[error("building the bundle: {0}")]
    Build(String),
}

/// Reads the configured signing key, or (when none is configured) the one in the data
/// directory, generating it on first start (mode 0600, public key beside it).
pub fn load_or_create_key(cfg: &ServerConfig) -> Result<SigningKey, IntelServiceError> {
    let (path, configured) = match &cfg.intel.signing_key_file {
        Some(p) => (p.clone(), true),
        None => (cfg.data_dir.join(KEY_FILE), false),
    };
    let err = |message: String| IntelServiceError::Key {
        path: path.display().to_string(),
        message,
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            outpost_intel::distribute::signing_key_from_hex(&text).map_err(|e| err(e.to_string()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !configured => {
            let key = outpost_intel::distribute::generate_signing_key();
            std::fs::create_dir_all(&cfg.data_dir).map_err(|e| err(e.to_string()))?;
            write_new_secret(
                &path,
                format!("{}\n", outpost_intel::distribute::signing_key_to_hex(&key)).as_bytes(),
            )
            .map_err(|e| err(e.to_string()))?;
            let public = public_key_hex(&key);
            std::fs::write(cfg.data_dir.join(PUBLIC_KEY_FILE), format!("{public}\n"))
                .map_err(|e| err(format!("writing the public key: {e}")))?;
            tracing::info!(path = %path.display(), public_key = %public, "generated the intel signing key");
            Ok(key)
        }
        Err(e) => Err(err(e.to_string())),
    }
}

fn write_new_secret(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let mut f = o.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Where the signing key of `cfg` lives.
pub fn key_path(cfg: &ServerConfig) -> std::path::PathBuf {
    cfg.intel
        .signing_key_file
        .clone()
        .unwrap_or_else(|| cfg.data_dir.join(KEY_FILE))
}

/// Stateless replicas share one database and must sign with one key (agents pin it): the
/// first server to start records its public key in the database; every later start compares
/// and refuses a different key ([`IntelServiceError::KeyMismatch`]) instead of publishing
/// bundles that agents enrolled through another replica would reject.
pub async fn check_shared_key(
    cfg: &ServerConfig,
    store: &Store,
    key: &SigningKey,
) -> Result<(), IntelServiceError> {
    let ours = public_key_hex(key);
    let ours_id = hex::encode(key_id(&key.verifying_key()));
    let (recorded, recorded_id) = store.record_intel_signing_key(&ours, &ours_id).await?;
    if recorded != ours {
        crate::metrics::count(
            &crate::metrics::metrics().intel_bundles_built,
            "key_mismatch",
            1,
        );
        return Err(IntelServiceError::KeyMismatch {
            path: key_path(cfg).display().to_string(),
            ours: ours_id,
            recorded: recorded_id,
        });
    }
    if recorded_id != ours_id {
        return Err(IntelServiceError::Corrupt(format!(
            "the database records intel key id {recorded_id} for public key {recorded}, which has id {ours_id}"
        )));
    }
    tracing::info!(key_id = %ours_id, "intel signing key matches the one recorded in the database");
    Ok(())
}

/// The hex public key of `key` (what agents pin).
pub fn public_key_hex(key: &SigningKey) -> String {
    outpost_intel::distribute::verifying_key_to_hex(&key.verifying_key())
}

/// The global intel in use.
#[derive(Debug, Default)]
pub struct GlobalIntel {
    pub set: IntelSet,
    /// Short digest of the set's content (part of every bundle version).
    pub digest: String,
}

impl GlobalIntel {
    pub fn new(set: IntelSet) -> GlobalIntel {
        let digest = hex::encode(Sha256::digest(set.to_json_lines().as_bytes()));
        GlobalIntel {
            set,
            digest: digest[..12].to_string(),
        }
    }
}

/// One tenant's built bundle.
#[derive(Debug)]
pub struct TenantBundle {
    pub bytes: Vec<u8>,
    pub etag: String,
    pub version: String,
    /// The full intel the bundle was built from (hit confirmation answers from it).
    pub merged: IntelSet,
    key: (String, i64, i64),
}

type CacheKey = (String, i64, i64);

/// The per-tenant bundle cache, bounded by a number of tenants (least recently requested
/// evicted first) and by idleness. A tenant whose intel or the global intel changed gets a
/// different key, so its bundle is rebuilt at the next request and replaces the old entry.
/// Every eviction is counted (`outpost_intel_bundle_cache_evictions{result}`).
#[derive(Debug)]
pub struct BundleCache {
    entries: HashMap<String, (Arc<TenantBundle>, std::time::Instant)>,
    capacity: usize,
    idle: Duration,
}

impl BundleCache {
    /// A cache of at most `capacity` tenants (at least 1) whose entries expire after `idle`
    /// without a request.
    pub fn new(capacity: usize, idle: Duration) -> BundleCache {
        BundleCache {
            entries: HashMap::new(),
            capacity: capacity.max(1),
            idle,
        }
    }

    /// The tenant's bundle if it was built for `key` (marks it used).
    fn get(
        &mut self,
        tenant: &str,
        key: &CacheKey,
        now: std::time::Instant,
    ) -> Option<Arc<TenantBundle>> {
        let (b, used) = self.entries.get_mut(tenant)?;
        if &b.key != key {
            return None;
        }
        *used = now;
        Some(b.clone())
    }

    /// Stores a tenant's bundle, evicting idle entries and then the least recently used ones
    /// beyond the capacity. Returns how many were evicted.
    pub fn insert(
        &mut self,
        tenant: String,
        bundle: Arc<TenantBundle>,
        now: std::time::Instant,
    ) -> usize {
        let m = crate::metrics::metrics();
        self.entries.insert(tenant, (bundle, now));
        let before = self.entries.len();
        let idle = self.idle;
        self.entries
            .retain(|_, (_, used)| now.saturating_duration_since(*used) < idle);
        let idle_evicted = before - self.entries.len();
        let mut lru_evicted = 0;
        while self.entries.len() > self.capacity {
            let oldest = self
                .entries
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(t, _)| t.clone());
            match oldest {
                Some(t) => {
                    self.entries.remove(&t);
                    lru_evicted += 1;
                }
                None => break,
            }
        }
        if idle_evicted > 0 {
            crate::metrics::count(&m.intel_bundle_cache_evictions, "idle", idle_evicted as u64);
        }
        if lru_evicted > 0 {
            crate::metrics::count(
                &m.intel_bundle_cache_evictions,
                "capacity",
                lru_evicted as u64,
            );
            tracing::debug!(
                evicted = lru_evicted,
                capacity = self.capacity,
                "tenant bundle cache full: least recently requested bundles evicted"
            );
        }
        m.intel_bundle_cache_entries.set(self.entries.len() as i64);
        idle_evicted + lru_evicted
    }

    /// Number of cached tenants.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn clear(&mut self) {
        self.entries.clear();
        crate::metrics::metrics().intel_bundle_cache_entries.set(0);
    }
}

/// A configured feed as the UI shows it.
#[derive(Debug, Clone)]
pub struct FeedSummary {
    pub name: String,
    /// Path or URL.
    pub location: String,
    pub format: String,
    pub interval_s: u64,
    pub state: FeedState,
    /// Indicators in the last good content (none before the first good fetch).
    pub indicators: Option<usize>,
}

/// Configured feeds with their fetch state and last good content.
struct Feeds {
    feeds: Vec<(Feed, FeedState, Option<IntelSet>)>,
}

/// Directory (in the data directory) where each feed's [`FeedState`] and last good content
/// are kept, so a restart while a feed is unreachable still publishes its last content.
pub const FEED_DIR: &str = "intel-feeds";

/// File stem of a feed's persisted files: its name made file-safe, plus a short digest of the
/// name so different names never share files.
fn feed_stem(name: &str) -> String {
    let safe: String = name
        .chars()
        .take(48)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "{safe}-{}",
        &hex::encode(Sha256::digest(name.as_bytes()))[..8]
    )
}

fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

/// The server's intel: signing key, global intel and the per-tenant bundle cache.
pub struct IntelService {
    key: SigningKey,
    ttl: Duration,
    filter_mode: bool,
    global: RwLock<Arc<GlobalIntel>>,
    cache: Mutex<BundleCache>,
    feeds: Mutex<Feeds>,
    /// Where feed states and contents persist (none: in memory only).
    feed_dir: Option<std::path::PathBuf>,
    /// How often the refresh loop looks for due feeds.
    pub refresh_check: Duration,
    /// `stix` feeds' new contents (feed name, bundle text) whose attack models the server has
    /// not stored yet (see [`crate::services::attack_models::reload_stix`]).
    feed_models: Mutex<Vec<(String, String)>>,
    /// Whether the models of feeds no longer configured are still to be removed (once).
    feed_models_prune: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for IntelService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntelService")
            .field("public_key", &public_key_hex(&self.key))
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

/// The feeds of `[intel]`: each hotlist file as a plain feed (plain lists and IPsum lines
/// both parse; IPsum counts become scores), then the configured feeds.
pub fn configured_feeds(cfg: &IntelConfig) -> Vec<Feed> {
    let mut v: Vec<Feed> = cfg
        .hotlists
        .iter()
        .map(|p| Feed {
            name: hotlist_name(p),
            location: FeedLocation::File(p.clone()),
            format: FeedFormat::Plain,
            interval: Duration::from_secs(300),
            options: FeedOptions::default(),
        })
        .collect();
    v.extend(cfg.feeds.iter().cloned());
    v
}

fn hotlist_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

impl IntelService {
    /// A service with no global intel yet (see [`IntelService::refresh_feeds`]).
    pub fn new(key: SigningKey, cfg: &IntelConfig) -> IntelService {
        IntelService {
            key,
            ttl: Duration::from_secs(cfg.bundle_ttl_s.max(120)),
            filter_mode: cfg.filter_mode,
            global: RwLock::new(Arc::new(GlobalIntel::new(IntelSet::new()))),
            cache: Mutex::new(BundleCache::new(
                cfg.bundle_cache_tenants,
                Duration::from_secs(cfg.bundle_cache_idle_s),
            )),
            feeds: Mutex::new(Feeds {
                feeds: configured_feeds(cfg)
                    .into_iter()
                    .map(|f| (f, FeedState::default(), None))
                    .collect(),
            }),
            feed_dir: None,
            refresh_check: Duration::from_secs(cfg.refresh_check_s.max(1)),
            feed_models: Mutex::new(Vec::new()),
            feed_models_prune: std::sync::atomic::AtomicBool::new(true),
        }
    }

    /// Keeps feed states and contents in `dir` and loads what an earlier run left there
    /// (blocking file I/O). A damaged file only costs that feed its saved state.
    pub fn with_feed_dir(mut self, dir: std::path::PathBuf) -> IntelService {
        if let Ok(feeds) = self.feeds.get_mut() {
            for (feed, state, last) in feeds.feeds.iter_mut() {
                let stem = feed_stem(&feed.name);
                let (sp, cp) = (
                    dir.join(format!("{stem}.state.json")),
                    dir.join(format!("{stem}.jsonl")),
                );
                let saved_state = std::fs::read(&sp)
                    .ok()
                    .and_then(|b| serde_json::from_slice::<FeedState>(&b).ok());
                let saved_set = std::fs::read_to_string(&cp)
                    .ok()
                    .and_then(|t| IntelSet::from_json_lines(&t, &feed.name).ok());
                // Validators without content would make the first fetch "not modified".
                if let (Some(st), Some(set)) = (saved_state, saved_set) {
                    tracing::info!(feed = %feed.name, indicators = set.len(), "intel feed's last content loaded from disk");
                    *state = st;
                    *last = Some(set);
                }
            }
            if feeds.feeds.iter().any(|(_, _, l)| l.is_some()) {
                let mut set = IntelSet::new();
                for (_, _, l) in &feeds.feeds {
                    if let Some(s) = l {
                        set.extend(s.clone());
                    }
                }
                self.global = RwLock::new(Arc::new(GlobalIntel::new(set)));
            }
        }
        self.feed_dir = Some(dir);
        self
    }

    fn persist(&self, feed: &Feed, state: &FeedState, content: Option<&IntelSet>) {
        let Some(dir) = &self.feed_dir else { return };
        let stem = feed_stem(&feed.name);
        let r = std::fs::create_dir_all(dir)
            .and_then(|()| match content {
                Some(set) => write_atomic(
                    &dir.join(format!("{stem}.jsonl")),
                    set.to_json_lines().as_bytes(),
                ),
                None => Ok(()),
            })
            .and_then(|()| {
                let bytes = serde_json::to_vec_pretty(state).map_err(std::io::Error::other)?;
                write_atomic(&dir.join(format!("{stem}.state.json")), &bytes)
            });
        if let Err(e) = r {
            crate::metrics::count(
                &crate::metrics::metrics().intel_feed_loads,
                "persist_error",
                1,
            );
            tracing::warn!(feed = %feed.name, error = %e, "cannot save the feed's state");
        }
    }

    /// The public key agents pin (hex).
    pub fn public_key(&self) -> String {
        public_key_hex(&self.key)
    }

    /// The public key's id (hex).
    pub fn key_id(&self) -> String {
        hex::encode(key_id(&self.key.verifying_key()))
    }

    /// The global intel in use.
    pub fn global(&self) -> Arc<GlobalIntel> {
        match self.global.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// Replaces the global intel (bundles are rebuilt at their next request).
    pub fn set_global(&self, set: IntelSet) {
        let g = Arc::new(GlobalIntel::new(set));
        tracing::info!(indicators = g.set.len(), digest = %g.digest, "global intel updated");
        match self.global.write() {
            Ok(mut w) => *w = g,
            Err(p) => *p.into_inner() = g,
        }
    }

    /// Fetches the feeds that are due (all with `force`), and when any changed, rebuilds the
    /// global intel from every feed's last good content. Blocking (files, HTTP): run it on a
    /// blocking thread. Returns whether the global intel changed.
    pub fn refresh_feeds(&self, now: DateTime<Utc>, force: bool) -> bool {
        let mut guard = match self.feeds.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let m = crate::metrics::metrics();
        let mut changed = false;
        for (feed, state, last) in guard.feeds.iter_mut() {
            match feed.refresh(state, now, force, Duration::from_secs(60)) {
                Ok(RefreshOutcome::NotDue) => {}
                Ok(RefreshOutcome::NotModified) => {
                    crate::metrics::count(&m.intel_feed_loads, "not_modified", 1);
                    self.persist(feed, state, None);
                }
                Ok(RefreshOutcome::Updated(set, report, bundle)) => {
                    crate::metrics::count(&m.intel_feed_loads, "updated", 1);
                    if let Some(text) = bundle {
                        self.queue_feed_model(&feed.name, text);
                    }
                    tracing::info!(feed = %feed.name, accepted = report.accepted, malformed = report.malformed, expired = report.expired, "intel feed loaded");
                    self.persist(feed, state, Some(&set));
                    *last = Some(*set);
                    changed = true;
                }
                Err(e) => {
                    crate::metrics::count(&m.intel_feed_loads, "error", 1);
                    tracing::error!(feed = %feed.name, error = %e, "intel feed could not be loaded; its last good content stays in use");
                    self.persist(feed, state, None);
                }
            }
        }
        if changed {
            let mut set = IntelSet::new();
            for (_, _, last) in &guard.feeds {
                if let Some(s) = last {
                    set.extend(s.clone());
                }
            }
            drop(guard);
            self.set_global(set);
        }
        changed
    }

    /// Queues a `stix` feed's new content for its attack model, replacing an older one of
    /// the same feed not stored yet.
    pub fn queue_feed_model(&self, feed: &str, text: String) {
        let mut q = self.feed_models.lock().unwrap_or_else(|p| p.into_inner());
        q.retain(|(name, _)| name != feed);
        q.push((feed.to_string(), text));
    }

    /// The `stix` feeds' contents queued since the last call (feed name, bundle text).
    pub fn take_feed_models(&self) -> Vec<(String, String)> {
        std::mem::take(&mut *self.feed_models.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Whether the models of feeds no longer configured are still to be removed (true once,
    /// then again after [`IntelService::retry_prune`]).
    pub fn take_prune(&self) -> bool {
        self.feed_models_prune
            .swap(false, std::sync::atomic::Ordering::SeqCst)
    }

    /// Asks for the removal of the models of unconfigured feeds again (it failed).
    pub fn retry_prune(&self) {
        self.feed_models_prune
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// The names of the configured `stix` feeds (the others keep no attack model).
    pub fn stix_feed_names(&self) -> Vec<String> {
        match self.feeds.lock() {
            Ok(f) => f
                .feeds
                .iter()
                .filter(|(feed, _, _)| matches!(feed.format, FeedFormat::Stix))
                .map(|(feed, _, _)| feed.name.clone())
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Every configured feed with its fetch state and the size of its last good content.
    pub fn feed_summaries(&self) -> Vec<FeedSummary> {
        match self.feeds.lock() {
            Ok(g) => g
                .feeds
                .iter()
                .map(|(f, s, content)| FeedSummary {
                    name: f.name.clone(),
                    location: match &f.location {
                        FeedLocation::File(p) => p.display().to_string(),
                        FeedLocation::Url(u) => u.clone(),
                    },
                    format: match &f.format {
                        FeedFormat::Plain => "plain".into(),
                        FeedFormat::Ipsum { min_score } => match min_score {
                            Some(m) => format!("ipsum (min score {m})"),
                            None => "ipsum".into(),
                        },
                        FeedFormat::Csv(_) => "csv".into(),
                        FeedFormat::Stix => "stix".into(),
                    },
                    interval_s: f.interval.as_secs(),
                    state: s.clone(),
                    indicators: content.as_ref().map(IntelSet::len),
                })
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    /// The states of the configured feeds, by name.
    pub fn feed_states(&self) -> Vec<(String, FeedState)> {
        match self.feeds.lock() {
            Ok(g) => g
                .feeds
                .iter()
                .map(|(f, s, _)| (f.name.clone(), s.clone()))
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    fn created_for(&self, now: DateTime<Utc>, changed_at: Option<DateTime<Utc>>) -> i64 {
        let period = (self.ttl.as_secs() / 2).max(60) as i64;
        let secs = now.timestamp();
        let floor = secs - secs.rem_euclid(period);
        floor.max(changed_at.map_or(0, |t| t.timestamp()))
    }

    /// The tenant's current bundle: from the cache when nothing changed, else built (on a
    /// blocking thread) from the global intel and the tenant's rows.
    pub async fn tenant_bundle(
        self: &Arc<Self>,
        store: &Store,
        tenant_id: &str,
    ) -> Result<Arc<TenantBundle>, IntelServiceError> {
        let rev = store.intel_revision(tenant_id).await?;
        let global = self.global();
        let created = self.created_for(Utc::now(), rev.changed_at);
        let key = (global.digest.clone(), rev.revision, created);
        if let Ok(mut c) = self.cache.lock()
            && let Some(b) = c.get(tenant_id, &key, std::time::Instant::now())
        {
            return Ok(b);
        }
        let rows = store.list_tenant_indicators(Some(tenant_id)).await?;
        let allow = store.list_allowlist(Some(tenant_id)).await?;
        let mut tenant = IntelSet::new();
        for r in rows {
            let kind = IndicatorKind::parse(&r.kind).ok_or_else(|| {
                IntelServiceError::Corrupt(format!("indicator kind {:?}", r.kind))
            })?;
            let value = IndicatorValue::parse(kind, &r.value)
                .map_err(|e| IntelServiceError::Corrupt(format!("indicator {}: {e}", r.id)))?;
            let source = r.source.clone().unwrap_or_else(|| "tenant".to_string());
            tenant.insert(
                Indicator::new(value, source)
                    .with_score(r.score)
                    .with_expiry(r.expires_at),
            );
        }
        let mut nets = Vec::with_capacity(allow.len());
        for a in &allow {
            nets.push(
                a.network
                    .parse::<ipnet::IpNet>()
                    .or_else(|_| {
                        a.network
                            .parse::<std::net::IpAddr>()
                            .map(ipnet::IpNet::from)
                    })
                    .map_err(|e| IntelServiceError::Corrupt(format!("allowlist {}: {e}", a.id)))?,
            );
        }
        let this = self.clone();
        let tenant_id_owned = tenant_id.to_string();
        let built = tokio::task::spawn_blocking(move || {
            this.build(&global, &tenant, &nets, rev.revision, created)
        })
        .await
        .map_err(|e| IntelServiceError::Build(e.to_string()))?;
        let m = crate::metrics::metrics();
        let bundle = match built {
            Ok(b) => {
                crate::metrics::count(&m.intel_bundles_built, "ok", 1);
                Arc::new(b)
            }
            Err(e) => {
                crate::metrics::count(&m.intel_bundles_built, "error", 1);
                return Err(e);
            }
        };
        tracing::info!(tenant_id = %tenant_id_owned, version = %bundle.version, bytes = bundle.bytes.len(), "tenant intel bundle built");
        if let Ok(mut c) = self.cache.lock() {
            c.insert(tenant_id_owned, bundle.clone(), std::time::Instant::now());
        }
        Ok(bundle)
    }

    fn build(
        &self,
        global: &GlobalIntel,
        tenant: &IntelSet,
        allow: &[ipnet::IpNet],
        revision: i64,
        created: i64,
    ) -> Result<TenantBundle, IntelServiceError> {
        let created_at = Utc
            .timestamp_opt(created, 0)
            .single()
            .ok_or_else(|| IntelServiceError::Build(format!("bad time {created}")))?;
        let version = format!(
            "{}-g{}-t{revision}",
            created_at.format("%Y%m%dT%H%M%SZ"),
            global.digest
        );
        let spec = BundleSpec {
            version: version.clone(),
            created: created_at,
            ttl: self.ttl,
            filter_mode: self.filter_mode,
            source: "outpost".to_string(),
        };
        // What `build_tenant_bundle_with` does, in its two steps, so the merged set is kept
        // for hit confirmation.
        let merged = merge_for_tenant(&global.set, tenant, &tenant_allowlist(allow), created_at);
        let bytes = build_bundle(&merged, &spec, &self.key)
            .map_err(|e| IntelServiceError::Build(e.to_string()))?;
        let etag = outpost_intel::bundle_etag(&bytes);
        Ok(TenantBundle {
            bytes,
            etag,
            version,
            merged,
            key: (global.digest.clone(), revision, created),
        })
    }

    /// Builds the service for `cfg`: the signing key (checked against the one recorded in the
    /// database, see [`check_shared_key`]) and a first load of every feed.
    pub async fn start(
        cfg: &ServerConfig,
        store: &Store,
    ) -> Result<Arc<IntelService>, IntelServiceError> {
        let key = load_or_create_key(cfg)?;
        check_shared_key(cfg, store, &key).await?;
        let (intel_cfg, dir) = (cfg.intel.clone(), cfg.data_dir.join(FEED_DIR));
        let svc = tokio::task::spawn_blocking(move || {
            let svc = Arc::new(IntelService::new(key, &intel_cfg).with_feed_dir(dir));
            // Forced: due or not, every feed is checked once (validators still apply).
            svc.refresh_feeds(Utc::now(), true);
            svc
        })
        .await
        .map_err(|e| IntelServiceError::Build(e.to_string()))?;
        Ok(svc)
    }

    /// Whether any feed is configured (the refresh loop runs only then).
    pub fn has_feeds(&self) -> bool {
        self.feeds
            .lock()
            .map(|f| !f.feeds.is_empty())
            .unwrap_or(false)
    }

    /// The refresh loop: every [`IntelService::refresh_check`], fetches the feeds that are due
    /// (each after its own interval) and rebuilds the global intel when one changed.
    pub fn spawn_refresh(self: &Arc<Self>) {
        if !self.has_feeds() {
            return;
        }
        let svc = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(svc.refresh_check);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                tick.tick().await;
                let s = svc.clone();
                if let Err(e) =
                    tokio::task::spawn_blocking(move || s.refresh_feeds(Utc::now(), false)).await
                {
                    tracing::error!(error = %e, "intel feed refresh failed");
                }
            }
        });
    }

    /// Drops every cached bundle (tests, key rotation).
    pub fn clear_cache(&self) {
        if let Ok(mut c) = self.cache.lock() {
            c.clear();
        }
    }

    /// Number of tenants whose bundle is cached.
    pub fn cached_bundles(&self) -> usize {
        self.cache.lock().map(|c| c.len()).unwrap_or(0)
    }
}

/// A tenant's intel as the detection engines' IOC lookup: the same merged set
/// (global intel + tenant indicators − allowlist) its agents' bundle is built from, so a
/// server-side match agrees with the agent's. Indicators that have expired at `now` do not
/// match.
pub struct TenantIocs {
    bundle: Arc<TenantBundle>,
    now: DateTime<Utc>,
}

impl TenantIocs {
    pub fn new(bundle: Arc<TenantBundle>, now: DateTime<Utc>) -> TenantIocs {
        TenantIocs { bundle, now }
    }

    fn found(i: &Indicator) -> outpost_detect::static_engine::IocMatch {
        // The form hits carry (see the agent's correlator): networks as `a.b.c.d/n`.
        let indicator = match i.value {
            IndicatorValue::Net(n) => n.to_string(),
            ref v => v.to_string(),
        };
        outpost_detect::static_engine::IocMatch {
            source: if i.source.is_empty() {
                "intel".to_string()
            } else {
                i.source.clone()
            },
            description: format!("{} {indicator} in the tenant's intel", i.value.kind()),
            // As the agent's own match is scored: ten points per feed score unit, at most 100.
            score: i.effective_score().map(|s| {
                i32::try_from(s.saturating_mul(10))
                    .unwrap_or(i32::MAX)
                    .min(100)
            }),
            indicator,
        }
    }
}

impl outpost_detect::static_engine::IocLookup for TenantIocs {
    fn ip(&self, ip: std::net::IpAddr) -> Option<outpost_detect::static_engine::IocMatch> {
        self.bundle
            .merged
            .lookup_ip_at(ip, self.now)
            .map(Self::found)
    }

    fn hash(&self, hash: &str) -> Option<outpost_detect::static_engine::IocMatch> {
        self.bundle
            .merged
            .lookup_hash_at(hash, self.now)
            .map(Self::found)
    }

    fn domain(&self, domain: &str) -> Option<outpost_detect::static_engine::IocMatch> {
        self.bundle
            .merged
            .lookup_domain_at(domain, self.now)
            .map(Self::found)
    }

    fn process(
        &self,
        name: &str,
        path: Option<&str>,
    ) -> Option<outpost_detect::static_engine::IocMatch> {
        self.bundle
            .merged
            .lookup_process_at(name, path, self.now)
            .map(Self::found)
    }
}

/// The tenant's intel for the static engine's IOC lookups, when intel is on and
/// scoring is: the cached bundle's merged set. A failure to build it is logged and counted
/// (`outpost_intel_lookup_failures_total`); the batch is then scored without tenant
/// indicators rather than refused.
pub(crate) async fn tenant_iocs(
    state: &crate::AppState,
    tenant_id: &str,
) -> Option<crate::intel::TenantIocs> {
    let intel = state.intel.as_ref()?;
    if !state.scoring.enabled() {
        return None;
    }
    match intel.tenant_bundle(&state.store, tenant_id).await {
        Ok(b) => Some(crate::intel::TenantIocs::new(b, chrono::Utc::now())),
        Err(e) => {
            tracing::warn!(tenant_id, error = %e, "tenant intel unavailable for scoring");
            crate::metrics::metrics().intel_lookup_failures.inc();
            None
        }
    }
}
