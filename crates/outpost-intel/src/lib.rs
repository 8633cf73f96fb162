//! Outpost threat intel.
//!
//! * [`Hotlist`]: a compact, read-only IPv4/IPv6 address and CIDR list with per-entry scores,
//!   loaded from plain lists, IPsum feeds or signed bundles; lookups are allocation-free
//!   binary searches over sorted disjoint ranges.

#![forbid(unsafe_code)]

pub mod error;
pub mod hotlist;
mod ranges;

pub use error::IntelError;
pub use hotlist::{Hotlist, HotlistEntry, ListFormat, MalformedLine, ParseOptions, ParseReport};
