//! The compact index of a bundle's hash and domain indicators (the `IOCC` section), and
//! [`IndicatorLookup`], the lookups of the indicators other than addresses that the agent's
//! correlator asks.
//!
//! A tenant may hold hundreds of thousands of hashes and domains from threat reports; as
//! [`Indicator`] records in an [`IntelSet`] they took ~390 bytes each in memory and a fifth of
//! a second to decode per correlation pass (100k of each: 78 MiB, 200 ms). Here a hash is its
//! digest bytes in a sorted array and a domain its bytes in one sorted blob, each with a `u32`
//! index into a palette of distinct labels (source, score, confidence, expiry, first/last
//! seen, tags) — a feed of 100k hashes from one report has one label. Lookups are binary
//! searches; a match builds the [`Indicator`] it stands for.
//!
//! ```text
//! IOCC  labels n u32 ‖ n × (source str16 ‖ has score u8 ‖ score u32 ‖ confidence u8 (255 none)
//!                     ‖ expires i64 ‖ first seen i64 ‖ last seen i64 (i64::MIN none)
//!                     ‖ tag count u16 ‖ tags str16)
//!       sha256 n u32 ‖ n × [32] ‖ n × label u32          sorted by digest, distinct
//!       sha1   n u32 ‖ n × [20] ‖ n × label u32
//!       md5    n u32 ‖ n × [16] ‖ n × label u32
//!       domains n u32 ‖ blob length u32 ‖ blob ‖ n × end u32 ‖ n × (label u32 | suffix bit 31)
//!                                                         sorted by (name, suffix), distinct
//! ```

use crate::bundle::BundleError;
use crate::indicator::{FileHash, Indicator, IndicatorKind, IndicatorValue, IntelSet};
use chrono::{DateTime, TimeZone, Utc};

/// Lookups of the indicators other than addresses (what the agent's correlator needs):
/// implemented by [`IntelSet`] and by a bundle's compact form ([`crate::Bundle::iocs`]).
pub trait IndicatorLookup: Send + Sync {
    /// The live indicator of this hex digest (SHA-256, SHA-1 or MD5 by length).
    fn hash_at(&self, hex_digest: &str, now: DateTime<Utc>) -> Option<Indicator>;
    /// The live indicator of a domain: an exact entry, else the longest matching suffix.
    fn domain_at(&self, domain: &str, now: DateTime<Utc>) -> Option<Indicator>;
    /// The live indicator of a process: its path, else its name (case-insensitive).
    fn process_at(&self, name: &str, path: Option<&str>, now: DateTime<Utc>) -> Option<Indicator>;
    /// Number of indicators per kind (kinds with none left out).
    fn kind_counts(&self) -> Vec<(IndicatorKind, usize)>;
}

impl IndicatorLookup for IntelSet {
    fn hash_at(&self, hex_digest: &str, now: DateTime<Utc>) -> Option<Indicator> {
        self.lookup_hash_at(hex_digest, now).cloned()
    }
    fn domain_at(&self, domain: &str, now: DateTime<Utc>) -> Option<Indicator> {
        self.lookup_domain_at(domain, now).cloned()
    }
    fn process_at(&self, name: &str, path: Option<&str>, now: DateTime<Utc>) -> Option<Indicator> {
        self.lookup_process_at(name, path, now).cloned()
    }
    fn kind_counts(&self) -> Vec<(IndicatorKind, usize)> {
        self.counts()
    }
}

/// Provenance shared by many indicators.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Label {
    source: String,
    score: Option<u32>,
    confidence: Option<u8>,
    expires: Option<DateTime<Utc>>,
    first_seen: Option<DateTime<Utc>>,
    last_seen: Option<DateTime<Utc>>,
    tags: Vec<String>,
}

impl Label {
    fn of(i: &Indicator) -> Label {
        Label {
            source: i.source.clone(),
            score: i.score,
            confidence: i.confidence,
            expires: i.expires,
            first_seen: i.first_seen,
            last_seen: i.last_seen,
            tags: i.tags.clone(),
        }
    }

    fn indicator(&self, value: IndicatorValue) -> Indicator {
        let mut i = Indicator::new(value, self.source.clone());
        i.score = self.score;
        i.confidence = self.confidence;
        i.expires = self.expires;
        i.first_seen = self.first_seen;
        i.last_seen = self.last_seen;
        i.tags = self.tags.clone();
        i
    }

    fn expired(&self, now: DateTime<Utc>) -> bool {
        self.expires.is_some_and(|e| e <= now)
    }
}

/// Sorted digests of one algorithm with their labels.
#[derive(Debug, Clone, Default, PartialEq)]
struct Digests<const N: usize> {
    keys: Vec<[u8; N]>,
    labels: Vec<u32>,
}

impl<const N: usize> Digests<N> {
    fn get(&self, d: &[u8; N]) -> Option<u32> {
        self.keys.binary_search(d).ok().map(|i| self.labels[i])
    }
}

const SUFFIX: u32 = 1 << 31;

/// Hash and domain indicators, compact (see the module docs).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IocIndex {
    labels: Vec<Label>,
    sha256: Digests<32>,
    sha1: Digests<20>,
    md5: Digests<16>,
    blob: Vec<u8>,
    ends: Vec<u32>,
    dmeta: Vec<u32>,
}

impl IocIndex {
    /// Whether `ind` belongs in the compact index (hashes and domains).
    pub fn takes(ind: &Indicator) -> bool {
        matches!(
            ind.value,
            IndicatorValue::Hash(_) | IndicatorValue::Domain { .. }
        )
    }

    /// The index of the hash and domain indicators among `inds`.
    pub fn build<'a>(inds: impl IntoIterator<Item = &'a Indicator>) -> IocIndex {
        let mut palette: std::collections::HashMap<Label, u32> = Default::default();
        let mut labels = Vec::new();
        let mut label = |i: &Indicator| -> u32 {
            let l = Label::of(i);
            *palette.entry(l.clone()).or_insert_with(|| {
                labels.push(l);
                (labels.len() - 1) as u32
            })
        };
        let (mut s256, mut s1, mut m5, mut doms) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for i in inds {
            match &i.value {
                IndicatorValue::Hash(FileHash::Sha256(d)) => s256.push((*d, label(i))),
                IndicatorValue::Hash(FileHash::Sha1(d)) => s1.push((*d, label(i))),
                IndicatorValue::Hash(FileHash::Md5(d)) => m5.push((*d, label(i))),
                IndicatorValue::Domain { name, suffix } => {
                    doms.push((name.clone(), *suffix, label(i)))
                }
                _ => {}
            }
        }
        fn digests<const N: usize>(mut v: Vec<([u8; N], u32)>) -> Digests<N> {
            v.sort_by_key(|a| a.0);
            v.dedup_by(|a, b| a.0 == b.0);
            Digests {
                keys: v.iter().map(|x| x.0).collect(),
                labels: v.iter().map(|x| x.1).collect(),
            }
        }
        doms.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        doms.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
        let mut blob = Vec::new();
        let mut ends = Vec::with_capacity(doms.len());
        let mut dmeta = Vec::with_capacity(doms.len());
        for (name, suffix, l) in doms {
            blob.extend_from_slice(name.as_bytes());
            ends.push(blob.len() as u32);
            dmeta.push(l | if suffix { SUFFIX } else { 0 });
        }
        IocIndex {
            labels,
            sha256: digests(s256),
            sha1: digests(s1),
            md5: digests(m5),
            blob,
            ends,
            dmeta,
        }
    }

    /// Number of indicators.
    pub fn len(&self) -> usize {
        self.sha256.keys.len() + self.sha1.keys.len() + self.md5.keys.len() + self.ends.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes held (arrays and blob; labels approximately).
    pub fn heap_bytes(&self) -> usize {
        self.sha256.keys.len() * 36
            + self.sha1.keys.len() * 24
            + self.md5.keys.len() * 20
            + self.blob.len()
            + self.ends.len() * 8
            + self.labels.len() * std::mem::size_of::<Label>()
    }

    fn name(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.blob[start..self.ends[i] as usize]
    }

    /// The entry of `name` with the given suffix flag.
    fn domain_entry(&self, name: &[u8], suffix: bool) -> Option<u32> {
        let key = (name, suffix);
        let (mut lo, mut hi) = (0usize, self.ends.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            let e = (self.name(mid), self.dmeta[mid] & SUFFIX != 0);
            match e.cmp(&key) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(self.dmeta[mid] & !SUFFIX),
            }
        }
        None
    }

    fn live(&self, label: u32, value: IndicatorValue, now: DateTime<Utc>) -> Option<Indicator> {
        let l = self.labels.get(label as usize)?;
        (!l.expired(now)).then(|| l.indicator(value))
    }

    /// Every indicator (for listings and tests), in index order.
    pub fn indicators(&self) -> Vec<Indicator> {
        let mut v = Vec::with_capacity(self.len());
        let lab = |i: u32| &self.labels[i as usize];
        for (k, &l) in self.sha256.keys.iter().zip(&self.sha256.labels) {
            v.push(lab(l).indicator(IndicatorValue::Hash(FileHash::Sha256(*k))));
        }
        for (k, &l) in self.sha1.keys.iter().zip(&self.sha1.labels) {
            v.push(lab(l).indicator(IndicatorValue::Hash(FileHash::Sha1(*k))));
        }
        for (k, &l) in self.md5.keys.iter().zip(&self.md5.labels) {
            v.push(lab(l).indicator(IndicatorValue::Hash(FileHash::Md5(*k))));
        }
        for i in 0..self.ends.len() {
            let name = String::from_utf8_lossy(self.name(i)).into_owned();
            let suffix = self.dmeta[i] & SUFFIX != 0;
            v.push(lab(self.dmeta[i] & !SUFFIX).indicator(IndicatorValue::Domain { name, suffix }));
        }
        v
    }

    /// The `IOCC` section body.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let t = |out: &mut Vec<u8>, v: Option<DateTime<Utc>>| {
            out.extend_from_slice(&v.map_or(i64::MIN, |e| e.timestamp()).to_le_bytes())
        };
        out.extend_from_slice(&(self.labels.len() as u32).to_le_bytes());
        for l in &self.labels {
            crate::ranges::put_str16(&mut out, &l.source);
            out.push(u8::from(l.score.is_some()));
            out.extend_from_slice(&l.score.unwrap_or(0).to_le_bytes());
            out.push(l.confidence.unwrap_or(u8::MAX));
            t(&mut out, l.expires);
            t(&mut out, l.first_seen);
            t(&mut out, l.last_seen);
            let n = l.tags.len().min(u16::MAX as usize);
            out.extend_from_slice(&(n as u16).to_le_bytes());
            for tag in &l.tags[..n] {
                crate::ranges::put_str16(&mut out, tag);
            }
        }
        fn digests<const N: usize>(out: &mut Vec<u8>, d: &Digests<N>) {
            out.extend_from_slice(&(d.keys.len() as u32).to_le_bytes());
            for k in &d.keys {
                out.extend_from_slice(k);
            }
            for l in &d.labels {
                out.extend_from_slice(&l.to_le_bytes());
            }
        }
        digests(&mut out, &self.sha256);
        digests(&mut out, &self.sha1);
        digests(&mut out, &self.md5);
        out.extend_from_slice(&(self.ends.len() as u32).to_le_bytes());
        out.extend_from_slice(&(self.blob.len() as u32).to_le_bytes());
        out.extend_from_slice(&self.blob);
        for e in &self.ends {
            out.extend_from_slice(&e.to_le_bytes());
        }
        for m in &self.dmeta {
            out.extend_from_slice(&m.to_le_bytes());
        }
        out
    }

    /// Decodes an `IOCC` section body, checking everything a lookup relies on: label indices
    /// in range, digests and names strictly sorted, name ends increasing within the blob,
    /// names valid lower-case domain text.
    pub(crate) fn decode(body: &[u8]) -> Result<IocIndex, BundleError> {
        let bad = |m: &str| BundleError::WrongFormat(format!("IOCC {m}"));
        let mut r = Reader { b: body, at: 0 };
        let n = r.u32()? as usize;
        // Each label takes at least 31 bytes: an implausible count is refused before any
        // allocation.
        if n > body.len() / 31 + 1 {
            return Err(bad("label count exceeds the section"));
        }
        let mut labels = Vec::with_capacity(n);
        for _ in 0..n {
            let source = r.str16()?.to_string();
            let has = r.u8()? != 0;
            let score = r.u32()?;
            let conf = r.u8()?;
            let time = |v: i64| {
                (v != i64::MIN)
                    .then(|| Utc.timestamp_opt(v, 0).single())
                    .flatten()
            };
            let expires = time(r.i64()?);
            let first_seen = time(r.i64()?);
            let last_seen = time(r.i64()?);
            let nt = r.u16()? as usize;
            let mut tags = Vec::with_capacity(nt.min(64));
            for _ in 0..nt {
                tags.push(r.str16()?.to_string());
            }
            labels.push(Label {
                source,
                score: has.then_some(score),
                confidence: (conf != u8::MAX).then_some(conf),
                expires,
                first_seen,
                last_seen,
                tags,
            });
        }
        fn digests<const N: usize>(
            r: &mut Reader<'_>,
            labels: usize,
        ) -> Result<Digests<N>, BundleError> {
            let n = r.u32()? as usize;
            let keys_bytes = r.take(n.checked_mul(N).ok_or_else(|| r.short())?)?;
            let label_bytes = r.take(n.checked_mul(4).ok_or_else(|| r.short())?)?;
            let keys: Vec<[u8; N]> = keys_bytes
                .chunks_exact(N)
                .map(|c| {
                    let mut a = [0u8; N];
                    a.copy_from_slice(c);
                    a
                })
                .collect();
            if keys.windows(2).any(|w| w[0] >= w[1]) {
                return Err(BundleError::WrongFormat(
                    "IOCC digests are not sorted".into(),
                ));
            }
            let ls: Vec<u32> = label_bytes
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            if ls.iter().any(|&l| l as usize >= labels) {
                return Err(BundleError::WrongFormat(
                    "IOCC label index out of range".into(),
                ));
            }
            Ok(Digests { keys, labels: ls })
        }
        let sha256 = digests::<32>(&mut r, labels.len())?;
        let sha1 = digests::<20>(&mut r, labels.len())?;
        let md5 = digests::<16>(&mut r, labels.len())?;
        let nd = r.u32()? as usize;
        let blob_len = r.u32()? as usize;
        let blob = r.take(blob_len)?.to_vec();
        let ends_b = r.take(nd.checked_mul(4).ok_or_else(|| r.short())?)?;
        let meta_b = r.take(nd.checked_mul(4).ok_or_else(|| r.short())?)?;
        if r.at != body.len() {
            return Err(bad("has trailing bytes"));
        }
        let u32s = |b: &[u8]| -> Vec<u32> {
            b.chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect()
        };
        let ends = u32s(ends_b);
        let dmeta = u32s(meta_b);
        let idx = IocIndex {
            labels,
            sha256,
            sha1,
            md5,
            blob,
            ends,
            dmeta,
        };
        let mut prev: Option<(&[u8], bool)> = None;
        let mut start = 0usize;
        for i in 0..idx.ends.len() {
            let end = idx.ends[i] as usize;
            if end <= start || end > idx.blob.len() {
                return Err(bad("domain ends are not increasing within the blob"));
            }
            let name = &idx.blob[start..end];
            let ok = std::str::from_utf8(name).is_ok_and(|s| {
                crate::indicator::normalize_domain(s).is_ok_and(|n| n.as_bytes() == name)
            });
            if !ok {
                return Err(bad("holds a domain that is not normalized"));
            }
            let key = (name, idx.dmeta[i] & SUFFIX != 0);
            if prev.is_some_and(|p| p >= key) {
                return Err(bad("domains are not sorted"));
            }
            if (idx.dmeta[i] & !SUFFIX) as usize >= idx.labels.len() {
                return Err(bad("label index out of range"));
            }
            prev = Some(key);
            start = end;
        }
        if start != idx.blob.len() {
            return Err(bad("domain blob has unused bytes"));
        }
        Ok(idx)
    }
}

impl IndicatorLookup for IocIndex {
    fn hash_at(&self, hex_digest: &str, now: DateTime<Utc>) -> Option<Indicator> {
        let h = FileHash::parse_hex(hex_digest).ok()?;
        let l = match &h {
            FileHash::Sha256(d) => self.sha256.get(d),
            FileHash::Sha1(d) => self.sha1.get(d),
            FileHash::Md5(d) => self.md5.get(d),
        }?;
        self.live(l, IndicatorValue::Hash(h), now)
    }

    fn domain_at(&self, domain: &str, now: DateTime<Utc>) -> Option<Indicator> {
        if self.ends.is_empty() {
            return None;
        }
        let d = domain.trim().trim_end_matches('.').to_ascii_lowercase();
        let value = |name: &str, suffix| IndicatorValue::Domain {
            name: name.to_string(),
            suffix,
        };
        if let Some(l) = self.domain_entry(d.as_bytes(), false)
            && let Some(i) = self.live(l, value(&d, false), now)
        {
            return Some(i);
        }
        let mut rest = d.as_str();
        loop {
            if let Some(l) = self.domain_entry(rest.as_bytes(), true)
                && let Some(i) = self.live(l, value(rest, true), now)
            {
                return Some(i);
            }
            match rest.find('.') {
                Some(p) => rest = &rest[p + 1..],
                None => return None,
            }
        }
    }

    fn process_at(&self, _: &str, _: Option<&str>, _: DateTime<Utc>) -> Option<Indicator> {
        None
    }

    fn kind_counts(&self) -> Vec<(IndicatorKind, usize)> {
        let exact = self.dmeta.iter().filter(|m| *m & SUFFIX == 0).count();
        [
            (IndicatorKind::Domain, exact),
            (IndicatorKind::DomainSuffix, self.dmeta.len() - exact),
            (IndicatorKind::Sha256, self.sha256.keys.len()),
            (IndicatorKind::Sha1, self.sha1.keys.len()),
            (IndicatorKind::Md5, self.md5.keys.len()),
        ]
        .into_iter()
        .filter(|&(_, n)| n > 0)
        .collect()
    }
}

/// A bundle's indicators other than addresses: the compact hashes and domains, and the
/// (few) process indicators kept as records.
#[derive(Clone, Copy)]
pub struct BundleIocs<'a> {
    pub(crate) compact: &'a IocIndex,
    pub(crate) others: &'a IntelSet,
}

impl BundleIocs<'_> {
    /// Number of indicators (pattern indicators not included).
    pub fn len(&self) -> usize {
        self.compact.len() + self.others.len()
    }

    /// Whether it holds no indicator.
    pub fn is_empty(&self) -> bool {
        self.compact.is_empty() && self.others.indicators().is_empty()
    }

    /// Heap bytes of the compact index (the record-form rest not counted: a few processes).
    pub fn compact_heap_bytes(&self) -> usize {
        self.compact.heap_bytes()
    }
}

impl IndicatorLookup for BundleIocs<'_> {
    fn hash_at(&self, hex_digest: &str, now: DateTime<Utc>) -> Option<Indicator> {
        self.compact
            .hash_at(hex_digest, now)
            .or_else(|| self.others.hash_at(hex_digest, now))
    }
    fn domain_at(&self, domain: &str, now: DateTime<Utc>) -> Option<Indicator> {
        self.compact
            .domain_at(domain, now)
            .or_else(|| self.others.domain_at(domain, now))
    }
    fn process_at(&self, name: &str, path: Option<&str>, now: DateTime<Utc>) -> Option<Indicator> {
        self.others.process_at(name, path, now)
    }
    fn kind_counts(&self) -> Vec<(IndicatorKind, usize)> {
        let mut v = self.compact.kind_counts();
        for (k, n) in self.others.counts() {
            match v.iter_mut().find(|(x, _)| *x == k) {
                Some(e) => e.1 += n,
                None => v.push((k, n)),
            }
        }
        v
    }
}

/// A bounds-checked little-endian reader.
struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn short(&self) -> BundleError {
        BundleError::WrongFormat("IOCC section ends early".into())
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], BundleError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.b.len())
            .ok_or_else(|| self.short())?;
        let s = &self.b[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, BundleError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, BundleError> {
        let s = self.take(2)?;
        Ok(u16::from_le_bytes([s[0], s[1]]))
    }
    fn u32(&mut self) -> Result<u32, BundleError> {
        let s = self.take(4)?;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
    fn i64(&mut self) -> Result<i64, BundleError> {
        let s = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        Ok(i64::from_le_bytes(a))
    }
    fn str16(&mut self) -> Result<&'a str, BundleError> {
        let n = self.u16()? as usize;
        std::str::from_utf8(self.take(n)?)
            .map_err(|_| BundleError::WrongFormat("IOCC has a non-UTF-8 string".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> IntelSet {
        let mut s = IntelSet::new();
        let t = |v: i64| Utc.timestamp_opt(v, 0).single();
        for (k, v, src) in [
            (IndicatorKind::Sha256, "ab".repeat(32), "r1"),
            (IndicatorKind::Sha1, "cd".repeat(20), "r1"),
            (IndicatorKind::Md5, "ef".repeat(16), "r2"),
            (IndicatorKind::Domain, "evil.example".to_string(), "r1"),
            (
                IndicatorKind::DomainSuffix,
                "evil.example".to_string(),
                "r2",
            ),
            (IndicatorKind::DomainSuffix, "bad.test".to_string(), "r1"),
            (IndicatorKind::Domain, "old.test".to_string(), "r3"),
        ] {
            let mut i = Indicator::new(IndicatorValue::parse(k, &v).unwrap(), src);
            if src == "r3" {
                i.expires = t(1_000);
            }
            if src == "r2" {
                i.score = Some(7);
                i.tags = vec!["apt".into()];
            }
            s.insert(i);
        }
        s
    }

    /// The compact index answers every lookup as the `IntelSet` it was built from, through an
    /// encode/decode round trip.
    #[test]
    fn answers_as_the_set_does_after_a_round_trip() {
        let s = set();
        let idx = IocIndex::build(s.indicators().iter().filter(|i| IocIndex::takes(i)));
        let back = IocIndex::decode(&idx.encode()).unwrap();
        assert_eq!(back, idx);
        let now = Utc.timestamp_opt(2_000, 0).single().unwrap();
        for q in [
            "ab".repeat(32),
            "AB".repeat(32),
            "cd".repeat(20),
            "ef".repeat(16),
            "00".repeat(32),
        ] {
            assert_eq!(back.hash_at(&q, now), s.hash_at(&q, now), "{q}");
        }
        for q in [
            "evil.example",
            "EVIL.example.",
            "a.b.evil.example",
            "x.bad.test",
            "bad.test",
            "old.test",
            "example",
            "good.example",
        ] {
            assert_eq!(back.domain_at(q, now), s.domain_at(q, now), "{q}");
        }
        let mut a = back.kind_counts();
        let mut b = s.kind_counts();
        a.sort_by_key(|x| x.0 as u8);
        b.sort_by_key(|x| x.0 as u8);
        assert_eq!(a, b);
    }

    /// Damaged sections are refused with a reason, never trusted (or a panic).
    #[test]
    fn damaged_sections_are_refused() {
        let s = set();
        let idx = IocIndex::build(s.indicators().iter().filter(|i| IocIndex::takes(i)));
        let good = idx.encode();
        for cut in 0..good.len() {
            assert!(IocIndex::decode(&good[..cut]).is_err(), "cut at {cut}");
        }
        let mut flipped = 0;
        for at in 0..good.len() {
            let mut b = good.clone();
            b[at] ^= 0x80;
            if IocIndex::decode(&b).is_err() {
                flipped += 1;
            }
        }
        assert!(flipped > 0);
    }
}
