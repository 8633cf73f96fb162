//! The range table behind [`crate::Hotlist`]: sorted, disjoint address ranges, each labelled
//! with the most specific (longest-prefix) list entry covering it.
//!
//! Entries are CIDRs, and CIDRs are either nested or disjoint, so a single sweep with a stack
//! splits them into disjoint segments. Each segment stores its first and last address and a
//! `meta` word: the prefix length of the covering entry (high 8 bits) and an index into a
//! palette of distinct labels (low 24 bits). The covering network is recovered at lookup time by
//! masking the looked-up address with that prefix length, so no per-entry table is needed.
//!
//! A label is the entry's score plus its provenance (source, confidence, first/last seen,
//! expiry, tags; strings interned in one table). The palette holds each distinct label once:
//! a single-source feed like IPsum has as many labels as distinct scores, and a list without
//! provenance keeps only the score column, so the hot path (`contains`, `lookup`) reads the same
//! two arrays as before and the metadata is touched only to describe a hit.
//!
//! IPv4 lookups go through a two-level filter small enough (about 250 KiB) to stay in a
//! core's cache while a buffer streams through it: one bit per /20, and for each /20 that is
//! set (found by rank: a running count of set bits) a 16-bit mask of its /24s. An address whose
//! /24 no segment touches is a miss after a few cache hits, which is what almost all lookups of
//! a scan are: a feed of 120k addresses touches 31 % of the /16s, 4.8 % of the /20s and 0.45 %
//! of the /24s, and a lookup that reaches the segments costs a miss to main memory or two. The
//! rest go through a 2^14-slot index (by the top 14 bits of the address) and a binary search
//! among the segments starting in that slot; IPv6 lookups are a plain binary search.

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Words of the /20 filter (2^20 bits).
const V4_FILTER_WORDS: usize = (1 << 20) / 64;

/// The segment index is by /14: 64 KiB, and a binary search among few segments.
const V4_INDEX_SHIFT: u32 = 18;
const V4_INDEX_SLOTS: usize = 1 << (32 - V4_INDEX_SHIFT);

/// Filter words per rank superblock: 512 × 64 bits, so a count within one fits a `u16`.
const RANK_BLOCK: usize = 512;

/// The two-level IPv4 filter of sorted, disjoint segments (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
struct V4Filter {
    /// Bit `b` set when some segment touches the /20 `b` (`address >> 12`); 2^20 bits.
    bits: Vec<u64>,
    /// Set bits in the superblocks before each superblock of [`RANK_BLOCK`] words.
    rank_base: Vec<u32>,
    /// Set bits in the words of its superblock before each word.
    rank: Vec<u16>,
    /// For the `r`-th set /20, bit `k` set when some segment touches its `k`-th /24.
    sub: Vec<u16>,
    /// `index[h]` = number of segments whose start is below `h << 18` (by /14: 16,385 slots).
    index: Vec<u32>,
}

impl V4Filter {
    fn new(starts: &[u32], ends: &[u32]) -> V4Filter {
        let mut bits = vec![0u64; V4_FILTER_WORDS];
        // Segments are sorted and disjoint, so /20s come in increasing order and only a
        // segment's first /20 can be shared with the segment before. Counted first, so the
        // arrays are allocated once at their size (no growth leaves freed copies behind).
        let mut blocks = 0usize;
        let mut last: Option<u32> = None;
        for (&s, &e) in starts.iter().zip(ends) {
            let (b0, b1) = (s >> 12, e >> 12);
            blocks += (b1 - b0) as usize + usize::from(last != Some(b0));
            last = Some(b1);
        }
        let mut sub: Vec<u16> = Vec::with_capacity(blocks);
        let mut last: Option<u32> = None;
        for (&s, &e) in starts.iter().zip(ends) {
            let (first24, last24) = (s >> 8, e >> 8);
            for b in (s >> 12)..=(e >> 12) {
                let lo = first24.max(b << 4) & 15;
                let hi = last24.min((b << 4) | 15) & 15;
                let mask = ((1u32 << (hi + 1)) - (1u32 << lo)) as u16;
                match sub.last_mut() {
                    Some(m) if last == Some(b) => *m |= mask,
                    _ => {
                        sub.push(mask);
                        last = Some(b);
                    }
                }
                bits[(b >> 6) as usize] |= 1 << (b & 63);
            }
        }
        debug_assert_eq!(sub.len(), blocks);
        let mut index = Vec::with_capacity(V4_INDEX_SLOTS + 1);
        let mut k = 0usize;
        for h in 0..=V4_INDEX_SLOTS as u64 {
            let bound = h << V4_INDEX_SHIFT;
            while k < starts.len() && u64::from(starts[k]) < bound {
                k += 1;
            }
            index.push(k as u32);
        }
        let mut rank_base = Vec::with_capacity(V4_FILTER_WORDS / RANK_BLOCK);
        let mut rank = Vec::with_capacity(V4_FILTER_WORDS);
        let mut total = 0u32;
        for (w, word) in bits.iter().enumerate() {
            if w % RANK_BLOCK == 0 {
                rank_base.push(total);
            }
            rank.push((total - rank_base[w / RANK_BLOCK]) as u16);
            total += word.count_ones();
        }
        V4Filter {
            bits,
            rank_base,
            rank,
            sub,
            index,
        }
    }

    fn heap_bytes(&self) -> usize {
        self.bits.capacity() * 8
            + self.rank_base.capacity() * 4
            + self.rank.capacity() * 2
            + self.sub.capacity() * 2
            + self.index.capacity() * 4
    }

    /// The segments to search for `x` (those starting in its /14; one starting before may
    /// reach into it), or `None` when no segment touches its /24.
    #[inline]
    fn candidates(&self, x: u32) -> Option<(usize, usize)> {
        let b = x >> 12;
        let w = (b >> 6) as usize;
        let bit = 1u64 << (b & 63);
        let word = self.bits[w];
        if word & bit == 0 {
            return None;
        }
        let r = self.rank_base[w / RANK_BLOCK] as usize
            + usize::from(self.rank[w])
            + (word & (bit - 1)).count_ones() as usize;
        if self.sub[r] & (1 << ((x >> 8) & 15)) == 0 {
            return None;
        }
        // The segments starting in this /14, and the one before them, which may reach into it.
        let h = (x >> V4_INDEX_SHIFT) as usize;
        Some((self.index[h] as usize, self.index[h + 1] as usize))
    }
}

/// Largest palette index that fits the low 24 bits of a `meta` word.
pub(crate) const MAX_PALETTE: usize = 1 << 24;

/// Provenance of a range entry beyond its score. Times are Unix seconds; `source` and `tags`
/// index the table's interned strings (`source: None` = the hotlist's own source).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Label {
    pub score: Option<u32>,
    pub source: Option<u32>,
    pub confidence: Option<u8>,
    pub first_seen: Option<i64>,
    pub last_seen: Option<i64>,
    pub expires: Option<i64>,
    pub tags: Vec<u32>,
}

impl Label {
    /// Whether the label carries anything but a score.
    fn has_provenance(&self) -> bool {
        self.source.is_some()
            || self.confidence.is_some()
            || self.first_seen.is_some()
            || self.last_seen.is_some()
            || self.expires.is_some()
            || !self.tags.is_empty()
    }
}

/// One list entry before the sweep, as an address range (`u128` for both families).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry {
    pub start: u128,
    pub end: u128,
    pub plen: u8,
    pub score: Option<u32>,
    /// Index into the label list given to [`RangeTable::build_labelled`] (0 without labels).
    pub label: u32,
}

impl Entry {
    /// The entry for a network (host bits are ignored).
    pub(crate) fn from_net(net: IpNet, score: Option<u32>) -> Entry {
        Entry::labelled(net, score, 0)
    }

    /// The entry for a network with a label index.
    pub(crate) fn labelled(net: IpNet, score: Option<u32>, label: u32) -> Entry {
        match net.trunc() {
            IpNet::V4(n) => Entry {
                start: u128::from(u32::from(n.network())),
                end: u128::from(u32::from(n.broadcast())),
                plen: n.prefix_len(),
                score,
                label,
            },
            IpNet::V6(n) => Entry {
                start: u128::from(n.network()),
                end: u128::from(n.broadcast()),
                plen: n.prefix_len(),
                score,
                label,
            },
        }
    }
}

/// A disjoint segment labelled with the covering entry's prefix length, score and label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Segment {
    pub start: u128,
    pub end: u128,
    pub plen: u8,
    pub score: Option<u32>,
    pub label: u32,
}

/// Sorts and deduplicates entries (same network: the higher score wins) and splits them into
/// sorted disjoint segments, each labelled with its most specific covering entry.
/// Returns the segments and the number of distinct networks.
pub(crate) fn sweep(mut entries: Vec<Entry>) -> (Vec<Segment>, usize) {
    entries.sort_unstable_by(|a, b| a.start.cmp(&b.start).then(a.plen.cmp(&b.plen)));
    entries.dedup_by(|later, earlier| {
        if later.start == earlier.start && later.plen == earlier.plen {
            if later.score > earlier.score {
                earlier.label = later.label;
            }
            earlier.score = earlier.score.max(later.score);
            true
        } else {
            false
        }
    });
    let distinct = entries.len();
    let mut out = Vec::with_capacity(entries.len());
    let mut stack: Vec<Entry> = Vec::new();
    // Next address not yet emitted; `None` once the end of the address space was emitted.
    let mut cursor: Option<u128> = Some(0);
    let emit = |out: &mut Vec<Segment>, start: u128, end: u128, e: &Entry| {
        out.push(Segment {
            start,
            end,
            plen: e.plen,
            score: e.score,
            label: e.label,
        })
    };
    for e in entries {
        while let Some(top) = stack.last().copied() {
            if top.end >= e.start {
                break;
            }
            if let Some(c) = cursor
                && c <= top.end
            {
                emit(&mut out, c, top.end, &top);
            }
            cursor = top.end.checked_add(1);
            stack.pop();
        }
        // Whatever is left on top contains `e` (CIDRs nest or are disjoint).
        if let Some(top) = stack.last()
            && let Some(c) = cursor
            && c < e.start
        {
            emit(&mut out, c, e.start - 1, top);
        }
        cursor = Some(e.start);
        stack.push(e);
    }
    while let Some(top) = stack.pop() {
        if let Some(c) = cursor
            && c <= top.end
        {
            emit(&mut out, c, top.end, &top);
        }
        cursor = top.end.checked_add(1);
    }
    (out, distinct)
}

/// Why raw table arrays (e.g. from a bundle) were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    /// Arrays of one family have different lengths.
    #[error("range arrays have different lengths")]
    LengthMismatch,
    /// A segment starts after it ends, or overlaps / is out of order with its predecessor.
    #[error("segment {0} is not sorted and disjoint")]
    Unsorted(usize),
    /// A segment's prefix length is too long for its family or it does not fit in one network.
    #[error("segment {0} has an invalid prefix length")]
    BadPrefix(usize),
    /// A segment's score index points outside the score palette.
    #[error("segment {0} has an invalid score index")]
    BadScoreIndex(usize),
    /// Too many distinct scores to index.
    #[error("more than {MAX_PALETTE} distinct scores")]
    TooManyScores,
    /// The label list does not match the score palette, or a label names a missing string.
    #[error("label {0} is invalid")]
    BadLabel(usize),
}

/// Appends a string with a u16 length, cut at a character boundary if longer than 65,535 bytes.
pub(crate) fn put_str16(out: &mut Vec<u8>, s: &str) {
    let mut n = s.len().min(u16::MAX as usize);
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    out.extend_from_slice(&(n as u16).to_le_bytes());
    out.extend_from_slice(&s.as_bytes()[..n]);
}

/// The interned strings of a table: `n u32 ‖ n × (u16 length ‖ UTF-8)`.
pub(crate) fn encode_strings(strings: &[String]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + strings.iter().map(|s| s.len() + 2).sum::<usize>());
    out.extend_from_slice(&(strings.len() as u32).to_le_bytes());
    for s in strings {
        put_str16(&mut out, s);
    }
    out
}

/// Labels without their score (that is the palette's): `n u32 ‖ n × (source u32 (u32::MAX:
/// none) ‖ confidence u8 (255: none) ‖ first seen i64 ‖ last seen i64 ‖ expires i64 (i64::MIN:
/// none) ‖ tag count u16 ‖ tags u32…)`.
pub(crate) fn encode_labels(labels: &[Label]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + labels.len() * 31);
    out.extend_from_slice(&(labels.len() as u32).to_le_bytes());
    let time = |t: Option<i64>| t.unwrap_or(i64::MIN).to_le_bytes();
    for l in labels {
        out.extend_from_slice(&l.source.unwrap_or(u32::MAX).to_le_bytes());
        out.push(l.confidence.unwrap_or(u8::MAX));
        out.extend_from_slice(&time(l.first_seen));
        out.extend_from_slice(&time(l.last_seen));
        out.extend_from_slice(&time(l.expires));
        let n = l.tags.len().min(u16::MAX as usize);
        out.extend_from_slice(&(n as u16).to_le_bytes());
        for t in &l.tags[..n] {
            out.extend_from_slice(&t.to_le_bytes());
        }
    }
    out
}

/// A bounds-checked reader for the label and string encodings.
struct Bytes<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Bytes<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or_else(|| "ends early".to_string())?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn arr<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }
    fn finish(&self) -> Result<(), String> {
        if self.pos == self.buf.len() {
            Ok(())
        } else {
            Err("has trailing bytes".into())
        }
    }
}

/// Reads [`encode_strings`] output.
pub(crate) fn decode_strings(b: &[u8]) -> Result<Vec<String>, String> {
    let mut r = Bytes { buf: b, pos: 0 };
    let n = u32::from_le_bytes(r.arr()?) as usize;
    // Each string takes at least its 2-byte length.
    if n.saturating_mul(2) > b.len() {
        return Err(format!("string count {n} exceeds the section"));
    }
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let len = u16::from_le_bytes(r.arr()?) as usize;
        let s = std::str::from_utf8(r.take(len)?).map_err(|_| "has a non-UTF-8 string")?;
        out.push(s.to_string());
    }
    r.finish()?;
    Ok(out)
}

/// Reads [`encode_labels`] output; scores are left `None` (the caller sets them from the
/// palette).
pub(crate) fn decode_labels(b: &[u8]) -> Result<Vec<Label>, String> {
    let mut r = Bytes { buf: b, pos: 0 };
    let n = u32::from_le_bytes(r.arr()?) as usize;
    if n.saturating_mul(31) > b.len() {
        return Err(format!("label count {n} exceeds the section"));
    }
    let time = |v: i64| (v != i64::MIN).then_some(v);
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let source = u32::from_le_bytes(r.arr()?);
        let confidence = r.arr::<1>()?[0];
        let first_seen = time(i64::from_le_bytes(r.arr()?));
        let last_seen = time(i64::from_le_bytes(r.arr()?));
        let expires = time(i64::from_le_bytes(r.arr()?));
        let nt = u16::from_le_bytes(r.arr()?) as usize;
        let tags = (0..nt)
            .map(|_| r.arr().map(u32::from_le_bytes))
            .collect::<Result<Vec<u32>, String>>()?;
        out.push(Label {
            score: None,
            source: (source != u32::MAX).then_some(source),
            confidence: (confidence != u8::MAX).then_some(confidence),
            first_seen,
            last_seen,
            expires,
            tags,
        });
    }
    r.finish()?;
    Ok(out)
}

/// The immutable lookup table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RangeTable {
    /// `[first, last, meta]` of each IPv4 segment, interleaved so one cache line serves a
    /// whole lookup.
    v4_ranges: Vec<[u32; 3]>,
    /// Which /24s any v4 segment touches, and where their segments are.
    v4_filter: V4Filter,
    v6_starts: Vec<u128>,
    v6_ends: Vec<u128>,
    v6_meta: Vec<u32>,
    /// Score of each palette entry (the hot path's only metadata).
    palette: Vec<Option<u32>>,
    /// Full label of each palette entry; empty when no entry has provenance beyond its score.
    labels: Vec<Label>,
    /// Interned sources and tags the labels refer to.
    strings: Vec<String>,
    /// Number of distinct networks the table was built from.
    entries: usize,
}

/// The raw arrays of a [`RangeTable`], as stored in a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct RawTable {
    pub v4_starts: Vec<u32>,
    pub v4_ends: Vec<u32>,
    pub v4_meta: Vec<u32>,
    pub v6_starts: Vec<u128>,
    pub v6_ends: Vec<u128>,
    pub v6_meta: Vec<u32>,
    pub palette: Vec<Option<u32>>,
    /// Empty, or one per palette entry (its `score` equals the palette's).
    pub labels: Vec<Label>,
    pub strings: Vec<String>,
    pub entries: u64,
}

impl RawTable {
    /// Appends the palette: `n u32 ‖ n × (present u8 ‖ score u32)`.
    pub(crate) fn encode_palette(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&(self.palette.len() as u32).to_le_bytes());
        for p in &self.palette {
            out.push(u8::from(p.is_some()));
            out.extend_from_slice(&p.unwrap_or(0).to_le_bytes());
        }
    }

    /// Appends the IPv4 ranges: `n u64 ‖ n × start u32 ‖ n × end u32 ‖ n × meta u32`.
    pub(crate) fn encode_v4(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&(self.v4_starts.len() as u64).to_le_bytes());
        for arr in [&self.v4_starts, &self.v4_ends, &self.v4_meta] {
            for x in arr.iter() {
                out.extend_from_slice(&x.to_le_bytes());
            }
        }
    }

    /// Appends the IPv6 ranges: `n u64 ‖ n × start u128 ‖ n × end u128 ‖ n × meta u32`.
    pub(crate) fn encode_v6(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&(self.v6_starts.len() as u64).to_le_bytes());
        for arr in [&self.v6_starts, &self.v6_ends] {
            for x in arr.iter() {
                out.extend_from_slice(&x.to_le_bytes());
            }
        }
        for x in &self.v6_meta {
            out.extend_from_slice(&x.to_le_bytes());
        }
    }
}

/// One family's ranges are sorted and disjoint, each is one prefix of at most `max_plen` bits
/// (`mask` gives a prefix length's mask) and names an existing palette entry.
fn check_ranges<T: Copy + Ord + std::ops::BitAnd<Output = T>>(
    starts: &[T],
    ends: &[T],
    meta: &[u32],
    max_plen: u8,
    mask: fn(u8) -> T,
    palette_len: usize,
) -> Result<(), TableError> {
    for i in 0..starts.len() {
        let (s, e, m) = (starts[i], ends[i], meta[i]);
        if s > e || (i > 0 && ends[i - 1] >= s) {
            return Err(TableError::Unsorted(i));
        }
        let plen = (m >> 24) as u8;
        if plen > max_plen || (s & mask(plen)) != (e & mask(plen)) {
            return Err(TableError::BadPrefix(i));
        }
        if (m & 0x00ff_ffff) as usize >= palette_len {
            return Err(TableError::BadScoreIndex(i));
        }
    }
    Ok(())
}

fn v4_mask(plen: u8) -> u32 {
    if plen == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(plen))
    }
}

fn v6_mask(plen: u8) -> u128 {
    if plen == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(plen))
    }
}

impl RangeTable {
    /// Builds the table from list entries (any mix of families).
    pub(crate) fn build(
        entries: Vec<Entry>,
        v6_entries: Vec<Entry>,
    ) -> Result<RangeTable, TableError> {
        Self::build_labelled(entries, v6_entries, &[], Vec::new())
    }

    /// Builds the table from entries whose `label` indexes `labels` (empty: no provenance),
    /// whose strings index `strings`.
    pub(crate) fn build_labelled(
        entries: Vec<Entry>,
        v6_entries: Vec<Entry>,
        labels: &[Label],
        strings: Vec<String>,
    ) -> Result<RangeTable, TableError> {
        let (seg4, n4) = sweep(entries);
        let (seg6, n6) = sweep(v6_entries);
        let entries = (n4 + n6) as u64;
        if labels.is_empty() {
            // Scores only (text lists): the palette is the distinct scores.
            let mut palette: Vec<Option<u32>> = seg4.iter().chain(&seg6).map(|s| s.score).collect();
            palette.sort_unstable();
            palette.dedup();
            palette.shrink_to_fit();
            if palette.len() > MAX_PALETTE {
                return Err(TableError::TooManyScores);
            }
            let meta = |s: &Segment| -> u32 {
                // The palette holds every score, so the search always succeeds.
                let idx = palette.binary_search(&s.score).unwrap_or_default();
                (u32::from(s.plen) << 24) | idx as u32
            };
            let raw = RawTable {
                v4_starts: seg4.iter().map(|s| s.start as u32).collect(),
                v4_ends: seg4.iter().map(|s| s.end as u32).collect(),
                v4_meta: seg4.iter().map(meta).collect(),
                v6_starts: seg6.iter().map(|s| s.start).collect(),
                v6_ends: seg6.iter().map(|s| s.end).collect(),
                v6_meta: seg6.iter().map(meta).collect(),
                palette,
                labels: Vec::new(),
                strings: Vec::new(),
                entries,
            };
            return RangeTable::from_raw(raw);
        }
        // With provenance: the palette is the distinct (score, label) pairs, sorted so the
        // same entries always give the same table (and bundle bytes).
        let mut pairs: Vec<(Option<u32>, u32)> = seg4
            .iter()
            .chain(&seg6)
            .map(|s| (s.score, s.label))
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        let mut keyed: Vec<(Label, (Option<u32>, u32))> = pairs
            .into_iter()
            .map(|(score, l)| {
                let mut label = labels.get(l as usize).cloned().unwrap_or_default();
                label.score = score;
                (label, (score, l))
            })
            .collect();
        keyed.sort_unstable();
        let mut palette: Vec<Label> = Vec::with_capacity(keyed.len());
        let mut index: std::collections::HashMap<(Option<u32>, u32), u32> =
            std::collections::HashMap::with_capacity(keyed.len());
        for (label, pair) in keyed {
            if palette.last() != Some(&label) {
                palette.push(label);
            }
            index.insert(pair, (palette.len() - 1) as u32);
        }
        if palette.len() > MAX_PALETTE {
            return Err(TableError::TooManyScores);
        }
        let meta = |s: &Segment| -> u32 {
            let idx = index.get(&(s.score, s.label)).copied().unwrap_or_default();
            (u32::from(s.plen) << 24) | idx
        };
        let with_provenance = palette.iter().any(Label::has_provenance);
        let raw = RawTable {
            v4_starts: seg4.iter().map(|s| s.start as u32).collect(),
            v4_ends: seg4.iter().map(|s| s.end as u32).collect(),
            v4_meta: seg4.iter().map(meta).collect(),
            v6_starts: seg6.iter().map(|s| s.start).collect(),
            v6_ends: seg6.iter().map(|s| s.end).collect(),
            v6_meta: seg6.iter().map(meta).collect(),
            palette: palette.iter().map(|l| l.score).collect(),
            labels: if with_provenance { palette } else { Vec::new() },
            strings: if with_provenance { strings } else { Vec::new() },
            entries,
        };
        RangeTable::from_raw(raw)
    }

    /// Validates raw arrays and builds the first-level index.
    pub(crate) fn from_raw(raw: RawTable) -> Result<RangeTable, TableError> {
        let RawTable {
            v4_starts,
            v4_ends,
            v4_meta,
            v6_starts,
            v6_ends,
            v6_meta,
            palette,
            labels,
            strings,
            entries,
        } = raw;
        if !labels.is_empty() && labels.len() != palette.len() {
            return Err(TableError::BadLabel(labels.len().min(palette.len())));
        }
        for (i, l) in labels.iter().enumerate() {
            let n = strings.len();
            if l.score != palette[i]
                || l.source.is_some_and(|s| s as usize >= n)
                || l.tags.iter().any(|&t| t as usize >= n)
            {
                return Err(TableError::BadLabel(i));
            }
        }
        if v4_starts.len() != v4_ends.len()
            || v4_starts.len() != v4_meta.len()
            || v6_starts.len() != v6_ends.len()
            || v6_starts.len() != v6_meta.len()
        {
            return Err(TableError::LengthMismatch);
        }
        if palette.len() > MAX_PALETTE {
            return Err(TableError::TooManyScores);
        }
        check_ranges(&v4_starts, &v4_ends, &v4_meta, 32, v4_mask, palette.len())?;
        check_ranges(&v6_starts, &v6_ends, &v6_meta, 128, v6_mask, palette.len())?;
        let v4_filter = V4Filter::new(&v4_starts, &v4_ends);
        let v4_ranges = (0..v4_starts.len())
            .map(|i| [v4_starts[i], v4_ends[i], v4_meta[i]])
            .collect();
        Ok(RangeTable {
            v4_ranges,
            v4_filter,
            v6_starts,
            v6_ends,
            v6_meta,
            palette,
            labels,
            strings,
            entries: usize::try_from(entries).unwrap_or(usize::MAX),
        })
    }

    /// A table with no entries.
    pub(crate) fn empty() -> RangeTable {
        RangeTable {
            v4_ranges: Vec::new(),
            v4_filter: V4Filter::new(&[], &[]),
            v6_starts: Vec::new(),
            v6_ends: Vec::new(),
            v6_meta: Vec::new(),
            palette: Vec::new(),
            labels: Vec::new(),
            strings: Vec::new(),
            entries: 0,
        }
    }

    /// The raw arrays (for writing a bundle).
    pub(crate) fn raw(&self) -> RawTable {
        RawTable {
            v4_starts: self.v4_ranges.iter().map(|r| r[0]).collect(),
            v4_ends: self.v4_ranges.iter().map(|r| r[1]).collect(),
            v4_meta: self.v4_ranges.iter().map(|r| r[2]).collect(),
            v6_starts: self.v6_starts.clone(),
            v6_ends: self.v6_ends.clone(),
            v6_meta: self.v6_meta.clone(),
            palette: self.palette.clone(),
            labels: self.labels.clone(),
            strings: self.strings.clone(),
            entries: self.entries as u64,
        }
    }

    /// Number of distinct networks.
    pub(crate) fn entries(&self) -> usize {
        self.entries
    }

    /// Number of disjoint segments (both families).
    pub(crate) fn segments(&self) -> usize {
        self.v4_ranges.len() + self.v6_starts.len()
    }

    /// Heap bytes held by the table.
    pub(crate) fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        self.v4_ranges.capacity() * 12
            + self.v4_filter.heap_bytes()
            + self.v6_starts.capacity() * 16
            + self.v6_ends.capacity() * 16
            + self.v6_meta.capacity() * 4
            + self.palette.capacity() * size_of::<Option<u32>>()
            + self.labels.capacity() * size_of::<Label>()
            + self
                .labels
                .iter()
                .map(|l| l.tags.capacity() * 4)
                .sum::<usize>()
            + self
                .strings
                .iter()
                .map(|s| s.capacity() + size_of::<String>())
                .sum::<usize>()
    }

    /// The label of a palette index (`None` when the table has no provenance).
    pub(crate) fn label(&self, meta: u32) -> Option<&Label> {
        self.labels.get((meta & 0x00ff_ffff) as usize)
    }

    /// An interned string.
    pub(crate) fn string(&self, i: u32) -> Option<&str> {
        self.strings.get(i as usize).map(String::as_str)
    }

    /// The earliest expiry of any label.
    pub(crate) fn next_expiry(&self) -> Option<i64> {
        self.labels.iter().filter_map(|l| l.expires).min()
    }

    /// Longest-prefix match returning the network and the meta word (for the label).
    #[inline]
    pub(crate) fn lookup_meta(&self, ip: IpAddr) -> Option<(IpNet, u32)> {
        match ip.to_canonical() {
            IpAddr::V4(v4) => {
                let x = u32::from(v4);
                let i = self.find_v4(x)?;
                let meta = self.v4_ranges[i][2];
                let plen = (meta >> 24) as u8;
                let net = Ipv4Net::new(Ipv4Addr::from(x & v4_mask(plen)), plen).ok()?;
                Some((IpNet::V4(net), meta))
            }
            IpAddr::V6(v6) => {
                let x = u128::from(v6);
                let i = self.find_v6(x)?;
                let meta = self.v6_meta[i];
                let plen = (meta >> 24) as u8;
                let net = Ipv6Net::new(Ipv6Addr::from(x & v6_mask(plen)), plen).ok()?;
                Some((IpNet::V6(net), meta))
            }
        }
    }

    pub(crate) fn score(&self, meta: u32) -> Option<u32> {
        self.palette
            .get((meta & 0x00ff_ffff) as usize)
            .copied()
            .flatten()
    }

    /// Index of the IPv4 segment containing `x`.
    #[inline]
    fn find_v4(&self, x: u32) -> Option<usize> {
        let (lo, hi) = self.v4_filter.candidates(x)?;
        let hi = hi.min(self.v4_ranges.len());
        let k = lo + self.v4_ranges.get(lo..hi)?.partition_point(|r| r[0] <= x);
        // The last segment starting at or before `x` (if it is in the range) is the only one
        // that can contain it.
        let i = k.checked_sub(1)?;
        (self.v4_ranges[i][1] >= x).then_some(i)
    }

    /// Index of the IPv6 segment containing `x`.
    #[inline]
    fn find_v6(&self, x: u128) -> Option<usize> {
        let k = self.v6_starts.partition_point(|&s| s <= x);
        let i = k.checked_sub(1)?;
        (self.v6_ends[i] >= x).then_some(i)
    }

    /// Whether any segment contains the address (no entry reconstruction).
    #[inline]
    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        match ip.to_canonical() {
            IpAddr::V4(v4) => self.find_v4(u32::from(v4)).is_some(),
            IpAddr::V6(v6) => self.find_v6(u128::from(v6)).is_some(),
        }
    }

    /// Longest-prefix match of an IPv4 address: the covering network and its score.
    #[inline]
    pub(crate) fn lookup_v4(&self, ip: Ipv4Addr) -> Option<(IpNet, Option<u32>)> {
        let x = u32::from(ip);
        let i = self.find_v4(x)?;
        let meta = self.v4_ranges[i][2];
        let plen = (meta >> 24) as u8;
        let net = Ipv4Net::new(Ipv4Addr::from(x & v4_mask(plen)), plen).ok()?;
        Some((IpNet::V4(net), self.score(meta)))
    }

    /// Longest-prefix match of an IPv6 address.
    #[inline]
    pub(crate) fn lookup_v6(&self, ip: Ipv6Addr) -> Option<(IpNet, Option<u32>)> {
        let x = u128::from(ip);
        let i = self.find_v6(x)?;
        let meta = self.v6_meta[i];
        let plen = (meta >> 24) as u8;
        let net = Ipv6Net::new(Ipv6Addr::from(x & v6_mask(plen)), plen).ok()?;
        Some((IpNet::V6(net), self.score(meta)))
    }

    /// Longest-prefix match of any address (IPv4-mapped IPv6 addresses are looked up as IPv4).
    #[inline]
    pub(crate) fn lookup(&self, ip: IpAddr) -> Option<(IpNet, Option<u32>)> {
        match ip.to_canonical() {
            IpAddr::V4(v4) => self.lookup_v4(v4),
            IpAddr::V6(v6) => self.lookup_v6(v6),
        }
    }

    /// Calls `f` for every segment as `(first, last, prefix_len, score)` (IPv4 as `u32` widened).
    #[allow(dead_code)] // used by the bundle module
    pub(crate) fn for_each_segment(&self, mut f: impl FnMut(bool, u128, u128, u8, Option<u32>)) {
        for i in 0..self.v4_ranges.len() {
            let m = self.v4_ranges[i][2];
            f(
                false,
                u128::from(self.v4_ranges[i][0]),
                u128::from(self.v4_ranges[i][1]),
                (m >> 24) as u8,
                self.score(m),
            );
        }
        for i in 0..self.v6_starts.len() {
            let m = self.v6_meta[i];
            f(
                true,
                self.v6_starts[i],
                self.v6_ends[i],
                (m >> 24) as u8,
                self.score(m),
            );
        }
    }
}
