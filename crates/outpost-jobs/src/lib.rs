//! Outpost's job subsystem.
//!
//! A job asks one device (a Sensoroni "node"/"sensor") to do something — extract the packets of
//! a flow from its rolling capture, hash or fetch a file, list or kill a process — and hands
//! the result back to the server as a byte stream.
//!
//! * [`model`] — the job record, its states and the Sensoroni wire shapes.
//! * `store` (feature `server`) — the queue on SQLite or PostgreSQL with atomic leased claims,
//!   retries with backoff and a limit, expiry, result files and an audit trail. Its pool,
//!   `dispatch!` and migration runner are `outpost-db`'s (shared with `outpost-store`); its
//!   tables and migrations (`_outpost_jobs_migrations`) are its own. A job is for an Outpost
//!   device or (`sensor`) a Sensoroni node: the compatible API's static key reaches only
//!   sensor jobs, devices only device jobs.
//! * `http` (feature `server`) — [`compat_router`] (Sensoroni-compatible `/api/node`,
//!   `/api/job/`, `/api/stream`, …) and [`v1_router`] (`/api/v1/jobs`, the agent's long-poll
//!   claim, `/joblookup`), each built from a route table ([`compat_routes`], [`v1_routes`])
//!   that the server's OpenAPI and authorization-matrix tests walk; errors are `outpost-api`'s
//!   [`ApiError`] (`{"error":{"code","message"}}`, the compatible API's too).
//! * `exec` and `client` (feature `agent`) — what the agent runs, and its blocking HTTP client.
//! * `cli` (feature `cli`) — `outpost job create|list|show|download|delete`.

pub mod model;

#[cfg(any(feature = "server", feature = "agent"))]
pub mod fsopen;
#[cfg(any(feature = "server", feature = "agent"))]
pub mod pcapio;

#[cfg(feature = "server")]
pub mod http;
#[cfg(feature = "server")]
pub mod metrics;
#[cfg(feature = "server")]
pub mod store;

#[cfg(feature = "agent")]
pub mod client;
#[cfg(feature = "agent")]
pub mod exec;

#[cfg(feature = "cli")]
pub mod cli;

pub use model::{
    AuditEntry, AuditRecord, ClaimedJob, Filter, Job, JobStatus, KNOWN_KINDS, NewJob, Node,
    SensoroniJob, StatusReport,
};

#[cfg(feature = "server")]
pub use http::{
    ApiError, AuditSink, Candidate, CompatConfig, DeviceResolver, ElasticConfig, IsDeviceFuture,
    JobsConfig, JobsState, KindPolicy, ResolveError, ResolveFuture, ResolvedDevice, compat_router,
    compat_routes, v1_router, v1_routes,
};
#[cfg(feature = "server")]
pub use store::{AuditQuery, CreateJob, JobStore, ListQuery, MIGRATIONS, StoreConfig, StoreError};

#[cfg(feature = "agent")]
pub use client::AgentClient;
#[cfg(feature = "agent")]
pub use exec::{ExecContext, JobError, JobOutput, ResultData, execute};
