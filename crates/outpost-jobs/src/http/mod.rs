//! HTTP side of the job subsystem: shared state, configuration, errors and helpers, plus the
//! two routers ([`compat_router`], [`v1_router`]).

mod compat;
mod lookup;
mod v1;

use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use chrono::Utc;
use outpost_core::auth::Role;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::model::{Filter, Job, KNOWN_KINDS};
use crate::store::{AuditEntry, CreateJob, JobStore, StoreError};

pub use compat::{compat_router, compat_routes};
pub use v1::{v1_router, v1_routes};

/// Mounts routes and records their (method, path) at once, so a router's route table (what the
/// server's OpenAPI and authorization-matrix tests walk) cannot drift from what it mounts.
#[derive(Default)]
pub(crate) struct RouteTable {
    router: axum::Router<JobsState>,
    table: Vec<(&'static str, &'static str)>,
}

impl RouteTable {
    fn add(
        mut self,
        path: &'static str,
        methods: &[&'static str],
        route: axum::routing::MethodRouter<JobsState>,
    ) -> Self {
        self.table.extend(methods.iter().map(|m| (*m, path)));
        self.router = self.router.route(path, route);
        self
    }
}

/// Which job kinds each role, and each tenant, may create. A kind must be allowed for the
/// caller's role *and* (if the tenant has an entry) for the tenant. `"*"` allows every kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KindPolicy {
    /// Allowed kinds per role.
    pub roles: HashMap<Role, BTreeSet<String>>,
    /// Optional per-tenant restriction.
    #[serde(default)]
    pub tenants: HashMap<String, BTreeSet<String>>,
}

impl Default for KindPolicy {
    fn default() -> Self {
        let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        let mut roles = HashMap::new();
        roles.insert(Role::Admin, set(&["*"]));
        roles.insert(Role::Technician, set(&["*"]));
        roles.insert(Role::Customer, set(&["pcap", "file.hash", "process.list"]));
        roles.insert(Role::Device, BTreeSet::new());
        KindPolicy {
            roles,
            tenants: HashMap::new(),
        }
    }
}

impl KindPolicy {
    /// May `role` create a `kind` job in `tenant`?
    pub fn allows(&self, role: Role, tenant: &str, kind: &str) -> bool {
        let has = |s: &BTreeSet<String>| s.contains("*") || s.contains(kind);
        self.role_allows(role, kind) && self.tenants.get(tenant).is_none_or(has)
    }

    /// May `role` create a `kind` job in some tenant (ignoring tenant restrictions)? A `"*"`
    /// reaches the admin-only kinds ([`crate::model::ADMIN_ONLY_KINDS`]) for admins only.
    pub fn role_allows(&self, role: Role, kind: &str) -> bool {
        let wild = role == Role::Admin || !crate::model::ADMIN_ONLY_KINDS.contains(&kind);
        self.roles
            .get(&role)
            .is_some_and(|s| s.contains(kind) || (wild && s.contains("*")))
    }
}

/// The Sensoroni-compatible API's settings (Sensoroni's `statickeyauth` module).
#[derive(Clone, Default)]
pub struct CompatConfig {
    /// The shared key agents and UIs present (`Authorization: <key>` or `Bearer <key>`).
    /// `None` disables keyed access.
    pub api_key: Option<String>,
    /// Networks (IPv4 and IPv6) allowed without a key.
    pub anonymous_cidrs: Vec<ipnet::IpNet>,
    /// Sensoroni has no tenants: every compat job lives in this tenant.
    pub tenant_id: String,
    /// Kinds the compat API may create (default `pcap`).
    pub allowed_kinds: Vec<String>,
}

impl std::fmt::Debug for CompatConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompatConfig")
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("anonymous_cidrs", &self.anonymous_cidrs)
            .field("tenant_id", &self.tenant_id)
            .field("allowed_kinds", &self.allowed_kinds)
            .finish()
    }
}

/// Elasticsearch / OpenSearch for `/joblookup`.
#[derive(Clone)]
pub struct ElasticConfig {
    /// Base URL, e.g. `http://127.0.0.1:9200`.
    pub url: String,
    /// Index pattern to search (e.g. `logs-*`).
    pub index: String,
    /// Basic-auth user.
    pub username: Option<String>,
    /// Basic-auth password.
    pub password: Option<String>,
    /// Widening of the window on both sides (Sensoroni `timeShiftMs`, default 2 min).
    pub time_shift: Duration,
    /// Flow duration assumed when the document has none (Sensoroni `defaultDurationMs`).
    pub default_duration: Duration,
    /// Request timeout.
    pub timeout: Duration,
}

impl std::fmt::Debug for ElasticConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ElasticConfig")
            .field("url", &self.url)
            .field("index", &self.index)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl ElasticConfig {
    /// Defaults for `url` and `index`.
    pub fn new(url: impl Into<String>, index: impl Into<String>) -> Self {
        ElasticConfig {
            url: url.into(),
            index: index.into(),
            username: None,
            password: None,
            time_shift: Duration::from_secs(120),
            default_duration: Duration::from_secs(1800),
            timeout: Duration::from_secs(15),
        }
    }
}

/// An enrolled device a hostname resolves to (see [`DeviceResolver`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedDevice {
    /// The device's tenant.
    pub tenant_id: String,
    /// The device id (what Outpost agents claim jobs by).
    pub device_id: String,
}

/// One of several enrolled devices a hostname denotes (see [`ResolveError::AmbiguousName`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    /// The device's tenant.
    pub tenant_id: String,
    /// The device id.
    pub device_id: String,
    /// Its enrolled hostname.
    pub hostname: String,
    /// When it enrolled.
    pub enrolled_at: chrono::DateTime<Utc>,
    /// Its last check-in or upload, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seen_at: Option<chrono::DateTime<Utc>>,
}

impl std::fmt::Display for Candidate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} (device {}) enrolled {}, last seen {}",
            self.hostname,
            self.device_id,
            self.enrolled_at.format("%Y-%m-%d %H:%M UTC"),
            self.last_seen_at.map_or_else(
                || "never".to_string(),
                |t| t.format("%Y-%m-%d %H:%M UTC").to_string()
            )
        )
    }
}

/// Why a hostname could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// Devices of several tenants carry this hostname; the caller must name the tenant.
    #[error("hostname {hostname:?} belongs to devices of several tenants; pass tenant_id")]
    Ambiguous {
        /// The hostname looked up.
        hostname: String,
    },
    /// Within one tenant, several active devices match the name: devices enrolled under the
    /// same hostname (a re-enrolled machine, or a second enrollment claiming an existing
    /// name), or different hostnames (a short name and several full names, e.g. `web01` →
    /// `web01.corp.example` and `web01.dmz.example`). Nothing is guessed: the technician
    /// picks one (`device_id`) or revokes the stale device.
    #[error("hostname {hostname:?} matches several devices: {}; choose one with device_id (or revoke the stale one)", candidates.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    AmbiguousName {
        /// The hostname looked up.
        hostname: String,
        /// The matching devices.
        candidates: Vec<Candidate>,
    },
    /// The device directory failed.
    #[error("device lookup failed: {0}")]
    Backend(String),
}

/// The future of [`DeviceResolver::is_device`].
pub type IsDeviceFuture<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<bool, ResolveError>> + Send + 'a>>;

/// The future a [`DeviceResolver`] returns.
pub type ResolveFuture<'a> = std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<Option<ResolvedDevice>, ResolveError>> + Send + 'a>,
>;

/// Maps a hostname (a document's `observer.name`) to an enrolled Outpost device. The server
/// implements it over its device table; this crate does not know where devices are stored.
pub trait DeviceResolver: Send + Sync + std::fmt::Debug {
    /// The active device called `hostname` (ASCII case ignored; a full name also finds a
    /// device enrolled under its first label and a short name one enrolled under a full name
    /// starting with it): in `tenant` when given, else in any tenant
    /// ([`ResolveError::Ambiguous`] when several tenants have one,
    /// [`ResolveError::AmbiguousName`] when different hostnames match). `Ok(None)` when no
    /// enrolled device has that name.
    fn resolve<'a>(&'a self, tenant: Option<&'a str>, hostname: &'a str) -> ResolveFuture<'a>;

    /// Whether `id` is the id of an enrolled Outpost device (of any tenant, revoked ones
    /// included). The Sensoroni-compatible API refuses such ids as node ids.
    fn is_device<'a>(&'a self, id: &'a str) -> IsDeviceFuture<'a>;
}

/// Receives every job audit entry after it was written (the server forwards them to its
/// outputs). Must not block: it runs on the request path.
pub trait AuditSink: Send + Sync + std::fmt::Debug {
    fn record(&self, e: &AuditEntry);
}

/// Everything the routers need besides the store.
#[derive(Debug, Clone)]
pub struct JobsConfig {
    /// Sensoroni-compatible API.
    pub compat: CompatConfig,
    /// Job kinds per role and tenant.
    pub policy: KindPolicy,
    /// `/joblookup` backend (absent → 503).
    pub elastic: Option<ElasticConfig>,
    /// Longest long-poll an agent may ask for.
    pub long_poll_max: Duration,
    /// How often a waiting long-poll re-checks the database (for jobs made claimable by other
    /// server processes or by a backoff running out); jobs created through this process wake
    /// waiters at once.
    pub long_poll_recheck: Duration,
    /// Where `/joblookup` redirects: `<prefix><job id>`.
    pub job_page_prefix: String,
    /// Most packets `/api/packets` returns (Sensoroni `maxPacketCount`).
    pub max_packet_count: usize,
    /// Resolves `/joblookup`'s `observer.name` to an enrolled device. Without one, every
    /// name is taken as a Sensoroni sensor name.
    pub device_resolver: Option<Arc<dyn DeviceResolver>>,
    /// Also hands every audit entry to this sink (after storing it).
    pub audit_sink: Option<Arc<dyn AuditSink>>,
}

impl Default for JobsConfig {
    fn default() -> Self {
        JobsConfig {
            compat: CompatConfig {
                tenant_id: "default".into(),
                allowed_kinds: vec!["pcap".into()],
                ..CompatConfig::default()
            },
            policy: KindPolicy::default(),
            elastic: None,
            long_poll_max: Duration::from_secs(60),
            long_poll_recheck: Duration::from_secs(2),
            job_page_prefix: "/ui/jobs/".into(),
            max_packet_count: 5000,
            device_resolver: None,
            audit_sink: None,
        }
    }
}

/// Errors building the state.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The HTTP client for `[jobs.elastic]` could not be built (with HTTPS: no CA
    /// certificates found on this system, for instance).
    #[error(
        "cannot build the HTTP client for [jobs.elastic] (are CA certificates installed, or \
         SSL_CERT_FILE set?): {0}"
    )]
    Client(#[from] reqwest::Error),
}

struct Inner {
    store: JobStore,
    cfg: JobsConfig,
    changes: tokio::sync::watch::Sender<u64>,
    /// The client for `/joblookup`'s search; built only when `[jobs.elastic]` is configured,
    /// so a server without it starts on a system without CA certificates (a `FROM scratch`
    /// image).
    http: Option<reqwest::Client>,
    key_digest: Option<[u8; 32]>,
    /// Set at server shutdown: held long-polls answer at once so shutdown is not delayed.
    closing: std::sync::atomic::AtomicBool,
}

/// Shared state of both routers. Cheap to clone.
#[derive(Clone)]
pub struct JobsState(Arc<Inner>);

impl std::fmt::Debug for JobsState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobsState")
            .field("cfg", &self.0.cfg)
            .finish_non_exhaustive()
    }
}

impl JobsState {
    /// Builds the state. Run [`JobStore::migrate`] before serving.
    pub fn new(store: JobStore, cfg: JobsConfig) -> Result<Self, StateError> {
        let http = match &cfg.elastic {
            Some(e) => Some(reqwest::Client::builder().timeout(e.timeout).build()?),
            None => None,
        };
        let key_digest = cfg
            .compat
            .api_key
            .as_deref()
            .filter(|k| !k.is_empty())
            .map(|k| Sha256::digest(k.as_bytes()).into());
        let (changes, _) = tokio::sync::watch::channel(0u64);
        Ok(JobsState(Arc::new(Inner {
            store,
            cfg,
            changes,
            http,
            key_digest,
            closing: std::sync::atomic::AtomicBool::new(false),
        })))
    }

    /// The job store.
    pub fn store(&self) -> &JobStore {
        &self.0.store
    }

    /// The configuration.
    pub fn config(&self) -> &JobsConfig {
        &self.0.cfg
    }

    /// A receiver that changes whenever jobs change (creation, reaping, deletion), for other
    /// long-polls (the server's check-in).
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.0.changes.subscribe()
    }

    /// Jobs waiting for `device` of `tenant` (one `COUNT(*)`).
    pub async fn pending_count(
        &self,
        tenant: &str,
        device: &str,
    ) -> Result<u64, crate::store::StoreError> {
        self.store().pending_count(tenant, device).await
    }

    /// Server shutdown: held long-polls answer "no job" now, and new ones do not wait.
    pub fn close(&self) {
        self.0
            .closing
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.notify();
    }

    /// Wakes long-polling agents (call after changing jobs outside these routers).
    pub fn notify(&self) {
        self.0.changes.send_modify(|v| *v = v.wrapping_add(1));
    }

    /// Runs queue housekeeping (expired leases, pending deadlines) every `every` until the
    /// runtime shuts down.
    pub fn spawn_reaper(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let st = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                match st.store().reap().await {
                    Ok(n) if n > 0 => st.notify(),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "job reaper failed"),
                }
                match st.store().pending_total().await {
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "cannot count pending jobs"),
                }
            }
        })
    }

    /// Watches the database for jobs created by other server replicas (sharing one
    /// PostgreSQL) every `every` and wakes local long-polls when there are new ones.
    pub fn spawn_change_watch(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let st = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            let mut last = None;
            loop {
                tick.tick().await;
                match st.store().max_job_id().await {
                    Ok(m) => {
                        if last.is_some_and(|l| l != m) {
                            st.notify();
                        }
                        last = Some(m);
                    }
                    Err(e) => tracing::warn!(error = %e, "job change watch failed"),
                }
            }
        })
    }

    /// Whether `id` is an enrolled device's id (false without a device directory).
    pub(crate) async fn is_device(&self, id: &str) -> Result<bool, ApiError> {
        match &self.0.cfg.device_resolver {
            None => Ok(false),
            Some(r) => r.is_device(id).await.map_err(|e| {
                tracing::error!(error = %e, "device directory lookup failed");
                ApiError::internal()
            }),
        }
    }

    /// Constant-time check of a presented static key.
    fn key_matches(&self, presented: &str) -> bool {
        let Some(want) = self.0.key_digest else {
            return false;
        };
        let got: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        bool::from(got.ct_eq(&want))
    }

    fn anonymous_allowed(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0
            .cfg
            .compat
            .anonymous_cidrs
            .iter()
            .any(|n| n.contains(&ip))
    }

    /// Records an audit entry; a failure to write it is logged, not returned.
    pub(crate) async fn audit(
        &self,
        actor: &Actor,
        action: &str,
        tenant: Option<&str>,
        job_id: Option<i64>,
        outcome: &str,
        detail: Option<String>,
    ) {
        let e = AuditEntry {
            at: Utc::now(),
            tenant_id: tenant.map(str::to_string),
            actor_tenant_id: actor.tenant.clone(),
            actor_role: actor.role.clone(),
            actor: actor.subject.clone(),
            action: action.to_string(),
            job_id,
            outcome: outcome.to_string(),
            detail,
        };
        if let Err(err) = self.0.store.audit(&e).await {
            tracing::error!(error = %err, action, "cannot write job audit record");
        }
        if let Some(sink) = &self.0.cfg.audit_sink {
            sink.record(&e);
        }
    }

    /// Creates a job for a device, or (`sensor`) for a Sensoroni node, after validating kind
    /// and filter; audits it and wakes waiting agents.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn create_job_for(
        &self,
        actor: &Actor,
        tenant: &str,
        device: &str,
        kind: &str,
        filter: &Filter,
        max_attempts: Option<i64>,
        sensor: bool,
    ) -> Result<Job, ApiError> {
        validate_ident("device id", device)?;
        validate_ident("tenant id", tenant)?;
        if !KNOWN_KINDS.contains(&kind) {
            return Err(ApiError::bad_request(format!(
                "unknown job kind {kind:?}; known kinds: {}",
                KNOWN_KINDS.join(", ")
            )));
        }
        filter.validate().map_err(ApiError::bad_request)?;
        if let Some(m) = max_attempts
            && !(1..=20).contains(&m)
        {
            return Err(ApiError::bad_request("max_attempts must be 1..=20"));
        }
        let job = self
            .store()
            .create_for(&CreateJob {
                tenant_id: tenant,
                owner: &actor.subject,
                device_id: device,
                kind,
                filter,
                max_attempts,
                sensor,
            })
            .await?;
        let target = if sensor { "sensor" } else { "device" };
        self.audit(
            actor,
            "job.create",
            Some(tenant),
            Some(job.id),
            "ok",
            Some(format!("kind={kind} {target}={device}")),
        )
        .await;
        self.notify();
        Ok(job)
    }

    /// Creates a job for a signed-in user of the server's UI (the PCAP job form)
    /// with the checks of `POST /api/v1/jobs`: the role and tenant policy for `kind`, the
    /// filter's validation, the audit trail (refusals too). A `sensor` job is for a
    /// Sensoroni node and lives in the compatible API's tenant, which a customer must belong
    /// to; a node id that is an enrolled device's is refused, as in `POST /api/node`. The
    /// caller checks that a device target is one the user may see.
    pub async fn create_for_user(
        &self,
        p: &outpost_core::auth::Principal,
        tenant: &str,
        target: &str,
        kind: &str,
        filter: &Filter,
        sensor: bool,
    ) -> Result<Job, ApiError> {
        let a = v1::actor(p);
        let deny = |msg: String| async move {
            self.audit(&a, "job.create", Some(tenant), None, "denied", Some(msg))
                .await;
        };
        if !p.can_access_tenant(tenant) {
            deny(format!("tenant={tenant}")).await;
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "not your tenant",
            ));
        }
        if sensor && tenant != self.0.cfg.compat.tenant_id {
            deny(format!("sensor={target} outside the sensors' tenant")).await;
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "sensors live in the Sensoroni-compatible API's tenant",
            ));
        }
        if sensor && self.is_device(target).await? {
            deny(format!("sensor={target} is an enrolled device")).await;
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "that id is an enrolled device, not a sensor",
            ));
        }
        if !self.0.cfg.policy.allows(p.role, tenant, kind) {
            deny(format!("kind={kind}")).await;
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "kind_not_allowed",
                format!("job kind {kind:?} is not allowed for this role/tenant"),
            ));
        }
        self.create_job_for(&v1::actor(p), tenant, target, kind, filter, None, sensor)
            .await
    }

    /// Creates a job the server itself asks for (a detection rule's `job` action), as
    /// `subject` (e.g. `rule:web-shell`), with the same validation, audit and wake-up as one
    /// created through the API. Returns the job id, or the refusal as text.
    pub async fn create_for_rule(
        &self,
        subject: &str,
        tenant: &str,
        device: &str,
        kind: &str,
        parameters: serde_json::Map<String, serde_json::Value>,
    ) -> Result<i64, String> {
        let actor = Actor {
            role: "system".into(),
            subject: subject.to_string(),
            tenant: None,
        };
        let filter = Filter {
            parameters,
            ..Default::default()
        };
        self.create_job_for(&actor, tenant, device, kind, &filter, None, false)
            .await
            .map(|j| j.id)
            .map_err(|e| format!("{}: {}", e.code, e.message))
    }

    /// Waits up to `wait` for a job of `device` in `tenant` and claims it.
    pub(crate) async fn claim_wait(
        &self,
        tenant: &str,
        device: &str,
        wait: Duration,
    ) -> Result<Option<crate::model::ClaimedJob>, ApiError> {
        let deadline = tokio::time::Instant::now() + wait.min(self.0.cfg.long_poll_max);
        let mut rx = self.0.changes.subscribe();
        loop {
            rx.borrow_and_update();
            if let Some(c) = self.store().claim(tenant, device).await? {
                return Ok(Some(c));
            }
            let now = tokio::time::Instant::now();
            if now >= deadline || self.0.closing.load(std::sync::atomic::Ordering::SeqCst) {
                return Ok(None);
            }
            let nap = (deadline - now).min(self.0.cfg.long_poll_recheck);
            let _ = tokio::time::timeout(nap, rx.changed()).await;
        }
    }
}

/// Who performed an action, for the audit trail.
#[derive(Debug, Clone)]
pub(crate) struct Actor {
    pub role: String,
    pub subject: String,
    /// The principal's tenant (customers and devices).
    pub tenant: Option<String>,
}

/// Ids (tenant, device/node) are short printable tokens.
pub(crate) fn validate_ident(what: &str, v: &str) -> Result<(), ApiError> {
    if v.is_empty() || v.len() > 256 || v.chars().any(|c| c.is_control()) {
        return Err(ApiError::bad_request(format!(
            "{what} must be 1..=256 printable characters"
        )));
    }
    Ok(())
}

/// The server's one error type: errors answer `{"error":{"code","message"}}` and are counted.
pub use outpost_api::ApiError;

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::not_found("job not found"),
            StoreError::Conflict { .. } => {
                ApiError::new(StatusCode::CONFLICT, "conflict", e.to_string())
            }
            StoreError::LeaseLost => {
                ApiError::new(StatusCode::CONFLICT, "lease_lost", e.to_string())
            }
            StoreError::TooLarge { .. } => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                e.to_string(),
            ),
            other => {
                tracing::error!(error = %other, "job store failure");
                ApiError::internal()
            }
        }
    }
}

/// Parses a JSON body into `T`, answering 400 with the documented error shape.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(
    body: Result<bytes::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<T, ApiError> {
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "request body too large",
            )
        } else {
            ApiError::bad_request(format!("cannot read body: {e}"))
        }
    })?;
    serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))
}

/// A JSON request body of type `T`, read and parsed by [`parse_json`] (its rejection is the
/// documented 400 or 413). For handlers where nothing is checked before the body.
pub(crate) struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, st: &S) -> Result<Self, ApiError> {
        parse_json(bytes::Bytes::from_request(req, st).await).map(JsonBody)
    }
}

/// Query string as a map; a malformed query is a 400.
pub(crate) type QueryMap = HashMap<String, String>;

pub(crate) fn query_map(
    q: Result<axum::extract::Query<QueryMap>, axum::extract::rejection::QueryRejection>,
) -> Result<QueryMap, ApiError> {
    q.map(|q| q.0)
        .map_err(|e| ApiError::bad_request(format!("invalid query string: {e}")))
}

pub(crate) fn parse_id(what: &str, s: Option<&String>) -> Result<i64, ApiError> {
    let s = s.ok_or_else(|| ApiError::bad_request(format!("missing {what}")))?;
    s.trim()
        .parse::<i64>()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| ApiError::bad_request(format!("{what} must be a positive integer")))
}

/// Streams a job's stored result as a download.
pub(crate) async fn result_response(
    state: &JobsState,
    job: &Job,
    ext_override: Option<&str>,
) -> Result<Response, ApiError> {
    if job.result_size.is_none() {
        return Err(ApiError::not_found("the job has no result"));
    }
    let path = state.store().result_path(job.id);
    let file = match tokio::fs::File::open(&path).await {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ApiError::not_found("the job's result file is missing"));
        }
        Err(e) => return Err(StoreError::Io(e).into()),
    };
    let len = file.metadata().await.map_err(StoreError::Io)?.len();
    let ext: String = ext_override
        .unwrap_or(&job.file_extension)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(16)
        .collect();
    let node: String = job
        .device_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    let ctype = if ext == "pcap" || job.kind == "pcap" {
        "application/vnd.tcpdump.pcap"
    } else {
        "application/octet-stream"
    };
    let stream = futures_util::stream::unfold(file, |mut f| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 64 * 1024];
        match f.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(bytes::Bytes::from(buf)), f))
            }
            Err(e) => Some((Err(e), f)),
        }
    });
    let mut resp = Response::new(Body::from_stream(stream));
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"outpost_{node}_{}.{}\"",
        job.id,
        if ext.is_empty() { "bin" } else { &ext }
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}

#[cfg(test)]
mod policy_tests {
    use super::*;

    /// `agent.uninstall` is admin-only by default; a technician's `"*"` does not
    /// reach it, naming it does; the other control kinds are open to staff.
    #[test]
    fn agent_uninstall_is_admin_only_unless_named() {
        let p = KindPolicy::default();
        assert!(p.allows(Role::Admin, "t", "agent.uninstall"));
        assert!(!p.allows(Role::Technician, "t", "agent.uninstall"));
        assert!(!p.allows(Role::Customer, "t", "agent.uninstall"));
        for k in [
            "agent.restart",
            "agent.reload",
            "agent.stop_collecting",
            "agent.resume",
        ] {
            assert!(p.allows(Role::Technician, "t", k), "{k}");
            assert!(!p.allows(Role::Customer, "t", k), "{k}");
        }
        let mut named = p.clone();
        named.roles.insert(
            Role::Technician,
            ["agent.uninstall".to_string()].into_iter().collect(),
        );
        assert!(named.allows(Role::Technician, "t", "agent.uninstall"));
    }
}
