//! Signed binary intel bundles: what the server distributes and the agent matches against.
//!
//! # Format (version 1, all integers little-endian)
//!
//! ```text
//! manifest:
//!   0   magic            "OPBNDL"
//!   6   format version   u16 = 1
//!   8   flags            u32 (bit 0: filter mode)
//!   12  created          i64 unix seconds
//!   20  ttl              u64 seconds
//!   28  payload length   u64
//!   36  payload SHA-256  [32]
//!   68  signer key id    [8]  (first 8 bytes of SHA-256 of the ed25519 public key)
//!   76  version length   u16
//!   78  version          UTF-8
//! signature              [64] ed25519 over "outpost-intel-bundle-v1\0" ‖ manifest
//! payload                sections: tag [4] ‖ length u64 ‖ body
//!   META  entries u64 ‖ source (u16 length ‖ UTF-8)
//!   PALT  n u32 ‖ n × (present u8 ‖ score u32)           score palette
//!   RNG4  n u64 ‖ n × first u32 ‖ n × last u32 ‖ n × meta u32   sorted disjoint IPv4 ranges
//!   RNG6  n u64 ‖ n × first u128 ‖ n × last u128 ‖ n × meta u32 sorted disjoint IPv6 ranges
//!   FLT8  keys u64 ‖ seed u64 ‖ segment length u32 ‖ mask u32 ‖ segment count length u32 ‖
//!         n u64 ‖ n fingerprints                          (filter mode: BinaryFuse8 of host IPs)
//!   STRS  n u32 ‖ n × (u16 length ‖ UTF-8)                interned sources and tags of LBLS
//!   LBLS  n u32 ‖ n × label                               provenance of each PALT entry (optional)
//!   IOCS  n u32 ‖ n × record                              processes (and, from older
//!                                                         builders, domains and hashes)
//!   IOCC  compact hashes and domains (see `iocindex.rs`)
//!   IOCX  n u32 ‖ n × (first seen i64 ‖ last seen i64 ‖ tag count u16 ‖ tags (u16 length ‖ UTF-8))
//!                                                         first/last seen and tags of each IOCS record
//!   PATS  n u32 ‖ n × record                              STIX pattern indicators (optional)
//! ```
//!
//! A range entry's meta word indexes PALT (its score, what the lookup returns) and, when
//! present, LBLS: `source u32 (index into STRS; u32::MAX = the bundle's META source) ‖
//! confidence u8 (255 = none) ‖ first seen i64 ‖ last seen i64 ‖ expires i64 (i64::MIN = none)
//! ‖ tag count u16 ‖ tags u32 (indices into STRS)`. The palette holds each distinct label once,
//! so a single-source scored feed adds only a few bytes, and the lookup arrays are unchanged.
//! STRS, LBLS and IOCX were added after the first release; a reader without them skips them
//! (unknown sections) and still matches the same entries with the same scores.
//!
//! The signature covers the manifest, which pins the payload by its SHA-256 (a manifest
//! signature, so the payload is hashed once and the signed message stays small). Unknown
//! sections are skipped, so sections can be added without a format version bump.
//!
//! Files: this one holds the types ([`Bundle`], [`BundleInfo`], [`IpFilter`], [`BundleSpec`]);
//! `build.rs` writes and signs bundles, `decode.rs` verifies and reads them (one step per
//! section), `cache.rs` is the agent's bundle cache with its last-good fallback and the HTTP
//! fetch.

use crate::hotlist::{Hotlist, HotlistEntry};
use crate::indicator::{Indicator, IndicatorKind, IndicatorValue, IntelSet, PatternIndicator};
use crate::iocindex::{BundleIocs, IocIndex};
use crate::ranges::{RangeTable, RawTable};
use chrono::{DateTime, TimeZone, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use xorf::{BinaryFuse8, Filter};

/// The first six bytes of every bundle.
pub const MAGIC: [u8; 6] = *b"OPBNDL";
/// The bundle format version this crate writes and reads.
pub const FORMAT_VERSION: u16 = 1;
const SIG_CONTEXT: &[u8] = b"outpost-intel-bundle-v1\0";
const FIXED_HEADER: usize = 78;
const SIG_LEN: usize = 64;
const FLAG_FILTER: u32 = 1;
/// How far in the future a bundle's creation time may lie (clock skew between server and agent).
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(300);

/// Why a bundle was refused.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// Not a bundle, an unsupported format version, or a malformed payload.
    #[error("not a valid Outpost intel bundle: {0}")]
    WrongFormat(String),
    /// The bundle ends early.
    #[error("bundle is truncated: {actual} bytes, at least {expected} expected")]
    Truncated {
        /// Bytes needed.
        expected: u64,
        /// Bytes present.
        actual: u64,
    },
    /// Signed with a key other than the pinned one.
    #[error("bundle is signed by key {found} but the pinned key is {expected} (wrong signing key)")]
    WrongSignature {
        /// Key id in the bundle.
        found: String,
        /// Key id of the pinned key.
        expected: String,
    },
    /// The signature does not verify, or the payload does not match the signed digest.
    #[error("bundle has been tampered with: {0}")]
    Tampered(String),
    /// The bundle's TTL has passed.
    #[error("bundle {version} expired at {expires} (now {now})")]
    Expired {
        /// Bundle version.
        version: String,
        /// Expiry time.
        expires: DateTime<Utc>,
        /// The time it was checked at.
        now: DateTime<Utc>,
    },
    /// The bundle claims to be created in the future (beyond [`MAX_CLOCK_SKEW`]).
    #[error("bundle {version} was created at {created}, in the future (now {now})")]
    NotYetValid {
        /// Bundle version.
        version: String,
        /// Claimed creation time.
        created: DateTime<Utc>,
        /// The time it was checked at.
        now: DateTime<Utc>,
    },
    /// A valid bundle older than the installed one (rollback protection).
    #[error(
        "bundle {offered} (created {offered_created}) is older than installed {current} (created {current_created})"
    )]
    Older {
        /// Offered version.
        offered: String,
        /// Its creation time.
        offered_created: DateTime<Utc>,
        /// Installed version.
        current: String,
        /// Its creation time.
        current_created: DateTime<Utc>,
    },
    /// The bundle could not be built.
    #[error("cannot build bundle: {0}")]
    Build(String),
    /// A bundle could not be downloaded.
    #[error("fetching bundle from {url}: {reason}")]
    Fetch {
        /// The URL.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// A bundle file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

/// The signed facts about a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleInfo {
    /// Bundle version (what hit payloads report as `hotlist_version`).
    pub version: String,
    /// When the server built it.
    pub created: DateTime<Utc>,
    /// How long it is valid after `created`.
    pub ttl: Duration,
    /// Whether host addresses are held in a probabilistic filter (hits need confirmation).
    pub filter_mode: bool,
    /// Id of the signing key.
    pub key_id: [u8; 8],
    /// SHA-256 of the payload.
    pub payload_sha256: [u8; 32],
    /// Size of the whole bundle in bytes.
    pub size: usize,
}

impl BundleInfo {
    /// `created + ttl`.
    pub fn expires(&self) -> DateTime<Utc> {
        let ttl = chrono::Duration::from_std(self.ttl).unwrap_or(chrono::Duration::MAX);
        self.created
            .checked_add_signed(ttl)
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// Whether the TTL has passed at `now`.
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        now >= self.expires()
    }
}

/// The answer of a bundle for an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpVerdict {
    /// Listed (exactly, from the range table).
    Listed(HotlistEntry),
    /// Filter mode: the filter says the address may be listed; ask the server to confirm.
    MaybeListed,
    /// Not listed.
    NotListed,
}

/// A probabilistic set of host addresses (BinaryFuse8, ~9 bits per address, < 0.4 % false
/// positives, no false negatives).
#[derive(Debug, Clone)]
pub struct IpFilter {
    filter: BinaryFuse8,
    keys: u64,
}

/// The filter key of an address (IPv4-mapped IPv6 as IPv4).
fn ip_key(ip: IpAddr) -> u64 {
    match ip.to_canonical() {
        IpAddr::V4(v4) => u64::from(u32::from(v4)),
        IpAddr::V6(v6) => {
            let x = u128::from(v6);
            (x as u64) ^ ((x >> 64) as u64).rotate_left(29) ^ 0x9e37_79b9_7f4a_7c15
        }
    }
}

impl IpFilter {
    /// Builds a filter of host addresses.
    pub fn build(ips: impl IntoIterator<Item = IpAddr>) -> Result<IpFilter, BundleError> {
        let mut keys: Vec<u64> = ips.into_iter().map(ip_key).collect();
        keys.sort_unstable();
        keys.dedup();
        let filter = BinaryFuse8::try_from(&keys[..])
            .map_err(|e| BundleError::Build(format!("filter construction failed: {e}")))?;
        Ok(IpFilter {
            filter,
            keys: keys.len() as u64,
        })
    }

    /// Whether `ip` may be in the set (false positives possible, no false negatives).
    #[inline]
    pub fn may_contain(&self, ip: IpAddr) -> bool {
        self.filter.contains(&ip_key(ip))
    }

    /// Number of addresses the filter was built from.
    pub fn len(&self) -> usize {
        usize::try_from(self.keys).unwrap_or(usize::MAX)
    }

    /// Whether the filter was built from no addresses.
    pub fn is_empty(&self) -> bool {
        self.keys == 0
    }

    /// Size of the fingerprint array in bytes.
    pub fn size_bytes(&self) -> usize {
        self.filter.fingerprints.len()
    }
}

/// First/last seen and tags of one IOCS record (the IOCX section).
struct IocExtra {
    first_seen: Option<DateTime<Utc>>,
    last_seen: Option<DateTime<Utc>>,
    tags: Vec<String>,
}

/// A verified bundle, ready for lookups.
#[derive(Debug, Clone)]
pub struct Bundle {
    info: BundleInfo,
    hotlist: Hotlist,
    filter: Option<IpFilter>,
    others: IntelSet,
    compact: IocIndex,
}

impl Bundle {
    /// The signed header facts.
    pub fn info(&self) -> &BundleInfo {
        &self.info
    }

    /// Bundle version.
    pub fn version(&self) -> &str {
        &self.info.version
    }

    /// The exact IP ranges (in filter mode: only the non-host CIDRs).
    pub fn hotlist(&self) -> &Hotlist {
        &self.hotlist
    }

    /// Consumes the bundle, returning its hotlist.
    pub fn into_hotlist(self) -> Hotlist {
        self.hotlist
    }

    /// The filter of host addresses, in filter mode.
    pub fn filter(&self) -> Option<&IpFilter> {
        self.filter.as_ref()
    }

    /// Process indicators (and hashes and domains of bundles from older builders), and the
    /// STIX pattern indicators ([`IntelSet::pattern_indicators`]) for the pattern engine.
    /// Hashes and domains are in the compact index: look everything up through
    /// [`Bundle::iocs`].
    pub fn indicators(&self) -> &IntelSet {
        &self.others
    }

    /// Every indicator other than addresses as one set (records built from the compact index:
    /// for listings, rebuilding and tests; lookups go through [`Bundle::iocs`]).
    pub fn all_indicators(&self) -> IntelSet {
        let mut s = self.others.clone();
        for i in self.compact.indicators() {
            s.insert(i);
        }
        s
    }

    /// Lookups of every indicator other than addresses (hashes, domains, processes).
    pub fn iocs(&self) -> BundleIocs<'_> {
        BundleIocs {
            compact: &self.compact,
            others: &self.others,
        }
    }

    /// Checks an address: exact ranges first, then (filter mode) the filter.
    #[inline]
    pub fn check_ip(&self, ip: IpAddr) -> IpVerdict {
        if let Some(e) = self.hotlist.lookup(ip) {
            return IpVerdict::Listed(e);
        }
        match &self.filter {
            Some(f) if f.may_contain(ip) => IpVerdict::MaybeListed,
            _ => IpVerdict::NotListed,
        }
    }

    /// Whether the bundle's TTL has passed.
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.info.is_expired(now)
    }

    /// The IP indicator (kind, network, source, score, confidence, first/last seen, expiry,
    /// tags) that `ip` matches in the exact ranges at `now`; expired entries do not match.
    /// Filter-mode host addresses are not described here ([`Bundle::check_ip`] says
    /// `MaybeListed`; the server's confirmation describes them).
    pub fn ip_indicator_at(&self, ip: IpAddr, now: DateTime<Utc>) -> Option<Indicator> {
        self.hotlist.indicator_at(ip, now)
    }
}

/// What to put in a bundle's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleSpec {
    /// Bundle version string (≤ 1024 bytes).
    pub version: String,
    /// Creation time (second precision is kept).
    pub created: DateTime<Utc>,
    /// Validity after `created`.
    pub ttl: Duration,
    /// Put host addresses into a BinaryFuse8 filter instead of exact ranges.
    pub filter_mode: bool,
    /// Source name recorded in the bundle (the hotlist's `source()`).
    pub source: String,
}

/// The 8-byte id of a public key: the first 8 bytes of its SHA-256.
pub fn key_id(key: &VerifyingKey) -> [u8; 8] {
    let d = Sha256::digest(key.as_bytes());
    let mut id = [0u8; 8];
    id.copy_from_slice(&d[..8]);
    id
}

use crate::ranges::put_str16;

mod build;
mod cache;
mod decode;

pub use build::*;
pub use cache::*;
pub use decode::*;

#[cfg(test)]
mod tests;
