//! Outpost's HTTP API server.
//!
//! [`router`] builds the axum application over an [`AppState`]; [`serve`] binds it and runs
//! until the shutdown future completes, finishing in-flight requests first. Every route answers
//! errors in one JSON shape (`{"error":{"code","message"}}`, see [`error::ApiError`]).

pub mod config;
pub mod error;
pub mod extract;
pub mod metrics;
pub mod routes;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
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
}

/// Errors starting the server.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot open the database: {0}")]
    Store(#[from] outpost_store::StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("server failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("job subsystem: {0}")]
    Jobs(String),
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

/// Builds the application.
pub fn router(state: AppState) -> Router {
    let max_body = state.config.max_body_bytes;
    let api = Router::new()
        .route("/enroll", post(routes::enroll::enroll))
        .route("/hits", post(routes::hits::upload).get(routes::hits::list))
        .route("/devices", get(routes::devices::list));
    let mut app: Router = Router::new()
        .nest("/api/v1", api)
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
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
    let mut registry = Registry::default();
    metrics::register(&mut registry);
    AppState {
        store,
        config: Arc::new(config),
        registry: Arc::new(registry),
        jobs: None,
    }
}

/// [`state`] plus the job subsystem: its migrations, its lease reaper, its routers.
pub async fn build_state(config: ServerConfig, store: Store) -> Result<AppState, ServeError> {
    use outpost_jobs::{
        CompatConfig, ElasticConfig, JobDb, JobStore, JobsConfig, JobsState, StoreConfig,
    };
    let db = match &store {
        Store::Sqlite(p) => JobDb::Sqlite(p.clone()),
        Store::Postgres(p) => JobDb::Postgres(p.clone()),
    };
    let job_store = JobStore::new(
        db,
        StoreConfig {
            data_dir: config.data_dir.join("jobs"),
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
    let jobs_cfg = JobsConfig {
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
        ..Default::default()
    };
    let jobs = JobsState::new(job_store, jobs_cfg).map_err(|e| ServeError::Jobs(e.to_string()))?;
    jobs.spawn_reaper(std::time::Duration::from_secs(5));
    let mut st = state(config, store);
    st.jobs = Some(jobs);
    Ok(st)
}

/// Serves on an already bound listener until `shutdown` resolves; in-flight requests finish.
pub async fn serve_on(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let app = router(state);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
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
