//! The range table behind [`crate::Hotlist`]: sorted, disjoint address ranges, each labelled
//! with the most specific (longest-prefix) list entry covering it.
//!
//! Entries are CIDRs, and CIDRs are either nested or disjoint, so a single sweep with a stack
//! splits them into disjoint segments. Each segment stores its first and last address and a
//! `meta` word: the prefix length of the covering entry (high 8 bits) and an index into a
//! palette of distinct scores (low 24 bits). The covering network is recovered at lookup time by
//! masking the looked-up address with that prefix length, so no per-entry table is needed.
//!
//! IPv4 lookups go through a 2^16-slot first-level index (by the top 16 bits of the address)
//! and then a binary search within one slot; IPv6 lookups are a plain binary search.

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Largest palette index that fits the low 24 bits of a `meta` word.
pub(crate) const MAX_PALETTE: usize = 1 << 24;

/// One list entry before the sweep, as an address range (`u128` for both families).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry {
    pub start: u128,
    pub end: u128,
    pub plen: u8,
    pub score: Option<u32>,
}

impl Entry {
    /// The entry for a network (host bits are ignored).
    pub(crate) fn from_net(net: IpNet, score: Option<u32>) -> Entry {
        match net.trunc() {
            IpNet::V4(n) => Entry {
                start: u128::from(u32::from(n.network())),
                end: u128::from(u32::from(n.broadcast())),
                plen: n.prefix_len(),
                score,
            },
            IpNet::V6(n) => Entry {
                start: u128::from(n.network()),
                end: u128::from(n.broadcast()),
                plen: n.prefix_len(),
                score,
            },
        }
    }
}

/// A disjoint segment labelled with the covering entry's prefix length and score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Segment {
    pub start: u128,
    pub end: u128,
    pub plen: u8,
    pub score: Option<u32>,
}

/// Sorts and deduplicates entries (same network: the higher score wins) and splits them into
/// sorted disjoint segments, each labelled with its most specific covering entry.
/// Returns the segments and the number of distinct networks.
pub(crate) fn sweep(mut entries: Vec<Entry>) -> (Vec<Segment>, usize) {
    entries.sort_unstable_by(|a, b| a.start.cmp(&b.start).then(a.plen.cmp(&b.plen)));
    entries.dedup_by(|later, earlier| {
        if later.start == earlier.start && later.plen == earlier.plen {
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
}

/// The immutable lookup table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RangeTable {
    /// `[first, last, meta]` of each IPv4 segment, interleaved so one cache line serves a
    /// whole lookup.
    v4_ranges: Vec<[u32; 3]>,
    /// `v4_index[h]` = number of v4 segments whose start is below `h << 16`; 65537 slots.
    v4_index: Vec<u32>,
    v6_starts: Vec<u128>,
    v6_ends: Vec<u128>,
    v6_meta: Vec<u32>,
    palette: Vec<Option<u32>>,
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
    pub entries: u64,
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
        let (seg4, n4) = sweep(entries);
        let (seg6, n6) = sweep(v6_entries);
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
            entries: (n4 + n6) as u64,
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
            entries,
        } = raw;
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
        for i in 0..v4_starts.len() {
            let (s, e, m) = (v4_starts[i], v4_ends[i], v4_meta[i]);
            if s > e || (i > 0 && v4_ends[i - 1] >= s) {
                return Err(TableError::Unsorted(i));
            }
            let plen = (m >> 24) as u8;
            if plen > 32 || (s & v4_mask(plen)) != (e & v4_mask(plen)) {
                return Err(TableError::BadPrefix(i));
            }
            if (m & 0x00ff_ffff) as usize >= palette.len() {
                return Err(TableError::BadScoreIndex(i));
            }
        }
        for i in 0..v6_starts.len() {
            let (s, e, m) = (v6_starts[i], v6_ends[i], v6_meta[i]);
            if s > e || (i > 0 && v6_ends[i - 1] >= s) {
                return Err(TableError::Unsorted(i));
            }
            let plen = (m >> 24) as u8;
            if plen > 128 || (s & v6_mask(plen)) != (e & v6_mask(plen)) {
                return Err(TableError::BadPrefix(i));
            }
            if (m & 0x00ff_ffff) as usize >= palette.len() {
                return Err(TableError::BadScoreIndex(i));
            }
        }
        let mut v4_index = Vec::with_capacity((1 << 16) + 1);
        let mut k = 0usize;
        for h in 0u32..=(1 << 16) {
            // Count segments whose start lies below h << 16.
            let bound = u64::from(h) << 16;
            while k < v4_starts.len() && u64::from(v4_starts[k]) < bound {
                k += 1;
            }
            v4_index.push(k as u32);
        }
        let v4_ranges = (0..v4_starts.len())
            .map(|i| [v4_starts[i], v4_ends[i], v4_meta[i]])
            .collect();
        Ok(RangeTable {
            v4_ranges,
            v4_index,
            v6_starts,
            v6_ends,
            v6_meta,
            palette,
            entries: usize::try_from(entries).unwrap_or(usize::MAX),
        })
    }

    /// A table with no entries.
    pub(crate) fn empty() -> RangeTable {
        RangeTable {
            v4_ranges: Vec::new(),
            v4_index: vec![0; (1 << 16) + 1],
            v6_starts: Vec::new(),
            v6_ends: Vec::new(),
            v6_meta: Vec::new(),
            palette: Vec::new(),
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
            + self.v4_index.capacity() * 4
            + self.v6_starts.capacity() * 16
            + self.v6_ends.capacity() * 16
            + self.v6_meta.capacity() * 4
            + self.palette.capacity() * size_of::<Option<u32>>()
    }

    fn score(&self, meta: u32) -> Option<u32> {
        self.palette
            .get((meta & 0x00ff_ffff) as usize)
            .copied()
            .flatten()
    }

    /// Index of the IPv4 segment containing `x`.
    #[inline]
    fn find_v4(&self, x: u32) -> Option<usize> {
        let h = (x >> 16) as usize;
        let lo = self.v4_index[h] as usize;
        let hi = self.v4_index[h + 1] as usize;
        let k = lo + self.v4_ranges[lo..hi].partition_point(|r| r[0] <= x);
        let i = k.checked_sub(1)?;
        (self.v4_ranges[i][1] >= x).then_some(i)
    }

    /// Whether any segment contains the address (no entry reconstruction).
    #[inline]
    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        match ip.to_canonical() {
            IpAddr::V4(v4) => self.find_v4(u32::from(v4)).is_some(),
            IpAddr::V6(v6) => {
                let x = u128::from(v6);
                let k = self.v6_starts.partition_point(|&s| s <= x);
                k.checked_sub(1).is_some_and(|i| self.v6_ends[i] >= x)
            }
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
        let k = self.v6_starts.partition_point(|&s| s <= x);
        let i = k.checked_sub(1)?;
        if self.v6_ends[i] < x {
            return None;
        }
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
