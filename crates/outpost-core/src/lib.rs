//! The shared data model of Outpost.
//!
//! Everything that crosses a crate or process boundary is defined here: the normalized [`Event`]
//! that every collector and log reader produces, the [`HitPayload`] an agent uploads (exactly the
//! ThreatHunter seed's schema plus a batch id), the API wire types, and the small value types
//! (protocols, directions, ids) they are made of.
//!
//! This crate does no I/O and depends on nothing heavier than serde, so the slim agent, the
//! server and every library crate can share it.

pub mod api;
pub mod auth;
pub mod bound;
pub mod event;
pub mod hit;
pub mod indicator;
pub mod net;
pub mod sighting;

pub use bound::{TRUNCATED_LABEL, TRUNCATED_MARKER, bound_event, bound_hit};
pub use event::{
    ContainerInfo, DnsInfo, Event, EventKind, FileAction, FileInfo, Hashes, LogRecord,
    NetworkAction, NetworkInfo, ParentInfo, ProcessInfo,
};
pub use hit::{Hit, HitPayload, IntelMatch};
pub use indicator::Indicator;
pub use net::{Direction, Protocol};

/// The version of this build of Outpost, reported by agents as `agent_version`: the crate's
/// version, or `OUTPOST_VERSION_OVERRIDE` when it was set at build time (packagers' build
/// numbers; the self-update test builds two agents that differ only in it).
pub const VERSION: &str = match option_env!("OUTPOST_VERSION_OVERRIDE") {
    Some(v) => v,
    None => env!("CARGO_PKG_VERSION"),
};
