//! Writing bundles: the payload's sections, the manifest and its signature.

use super::*;

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
    raw.encode_palette(&mut palt);
    section(&mut payload, b"PALT", &palt);

    let mut r4 = Vec::with_capacity(8 + raw.v4_starts.len() * 12);
    raw.encode_v4(&mut r4);
    section(&mut payload, b"RNG4", &r4);

    let mut r6 = Vec::with_capacity(8 + raw.v6_starts.len() * 36);
    raw.encode_v6(&mut r6);
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
pub(super) fn seal(payload: &[u8], spec: &BundleSpec, key: &SigningKey) -> Vec<u8> {
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
