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

fn section(out: &mut Vec<u8>, tag: &[u8; 4], body: &[u8]) {
    out.extend_from_slice(tag);
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(body);
}

/// Builds and signs a bundle of every unexpired indicator of `set` (as of `spec.created`).
/// Deterministic: the same set, spec and key give the same bytes.
pub fn build_bundle(
    set: &IntelSet,
    spec: &BundleSpec,
    key: &SigningKey,
) -> Result<Vec<u8>, BundleError> {
    if spec.version.len() > 1024 {
        return Err(BundleError::Build("version longer than 1024 bytes".into()));
    }
    let now = spec.created;
    let mut nets: Vec<&Indicator> = Vec::new();
    let mut hosts: Vec<IpAddr> = Vec::new();
    let mut others: Vec<&Indicator> = Vec::new();
    for ind in set.indicators() {
        if ind.is_expired(now) {
            continue;
        }
        match ind.value {
            IndicatorValue::Net(n) if spec.filter_mode && n.prefix_len() == n.max_prefix_len() => {
                hosts.push(n.addr())
            }
            IndicatorValue::Net(_) => nets.push(ind),
            _ => others.push(ind),
        }
    }
    let hot = Hotlist::from_indicators(nets, &spec.version, &spec.source)
        .map_err(|e| BundleError::Build(e.to_string()))?;
    let raw = hot.table().raw();
    let mut payload = Vec::with_capacity(64 + raw.v4_starts.len() * 12 + raw.v6_starts.len() * 36);

    let mut meta = Vec::new();
    meta.extend_from_slice(&(raw.entries + hosts.len() as u64).to_le_bytes());
    put_str16(&mut meta, &spec.source);
    section(&mut payload, b"META", &meta);

    let mut palt = Vec::with_capacity(4 + raw.palette.len() * 5);
    palt.extend_from_slice(&(raw.palette.len() as u32).to_le_bytes());
    for p in &raw.palette {
        palt.push(u8::from(p.is_some()));
        palt.extend_from_slice(&p.unwrap_or(0).to_le_bytes());
    }
    section(&mut payload, b"PALT", &palt);

    let mut r4 = Vec::with_capacity(8 + raw.v4_starts.len() * 12);
    r4.extend_from_slice(&(raw.v4_starts.len() as u64).to_le_bytes());
    for arr in [&raw.v4_starts, &raw.v4_ends, &raw.v4_meta] {
        for x in arr.iter() {
            r4.extend_from_slice(&x.to_le_bytes());
        }
    }
    section(&mut payload, b"RNG4", &r4);

    let mut r6 = Vec::with_capacity(8 + raw.v6_starts.len() * 36);
    r6.extend_from_slice(&(raw.v6_starts.len() as u64).to_le_bytes());
    for arr in [&raw.v6_starts, &raw.v6_ends] {
        for x in arr.iter() {
            r6.extend_from_slice(&x.to_le_bytes());
        }
    }
    for x in &raw.v6_meta {
        r6.extend_from_slice(&x.to_le_bytes());
    }
    section(&mut payload, b"RNG6", &r6);

    if !raw.labels.is_empty() {
        section(
            &mut payload,
            b"STRS",
            &crate::ranges::encode_strings(&raw.strings),
        );
        section(
            &mut payload,
            b"LBLS",
            &crate::ranges::encode_labels(&raw.labels),
        );
    }

    if spec.filter_mode {
        let f = IpFilter::build(hosts)?;
        let d = &f.filter.descriptor;
        let mut body = Vec::with_capacity(40 + f.filter.fingerprints.len());
        body.extend_from_slice(&f.keys.to_le_bytes());
        body.extend_from_slice(&d.seed.to_le_bytes());
        body.extend_from_slice(&d.segment_length.to_le_bytes());
        body.extend_from_slice(&d.segment_length_mask.to_le_bytes());
        body.extend_from_slice(&d.segment_count_length.to_le_bytes());
        body.extend_from_slice(&(f.filter.fingerprints.len() as u64).to_le_bytes());
        body.extend_from_slice(&f.filter.fingerprints);
        section(&mut payload, b"FLT8", &body);
    }

    // Hashes and domains go into the compact index (many, small); the rest stays records.
    let (compact, others): (Vec<&Indicator>, Vec<&Indicator>) =
        others.into_iter().partition(|i| IocIndex::takes(i));
    if !compact.is_empty() {
        section(
            &mut payload,
            b"IOCC",
            &IocIndex::build(compact.iter().copied()).encode(),
        );
    }
    let mut iocs = Vec::new();
    iocs.extend_from_slice(&(others.len() as u32).to_le_bytes());
    for ind in &others {
        let kind = ind.value.kind();
        let k = IndicatorKind::ALL
            .iter()
            .position(|&x| x == kind)
            .unwrap_or(0);
        iocs.push(k as u8);
        iocs.push(u8::from(ind.score.is_some()));
        iocs.extend_from_slice(&ind.score.unwrap_or(0).to_le_bytes());
        iocs.push(ind.confidence.unwrap_or(u8::MAX));
        iocs.extend_from_slice(
            &ind.expires
                .map_or(i64::MIN, |e| e.timestamp())
                .to_le_bytes(),
        );
        put_str16(&mut iocs, &ind.value.to_string());
        put_str16(&mut iocs, &ind.source);
    }
    section(&mut payload, b"IOCS", &iocs);
    if others
        .iter()
        .any(|i| i.first_seen.is_some() || i.last_seen.is_some() || !i.tags.is_empty())
    {
        let mut x = Vec::new();
        x.extend_from_slice(&(others.len() as u32).to_le_bytes());
        for ind in &others {
            for t in [ind.first_seen, ind.last_seen] {
                x.extend_from_slice(&t.map_or(i64::MIN, |e| e.timestamp()).to_le_bytes());
            }
            let n = ind.tags.len().min(u16::MAX as usize);
            x.extend_from_slice(&(n as u16).to_le_bytes());
            for t in &ind.tags[..n] {
                put_str16(&mut x, t);
            }
        }
        section(&mut payload, b"IOCX", &x);
    }

    let live: Vec<&PatternIndicator> = set
        .pattern_indicators()
        .iter()
        .filter(|p| p.valid_until.is_none_or(|u| u > now))
        .collect();
    if !live.is_empty() {
        let mut pats = Vec::new();
        pats.extend_from_slice(&(live.len() as u32).to_le_bytes());
        for p in live {
            put_str16(&mut pats, &p.id);
            put_str16(&mut pats, p.name.as_deref().unwrap_or(""));
            pats.extend_from_slice(&(p.pattern.len() as u32).to_le_bytes());
            pats.extend_from_slice(p.pattern.as_bytes());
            put_str16(&mut pats, &p.source);
            pats.push(p.confidence.unwrap_or(u8::MAX));
            for t in [p.valid_from, p.valid_until] {
                pats.extend_from_slice(&t.map_or(i64::MIN, |e| e.timestamp()).to_le_bytes());
            }
            pats.extend_from_slice(&(p.labels.len() as u16).to_le_bytes());
            for l in &p.labels {
                put_str16(&mut pats, l);
            }
        }
        section(&mut payload, b"PATS", &pats);
    }

    Ok(seal(&payload, spec, key))
}

/// Wraps a payload in a signed manifest.
fn seal(payload: &[u8], spec: &BundleSpec, key: &SigningKey) -> Vec<u8> {
    let mut manifest = Vec::with_capacity(FIXED_HEADER + spec.version.len());
    manifest.extend_from_slice(&MAGIC);
    manifest.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    let flags = if spec.filter_mode { FLAG_FILTER } else { 0 };
    manifest.extend_from_slice(&flags.to_le_bytes());
    manifest.extend_from_slice(&spec.created.timestamp().to_le_bytes());
    manifest.extend_from_slice(&spec.ttl.as_secs().to_le_bytes());
    manifest.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    manifest.extend_from_slice(&Sha256::digest(payload));
    manifest.extend_from_slice(&key_id(&key.verifying_key()));
    put_str16(&mut manifest, &spec.version);

    let mut msg = Vec::with_capacity(SIG_CONTEXT.len() + manifest.len());
    msg.extend_from_slice(SIG_CONTEXT);
    msg.extend_from_slice(&manifest);
    let sig = key.sign(&msg);

    let mut out = manifest;
    out.extend_from_slice(&sig.to_bytes());
    out.extend_from_slice(payload);
    out
}

/// Re-signs an existing bundle's payload with a new key and header (version, creation time,
/// TTL from `spec`; the filter flag is kept). The payload digest is checked first, but not the
/// old signature: the caller vouches for the content by signing it.
pub fn resign(bytes: &[u8], spec: &BundleSpec, key: &SigningKey) -> Result<Vec<u8>, BundleError> {
    let p = parse_envelope(bytes)?;
    check_payload(&p)?;
    let declared = usize::try_from(u64::from_le_bytes(
        bytes[28..36].try_into().unwrap_or_default(),
    ))
    .map_err(|_| BundleError::WrongFormat("payload too large".into()))?;
    let payload = p.payload.get(..declared).ok_or(BundleError::Truncated {
        expected: declared as u64,
        actual: p.payload.len() as u64,
    })?;
    // Make sure it decodes before vouching for it.
    decode_payload(Parsed {
        info: p.info.clone(),
        manifest: p.manifest,
        signature: p.signature,
        payload,
    })?;
    let spec = BundleSpec {
        filter_mode: p.info.filter_mode,
        ..spec.clone()
    };
    Ok(seal(payload, &spec, key))
}

/// Whether `bytes` start like a bundle (magic only).
pub fn looks_like_bundle(bytes: &[u8]) -> bool {
    bytes.starts_with(&MAGIC)
}

/// A bounds-checked little-endian reader over untrusted bytes.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    what: &'static str,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8], what: &'static str) -> Self {
        Reader { buf, pos: 0, what }
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], BundleError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len());
        match end {
            Some(end) => {
                let s = &self.buf[self.pos..end];
                self.pos = end;
                Ok(s)
            }
            None => Err(BundleError::WrongFormat(format!(
                "{} section ends early",
                self.what
            ))),
        }
    }
    fn arr<const N: usize>(&mut self) -> Result<[u8; N], BundleError> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }
    fn u8(&mut self) -> Result<u8, BundleError> {
        Ok(self.arr::<1>()?[0])
    }
    fn u16(&mut self) -> Result<u16, BundleError> {
        self.arr().map(u16::from_le_bytes)
    }
    fn u32(&mut self) -> Result<u32, BundleError> {
        self.arr().map(u32::from_le_bytes)
    }
    fn u64(&mut self) -> Result<u64, BundleError> {
        self.arr().map(u64::from_le_bytes)
    }
    fn i64(&mut self) -> Result<i64, BundleError> {
        self.arr().map(i64::from_le_bytes)
    }
    fn count(&mut self, width: usize) -> Result<usize, BundleError> {
        // A count is only plausible if that many items of `width` bytes remain.
        let n = self.u64()?;
        let remaining = (self.buf.len() - self.pos) as u64;
        if n.checked_mul(width as u64).is_none_or(|b| b > remaining) {
            return Err(BundleError::WrongFormat(format!(
                "{} count {n} exceeds the section",
                self.what
            )));
        }
        Ok(n as usize)
    }
    fn str16(&mut self) -> Result<&'a str, BundleError> {
        let n = self.u16()? as usize;
        let b = self.take(n)?;
        std::str::from_utf8(b)
            .map_err(|_| BundleError::WrongFormat(format!("{} has a non-UTF-8 string", self.what)))
    }
    fn done(&self) -> bool {
        self.pos == self.buf.len()
    }
}

/// The parsed manifest plus where the payload starts.
struct Parsed<'a> {
    info: BundleInfo,
    manifest: &'a [u8],
    signature: [u8; 64],
    payload: &'a [u8],
}

fn parse_envelope(bytes: &[u8]) -> Result<Parsed<'_>, BundleError> {
    let truncated = |expected: usize| BundleError::Truncated {
        expected: expected as u64,
        actual: bytes.len() as u64,
    };
    if bytes.len() < MAGIC.len() {
        return Err(if MAGIC.starts_with(bytes) && !bytes.is_empty() {
            truncated(FIXED_HEADER + SIG_LEN)
        } else {
            BundleError::WrongFormat("missing bundle magic".into())
        });
    }
    if !looks_like_bundle(bytes) {
        return Err(BundleError::WrongFormat("missing bundle magic".into()));
    }
    if bytes.len() < 8 {
        return Err(truncated(FIXED_HEADER + SIG_LEN));
    }
    let fv = u16::from_le_bytes([bytes[6], bytes[7]]);
    if fv != FORMAT_VERSION {
        return Err(BundleError::WrongFormat(format!(
            "unsupported bundle format version {fv} (this build reads {FORMAT_VERSION})"
        )));
    }
    if bytes.len() < FIXED_HEADER {
        return Err(truncated(FIXED_HEADER + SIG_LEN));
    }
    let mut r = Reader::new(&bytes[..FIXED_HEADER], "header");
    r.take(8)?;
    let flags = r.u32()?;
    let created = r.i64()?;
    let ttl = r.u64()?;
    let payload_len = r.u64()?;
    let payload_sha256: [u8; 32] = r.arr()?;
    let key_id: [u8; 8] = r.arr()?;
    let vlen = r.u16()? as usize;
    let manifest_len = FIXED_HEADER + vlen;
    let payload_start = manifest_len + SIG_LEN;
    if bytes.len() < payload_start {
        return Err(truncated(payload_start));
    }
    let total = (payload_start as u64).saturating_add(payload_len);
    if (bytes.len() as u64) < total {
        return Err(BundleError::Truncated {
            expected: total,
            actual: bytes.len() as u64,
        });
    }
    let version = String::from_utf8_lossy(&bytes[FIXED_HEADER..manifest_len]).into_owned();
    let created = Utc
        .timestamp_opt(created, 0)
        .single()
        .ok_or_else(|| BundleError::WrongFormat("creation time out of range".into()))?;
    let mut signature = [0u8; 64];
    signature.copy_from_slice(&bytes[manifest_len..payload_start]);
    Ok(Parsed {
        info: BundleInfo {
            version,
            created,
            ttl: Duration::from_secs(ttl),
            filter_mode: flags & FLAG_FILTER != 0,
            key_id,
            payload_sha256,
            size: bytes.len(),
        },
        manifest: &bytes[..manifest_len],
        signature,
        payload: &bytes[payload_start..],
    })
}

/// How strictly [`verify_with`] checks time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VerifyPolicy {
    /// Accept an expired bundle (used for the agent's last good bundle after a restart; the
    /// caller must treat it as stale).
    pub allow_expired: bool,
}

/// Verifies a bundle against the pinned key at time `now` and decodes it.
///
/// Checks, in order: format (magic, version), length (truncation), signer key id (wrong key),
/// signature over the manifest and payload digest (tampering), expiry and creation time, then
/// decodes and validates every section.
pub fn verify(bytes: &[u8], key: &VerifyingKey, now: DateTime<Utc>) -> Result<Bundle, BundleError> {
    verify_with(bytes, key, now, VerifyPolicy::default())
}

/// [`verify`] with a policy.
pub fn verify_with(
    bytes: &[u8],
    key: &VerifyingKey,
    now: DateTime<Utc>,
    policy: VerifyPolicy,
) -> Result<Bundle, BundleError> {
    let p = parse_envelope(bytes)?;
    let expected = key_id(key);
    if p.info.key_id != expected {
        return Err(BundleError::WrongSignature {
            found: hex::encode(p.info.key_id),
            expected: hex::encode(expected),
        });
    }
    let mut msg = Vec::with_capacity(SIG_CONTEXT.len() + p.manifest.len());
    msg.extend_from_slice(SIG_CONTEXT);
    msg.extend_from_slice(p.manifest);
    let sig = Signature::from_bytes(&p.signature);
    key.verify_strict(&msg, &sig).map_err(|_| {
        BundleError::Tampered("the signature does not match the bundle header".into())
    })?;
    check_payload(&p)?;
    let skew = chrono::Duration::from_std(MAX_CLOCK_SKEW).unwrap_or_default();
    if p.info.created > now + skew {
        return Err(BundleError::NotYetValid {
            version: p.info.version.clone(),
            created: p.info.created,
            now,
        });
    }
    if !policy.allow_expired && p.info.is_expired(now) {
        return Err(BundleError::Expired {
            version: p.info.version.clone(),
            expires: p.info.expires(),
            now,
        });
    }
    decode_payload(p)
}

fn check_payload(p: &Parsed<'_>) -> Result<(), BundleError> {
    // parse_envelope guarantees the declared payload length is present; bytes beyond it make
    // the digest differ, which is tampering too.
    let hash: [u8; 32] = Sha256::digest(p.payload).into();
    if hash != p.info.payload_sha256 {
        return Err(BundleError::Tampered(
            "the payload does not match the signed digest".into(),
        ));
    }
    Ok(())
}

/// Decodes a bundle checking its structure and payload digest but NOT its signature or
/// expiry. Only for files that were verified when they were written (e.g. by [`BundleCache`]);
/// use [`verify`] for anything received.
pub fn decode_unauthenticated(bytes: &[u8]) -> Result<Bundle, BundleError> {
    let p = parse_envelope(bytes)?;
    check_payload(&p)?;
    decode_payload(p)
}

fn decode_payload(p: Parsed<'_>) -> Result<Bundle, BundleError> {
    let mut r = Reader::new(p.payload, "payload");
    let mut raw = RawTable::default();
    let mut source = String::new();
    let mut filter = None;
    let mut others = IntelSet::new();
    let mut compact = IocIndex::default();
    let mut iocs: Vec<Indicator> = Vec::new();
    let mut iocx: Option<Vec<IocExtra>> = None;
    let mut labels: Option<Vec<crate::ranges::Label>> = None;
    let (mut seen_meta, mut seen_r4, mut seen_r6, mut seen_palt) = (false, false, false, false);
    while !r.done() {
        let tag: [u8; 4] = r.arr()?;
        let len = r.u64()?;
        let len = usize::try_from(len)
            .map_err(|_| BundleError::WrongFormat("section too large".into()))?;
        let body = r.take(len)?;
        match &tag {
            b"META" => {
                let mut s = Reader::new(body, "META");
                raw.entries = s.u64()?;
                source = s.str16()?.to_string();
                seen_meta = true;
            }
            b"PALT" => {
                let mut s = Reader::new(body, "PALT");
                let n = s.u32()? as usize;
                if n.checked_mul(5).is_none_or(|b| b != body.len() - 4) {
                    return Err(BundleError::WrongFormat("PALT length mismatch".into()));
                }
                raw.palette = (0..n)
                    .map(|_| {
                        let present = s.u8()?;
                        let v = s.u32()?;
                        Ok((present != 0).then_some(v))
                    })
                    .collect::<Result<_, BundleError>>()?;
                seen_palt = true;
            }
            b"RNG4" => {
                let mut s = Reader::new(body, "RNG4");
                let n = s.count(12)?;
                let read = |s: &mut Reader<'_>| -> Result<Vec<u32>, BundleError> {
                    Ok(s.take(n * 4)?
                        .chunks_exact(4)
                        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                        .collect())
                };
                raw.v4_starts = read(&mut s)?;
                raw.v4_ends = read(&mut s)?;
                raw.v4_meta = read(&mut s)?;
                seen_r4 = true;
            }
            b"RNG6" => {
                let mut s = Reader::new(body, "RNG6");
                let n = s.count(36)?;
                let read128 = |s: &mut Reader<'_>| -> Result<Vec<u128>, BundleError> {
                    Ok(s.take(n * 16)?
                        .chunks_exact(16)
                        .map(|c| {
                            let mut a = [0u8; 16];
                            a.copy_from_slice(c);
                            u128::from_le_bytes(a)
                        })
                        .collect())
                };
                raw.v6_starts = read128(&mut s)?;
                raw.v6_ends = read128(&mut s)?;
                raw.v6_meta = s
                    .take(n * 4)?
                    .chunks_exact(4)
                    .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect();
                seen_r6 = true;
            }
            b"FLT8" => {
                let mut s = Reader::new(body, "FLT8");
                let keys = s.u64()?;
                let seed = s.u64()?;
                let segment_length = s.u32()?;
                let segment_length_mask = s.u32()?;
                let segment_count_length = s.u32()?;
                let n = s.count(1)?;
                let fps = s.take(n)?;
                // The lookup indexes up to segment_count_length + 2 * segment_length.
                let needed = u64::from(segment_count_length) + 2 * u64::from(segment_length);
                if !segment_length.is_power_of_two()
                    || segment_length_mask != segment_length - 1
                    || n as u64 != needed
                {
                    return Err(BundleError::WrongFormat(
                        "FLT8 geometry is inconsistent".into(),
                    ));
                }
                filter = Some(IpFilter {
                    filter: BinaryFuse8 {
                        descriptor: xorf::Descriptor {
                            seed,
                            segment_length,
                            segment_length_mask,
                            segment_count_length,
                        },
                        fingerprints: fps.to_vec().into_boxed_slice(),
                    },
                    keys,
                });
            }
            b"IOCS" => {
                let mut s = Reader::new(body, "IOCS");
                let n = s.u32()?;
                for _ in 0..n {
                    let k = s.u8()? as usize;
                    let has_score = s.u8()? != 0;
                    let score = s.u32()?;
                    let conf = s.u8()?;
                    let expires = s.i64()?;
                    let value = s.str16()?;
                    let src = s.str16()?;
                    let kind = *IndicatorKind::ALL.get(k).ok_or_else(|| {
                        BundleError::WrongFormat(format!("IOCS has unknown kind {k}"))
                    })?;
                    let v = IndicatorValue::parse(kind, value)
                        .map_err(|e| BundleError::WrongFormat(format!("IOCS: {e}")))?;
                    let mut ind = Indicator::new(v, src);
                    ind.score = has_score.then_some(score);
                    ind.confidence = (conf != u8::MAX).then_some(conf);
                    ind.expires = (expires != i64::MIN)
                        .then(|| Utc.timestamp_opt(expires, 0).single())
                        .flatten();
                    iocs.push(ind);
                }
            }
            b"IOCC" => {
                compact = IocIndex::decode(body)?;
            }
            b"IOCX" => {
                let mut s = Reader::new(body, "IOCX");
                let n = s.u32()?;
                let time = |v: i64| {
                    (v != i64::MIN)
                        .then(|| Utc.timestamp_opt(v, 0).single())
                        .flatten()
                };
                let mut v = Vec::new();
                for _ in 0..n {
                    let first_seen = time(s.i64()?);
                    let last_seen = time(s.i64()?);
                    let nt = s.u16()?;
                    let tags = (0..nt)
                        .map(|_| s.str16().map(str::to_string))
                        .collect::<Result<Vec<_>, _>>()?;
                    v.push(IocExtra {
                        first_seen,
                        last_seen,
                        tags,
                    });
                }
                if !s.done() {
                    return Err(BundleError::WrongFormat("IOCX has trailing bytes".into()));
                }
                iocx = Some(v);
            }
            b"STRS" => {
                raw.strings = crate::ranges::decode_strings(body)
                    .map_err(|e| BundleError::WrongFormat(format!("STRS {e}")))?;
            }
            b"LBLS" => {
                labels = Some(
                    crate::ranges::decode_labels(body)
                        .map_err(|e| BundleError::WrongFormat(format!("LBLS {e}")))?,
                );
            }
            b"PATS" => {
                let mut s = Reader::new(body, "PATS");
                let n = s.u32()?;
                let time = |v: i64| {
                    (v != i64::MIN)
                        .then(|| Utc.timestamp_opt(v, 0).single())
                        .flatten()
                };
                for _ in 0..n {
                    let id = s.str16()?.to_string();
                    let name = s.str16()?;
                    let plen = s.u32()? as usize;
                    let pattern = std::str::from_utf8(s.take(plen)?)
                        .map_err(|_| {
                            BundleError::WrongFormat("PATS has a non-UTF-8 pattern".into())
                        })?
                        .to_string();
                    let src = s.str16()?.to_string();
                    let conf = s.u8()?;
                    let valid_from = time(s.i64()?);
                    let valid_until = time(s.i64()?);
                    let nl = s.u16()?;
                    let labels = (0..nl)
                        .map(|_| s.str16().map(str::to_string))
                        .collect::<Result<Vec<_>, _>>()?;
                    others.insert_pattern(PatternIndicator {
                        id,
                        name: (!name.is_empty()).then(|| name.to_string()),
                        pattern,
                        source: src,
                        confidence: (conf != u8::MAX).then_some(conf),
                        valid_from,
                        valid_until,
                        labels,
                    });
                }
            }
            _ => {} // unknown sections are skipped
        }
    }
    if !(seen_meta && seen_palt && seen_r4 && seen_r6) {
        return Err(BundleError::WrongFormat(
            "a required section (META, PALT, RNG4, RNG6) is missing".into(),
        ));
    }
    if p.info.filter_mode != filter.is_some() {
        return Err(BundleError::WrongFormat(
            "filter flag and FLT8 section disagree".into(),
        ));
    }
    if let Some(extra) = iocx {
        if extra.len() != iocs.len() {
            return Err(BundleError::WrongFormat(
                "IOCX and IOCS have different record counts".into(),
            ));
        }
        for (ind, x) in iocs.iter_mut().zip(extra) {
            ind.first_seen = x.first_seen;
            ind.last_seen = x.last_seen;
            ind.tags = x.tags;
        }
    }
    for ind in iocs {
        others.insert(ind);
    }
    if let Some(mut labels) = labels {
        if labels.len() != raw.palette.len() {
            return Err(BundleError::WrongFormat(
                "LBLS and PALT have different lengths".into(),
            ));
        }
        for (l, s) in labels.iter_mut().zip(&raw.palette) {
            l.score = *s;
        }
        raw.labels = labels;
    }
    let table = RangeTable::from_raw(raw)
        .map_err(|e| BundleError::WrongFormat(format!("range table: {e}")))?;
    let hotlist = Hotlist::from_table(table, p.info.version.clone(), source);
    Ok(Bundle {
        info: p.info,
        hotlist,
        filter,
        others,
        compact,
    })
}

/// Deterministic HTTP entity tag of a bundle: `"sha256-<first 32 hex of its SHA-256>"`,
/// quoted as HTTP requires.
pub fn bundle_etag(bytes: &[u8]) -> String {
    format!("\"sha256-{}\"", &hex::encode(Sha256::digest(bytes))[..32])
}

/// Largest bundle accepted over HTTP.
pub const MAX_BUNDLE_BYTES: u64 = 512 * 1024 * 1024;

/// GETs a bundle; `Ok(None)` when the server answers 304 Not Modified to `etag`.
fn fetch_bundle(
    url: &str,
    headers: &[(&str, &str)],
    etag: Option<&str>,
    timeout: Duration,
) -> Result<Option<Vec<u8>>, BundleError> {
    let err = |reason: String| BundleError::Fetch {
        url: url.to_string(),
        reason,
    };
    let agent: ureq::Agent = outpost_http::config_builder()
        .timeout_global(Some(timeout))
        .build()
        .into();
    let mut req = agent.get(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some(e) = etag {
        req = req.header("If-None-Match", e);
    }
    let mut resp = req.call().map_err(|e| err(e.to_string()))?;
    match resp.status().as_u16() {
        304 => Ok(None),
        200..=299 => resp
            .body_mut()
            .with_config()
            .limit(MAX_BUNDLE_BYTES)
            .read_to_vec()
            .map(Some)
            .map_err(|e| err(e.to_string())),
        s => Err(err(format!("HTTP status {s}"))),
    }
}

/// Server side of conditional GETs: whether an `If-None-Match` header value matches `etag`
/// (a comma-separated list, `*`, weak `W/` tags compared weakly as RFC 9110 asks for GET).
pub fn etag_matches(if_none_match: &str, etag: &str) -> bool {
    let strip = |t: &str| t.trim().trim_start_matches("W/").to_string();
    let want = strip(etag);
    if_none_match
        .split(',')
        .any(|t| t.trim() == "*" || strip(t) == want)
}

/// What the agent's bundle cache reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheStatus {
    /// Version of the bundle in use, if any.
    pub current_version: Option<String>,
    /// Its creation time.
    pub created: Option<DateTime<Utc>>,
    /// Its expiry.
    pub expires: Option<DateTime<Utc>>,
    /// Whether there is no bundle or it has expired (hits then need server confirmation).
    pub stale: bool,
    /// The last refused bundle's error, until a later install succeeds.
    pub last_error: Option<String>,
    /// When that error happened.
    pub last_error_at: Option<DateTime<Utc>>,
    /// When the bundle in use was installed (or loaded at start).
    pub installed_at: Option<DateTime<Utc>>,
}

/// What [`BundleCache::install`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstallOutcome {
    /// The bundle was verified, written and is now in use.
    Installed {
        /// Its version.
        version: String,
    },
    /// The same bytes are already installed.
    Unchanged,
}

/// The agent's directory of verified bundles. A new bundle replaces the current one only if it
/// verifies (and is not older); otherwise the last good bundle stays in use and the error is
/// reported in [`BundleCache::status`].
#[derive(Debug)]
pub struct BundleCache {
    dir: PathBuf,
    key: VerifyingKey,
    /// The bundle in use, decoded (not with [`BundleCache::open_header`]).
    current: Option<Arc<Bundle>>,
    /// Its signed header facts (with either way of opening).
    current_info: Option<BundleInfo>,
    current_etag: Option<String>,
    installed_at: Option<DateTime<Utc>>,
    last_error: Option<(String, DateTime<Utc>)>,
}

/// File name of the installed bundle inside the cache directory.
pub const CURRENT_FILE: &str = "current.bundle";

/// A file's identity for [`VERIFIED`]: size, modification time and inode (the key the agent's
/// hash cache trusts too). Taken from the open handle the bytes are read from, or the temporary
/// file they were written to before the rename that installs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileMark {
    size: u64,
    mtime_ns: i64,
    identity: u64,
}

impl FileMark {
    fn of(meta: &std::fs::Metadata) -> FileMark {
        FileMark {
            size: meta.len(),
            mtime_ns: outpost_platform::mtime_ns(meta),
            identity: outpost_platform::file_identity(meta),
        }
    }
}

/// An installed bundle file this process verified, or wrote after verifying.
#[derive(Debug, Clone)]
struct Verified {
    path: PathBuf,
    mark: FileMark,
    key_id: [u8; 8],
    etag: String,
}

/// Installed bundle files this process has verified, newest last (at most [`VERIFIED_MAX`]).
/// Reopening a file whose identity has not changed since skips its two SHA-256 digests (the
/// payload's and the ETag's) and the signature check: the agent reopens its bundle every
/// minute in the correlation pass and at each check-in, and for a bundle of 100k hashes and
/// domains (8 MB) those digests were most of the cost. A modified file (new size, mtime or
/// inode — an install renames a new file into place) is verified again. Nothing here is
/// written to disk: a new process verifies everything once.
static VERIFIED: std::sync::Mutex<Vec<Verified>> = std::sync::Mutex::new(Vec::new());
const VERIFIED_MAX: usize = 16;

fn recall_verified(path: &Path, mark: FileMark, key_id: [u8; 8]) -> Option<String> {
    let v = VERIFIED.lock().ok()?;
    v.iter()
        .rev()
        .find(|v| v.path == path && v.mark == mark && v.key_id == key_id)
        .map(|v| v.etag.clone())
}

fn remember_verified(path: &Path, mark: FileMark, key_id: [u8; 8], etag: &str) {
    if let Ok(mut v) = VERIFIED.lock() {
        v.retain(|v| v.path != path);
        if v.len() >= VERIFIED_MAX {
            v.remove(0);
        }
        v.push(Verified {
            path: path.to_path_buf(),
            mark,
            key_id,
            etag: etag.to_string(),
        });
    }
}

/// Reads a file and the identity of what was read (taken from the handle before reading: a
/// change while reading gives the file a newer identity than the one recorded).
fn read_marked(path: &Path) -> std::io::Result<(Vec<u8>, FileMark)> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mark = FileMark::of(&f.metadata()?);
    let mut bytes = Vec::with_capacity(usize::try_from(mark.size).unwrap_or(0));
    f.read_to_end(&mut bytes)?;
    Ok((bytes, mark))
}

/// How [`BundleCache`] loads the installed bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Load {
    /// Decoded, for matching.
    Decoded,
    /// Its header facts and ETag only (status reports and conditional fetches).
    Header,
}

impl BundleCache {
    /// Opens (creating) the cache directory and loads the installed bundle, if any. The installed
    /// bundle is re-verified with the pinned key (unless this process verified the same
    /// unchanged file before: see [`VERIFIED`]); an expired one is still used (and reported
    /// stale). A bundle that no longer verifies is ignored and reported as `last_error`.
    pub fn open(
        dir: &Path,
        key: VerifyingKey,
        now: DateTime<Utc>,
    ) -> Result<BundleCache, BundleError> {
        Self::open_as(dir, key, now, Load::Decoded)
    }

    /// [`BundleCache::open`] without decoding the installed bundle: [`BundleCache::current`] is
    /// `None`, while the status, the ETag for conditional fetches and installs work as with
    /// `open`. For a check-in, which needs no lookups: a bundle this process verified before is
    /// not read beyond its header.
    pub fn open_header(
        dir: &Path,
        key: VerifyingKey,
        now: DateTime<Utc>,
    ) -> Result<BundleCache, BundleError> {
        Self::open_as(dir, key, now, Load::Header)
    }

    fn open_as(
        dir: &Path,
        key: VerifyingKey,
        now: DateTime<Utc>,
        load: Load,
    ) -> Result<BundleCache, BundleError> {
        std::fs::create_dir_all(dir).map_err(|source| BundleError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut cache = BundleCache {
            dir: dir.to_path_buf(),
            key,
            current: None,
            current_info: None,
            current_etag: None,
            installed_at: None,
            last_error: None,
        };
        let path = cache.current_path();
        let key_id = key_id(&cache.key);
        match read_marked(&path) {
            Ok((bytes, mark)) => {
                let loaded = match recall_verified(&path, mark, key_id) {
                    // Verified by this process as it is: structure only.
                    Some(etag) => parse_envelope(&bytes).and_then(|p| {
                        let info = p.info.clone();
                        let decoded = match load {
                            Load::Decoded => Some(decode_payload(p)?),
                            Load::Header => None,
                        };
                        Ok((info, decoded, etag))
                    }),
                    None => {
                        let policy = VerifyPolicy {
                            allow_expired: true,
                        };
                        verify_with(&bytes, &cache.key, now, policy).map(|b| {
                            let etag = bundle_etag(&bytes);
                            remember_verified(&path, mark, key_id, &etag);
                            let info = b.info.clone();
                            (info, (load == Load::Decoded).then_some(b), etag)
                        })
                    }
                };
                match loaded {
                    Ok((info, decoded, etag)) => {
                        cache.current = decoded.map(Arc::new);
                        cache.current_info = Some(info);
                        cache.current_etag = Some(etag);
                        cache.installed_at = Some(now);
                    }
                    Err(e) => cache.last_error = Some((format!("installed bundle: {e}"), now)),
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(BundleError::Io { path, source }),
        }
        Ok(cache)
    }

    /// Path of the installed bundle file (loadable with [`Hotlist::from_path`]).
    pub fn current_path(&self) -> PathBuf {
        self.dir.join(CURRENT_FILE)
    }

    /// The bundle in use.
    pub fn current(&self) -> Option<Arc<Bundle>> {
        self.current.clone()
    }

    /// ETag of the bundle in use, for `If-None-Match` on the next fetch.
    pub fn etag(&self) -> Option<&str> {
        self.current_etag.as_deref()
    }

    /// Verifies and installs a bundle. On any error the current bundle stays in use and the
    /// error is recorded for [`BundleCache::status`].
    pub fn install(
        &mut self,
        bytes: &[u8],
        now: DateTime<Utc>,
    ) -> Result<InstallOutcome, BundleError> {
        let result = self.try_install(bytes, now);
        match &result {
            Ok(_) => self.last_error = None,
            Err(e) => self.last_error = Some((e.to_string(), now)),
        }
        result
    }

    fn try_install(
        &mut self,
        bytes: &[u8],
        now: DateTime<Utc>,
    ) -> Result<InstallOutcome, BundleError> {
        let etag = bundle_etag(bytes);
        if self.current_etag.as_deref() == Some(etag.as_str()) {
            // Already verified when installed; an expired copy is not "new" either.
            return Ok(InstallOutcome::Unchanged);
        }
        let bundle = verify(bytes, &self.key, now)?;
        if let Some(cur) = &self.current_info
            && bundle.info.created < cur.created
        {
            return Err(BundleError::Older {
                offered: bundle.info.version.clone(),
                offered_created: bundle.info.created,
                current: cur.version.clone(),
                current_created: cur.created,
            });
        }
        let path = self.current_path();
        let tmp = self.dir.join(format!("{CURRENT_FILE}.tmp"));
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| BundleError::Io { path, source }
        };
        let mark = {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp).map_err(io(&tmp))?;
            f.write_all(bytes).map_err(io(&tmp))?;
            f.sync_all().map_err(io(&tmp))?;
            f.metadata().map(|m| FileMark::of(&m)).map_err(io(&tmp))?
        };
        std::fs::rename(&tmp, &path).map_err(io(&path))?;
        // A rename keeps the inode and the mtime: the installed file is the one written.
        remember_verified(&path, mark, bundle.info.key_id, &etag);
        let version = bundle.info.version.clone();
        self.current_info = Some(bundle.info.clone());
        self.current = Some(Arc::new(bundle));
        self.current_etag = Some(etag);
        self.installed_at = Some(now);
        Ok(InstallOutcome::Installed { version })
    }

    /// Fetches the tenant's bundle from `url` with `If-None-Match` (the installed bundle's ETag)
    /// and installs it if it changed and verifies. `headers` are added to the request (e.g.
    /// the agent's `Authorization`). A 304 answer is [`InstallOutcome::Unchanged`]; network
    /// and HTTP errors, like refused bundles, leave the current bundle in use and are recorded
    /// in [`BundleCache::status`].
    pub fn refresh_from_url(
        &mut self,
        url: &str,
        headers: &[(&str, &str)],
        timeout: Duration,
        now: DateTime<Utc>,
    ) -> Result<InstallOutcome, BundleError> {
        match fetch_bundle(url, headers, self.current_etag.as_deref(), timeout) {
            Ok(None) => {
                self.last_error = None;
                Ok(InstallOutcome::Unchanged)
            }
            Ok(Some(bytes)) => self.install(&bytes, now),
            Err(e) => {
                self.last_error = Some((e.to_string(), now));
                Err(e)
            }
        }
    }

    /// Checks an address against the bundle in use, for the agent's matching loop: a listed
    /// address becomes [`IpVerdict::MaybeListed`] (ask the server to confirm) when the bundle is
    /// stale, and without any bundle nothing is listed.
    pub fn check_ip(&self, ip: IpAddr, now: DateTime<Utc>) -> IpVerdict {
        let Some(b) = &self.current else {
            return IpVerdict::NotListed;
        };
        match b.check_ip(ip) {
            IpVerdict::Listed(_) if b.is_expired(now) => IpVerdict::MaybeListed,
            v => v,
        }
    }

    /// Whether there is no bundle or the current one has expired.
    pub fn is_stale(&self, now: DateTime<Utc>) -> bool {
        self.current_info.as_ref().is_none_or(|i| i.is_expired(now))
    }

    /// Current version, last error and staleness.
    pub fn status(&self, now: DateTime<Utc>) -> CacheStatus {
        let info = self.current_info.as_ref();
        CacheStatus {
            current_version: info.map(|i| i.version.clone()),
            created: info.map(|i| i.created),
            expires: info.map(|i| i.expires()),
            stale: self.is_stale(now),
            last_error: self.last_error.as_ref().map(|(e, _)| e.clone()),
            last_error_at: self.last_error.as_ref().map(|(_, t)| *t),
            installed_at: self.installed_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> (IntelSet, BundleSpec, SigningKey) {
        let mut set = IntelSet::new();
        for v in [
            "1.2.3.4",
            "10.0.0.0/8",
            "10.1.0.0/16",
            "2001:db8::/32",
            "2001:db8::1",
        ] {
            let value = IndicatorValue::parse(IndicatorKind::Ip, v).unwrap();
            set.insert(Indicator::new(value, "t").with_score(Some(3)));
        }
        let d = IndicatorValue::parse(IndicatorKind::Domain, "evil.test").unwrap();
        set.insert(Indicator::new(d, "t"));
        set.insert_pattern(PatternIndicator {
            id: "indicator--p".into(),
            name: Some("beacon".into()),
            pattern: "[network-traffic:dst_port = 4444] FOLLOWEDBY [process:name = 'nc']".into(),
            source: "stix".into(),
            confidence: Some(50),
            valid_from: Some("2025-01-01T00:00:00Z".parse().unwrap()),
            valid_until: None,
            labels: vec!["c2".into()],
        });
        let spec = BundleSpec {
            version: "v".into(),
            created: "2026-01-01T00:00:00Z".parse().unwrap(),
            ttl: Duration::from_secs(3600),
            filter_mode: false,
            source: "s".into(),
        };
        (set, spec, SigningKey::from_bytes(&[7; 32]))
    }

    fn payload_of(bytes: &[u8]) -> Vec<u8> {
        let vlen = u16::from_le_bytes([bytes[76], bytes[77]]) as usize;
        bytes[FIXED_HEADER + vlen + SIG_LEN..].to_vec()
    }

    #[test]
    fn sealed_payload_round_trips() {
        let (set, spec, key) = sample();
        let bytes = build_bundle(&set, &spec, &key).unwrap();
        let resealed = seal(&payload_of(&bytes), &spec, &key);
        assert_eq!(bytes, resealed);
        let b = verify(&bytes, &key.verifying_key(), spec.created).unwrap();
        assert_eq!(
            b.indicators().pattern_indicators(),
            set.pattern_indicators()
        );
        assert_eq!(b.iocs().len(), 1);
        assert_eq!(b.hotlist().len(), 5);
    }

    #[test]
    fn inconsistent_sections_are_wrong_format() {
        let (set, spec, key) = sample();
        let payload = payload_of(&build_bundle(&set, &spec, &key).unwrap());
        let now = spec.created;
        // Drop everything after the first section: required sections are missing.
        let first_len = u64::from_le_bytes(payload[4..12].try_into().unwrap()) as usize;
        let cut = seal(&payload[..12 + first_len], &spec, &key);
        let e = verify(&cut, &key.verifying_key(), now).unwrap_err();
        assert!(matches!(e, BundleError::WrongFormat(_)), "{e}");
        // Filter flag set without a filter section.
        let mut fspec = spec.clone();
        fspec.filter_mode = true;
        let e = verify(&seal(&payload, &fspec, &key), &key.verifying_key(), now).unwrap_err();
        assert!(e.to_string().contains("filter flag"), "{e}");
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// Validly signed but corrupted payloads (what a buggy or hostile signer could produce)
        /// never panic the decoder, and whatever decodes answers lookups without panicking.
        #[test]
        fn decoder_never_panics_on_signed_garbage(
            edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
            cut in any::<prop::sample::Index>(),
            probe in any::<u32>(),
        ) {
            let (set, spec, key) = sample();
            let mut payload = payload_of(&build_bundle(&set, &spec, &key).unwrap());
            for (p, b) in edits {
                let i = p.index(payload.len());
                payload[i] = b;
            }
            let n = cut.index(payload.len() + 1);
            for body in [&payload[..], &payload[..n]] {
                let bytes = seal(body, &spec, &key);
                if let Ok(b) = verify(&bytes, &key.verifying_key(), spec.created) {
                    let _ = b.check_ip(IpAddr::V4(probe.into()));
                    let _ = b.check_ip("2001:db8::1".parse().unwrap());
                }
            }
        }
    }
}
