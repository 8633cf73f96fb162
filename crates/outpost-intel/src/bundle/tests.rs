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
