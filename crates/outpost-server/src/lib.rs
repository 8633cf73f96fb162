//! Outpost's HTTP API server.
//!
//! [`router`] builds the axum application over an [`AppState`]; [`serve`] binds it and runs
//! until the shutdown future completes, finishing in-flight requests first. Every route answers
//! errors in one JSON shape (`{"error":{"code","message"}}`, see [`error::ApiError`]).
//!
//! # Module map
//!
//! - **Front ends.** [`routes`]: the `/api/v1` handlers, one file per resource (enroll,
//!   check-in, hits, events, devices, suppressions, alerts and sightings, attack models,
//!   profiles and learn mode, detection status, auth and OIDC callbacks, admin, intel,
//!   releases); the table of
//!   what is mounted ([`api_routes`]) drives the OpenAPI document ([`openapi`],
//!   `openapi.json`) and the authorization matrix test. [`ui`]: the web UI, askama templates
//!   in `templates/`, one file per resource (`ui/sensors.rs`: the Threatsensor views — the
//!   Sensoroni sensors beside the devices, the PCAP job form, the bounded packet view of a
//!   finished PCAP job). [`inputs`]: `[[inputs]]`, other sensors' telemetry from Kafka
//!   (committed offsets in the store's `input_offsets`, written after the batch is scored,
//!   stored and queued) and NATS (JetStream durable pull consumer with explicit acks, or a
//!   core subscription), mapped per format (Tetragon, Falco, Outpost) to normalized events
//!   routed to a tenant and a pseudo-device per node.
//! - **Services** ([`services`]): what those front ends share once they know who asks —
//!   accepting hit and telemetry batches (bound, score, store, forward, rule actions), triage
//!   (the "customers may only acknowledge" rule, suppressions, escalations, with their audit
//!   and metrics), password login, attack models (upload, scoped views, the STIX reload with
//!   the stored models), and the [`services::forward::Forwarder`] (the `[[outputs]]`, rule
//!   actions, tickets, the audit trail).
//! - **Scoring** ([`scoring`]): hits and telemetry through `outpost-detect` — static, rules and
//!   Sigma, STIX patterns of `[detect] stix_dir` and the intel feeds, the tenant's behaviour
//!   profiles ([`profiles`], kept in step with the database), learn mode, the Sigma
//!   correlation timer ([`correlation_timer_tick`]).
//! - **Identity.** [`extract`]: API keys, UI sessions by bearer or cookie with the CSRF rule,
//!   device tokens → `Principal`; [`limits`]: rate limits; [`password`]: argon2; [`oidc`]:
//!   `[[auth.oidc]]` (discovery, keys refetched for an unknown key id, ID token checks, the
//!   claim-mapping rules).
//! - **Intel publishing** ([`intel`]): the bundle signing key, global intel from the
//!   configured feeds, per-tenant signed bundles cached by (global digest, tenant revision,
//!   creation period).
//! - **The replica.** [`config`]: TOML + `OUTPOST_*` env; [`build_state`] starts the job
//!   subsystem on the same database and mounts its routers (`/api/v1/jobs…` behind
//!   [`extract::insert_principal`], the Sensoroni-compatible routes with their own static key);
//!   [`jobs`]: the device directory the job crate needs (hostname → device id for
//!   `/joblookup`: case-insensitive, full ↔ short name, several matches are candidates, never a
//!   guess); [`reports`]: check-in and upload reports written behind, one transaction per
//!   interval; [`spawn_housekeeping`]: retention, sessions, change watch for other replicas;
//!   [`metrics`]; [`tls`].

pub mod config;
pub mod error;
pub mod extract;
pub mod inputs;
pub mod intel;
pub mod jobs;
pub mod limits;
pub mod metrics;
pub mod oidc;
pub mod openapi;
pub mod password;
pub mod profiles;
pub mod reports;
pub mod routes;
pub mod scoring;
pub mod services;
pub mod single_host;
pub mod tls;
pub mod ui;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{MethodRouter, delete, get, post, put};
use config::ServerConfig;
use error::ApiError;
use outpost_store::Store;
use prometheus_client::registry::Registry;
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

/// Shared state of all handlers.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<ServerConfig>,
    pub registry: Arc<Registry>,
    /// The job subsystem, when started (see [`build_state`]).
    pub jobs: Option<outpost_jobs::JobsState>,
    pub limits: Arc<limits::Limits>,
    /// Bumped when device configuration changes (wakes long-polling check-ins).
    pub changes: Arc<tokio::sync::watch::Sender<u64>>,
    /// `true` once shutdown began: held check-ins answer at once (see [`serve_on`]).
    pub closing: Arc<tokio::sync::watch::Sender<bool>>,
    /// Intel publishing (signing key, global intel, tenant bundles), when started (see
    /// [`build_state`]).
    pub intel: Option<Arc<intel::IntelService>>,
    /// Scoring of uploaded hits and telemetry (see [`scoring`]).
    pub scoring: Arc<scoring::Scoring>,
    /// The outputs and the audit trail (see [`services::forward`]).
    pub forward: Arc<services::forward::Forwarder>,
    /// Check-in and upload reports waiting to be written (see [`reports`]).
    pub reports: Arc<reports::DeviceReports>,
    /// OpenID Providers of `[[auth.oidc]]` (see [`oidc`]).
    pub oidc: Arc<oidc::OidcService>,
}

impl AppState {
    /// Records what a device reported: written at once with `checkin_flush_ms = 0`, else with
    /// the next flush.
    pub async fn report_device(
        &self,
        device_id: &str,
        r: outpost_store::DeviceReport,
    ) -> Result<(), outpost_store::StoreError> {
        self.reports.record(device_id, r);
        if self.config.checkin_flush_ms == 0 {
            self.reports.flush(&self.store).await?;
        }
        Ok(())
    }

    /// Writes pending device reports before devices are read, so a caller sees its own
    /// check-ins (a failed write is logged; the read goes on with what is stored).
    pub async fn fresh_devices(&self) {
        if self.reports.pending() > 0
            && let Err(e) = self.reports.flush(&self.store).await
        {
            tracing::warn!(error = %e, "cannot write pending device reports before a read");
        }
    }

    /// Wakes long-polling check-ins (after a configuration change).
    pub fn notify_changes(&self) {
        self.changes.send_modify(|v| *v = v.wrapping_add(1));
    }
}

/// A random 256-bit token (hex), e.g. for generated passwords.
pub fn random_token() -> String {
    use rand::RngCore;
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Errors starting the server.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot open the database: {0}")]
    Store(#[from] outpost_store::StoreError),
    #[error("cannot listen on {addr}: {source}{}", bind_hint(source))]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("server failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("job subsystem: {0}")]
    Jobs(String),
    #[error("TLS: {0}")]
    Tls(#[from] tls::TlsError),
    #[error("{0}")]
    Scoring(#[from] scoring::ScoringError),
    #[error("[[outputs]]: {0}")]
    Outputs(#[from] outpost_outputs::OutputError),
    #[error("intel: {0}")]
    Intel(#[from] intel::IntelServiceError),
    #[error("configuration: {0}")]
    Config(#[from] config::ConfigError),
    #[error("sign-in: {0}")]
    Oidc(#[from] oidc::OidcError),
}

/// What to do about a failed bind, for the two usual causes.
pub fn bind_hint(e: &std::io::Error) -> &'static str {
    match e.kind() {
        std::io::ErrorKind::AddrInUse => {
            ". Another program (perhaps another `outpost server` or `outpost up`) listens there: \
             stop it, or choose another address with --listen or OUTPOST_LISTEN"
        }
        std::io::ErrorKind::PermissionDenied => {
            ". Ports below 1024 need root (or CAP_NET_BIND_SERVICE): choose a port above 1024 \
             with --listen or OUTPOST_LISTEN"
        }
        std::io::ErrorKind::AddrNotAvailable => {
            ". No interface of this machine has that address: use 127.0.0.1, 0.0.0.0 or one of \
             its addresses"
        }
        _ => "",
    }
}

/// Opens the configured database (embedded SQLite in `data_dir` unless `database_url` is
/// set) and applies migrations.
pub async fn open_store(config: &ServerConfig) -> Result<Store, outpost_store::StoreError> {
    let store = match &config.database_url {
        Some(url) => Store::connect(url).await?,
        None => Store::open_sqlite_dir(&config.data_dir).await?,
    };
    store.migrate().await?;
    Ok(store)
}

/// The `/api/v1` routes as (method, path) pairs, in the order they are mounted; the
/// OpenAPI document is checked against this table by a test.
pub fn api_routes() -> Vec<(&'static str, String)> {
    let (_, table) = api_router();
    table
}

/// The body limit of release uploads (`[releases] max_bytes` is checked by the handler).
const RELEASE_BODY_CAP: usize = 1 << 30;

/// Collects routes and their (method, path) table at once, so the table cannot drift from
/// what is mounted.
struct Routes {
    router: Router<AppState>,
    table: Vec<(&'static str, String)>,
}

impl Routes {
    fn add(mut self, path: &str, methods: &[&'static str], mr: MethodRouter<AppState>) -> Self {
        for m in methods {
            self.table.push((m, format!("/api/v1{path}")));
        }
        self.router = self.router.route(path, mr);
        self
    }
}

fn api_router() -> (Router<AppState>, Vec<(&'static str, String)>) {
    use outpost_core::api::{AlertRecord, HitRecord};
    use routes::{
        admin, alerts, attack_models, auth, checkin, detect, devices, enroll, events, hits, intel,
        profiles, releases, suppressions,
    };
    let r = Routes {
        router: Router::new(),
        table: Vec::new(),
    }
    .add("/enroll", &["POST"], post(enroll::enroll))
    .add("/checkin", &["POST"], post(checkin::checkin))
    .add(
        "/hits",
        &["POST", "GET"],
        post(hits::upload).get(hits::list),
    )
    .add("/events", &["POST"], post(events::upload))
    .add(
        "/hits/{id}",
        &["GET"],
        get(routes::triaged_get::<HitRecord>),
    )
    .add(
        "/hits/{id}/state",
        &["POST"],
        post(routes::triaged_set_state::<HitRecord>),
    )
    .add(
        "/hits/{id}/history",
        &["GET"],
        get(routes::triaged_history::<HitRecord>),
    )
    .add("/hits/{id}/related", &["GET"], get(hits::related))
    .add("/correlations", &["GET"], get(hits::correlations))
    .add(
        "/suppressions",
        &["GET", "POST"],
        get(suppressions::list).post(suppressions::create),
    )
    .add(
        "/suppressions/{id}",
        &["DELETE"],
        delete(suppressions::delete),
    )
    .add("/devices", &["GET"], get(devices::list))
    .add("/devices/{id}", &["GET"], get(devices::get))
    .add("/devices/{id}/revoke", &["POST"], post(devices::revoke))
    .add("/devices/{id}/config", &["PUT"], put(devices::set_config))
    .add("/auth/login", &["POST"], post(auth::login))
    .add("/auth/logout", &["POST"], post(auth::logout))
    .add("/auth/me", &["GET"], get(auth::me))
    .add("/auth/providers", &["GET"], get(auth::providers))
    .add("/auth/oidc/{name}/login", &["GET"], get(auth::oidc_login))
    .add(
        "/auth/oidc/{name}/callback",
        &["GET"],
        get(auth::oidc_callback),
    )
    .add(
        "/tenants",
        &["GET", "POST"],
        get(admin::list_tenants).post(admin::create_tenant),
    )
    .add(
        "/users",
        &["GET", "POST"],
        get(admin::list_users).post(admin::create_user),
    )
    .add("/users/{id}", &["DELETE"], delete(admin::disable_user))
    .add(
        "/keys",
        &["GET", "POST"],
        get(admin::list_keys).post(admin::create_key),
    )
    .add("/keys/{id}", &["DELETE"], delete(admin::revoke_key))
    .add("/keys/{id}/rotate", &["POST"], post(admin::rotate_key))
    .add("/intel/bundle", &["GET"], get(intel::bundle))
    .add("/intel/confirm", &["POST"], post(intel::confirm))
    .add("/intel/key", &["GET"], get(intel::key))
    .add(
        "/intel/indicators",
        &["GET", "POST"],
        get(intel::list_indicators).post(intel::create_indicator),
    )
    .add(
        "/intel/indicators/{id}",
        &["DELETE"],
        delete(intel::delete_indicator),
    )
    .add(
        "/intel/allowlist",
        &["GET", "POST"],
        get(intel::list_allowlist).post(intel::create_allowlist),
    )
    .add(
        "/intel/allowlist/{id}",
        &["DELETE"],
        delete(intel::delete_allowlist),
    )
    .add("/alerts", &["GET"], get(alerts::list))
    .add(
        "/alerts/{id}",
        &["GET"],
        get(routes::triaged_get::<AlertRecord>),
    )
    .add(
        "/alerts/{id}/state",
        &["POST"],
        post(routes::triaged_set_state::<AlertRecord>),
    )
    .add(
        "/alerts/{id}/history",
        &["GET"],
        get(routes::triaged_history::<AlertRecord>),
    )
    .add("/sightings", &["GET"], get(alerts::sightings))
    .add(
        "/attack-models",
        &["GET", "POST"],
        get(attack_models::list).post(attack_models::upload),
    )
    .add("/attack-models/{id}", &["GET"], get(attack_models::get_one))
    .add("/profiles", &["GET"], get(profiles::list))
    .add("/profiles/reset", &["POST"], post(profiles::reset))
    .add(
        "/detect/learn",
        &["GET", "PUT"],
        get(profiles::learn).put(profiles::set_learn),
    )
    .add(
        "/detect/learn/apply",
        &["POST"],
        post(profiles::apply_learn),
    )
    .add("/detect/rules", &["GET"], get(detect::rules))
    .add(
        "/releases",
        &["GET", "POST"],
        get(releases::list)
            .post(releases::upload)
            .layer(DefaultBodyLimit::max(RELEASE_BODY_CAP)),
    )
    .add("/releases/{id}/download", &["GET"], get(releases::download))
    .add(
        "/rollouts",
        &["GET", "POST"],
        get(releases::list_rollouts).post(releases::create_rollout),
    )
    .add("/rollouts/{id}", &["GET"], get(releases::get_rollout))
    .add(
        "/rollouts/{id}/state",
        &["POST"],
        post(releases::set_rollout_state),
    )
    .add("/fleet", &["GET"], get(releases::fleet))
    .add(
        "/devices/{id}/updates",
        &["GET"],
        get(releases::device_history),
    )
    .add("/outputs", &["GET"], get(detect::outputs))
    .add("/openapi.json", &["GET"], get(openapi::document))
    .add("/docs", &["GET"], get(openapi::page));
    (r.router, r.table)
}

/// Builds the application.
pub fn router(state: AppState) -> Router {
    let max_body = state.config.max_body_bytes;
    let (api, _) = api_router();
    let mut app: Router = Router::new()
        .nest("/api/v1", api)
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .merge(ui::router())
        .with_state(state.clone());
    if let Some(jobs) = &state.jobs {
        // The job API authorizes with the Principal our middleware resolves; the
        // Sensoroni-compatible API has its own static-key authentication.
        let v1 = outpost_jobs::v1_router(jobs.clone()).layer(axum::middleware::from_fn_with_state(
            state.clone(),
            extract::insert_principal,
        ));
        app = app
            .merge(v1)
            .merge(outpost_jobs::compat_router(jobs.clone()));
    }
    app.fallback(|| async { ApiError::not_found("no such route") })
        .layer(axum::middleware::from_fn(tls::client_addr_as_socket_addr))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
}

async fn readyz(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Result<&'static str, ApiError> {
    state.store.ping().await.map_err(|e| {
        tracing::warn!(error = %e, "readiness check failed");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            "database unreachable",
        )
    })?;
    Ok("ready")
}

async fn metrics_text(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> impl IntoResponse {
    let mut out = String::new();
    match prometheus_client::encoding::text::encode(&mut out, &state.registry) {
        Ok(()) => (
            StatusCode::OK,
            [(
                axum::http::header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            out,
        )
            .into_response(),
        Err(_) => ApiError::internal().into_response(),
    }
}

/// Builds the state for `config` over an opened `store`.
pub fn state(config: ServerConfig, store: Store) -> AppState {
    state_with(
        config,
        store,
        base_registry(),
        Arc::new(scoring::Scoring::disabled()),
        Arc::new(services::forward::Forwarder::disabled()),
    )
}

/// The registry with the server's and the job queue's metrics.
fn base_registry() -> Registry {
    let mut registry = Registry::default();
    metrics::register(&mut registry);
    inputs::register(&mut registry);
    outpost_jobs::metrics::register(&mut registry);
    outpost_detect::metrics::register(&mut registry);
    registry
}

/// The state with a prepared registry, scoring stage and outputs.
fn state_with(
    config: ServerConfig,
    store: Store,
    registry: Registry,
    scoring: Arc<scoring::Scoring>,
    forward: Arc<services::forward::Forwarder>,
) -> AppState {
    let limits = limits::Limits::new(config.rate_limit_per_s, config.login_rate_per_min);
    let (changes, _) = tokio::sync::watch::channel(0u64);
    // `build_state` (the real server) refuses to start on an unreadable client secret; here
    // (tests, tools) such providers are left out, saying so.
    let oidc = Arc::new(
        oidc::OidcService::new(&config.auth.oidc, config.public_url.as_deref()).unwrap_or_else(
            |e| {
                tracing::error!(error = %e, "OIDC providers not available");
                oidc::OidcService::empty()
            },
        ),
    );
    AppState {
        store,
        config: Arc::new(config),
        registry: Arc::new(registry),
        jobs: None,
        limits: Arc::new(limits),
        changes: Arc::new(changes),
        closing: Arc::new(tokio::sync::watch::channel(false).0),
        intel: None,
        scoring,
        forward,
        reports: Arc::new(reports::DeviceReports::new()),
        oidc,
    }
}

/// Background housekeeping of a serving replica: retention, expired sessions, rate-limiter
/// memory, noticing configuration changes made through other replicas, and refreshing the
/// intel feeds on their schedules.
/// One round of the Sigma correlation timer: windows with an upper bound that are over (with
/// [`scoring::CORRELATION_TIMER_GRACE`] for late uploads) are decided, and those that hold are
/// stored as alerts and forwarded. Returns the alerts stored (new ones). Runs every few seconds
/// (see [`spawn_housekeeping`]).
pub async fn correlation_timer_tick(state: &AppState, now: chrono::DateTime<chrono::Utc>) -> u64 {
    let scoring = state.scoring.clone();
    let grace = chrono::TimeDelta::from_std(scoring::CORRELATION_TIMER_GRACE)
        .unwrap_or(chrono::TimeDelta::zero());
    let due =
        match tokio::task::spawn_blocking(move || scoring.expire_correlations(now - grace)).await {
            Ok(d) => d,
            Err(e) => {
                tracing::error!(error = %e, "correlation timer task failed");
                return 0;
            }
        };
    let mut fresh = 0;
    for t in due {
        match state
            .store
            .insert_alerts(&t.device, &t.batch_id, std::slice::from_ref(&t.alert), &[])
            .await
        {
            Ok(stored) => {
                let m = metrics::metrics();
                metrics::count(&m.event_alerts, "suppressed", stored.suppressed);
                metrics::count(&m.event_alerts, "new", stored.fresh - stored.suppressed);
                m.alerts.inc_by(stored.fresh - stored.suppressed);
                let queued = state
                    .forward
                    .publish_event_alerts(&stored.alerts, &std::collections::HashSet::new());
                m.output_records_queued.inc_by(queued as u64);
                fresh += stored.fresh;
            }
            Err(e) => {
                tracing::warn!(error = %e, batch_id = %t.batch_id, "correlation alert not stored");
            }
        }
    }
    fresh
}

/// Runs `task` on a clone of `ctx` now and then every `every` until the process ends; a late
/// run delays the next ones instead of bunching them.
fn spawn_every<C, F, Fut>(every: std::time::Duration, ctx: C, task: F)
where
    C: Clone + Send + 'static,
    F: Fn(C) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            task(ctx.clone()).await;
        }
    });
}

pub fn spawn_housekeeping(state: &AppState) {
    use std::time::Duration;
    spawn_every(Duration::from_secs(5), state.clone(), |st| async move {
        correlation_timer_tick(&st, chrono::Utc::now()).await;
    });
    if state.store.backend() == "sqlite" {
        spawn_every(
            Duration::from_secs(1),
            state.store.clone(),
            |store| async move {
                if let Err(e) = store.checkpoint().await {
                    tracing::warn!(error = %e, "SQLite checkpoint failed");
                }
            },
        );
    }
    if state.config.checkin_flush_ms > 0 {
        let every = Duration::from_millis(u64::from(state.config.checkin_flush_ms));
        spawn_every(every, state.clone(), |st| async move {
            if let Err(e) = st.reports.flush(&st.store).await {
                tracing::warn!(error = %e, pending = st.reports.pending(), "cannot write device check-ins; kept for the next attempt");
            }
        });
    }
    if let Some(p) = state.scoring.profiles() {
        let every = Duration::from_secs(state.config.detect.profiles.sync_secs.max(1));
        spawn_every(
            every,
            (p.clone(), state.store.clone()),
            |(p, store)| async move {
                if let Err(e) = p.sync(&store).await {
                    tracing::warn!(error = %e, "cannot synchronize behaviour profiles with the database");
                }
            },
        );
    }
    // Rollouts advance after their healthy period, whoever checks in.
    spawn_every(Duration::from_secs(10), state.clone(), |st| async move {
        if let Err(e) = routes::releases::tick(&st).await {
            tracing::warn!(error = ?e, "rollout evaluation failed");
        }
    });
    // Learn mode (set on any replica) and the STIX indicators (files and global intel).
    let every = Duration::from_secs(state.config.detect.reload_secs.max(1));
    spawn_every(every, state.clone(), |st| async move {
        match st.store.learning_tenants().await {
            Ok(t) => st.scoring.scorer().policy().set_learning_tenants(t),
            Err(e) => tracing::warn!(error = %e, "cannot read learn mode"),
        }
        match services::attack_models::reload_stix(&st).await {
            Ok(true) => metrics::count(&metrics::metrics().stix_loads, "ok", 1),
            Ok(false) => {}
            Err(e) => {
                metrics::count(&metrics::metrics().stix_loads, "error", 1);
                tracing::warn!(error = %e, "STIX indicators not reloaded; the previous ones stay in use");
            }
        }
    });
    let st = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            tick.tick().await;
            if st.config.retention_days > 0 {
                let before = chrono::Utc::now()
                    - chrono::Duration::days(i64::from(st.config.retention_days));
                match st.store.purge_hits_before(before).await {
                    Ok(0) => {}
                    Ok(n) => {
                        metrics::metrics().hits_purged.inc_by(n);
                        tracing::info!(
                            hits = n,
                            retention_days = st.config.retention_days,
                            "retention: old hits deleted"
                        );
                    }
                    Err(e) => tracing::warn!(error = %e, "retention failed"),
                }
            }
            if let Err(e) = st.store.purge_sessions().await {
                tracing::warn!(error = %e, "cannot purge expired sessions");
            }
            st.limits.retain_recent();
        }
    });
    let st = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(500));
        let mut last: Option<Option<String>> = None;
        loop {
            tick.tick().await;
            match st.store.config_marker().await {
                Ok(m) => {
                    if last.as_ref().is_some_and(|l| *l != m) {
                        st.notify_changes();
                    }
                    last = Some(m);
                }
                Err(e) => tracing::debug!(error = %e, "config change watch failed"),
            }
        }
    });
    if let Some(j) = &state.jobs {
        j.spawn_change_watch(std::time::Duration::from_millis(500));
    }
    if let Some(i) = &state.intel {
        i.spawn_refresh();
    }
}

/// [`state`] plus the job subsystem (its migrations, its lease reaper, its routers) and intel
/// publishing (the signing key, generated on first start, and a first load of the feeds).
pub async fn build_state(config: ServerConfig, store: Store) -> Result<AppState, ServeError> {
    use outpost_jobs::{CompatConfig, ElasticConfig, JobStore, JobsConfig, JobsState, StoreConfig};
    let db = store.db().clone();
    config
        .jobs
        .validate()
        .map_err(|e| ServeError::Jobs(e.to_string()))?;
    config.auth.validate(config.public_url.as_deref())?;
    let oidc = Arc::new(oidc::OidcService::new(
        &config.auth.oidc,
        config.public_url.as_deref(),
    )?);
    let job_store = JobStore::new(
        db,
        StoreConfig {
            data_dir: config.data_dir.join("jobs"),
            lease: std::time::Duration::from_secs(config.jobs.lease_secs),
            max_attempts: config.jobs.max_attempts,
            max_result_bytes: config.jobs.max_result_bytes,
            ..Default::default()
        },
    );
    job_store
        .migrate()
        .await
        .map_err(|e| ServeError::Jobs(e.to_string()))?;
    let tenant_name = config
        .sensoroni
        .tenant
        .clone()
        .unwrap_or_else(|| "default".to_string());
    let compat_tenant = match store.find_tenant(&tenant_name).await {
        Ok(t) => t.id,
        Err(outpost_store::StoreError::NotFound(_)) => tenant_name,
        Err(e) => return Err(e.into()),
    };
    let tenant_ids = resolve_tenant_keys(
        &store,
        config.jobs.kinds.tenants.keys(),
        "[jobs.kinds.tenants]",
    )
    .await?;
    let policy = config
        .jobs
        .policy(|k| tenant_ids.get(k).cloned().unwrap_or_else(|| k.to_string()));
    // `[detect.tenant_thresholds]` may name tenants too: the scoring stage looks up ids.
    let names = resolve_tenant_keys(
        &store,
        config.detect.tenant_thresholds.keys(),
        "[detect.tenant_thresholds]",
    )
    .await?;
    let mut config = config;
    config.detect.tenant_thresholds = std::mem::take(&mut config.detect.tenant_thresholds)
        .into_iter()
        .map(|(k, v)| (names.get(&k).cloned().unwrap_or(k), v))
        .collect();
    let mut registry = base_registry();
    let scoring = Arc::new(scoring::Scoring::start(&config)?);
    let forward = Arc::new(services::forward::Forwarder::start(&config, &mut registry)?);
    let jobs_cfg = JobsConfig {
        policy,
        compat: CompatConfig {
            api_key: config.sensoroni.api_key.clone(),
            anonymous_cidrs: config.sensoroni.anonymous_cidrs.clone(),
            tenant_id: compat_tenant,
            allowed_kinds: vec!["pcap".to_string()],
        },
        elastic: config
            .elastic_url
            .as_ref()
            .map(|u| ElasticConfig::new(u.clone(), config.elastic_index.clone())),
        device_resolver: Some(std::sync::Arc::new(jobs::StoreDeviceResolver::new(
            store.clone(),
        ))),
        audit_sink: Some(Arc::new(services::forward::JobAuditForwarder(
            forward.clone(),
        ))),
        ..Default::default()
    };
    let jobs = JobsState::new(job_store, jobs_cfg).map_err(|e| ServeError::Jobs(e.to_string()))?;
    jobs.spawn_reaper(std::time::Duration::from_secs(5));
    let intel = intel::IntelService::start(&config, &store).await?;
    let mut st = state_with(config, store, registry, scoring, forward);
    st.jobs = Some(jobs);
    st.intel = Some(intel);
    st.oidc = oidc;
    Ok(st)
}

/// Resolves configuration keys that may be tenant names to tenant ids (name → id). Keys that
/// name no tenant are left out of the map — callers keep them as given, in case they are ids
/// of tenants created later — and reported.
async fn resolve_tenant_keys<'a>(
    store: &Store,
    keys: impl Iterator<Item = &'a String>,
    section: &str,
) -> Result<std::collections::HashMap<String, String>, ServeError> {
    let mut ids = std::collections::HashMap::new();
    for key in keys {
        match store.find_tenant(key).await {
            Ok(t) => {
                ids.insert(key.clone(), t.id);
            }
            Err(outpost_store::StoreError::NotFound(_)) => {
                tracing::warn!(tenant = %key, section, "names no existing tenant; kept as a tenant id");
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(ids)
}

/// Serves on an already bound listener until `shutdown` resolves; in-flight requests finish.
/// With `tls` configured, connections are TLS (rustls), optionally with client certificates.
pub async fn serve_on(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    spawn_housekeeping(&state);
    // `[[inputs]]`: Kafka topics and NATS subjects of other sensors, scored like telemetry.
    let inputs = inputs::Inputs::start(&state);
    let tls = state.config.tls.clone();
    // On shutdown, first release the long-polls (they would hold the graceful shutdown up
    // to their full wait), then let axum finish every accepted request.
    let closing = state.closing.clone();
    let jobs = state.jobs.clone();
    let forward = state.forward.clone();
    let reports = state.reports.clone();
    let store = state.store.clone();
    let shutdown = async move {
        shutdown.await;
        closing.send_replace(true);
        if let Some(j) = jobs {
            j.close();
        }
    };
    let app = router(state);
    let make = app.into_make_service_with_connect_info::<tls::ClientAddr>();
    match tls {
        None => {
            axum::serve(listener, make)
                .with_graceful_shutdown(shutdown)
                .await?
        }
        Some(t) => {
            let acceptor = tls::acceptor(&t)?;
            axum::serve(tls::TlsListener::new(listener, acceptor), make)
                .with_graceful_shutdown(shutdown)
                .await?
        }
    }
    // Every request has been answered: write the last device reports, and let the output
    // workers finish their attempts (what they have not delivered stays in their disk queues
    // for the next start).
    if let Err(e) = reports.flush(&store).await {
        tracing::warn!(error = %e, "device reports not written at shutdown (the next check-ins repeat them)");
    }
    // The inputs finish the batch they are scoring (and acknowledge it) before the outputs
    // stop.
    inputs.stop().await;
    forward.shutdown().await;
    Ok(())
}

/// Opens the store, binds `config.listen` and serves until `shutdown`.
pub async fn serve(
    config: ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let store = open_store(&config).await?;
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| ServeError::Bind {
            addr: config.listen.to_string(),
            source,
        })?;
    tracing::info!(addr = %config.listen, backend = store.backend(), "outpost server listening");
    let state = build_state(config, store).await?;
    serve_on(listener, state, shutdown).await
}
