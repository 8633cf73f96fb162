//! Reading bundles: the envelope, the signature and freshness checks, and the payload's
//! sections, each read by its own step.

use super::*;

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
pub(super) struct Parsed<'a> {
    pub(super) info: BundleInfo,
    pub(super) manifest: &'a [u8],
    pub(super) signature: [u8; 64],
    pub(super) payload: &'a [u8],
}

pub(super) fn parse_envelope(bytes: &[u8]) -> Result<Parsed<'_>, BundleError> {
    parse_envelope_of(bytes, bytes.len() as u64)
}

/// How many bytes from a bundle's start [`parse_head`] needs: the fixed header, the version
/// string it announces and the signature. `None` while `fixed` is shorter than the fixed
/// header.
pub(super) fn head_len(fixed: &[u8]) -> Option<usize> {
    let v = fixed.get(FIXED_HEADER - 2..FIXED_HEADER)?;
    Some(FIXED_HEADER + usize::from(u16::from_le_bytes([v[0], v[1]])) + SIG_LEN)
}

/// The envelope of a file of `file_len` bytes from its first bytes `head` (at least
/// [`head_len`] of them, or the whole file): the same checks and facts as [`parse_envelope`]
/// on the whole file, its length taken from `file_len`; the payload is whatever of it `head`
/// holds. For a file verified before (see `BundleCache`), whose payload is not read again.
pub(super) fn parse_head(head: &[u8], file_len: u64) -> Result<Parsed<'_>, BundleError> {
    parse_envelope_of(head, file_len)
}

fn parse_envelope_of(bytes: &[u8], file_len: u64) -> Result<Parsed<'_>, BundleError> {
    let truncated = |expected: usize| BundleError::Truncated {
        expected: expected as u64,
        actual: file_len,
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
    if file_len < total {
        return Err(BundleError::Truncated {
            expected: total,
            actual: file_len,
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
            size: usize::try_from(file_len).unwrap_or(usize::MAX),
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

pub(super) fn check_payload(p: &Parsed<'_>) -> Result<(), BundleError> {
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

/// The payload's sections as they are read, before they are checked against each other and
/// put together (see [`decode_payload`]).
#[derive(Default)]
struct Sections {
    raw: RawTable,
    source: String,
    filter: Option<IpFilter>,
    others: IntelSet,
    compact: IocIndex,
    iocs: Vec<Indicator>,
    iocx: Option<Vec<IocExtra>>,
    labels: Option<Vec<crate::ranges::Label>>,
    seen_meta: bool,
    seen_r4: bool,
    seen_r6: bool,
    seen_palt: bool,
}

/// A time of the format (`i64::MIN`: none).
fn time_of(v: i64) -> Option<DateTime<Utc>> {
    (v != i64::MIN)
        .then(|| Utc.timestamp_opt(v, 0).single())
        .flatten()
}

/// `n` little-endian `u32`s.
fn read_u32s(s: &mut Reader<'_>, n: usize) -> Result<Vec<u32>, BundleError> {
    Ok(s.take(n * 4)?
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

/// `n` little-endian `u128`s.
fn read_u128s(s: &mut Reader<'_>, n: usize) -> Result<Vec<u128>, BundleError> {
    Ok(s.take(n * 16)?
        .chunks_exact(16)
        .map(|c| {
            let mut a = [0u8; 16];
            a.copy_from_slice(c);
            u128::from_le_bytes(a)
        })
        .collect())
}

/// Reads the payload's sections (unknown ones are skipped), checks that they agree with each
/// other and with the manifest, and builds the bundle.
pub(super) fn decode_payload(p: Parsed<'_>) -> Result<Bundle, BundleError> {
    let mut r = Reader::new(p.payload, "payload");
    let mut sections = Sections::default();
    while !r.done() {
        let tag: [u8; 4] = r.arr()?;
        let len = r.u64()?;
        let len = usize::try_from(len)
            .map_err(|_| BundleError::WrongFormat("section too large".into()))?;
        let body = r.take(len)?;
        sections.read(&tag, body)?;
    }
    sections.into_bundle(p.info)
}

impl Sections {
    /// One section, by its tag.
    fn read(&mut self, tag: &[u8; 4], body: &[u8]) -> Result<(), BundleError> {
        match tag {
            b"META" => self.meta(body)?,
            b"PALT" => self.palette(body)?,
            b"RNG4" => self.ranges_v4(body)?,
            b"RNG6" => self.ranges_v6(body)?,
            b"FLT8" => self.filter = Some(filter(body)?),
            b"IOCS" => self.iocs.extend(iocs(body)?),
            b"IOCC" => self.compact = IocIndex::decode(body)?,
            b"IOCX" => self.iocx = Some(ioc_extras(body)?),
            b"STRS" => {
                self.raw.strings = crate::ranges::decode_strings(body)
                    .map_err(|e| BundleError::WrongFormat(format!("STRS {e}")))?;
            }
            b"LBLS" => {
                self.labels = Some(
                    crate::ranges::decode_labels(body)
                        .map_err(|e| BundleError::WrongFormat(format!("LBLS {e}")))?,
                );
            }
            b"PATS" => patterns(body, &mut self.others)?,
            _ => {} // unknown sections are skipped
        }
        Ok(())
    }

    fn meta(&mut self, body: &[u8]) -> Result<(), BundleError> {
        let mut s = Reader::new(body, "META");
        self.raw.entries = s.u64()?;
        self.source = s.str16()?.to_string();
        self.seen_meta = true;
        Ok(())
    }

    fn palette(&mut self, body: &[u8]) -> Result<(), BundleError> {
        let mut s = Reader::new(body, "PALT");
        let n = s.u32()? as usize;
        if n.checked_mul(5).is_none_or(|b| b != body.len() - 4) {
            return Err(BundleError::WrongFormat("PALT length mismatch".into()));
        }
        self.raw.palette = (0..n)
            .map(|_| {
                let present = s.u8()?;
                let v = s.u32()?;
                Ok((present != 0).then_some(v))
            })
            .collect::<Result<_, BundleError>>()?;
        self.seen_palt = true;
        Ok(())
    }

    fn ranges_v4(&mut self, body: &[u8]) -> Result<(), BundleError> {
        let mut s = Reader::new(body, "RNG4");
        let n = s.count(12)?;
        self.raw.v4_starts = read_u32s(&mut s, n)?;
        self.raw.v4_ends = read_u32s(&mut s, n)?;
        self.raw.v4_meta = read_u32s(&mut s, n)?;
        self.seen_r4 = true;
        Ok(())
    }

    fn ranges_v6(&mut self, body: &[u8]) -> Result<(), BundleError> {
        let mut s = Reader::new(body, "RNG6");
        let n = s.count(36)?;
        self.raw.v6_starts = read_u128s(&mut s, n)?;
        self.raw.v6_ends = read_u128s(&mut s, n)?;
        self.raw.v6_meta = read_u32s(&mut s, n)?;
        self.seen_r6 = true;
        Ok(())
    }

    /// The sections checked against each other and the manifest, put together.
    fn into_bundle(mut self, info: BundleInfo) -> Result<Bundle, BundleError> {
        if !(self.seen_meta && self.seen_palt && self.seen_r4 && self.seen_r6) {
            return Err(BundleError::WrongFormat(
                "a required section (META, PALT, RNG4, RNG6) is missing".into(),
            ));
        }
        if info.filter_mode != self.filter.is_some() {
            return Err(BundleError::WrongFormat(
                "filter flag and FLT8 section disagree".into(),
            ));
        }
        if let Some(extra) = self.iocx {
            if extra.len() != self.iocs.len() {
                return Err(BundleError::WrongFormat(
                    "IOCX and IOCS have different record counts".into(),
                ));
            }
            for (ind, x) in self.iocs.iter_mut().zip(extra) {
                ind.first_seen = x.first_seen;
                ind.last_seen = x.last_seen;
                ind.tags = x.tags;
            }
        }
        for ind in self.iocs {
            self.others.insert(ind);
        }
        if let Some(mut labels) = self.labels {
            if labels.len() != self.raw.palette.len() {
                return Err(BundleError::WrongFormat(
                    "LBLS and PALT have different lengths".into(),
                ));
            }
            for (l, s) in labels.iter_mut().zip(&self.raw.palette) {
                l.score = *s;
            }
            self.raw.labels = labels;
        }
        let table = RangeTable::from_raw(self.raw)
            .map_err(|e| BundleError::WrongFormat(format!("range table: {e}")))?;
        let hotlist = Hotlist::from_table(table, info.version.clone(), self.source);
        Ok(Bundle {
            info,
            hotlist,
            filter: self.filter,
            others: self.others,
            compact: self.compact,
        })
    }
}

/// FLT8: the filter-mode bundle's BinaryFuse8 filter, its geometry checked (the lookup
/// indexes up to segment_count_length + 2 × segment_length).
fn filter(body: &[u8]) -> Result<IpFilter, BundleError> {
    let mut s = Reader::new(body, "FLT8");
    let keys = s.u64()?;
    let seed = s.u64()?;
    let segment_length = s.u32()?;
    let segment_length_mask = s.u32()?;
    let segment_count_length = s.u32()?;
    let n = s.count(1)?;
    let fps = s.take(n)?;
    let needed = u64::from(segment_count_length) + 2 * u64::from(segment_length);
    if !segment_length.is_power_of_two()
        || segment_length_mask != segment_length - 1
        || n as u64 != needed
    {
        return Err(BundleError::WrongFormat(
            "FLT8 geometry is inconsistent".into(),
        ));
    }
    Ok(IpFilter {
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
    })
}

/// IOCS: indicator records (processes; domains and hashes from older builders).
fn iocs(body: &[u8]) -> Result<Vec<Indicator>, BundleError> {
    let mut s = Reader::new(body, "IOCS");
    let n = s.u32()?;
    let mut iocs = Vec::new();
    for _ in 0..n {
        let k = s.u8()? as usize;
        let has_score = s.u8()? != 0;
        let score = s.u32()?;
        let conf = s.u8()?;
        let expires = s.i64()?;
        let value = s.str16()?;
        let src = s.str16()?;
        let kind = *IndicatorKind::ALL
            .get(k)
            .ok_or_else(|| BundleError::WrongFormat(format!("IOCS has unknown kind {k}")))?;
        let v = IndicatorValue::parse(kind, value)
            .map_err(|e| BundleError::WrongFormat(format!("IOCS: {e}")))?;
        let mut ind = Indicator::new(v, src);
        ind.score = has_score.then_some(score);
        ind.confidence = (conf != u8::MAX).then_some(conf);
        ind.expires = time_of(expires);
        iocs.push(ind);
    }
    Ok(iocs)
}

/// IOCX: first/last seen and tags of each IOCS record.
fn ioc_extras(body: &[u8]) -> Result<Vec<IocExtra>, BundleError> {
    let mut s = Reader::new(body, "IOCX");
    let n = s.u32()?;
    let mut v = Vec::new();
    for _ in 0..n {
        let first_seen = time_of(s.i64()?);
        let last_seen = time_of(s.i64()?);
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
    Ok(v)
}

/// PATS: STIX pattern indicators, into `others`.
fn patterns(body: &[u8], others: &mut IntelSet) -> Result<(), BundleError> {
    let mut s = Reader::new(body, "PATS");
    let n = s.u32()?;
    for _ in 0..n {
        let id = s.str16()?.to_string();
        let name = s.str16()?;
        let plen = s.u32()? as usize;
        let pattern = std::str::from_utf8(s.take(plen)?)
            .map_err(|_| BundleError::WrongFormat("PATS has a non-UTF-8 pattern".into()))?
            .to_string();
        let src = s.str16()?.to_string();
        let conf = s.u8()?;
        let valid_from = time_of(s.i64()?);
        let valid_until = time_of(s.i64()?);
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
    Ok(())
}
