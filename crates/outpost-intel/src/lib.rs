//! Outpost threat intel.
//!
//! * [`Hotlist`]: a compact, read-only IPv4/IPv6 address and CIDR list with per-entry scores,
//!   loaded from plain lists, IPsum feeds or signed bundles; lookups are allocation-free
//!   binary searches over sorted disjoint ranges.
//! * [`IntelSet`]: indicators of every kind (IPs and CIDRs, domains and domain suffixes, file
//!   hashes, process names and paths) with provenance, plus STIX pattern indicators.
//! * [`feed`]: plain, IPsum, CSV and STIX 2.1 feeds from files or HTTP(S), on a schedule, with
//!   allowlists subtracted.
//! * [`bundle`]: the signed binary bundle format, verification, the agent's [`BundleCache`] and
//!   the filter mode for very large lists.
//! * [`distribute`]: per-tenant bundles, ETags and the server's hit confirmation.
//! * `cli` (feature `cli`): `outpost intel import|build|sign|verify|lookup|keygen`.

#![forbid(unsafe_code)]

pub mod bundle;
#[cfg(feature = "cli")]
pub mod cli;
pub mod distribute;
pub mod error;
pub mod feed;
pub mod hotlist;
pub mod indicator;
pub mod iocindex;
mod ranges;
pub mod release;

pub use bundle::{
    Bundle, BundleCache, BundleError, BundleInfo, BundleSpec, CacheStatus, IpVerdict, verify,
};
pub use distribute::{build_tenant_bundle, bundle_etag, confirm};
/// Re-exported so callers can name keys without depending on `ed25519-dalek` themselves.
pub use ed25519_dalek::{SigningKey, VerifyingKey};
pub use error::IntelError;
pub use hotlist::{Hotlist, HotlistEntry, ListFormat, MalformedLine, ParseOptions, ParseReport};
pub use indicator::{
    FileHash, Indicator, IndicatorKind, IndicatorValue, IntelSet, PatternIndicator,
};
pub use iocindex::{BundleIocs, IndicatorLookup, IocIndex};
