//! Bundle format, verification, the agent cache, filter mode and tenant distribution.

use chrono::{DateTime, Utc};
use ed25519_dalek::SigningKey;
use outpost_intel::bundle::{
    BundleError, BundleSpec, InstallOutcome, IpVerdict, VerifyPolicy, build_bundle,
    decode_unauthenticated, verify_with,
};
use outpost_intel::distribute::{
    ConfirmRequest, build_tenant_bundle, build_tenant_bundle_with, confirm, confirm_batch,
    merge_for_tenant, tenant_allowlist,
};
use outpost_intel::{
    BundleCache, Hotlist, Indicator, IndicatorKind, IndicatorValue, IntelError, IntelSet,
    bundle_etag, verify,
};
use proptest::prelude::*;
use std::net::IpAddr;
use std::time::Duration;

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// An empty cache directory, and the key the bundles of these tests are signed with.
fn cache_dir() -> (tempfile::TempDir, ed25519_dalek::VerifyingKey) {
    (tempfile::tempdir().unwrap(), key(1).verifying_key())
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// An IP or network indicator of `source`.
fn ip_indicator(value: &str, source: &str) -> Indicator {
    Indicator::new(
        IndicatorValue::parse(IndicatorKind::Ip, value).unwrap(),
        source,
    )
}

const DAY: Duration = Duration::from_secs(86_400);

fn sample_set() -> IntelSet {
    let mut s = IntelSet::new();
    let add = |s: &mut IntelSet, k, v: &str, score| {
        s.insert(Indicator::new(IndicatorValue::parse(k, v).unwrap(), "feed").with_score(score))
    };
    add(&mut s, IndicatorKind::Ip, "203.0.113.7", Some(9));
    add(&mut s, IndicatorKind::Ip, "198.51.100.0/24", Some(2));
    add(&mut s, IndicatorKind::Ip, "2001:db8:bad::/48", None);
    add(&mut s, IndicatorKind::Ip, "2001:db8::1", Some(4));
    add(&mut s, IndicatorKind::Domain, "evil.test", Some(5));
    add(&mut s, IndicatorKind::DomainSuffix, "*.bad.test", None);
    add(&mut s, IndicatorKind::Sha256, &"ab".repeat(32), None);
    add(&mut s, IndicatorKind::ProcessName, "nc.exe", None);
    s
}

fn spec(version: &str, created: &str, ttl: Duration) -> BundleSpec {
    BundleSpec {
        version: version.into(),
        created: t(created),
        ttl,
        filter_mode: false,
        source: "test".into(),
    }
}

fn good_bundle(version: &str, created: &str) -> Vec<u8> {
    build_bundle(&sample_set(), &spec(version, created, DAY), &key(1)).unwrap()
}

#[test]
fn round_trip_preserves_lookups() {
    let bytes = good_bundle("v1", "2026-11-23T00:00:00Z");
    let b = verify(&bytes, &key(1).verifying_key(), t("2026-11-23T12:00:00Z")).unwrap();
    assert_eq!(b.version(), "v1");
    assert_eq!(b.info().created, t("2026-11-23T00:00:00Z"));
    assert_eq!(b.info().expires(), t("2026-11-24T00:00:00Z"));
    let h = b.hotlist();
    assert_eq!(h.len(), 4);
    assert_eq!(h.version(), "v1");
    assert_eq!(h.source(), "test");
    assert_eq!(h.lookup(ip("203.0.113.7")).unwrap().score, Some(9));
    assert_eq!(
        h.lookup(ip("198.51.100.99")).unwrap().net.to_string(),
        "198.51.100.0/24"
    );
    assert_eq!(h.lookup(ip("2001:db8::1")).unwrap().score, Some(4));
    assert!(h.contains(ip("2001:db8:bad:1::9")));
    assert!(!h.contains(ip("203.0.113.8")));
    assert!(matches!(
        b.check_ip(ip("203.0.113.7")),
        IpVerdict::Listed(_)
    ));
    assert_eq!(b.check_ip(ip("8.8.8.8")), IpVerdict::NotListed);
    let all = b.all_indicators();
    let o = &all;
    assert_eq!(o.lookup_domain("evil.test").unwrap().score, Some(5));
    assert!(o.lookup_domain("a.bad.test").is_some());
    assert!(o.lookup_hash(&"AB".repeat(32)).is_some());
    assert!(o.lookup_process("NC.EXE", None).is_some());
    assert_eq!(o.len(), 4);
}

#[test]
fn bundles_are_deterministic_with_a_stable_etag() {
    let a = good_bundle("v1", "2026-11-23T00:00:00Z");
    let b = good_bundle("v1", "2026-11-23T00:00:00Z");
    assert_eq!(a, b);
    assert_eq!(bundle_etag(&a), bundle_etag(&b));
    assert!(bundle_etag(&a).starts_with("\"sha256-"));
    let c = good_bundle("v2", "2026-11-23T00:00:00Z");
    assert_ne!(bundle_etag(&a), bundle_etag(&c));
}

#[test]
fn tampered_payload_is_rejected() {
    let mut bytes = good_bundle("v1", "2026-11-23T00:00:00Z");
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    let e = verify(&bytes, &key(1).verifying_key(), t("2026-11-23T01:00:00Z")).unwrap_err();
    assert!(matches!(e, BundleError::Tampered(_)), "{e}");
    assert!(e.to_string().contains("tampered"));
}

#[test]
fn tampered_header_is_rejected() {
    let mut bytes = good_bundle("v1", "2026-11-23T00:00:00Z");
    // The TTL (offset 20) made longer.
    bytes[21] ^= 0x40;
    let e = verify(&bytes, &key(1).verifying_key(), t("2026-11-23T01:00:00Z")).unwrap_err();
    assert!(matches!(e, BundleError::Tampered(_)), "{e}");
}

#[test]
fn appended_bytes_are_rejected() {
    let mut bytes = good_bundle("v1", "2026-11-23T00:00:00Z");
    bytes.extend_from_slice(b"RNG4");
    let e = verify(&bytes, &key(1).verifying_key(), t("2026-11-23T01:00:00Z")).unwrap_err();
    assert!(matches!(e, BundleError::Tampered(_)), "{e}");
}

#[test]
fn truncated_bundles_are_rejected_at_every_length() {
    let bytes = good_bundle("v1", "2026-11-23T00:00:00Z");
    let k = key(1).verifying_key();
    for n in 1..bytes.len() {
        match verify(&bytes[..n], &k, t("2026-11-23T01:00:00Z")) {
            Err(BundleError::Truncated { actual, expected }) => {
                assert_eq!(actual, n as u64);
                assert!(expected > actual);
            }
            other => panic!("length {n}: {other:?}"),
        }
    }
}

#[test]
fn expired_bundle_is_rejected_unless_allowed() {
    let bytes = good_bundle("v1", "2026-11-23T00:00:00Z");
    let k = key(1).verifying_key();
    let later = t("2026-11-24T00:00:00Z");
    let e = verify(&bytes, &k, later).unwrap_err();
    match &e {
        BundleError::Expired {
            version, expires, ..
        } => {
            assert_eq!(version, "v1");
            assert_eq!(*expires, later);
        }
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("expired"));
    let b = verify_with(
        &bytes,
        &k,
        later,
        VerifyPolicy {
            allow_expired: true,
        },
    )
    .unwrap();
    assert!(b.is_expired(later));
}

#[test]
fn bundle_from_the_future_is_rejected() {
    let bytes = good_bundle("v1", "2026-11-23T00:00:00Z");
    let e = verify(&bytes, &key(1).verifying_key(), t("2026-11-22T23:00:00Z")).unwrap_err();
    assert!(matches!(e, BundleError::NotYetValid { .. }), "{e}");
    // Within the allowed clock skew it is fine.
    verify(&bytes, &key(1).verifying_key(), t("2026-11-22T23:58:00Z")).unwrap();
}

#[test]
fn wrongly_signed_bundle_is_rejected() {
    let bytes = build_bundle(
        &sample_set(),
        &spec("v1", "2026-11-23T00:00:00Z", DAY),
        &key(2),
    )
    .unwrap();
    let e = verify(&bytes, &key(1).verifying_key(), t("2026-11-23T01:00:00Z")).unwrap_err();
    assert!(matches!(e, BundleError::WrongSignature { .. }), "{e}");
    assert!(e.to_string().contains("wrong signing key"));
}

#[test]
fn forged_signature_with_right_key_id_is_rejected() {
    // Re-sign with another key but keep the pinned key's id: the signature check catches it.
    let good = good_bundle("v1", "2026-11-23T00:00:00Z");
    let mut forged = build_bundle(
        &sample_set(),
        &spec("v1", "2026-11-23T00:00:00Z", DAY),
        &key(3),
    )
    .unwrap();
    forged[68..76].copy_from_slice(&good[68..76]);
    let e = verify(&forged, &key(1).verifying_key(), t("2026-11-23T01:00:00Z")).unwrap_err();
    assert!(matches!(e, BundleError::Tampered(_)), "{e}");
}

#[test]
fn wrong_format_is_rejected() {
    let k = key(1).verifying_key();
    let now = t("2026-11-23T01:00:00Z");
    for junk in [
        &b""[..],
        b"[\"1.2.3.4\"]",
        b"\x1f\x8b\x08\x00",
        b"1.2.3.4\n",
    ] {
        let e = verify(junk, &k, now).unwrap_err();
        assert!(matches!(e, BundleError::WrongFormat(_)), "{e}");
    }
    let mut v2 = good_bundle("v1", "2026-11-23T00:00:00Z");
    v2[6] = 2;
    let e = verify(&v2, &k, now).unwrap_err();
    assert!(
        e.to_string()
            .contains("unsupported bundle format version 2"),
        "{e}"
    );
}

#[test]
fn cache_keeps_last_good_bundle_and_reports() {
    let (dir, k) = cache_dir();
    let t0 = t("2026-11-23T00:30:00Z");
    let mut cache = BundleCache::open(dir.path(), k, t0).unwrap();
    assert!(cache.current().is_none());
    assert!(cache.is_stale(t0));

    let v1 = good_bundle("v1", "2026-11-23T00:00:00Z");
    assert_eq!(
        cache.install(&v1, t0).unwrap(),
        InstallOutcome::Installed {
            version: "v1".into()
        }
    );
    assert_eq!(cache.install(&v1, t0).unwrap(), InstallOutcome::Unchanged);
    assert!(!cache.is_stale(t0));
    assert_eq!(cache.etag(), Some(bundle_etag(&v1).as_str()));

    // Tampered, truncated, wrongly signed and expired candidates are each refused.
    let t1 = t("2026-11-23T06:00:00Z");
    let mut tampered = good_bundle("v2", "2026-11-23T05:00:00Z");
    let n = tampered.len();
    tampered[n - 3] ^= 0xff;
    let truncated = &good_bundle("v2", "2026-11-23T05:00:00Z")[..200];
    let wrong_key = build_bundle(
        &sample_set(),
        &spec("v2", "2026-11-23T05:00:00Z", DAY),
        &key(9),
    )
    .unwrap();
    let expired = build_bundle(
        &sample_set(),
        &spec("v2", "2026-11-23T04:00:00Z", Duration::from_secs(3600)),
        &key(1),
    )
    .unwrap();
    for (bad, what) in [
        (&tampered[..], "tampered"),
        (truncated, "truncated"),
        (&wrong_key[..], "wrong signing key"),
        (&expired[..], "expired"),
    ] {
        let e = cache.install(bad, t1).unwrap_err();
        assert!(e.to_string().contains(what), "{what}: {e}");
        let st = cache.status(t1);
        assert_eq!(st.current_version.as_deref(), Some("v1"), "{what}");
        assert!(st.last_error.as_deref().unwrap().contains(what));
        assert_eq!(st.last_error_at, Some(t1));
        assert!(!st.stale);
        assert_eq!(cache.current().unwrap().version(), "v1");
    }
    // The file on disk is still v1.
    assert_eq!(std::fs::read(cache.current_path()).unwrap(), v1);

    // A good newer bundle replaces it and clears the error.
    let v3 = good_bundle("v3", "2026-11-23T05:30:00Z");
    cache.install(&v3, t1).unwrap();
    let st = cache.status(t1);
    assert_eq!(st.current_version.as_deref(), Some("v3"));
    assert_eq!(st.last_error, None);
    // Rollback to v1 is refused.
    let e = cache.install(&v1, t1).unwrap_err();
    assert!(matches!(e, BundleError::Older { .. }), "{e}");
    assert_eq!(cache.current().unwrap().version(), "v3");

    // After a restart past expiry, the last good bundle is still used, flagged stale.
    let late = t("2026-11-25T00:00:00Z");
    let reopened = BundleCache::open(dir.path(), k, late).unwrap();
    assert_eq!(reopened.current().unwrap().version(), "v3");
    // Matches from a stale bundle must be confirmed by the server.
    assert_eq!(
        reopened.check_ip(ip("203.0.113.7"), late),
        IpVerdict::MaybeListed
    );
    assert!(matches!(
        reopened.check_ip(ip("203.0.113.7"), t1),
        IpVerdict::Listed(_)
    ));
    assert_eq!(reopened.check_ip(ip("8.8.8.8"), late), IpVerdict::NotListed);
    assert!(reopened.is_stale(late));
    assert!(reopened.status(late).stale);
    assert!(reopened.status(late).last_error.is_none());

    // The installed file loads as a hotlist.
    let h = Hotlist::from_path(&reopened.current_path()).unwrap();
    assert_eq!(h.version(), "v3");
    assert!(h.contains(ip("203.0.113.7")));
    let h2 = Hotlist::from_bundle_path(&reopened.current_path(), &k, t1).unwrap();
    assert_eq!(h2, h);
    assert!(matches!(
        Hotlist::from_bundle_path(&reopened.current_path(), &key(5).verifying_key(), t1),
        Err(IntelError::Bundle(BundleError::WrongSignature { .. }))
    ));
}

#[test]
fn cache_ignores_a_corrupted_installed_file() {
    let (dir, k) = cache_dir();
    let mut bytes = good_bundle("v1", "2026-11-23T00:00:00Z");
    let n = bytes.len();
    bytes[n - 1] ^= 1;
    std::fs::write(dir.path().join(outpost_intel::bundle::CURRENT_FILE), &bytes).unwrap();
    let cache = BundleCache::open(dir.path(), k, t("2026-11-23T01:00:00Z")).unwrap();
    assert!(cache.current().is_none());
    let st = cache.status(t("2026-11-23T01:00:00Z"));
    assert!(st.stale);
    assert!(st.last_error.unwrap().contains("tampered"));
}

#[test]
fn filter_mode_needs_confirmation() {
    let mut set = IntelSet::new();
    for i in 0..20_000u32 {
        let a = std::net::Ipv4Addr::from(0x2d00_0000u32 + i * 7);
        set.insert(Indicator::new(
            IndicatorValue::Net(IpAddr::V4(a).into()),
            "big",
        ));
    }
    set.insert(ip_indicator("2001:db8::77", "big"));
    set.insert(ip_indicator("192.0.2.0/24", "big"));
    let mut sp = spec("f1", "2026-11-23T00:00:00Z", DAY);
    sp.filter_mode = true;
    let bytes = build_bundle(&set, &sp, &key(1)).unwrap();
    let b = verify(&bytes, &key(1).verifying_key(), t("2026-11-23T01:00:00Z")).unwrap();
    assert!(b.info().filter_mode);
    let f = b.filter().unwrap();
    assert_eq!(f.len(), 20_001);
    // 8 bits (+ a little) per address instead of 12+ bytes.
    assert!(f.size_bytes() < 20_001 * 2, "{}", f.size_bytes());
    for i in 0..20_000u32 {
        let a = IpAddr::V4(std::net::Ipv4Addr::from(0x2d00_0000u32 + i * 7));
        assert_eq!(b.check_ip(a), IpVerdict::MaybeListed);
        assert!(confirm(&set, a).is_some());
    }
    assert_eq!(b.check_ip(ip("2001:db8::77")), IpVerdict::MaybeListed);
    assert!(matches!(b.check_ip(ip("192.0.2.5")), IpVerdict::Listed(_)));
    // False positives are rare and the server refutes them.
    let mut fp = 0;
    for i in 0..20_000u32 {
        let a = IpAddr::V4(std::net::Ipv4Addr::from(0x0800_0000u32 + i * 13));
        if b.check_ip(a) == IpVerdict::MaybeListed {
            fp += 1;
            assert!(confirm(&set, a).is_none());
        }
    }
    assert!(fp < 200, "{fp} false positives of 20000");
    // A filter-mode bundle cannot be loaded as a plain hotlist.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("f.bundle");
    std::fs::write(&p, &bytes).unwrap();
    assert!(
        Hotlist::from_path(&p)
            .unwrap_err()
            .to_string()
            .contains("filter-mode")
    );
}

#[test]
fn tenant_bundle_subtracts_allowlist_and_confirms() {
    let global = sample_set();
    let mut tenant = IntelSet::new();
    tenant.insert(ip_indicator("192.0.2.10", "tenant"));
    tenant.insert(ip_indicator("10.9.9.9", "tenant"));
    let created = t("2026-11-23T00:00:00Z");
    let mut expired = ip_indicator("192.0.2.11", "tenant");
    expired.expires = Some(created);
    tenant.insert(expired);
    // The tenant's own server is inside a listed /24.
    let allow = tenant_allowlist(&["198.51.100.10/32".parse().unwrap()]);
    let bytes =
        build_tenant_bundle(&global, &tenant, &allow, "t-1", created, DAY, &key(1)).unwrap();
    let again =
        build_tenant_bundle(&global, &tenant, &allow, "t-1", created, DAY, &key(1)).unwrap();
    assert_eq!(bundle_etag(&bytes), bundle_etag(&again));
    let b = verify(&bytes, &key(1).verifying_key(), created).unwrap();
    let h = b.hotlist();
    assert!(h.contains(ip("192.0.2.10")));
    assert!(
        !h.contains(ip("10.9.9.9")),
        "private ranges are allowlisted"
    );
    assert!(
        !h.contains(ip("192.0.2.11")),
        "expired indicators are left out"
    );
    assert!(
        !h.contains(ip("198.51.100.10")),
        "tenant server allowlisted"
    );
    assert!(h.contains(ip("198.51.100.11")));
    assert!(h.contains(ip("198.51.100.9")));

    let merged = merge_for_tenant(&global, &tenant, &allow, created);
    let m = confirm(&merged, ip("203.0.113.7")).unwrap();
    assert_eq!(
        (m.indicator.as_str(), m.source.as_deref(), m.score),
        ("203.0.113.7", Some("feed"), Some(9))
    );
    assert!(confirm(&merged, ip("198.51.100.10")).is_none());
    let resp = confirm_batch(
        &merged,
        &ConfirmRequest {
            ips: vec![ip("203.0.113.7"), ip("8.8.8.8")],
            bundle_version: Some("t-1".into()),
        },
    );
    assert_eq!(resp.results.len(), 2);
    assert!(resp.results[0].intel.is_some() && resp.results[1].intel.is_none());
    let json = serde_json::to_string(&resp).unwrap();
    assert!(json.contains("\"indicator\":\"203.0.113.7\""));

    let mut fspec = spec("t-f", "2026-11-23T00:00:00Z", DAY);
    fspec.filter_mode = true;
    let fb = build_tenant_bundle_with(&global, &tenant, &allow, &fspec, &key(1)).unwrap();
    let fb = verify(&fb, &key(1).verifying_key(), created).unwrap();
    assert_eq!(fb.check_ip(ip("192.0.2.10")), IpVerdict::MaybeListed);
}

#[test]
fn real_ipsum_bundle_is_small_and_fast_to_load() {
    let Some(path) = outpost_testkit::shared("data/feeds/ipsum.txt") else {
        return;
    };
    let text = std::fs::read_to_string(&path).unwrap();
    let (set, report) = outpost_intel::feed::parse_feed(
        &text,
        "ipsum",
        &outpost_intel::feed::FeedFormat::Ipsum { min_score: None },
        &Default::default(),
        t("2026-11-23T00:00:00Z"),
    )
    .unwrap();
    assert_eq!(report.accepted, 120_430);
    let bytes = build_bundle(&set, &spec("ipsum-1", "2026-11-23T00:00:00Z", DAY), &key(1)).unwrap();
    // 12 bytes a range plus headers.
    assert!(bytes.len() < 120_430 * 12 + 4096, "{}", bytes.len());
    let b = verify(&bytes, &key(1).verifying_key(), t("2026-11-23T01:00:00Z")).unwrap();
    assert_eq!(b.hotlist().len(), 120_430);
    for line in text.lines().filter(|l| !l.starts_with('#')).step_by(97) {
        let mut it = line.split_whitespace();
        let a: IpAddr = it.next().unwrap().parse().unwrap();
        let score: u32 = it.next().unwrap().parse().unwrap();
        assert_eq!(b.hotlist().lookup(a).unwrap().score, Some(score));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn verify_never_panics_on_random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let k = key(1).verifying_key();
        prop_assert!(verify(&bytes, &k, t("2026-11-23T01:00:00Z")).is_err());
        let _ = decode_unauthenticated(&bytes);
    }

    #[test]
    fn any_single_byte_change_is_rejected(pos in any::<prop::sample::Index>(), flip in 1u8..=255) {
        let mut bytes = good_bundle("v1", "2026-11-23T00:00:00Z");
        let i = pos.index(bytes.len());
        bytes[i] ^= flip;
        prop_assert!(verify(&bytes, &key(1).verifying_key(), t("2026-11-23T01:00:00Z")).is_err());
    }
}

#[test]
fn etag_matching() {
    use outpost_intel::distribute::etag_matches;
    let e = bundle_etag(b"x");
    assert!(etag_matches(&e, &e));
    assert!(etag_matches(&format!("\"other\", W/{e}"), &e));
    assert!(etag_matches("*", &e));
    assert!(!etag_matches("\"other\"", &e));
    assert!(!etag_matches("", &e));
}

/// Serves `bytes` with their ETag, answering a matching If-None-Match with 304.
fn serve_bundle(bytes: Vec<u8>, requests: usize) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let etag = bundle_etag(&bytes);
        for stream in listener.incoming().take(requests) {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut inm = None;
            let mut auth = false;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("if-none-match:") {
                    inm = Some(v.trim().to_string());
                }
                if lower.starts_with("authorization: bearer agent-token") {
                    auth = true;
                }
            }
            let head = if !auth {
                "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .to_string()
            } else if inm.is_some_and(|v| outpost_intel::distribute::etag_matches(&v, &etag)) {
                format!("HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\nConnection: close\r\n\r\n")
            } else {
                format!(
                    "HTTP/1.1 200 OK\r\nETag: {etag}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    bytes.len()
                )
            };
            let _ = stream.write_all(head.as_bytes());
            if head.starts_with("HTTP/1.1 200") {
                let _ = stream.write_all(&bytes);
            }
        }
    });
    format!("http://{addr}/bundle")
}

#[test]
fn agent_refreshes_bundle_over_http_with_etag() {
    let (dir, k) = cache_dir();
    let now = t("2026-11-23T01:00:00Z");
    let bytes = good_bundle("v1", "2026-11-23T00:00:00Z");
    let url = serve_bundle(bytes.clone(), 3);
    let mut cache = BundleCache::open(dir.path(), k, now).unwrap();
    let auth = [("Authorization", "Bearer agent-token")];
    let timeout = Duration::from_secs(10);
    assert_eq!(
        cache.refresh_from_url(&url, &auth, timeout, now).unwrap(),
        InstallOutcome::Installed {
            version: "v1".into()
        }
    );
    // Second check-in: the server answers 304 to If-None-Match.
    assert_eq!(
        cache.refresh_from_url(&url, &auth, timeout, now).unwrap(),
        InstallOutcome::Unchanged
    );
    // An HTTP error keeps the bundle and is reported.
    let e = cache.refresh_from_url(&url, &[], timeout, now).unwrap_err();
    assert!(e.to_string().contains("401"), "{e}");
    assert_eq!(cache.status(now).current_version.as_deref(), Some("v1"));
    assert!(cache.status(now).last_error.unwrap().contains("401"));
}

/// Every indicator kind carries its source, score/confidence, first/last seen,
/// expiry and tags through the signed bundle, the agent can tell for a hit which indicator
/// matched, and entries that have expired by the time of the match do not match.
#[test]
fn bundle_keeps_every_kinds_metadata_and_expired_entries_do_not_match() {
    let created = t("2026-03-01T00:00:00Z");
    let first = t("2026-01-10T08:00:00Z");
    let last = t("2026-02-27T17:30:00Z");
    let later = t("2026-03-01T06:00:00Z"); // inside the bundle's TTL, after `created`
    let mut set = IntelSet::new();
    let mut add =
        |k, v: &str, src: &str, score, conf, expires: Option<DateTime<Utc>>, tags: &[&str]| {
            let mut i = Indicator::new(IndicatorValue::parse(k, v).unwrap(), src).with_score(score);
            i.confidence = conf;
            i.first_seen = Some(first);
            i.last_seen = Some(last);
            i.expires = expires;
            i.tags = tags.iter().map(|s| s.to_string()).collect();
            set.insert(i);
        };
    let soon = Some(t("2026-03-01T03:00:00Z"));
    let far = Some(t("2026-06-01T00:00:00Z"));
    use IndicatorKind as K;
    add(
        K::Ip,
        "203.0.113.7",
        "abuse.ch",
        Some(9),
        Some(80),
        far,
        &["botnet", "emotet"],
    );
    add(
        K::Ip,
        "198.51.100.0/24",
        "spamhaus",
        None,
        Some(60),
        None,
        &["drop"],
    );
    add(
        K::Ip,
        "198.51.100.77",
        "abuse.ch",
        Some(3),
        None,
        soon,
        &["botnet"],
    );
    add(
        K::Ip,
        "2001:db8:bad::/48",
        "tenant",
        Some(7),
        None,
        far,
        &["c2"],
    );
    add(
        K::Domain,
        "evil.test",
        "otx",
        Some(5),
        Some(90),
        far,
        &["phishing"],
    );
    add(
        K::Domain,
        "gone.bad.test",
        "otx",
        Some(5),
        None,
        soon,
        &["phishing"],
    );
    add(
        K::DomainSuffix,
        "*.bad.test",
        "otx",
        None,
        Some(40),
        None,
        &["dga"],
    );
    add(
        K::Sha256,
        &"ab".repeat(32),
        "vt",
        Some(70),
        None,
        far,
        &["ransomware"],
    );
    add(
        K::Sha1,
        &"cd".repeat(20),
        "vt",
        Some(60),
        None,
        soon,
        &["loader"],
    );
    add(K::Md5, &"ef".repeat(16), "vt", None, Some(30), None, &[]);
    add(
        K::ProcessName,
        "nc.exe",
        "analyst",
        None,
        None,
        None,
        &["lolbin"],
    );
    add(
        K::ProcessPath,
        "/tmp/.x/miner",
        "analyst",
        Some(8),
        None,
        far,
        &["miner"],
    );

    let bytes = build_bundle(&set, &spec("v-meta", "2026-03-01T00:00:00Z", DAY), &key(1)).unwrap();
    let b = verify(&bytes, &key(1).verifying_key(), later).unwrap();

    // When the feeds saw the listed indicators, and when they expire.
    let dates = (Some(first), Some(last), far);
    // IPs: the matching indicator with all its provenance (source interned per entry).
    let i = b.ip_indicator_at(ip("203.0.113.7"), later).unwrap();
    assert_eq!(i.value.kind(), K::Ip);
    assert_eq!(i.value.to_string(), "203.0.113.7");
    assert_eq!(
        (i.source.as_str(), i.score, i.confidence),
        ("abuse.ch", Some(9), Some(80))
    );
    assert_eq!((i.first_seen, i.last_seen, i.expires), dates);
    assert_eq!(i.tags, vec!["botnet", "emotet"]);
    let m = i.to_intel_match();
    assert_eq!(m.indicator, "203.0.113.7");
    assert_eq!(m.kind.as_deref(), Some("ip"));
    assert_eq!((m.source.as_deref(), m.score), (Some("abuse.ch"), Some(9)));
    assert_eq!(m.tags, vec!["botnet", "emotet"]);
    let i = b.ip_indicator_at(ip("198.51.100.1"), later).unwrap();
    assert_eq!(i.value.to_string(), "198.51.100.0/24");
    assert_eq!(
        (i.source.as_str(), i.score, i.confidence),
        ("spamhaus", Some(60), Some(60)),
        "a range's score is the effective score (feed score, else confidence)"
    );
    assert_eq!(i.tags, vec!["drop"]);
    let i = b.ip_indicator_at(ip("2001:db8:bad::1"), later).unwrap();
    assert_eq!(
        (i.source.as_str(), i.score, i.tags.clone()),
        ("tenant", Some(7), vec!["c2".to_string()])
    );

    // Expired at match time (in the bundle, since it was live when the bundle was built).
    assert!(b.hotlist().contains(ip("198.51.100.77")));
    let i = b.ip_indicator_at(ip("198.51.100.77"), created).unwrap();
    assert_eq!(i.value.to_string(), "198.51.100.77");
    assert!(b.ip_indicator_at(ip("198.51.100.77"), later).is_none());
    assert_eq!(b.hotlist().next_expiry(), soon);

    // Domains, hashes, processes: the same provenance, and expiry at match time.
    let all = b.all_indicators();
    let set = &all;
    let d = set.lookup_domain_at("EVIL.test.", later).unwrap();
    assert_eq!(
        (d.source.as_str(), d.score, d.confidence),
        ("otx", Some(5), Some(90))
    );
    assert_eq!((d.first_seen, d.last_seen, d.expires), dates);
    assert_eq!(d.tags, vec!["phishing"]);
    assert_eq!(d.to_intel_match().kind.as_deref(), Some("domain"));
    // The exact entry expired: the live suffix entry answers.
    let d = set.lookup_domain_at("gone.bad.test", later).unwrap();
    assert_eq!(
        (d.value.kind(), d.tags.clone()),
        (K::DomainSuffix, vec!["dga".to_string()])
    );
    assert_eq!(
        set.lookup_domain_at("gone.bad.test", created)
            .unwrap()
            .value
            .kind(),
        K::Domain
    );
    let h = set.lookup_hash_at(&"AB".repeat(32), later).unwrap();
    assert_eq!(
        (h.value.kind(), h.source.as_str(), h.score),
        (K::Sha256, "vt", Some(70))
    );
    assert_eq!(
        (h.first_seen, h.tags.clone()),
        (Some(first), vec!["ransomware".to_string()])
    );
    assert!(
        set.lookup_hash_at(&"cd".repeat(20), later).is_none(),
        "expired SHA-1"
    );
    assert_eq!(
        set.lookup_hash_at(&"cd".repeat(20), created)
            .unwrap()
            .value
            .kind(),
        K::Sha1
    );
    let h = set.lookup_hash_at(&"ef".repeat(16), later).unwrap();
    assert_eq!((h.value.kind(), h.confidence), (K::Md5, Some(30)));
    let p = set
        .lookup_process_at("miner", Some("/tmp/.x/miner"), later)
        .unwrap();
    assert_eq!(
        (p.value.kind(), p.score, p.tags.clone()),
        (K::ProcessPath, Some(8), vec!["miner".to_string()])
    );
    let p = set.lookup_process_at("NC.EXE", None, later).unwrap();
    assert_eq!(
        (p.value.kind(), p.source.as_str(), p.tags.clone()),
        (K::ProcessName, "analyst", vec!["lolbin".to_string()])
    );

    // An entry already expired when the bundle is built is left out.
    let late = build_bundle(
        &b.all_indicators(),
        &spec("v-late", "2026-03-01T04:00:00Z", DAY),
        &key(1),
    )
    .unwrap();
    let late = verify(&late, &key(1).verifying_key(), t("2026-03-01T05:00:00Z")).unwrap();
    assert!(
        late.all_indicators()
            .lookup_hash(&"cd".repeat(20))
            .is_none()
    );
}

/// The provenance side table stays out of the way of a single-source scored feed: no label
/// section at all, the same bytes per range as before, and the same lookups.
#[test]
fn provenance_costs_nothing_for_a_plain_scored_feed() {
    let mut set = IntelSet::new();
    for i in 0..20_000u32 {
        let a = std::net::Ipv4Addr::from(0x0b00_0000 + i * 7);
        set.insert(
            Indicator::new(IndicatorValue::Net(IpAddr::V4(a).into()), "test")
                .with_score(Some(1 + i % 10)),
        );
    }
    let bytes = build_bundle(&set, &spec("v", "2026-03-01T00:00:00Z", DAY), &key(1)).unwrap();
    assert!(!bytes.windows(4).any(|w| w == b"LBLS"), "no label section");
    // Header + signature + sections: 12 bytes per IPv4 range plus a small constant.
    assert!(bytes.len() < 20_000 * 12 + 512, "{} bytes", bytes.len());
    let b = verify(&bytes, &key(1).verifying_key(), t("2026-03-01T01:00:00Z")).unwrap();
    let i = b
        .ip_indicator_at(ip("11.0.0.7"), t("2026-03-01T01:00:00Z"))
        .unwrap();
    assert_eq!((i.source.as_str(), i.score), ("test", Some(2)));
    assert!(i.tags.is_empty());
}

/// Reopening the installed bundle: a file this process verified and that has not changed is
/// loaded without its digests and signature check, so the cache must notice any change — a
/// corrupted file written in place (same size, new mtime) or a wrongly signed file renamed
/// into place is refused on the next open, exactly as on a first open.
#[test]
fn a_changed_installed_file_is_verified_again_on_reopen() {
    let (dir, k) = cache_dir();
    let now = t("2026-11-23T01:00:00Z");
    let mut cache = BundleCache::open(dir.path(), k, now).unwrap();
    let v1 = good_bundle("v1", "2026-11-23T00:00:00Z");
    cache.install(&v1, now).unwrap();
    let path = cache.current_path();

    // Unchanged: the same bundle, decoded or header-only, with the same ETag and status.
    let again = BundleCache::open(dir.path(), k, now).unwrap();
    assert_eq!(again.current().unwrap().version(), "v1");
    assert!(matches!(
        again.check_ip(ip("203.0.113.7"), now),
        IpVerdict::Listed(_)
    ));
    let header = BundleCache::open_header(dir.path(), k, now).unwrap();
    assert!(header.current().is_none());
    assert_eq!(header.etag(), Some(bundle_etag(&v1).as_str()));
    assert_eq!(header.status(now), again.status(now));

    // Corrupted in place: same size and inode, a later mtime.
    std::thread::sleep(Duration::from_millis(20));
    let mut bad = v1.clone();
    let n = bad.len();
    bad[n - 3] ^= 0xff;
    std::fs::write(&path, &bad).unwrap();
    for c in [
        BundleCache::open(dir.path(), k, now).unwrap(),
        BundleCache::open_header(dir.path(), k, now).unwrap(),
    ] {
        assert!(c.current().is_none());
        assert_eq!(c.status(now).current_version, None);
        assert!(c.status(now).last_error.unwrap().contains("tampered"));
    }

    // Renamed into place: signed with another key.
    let other = build_bundle(
        &sample_set(),
        &spec("v2", "2026-11-23T00:30:00Z", DAY),
        &key(9),
    )
    .unwrap();
    let tmp = dir.path().join("other");
    std::fs::write(&tmp, &other).unwrap();
    std::fs::rename(&tmp, &path).unwrap();
    let c = BundleCache::open_header(dir.path(), k, now).unwrap();
    assert!(
        c.status(now)
            .last_error
            .unwrap()
            .contains("wrong signing key")
    );

    // A good bundle installed by a header-only cache is in use for every later open.
    let mut c = BundleCache::open_header(dir.path(), k, now).unwrap();
    let v3 = good_bundle("v3", "2026-11-23T00:40:00Z");
    c.install(&v3, now).unwrap();
    assert_eq!(c.status(now).current_version.as_deref(), Some("v3"));
    let d = BundleCache::open(dir.path(), k, now).unwrap();
    assert_eq!(d.current().unwrap().version(), "v3");
    assert_eq!(d.etag(), Some(bundle_etag(&v3).as_str()));
}

/// Bytes this thread has read through system calls (`rchar` of `/proc/thread-self/io`).
#[cfg(target_os = "linux")]
fn thread_bytes_read() -> u64 {
    let io = std::fs::read_to_string("/proc/thread-self/io").unwrap();
    io.lines()
        .find_map(|l| l.strip_prefix("rchar:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap()
}

/// The check-in opens the installed bundle header-only once a minute: once this process has
/// verified the unchanged file, only its header, version and signature are read (a few hundred
/// bytes), not its payload (megabytes with 100k hashes and domains) — and the facts and ETag
/// are those of a full open. (Before, the whole file was read to parse its header.)
#[cfg(target_os = "linux")]
#[test]
fn header_only_reopen_reads_the_header_not_the_payload() {
    let (dir, k) = cache_dir();
    let now = t("2026-11-23T01:00:00Z");
    let mut set = sample_set();
    for i in 0..20_000u32 {
        let v = IndicatorValue::parse(IndicatorKind::Domain, &format!("d{i}.example.test"));
        set.insert(Indicator::new(v.unwrap(), "feed"));
    }
    let bytes = build_bundle(&set, &spec("big", "2026-11-23T00:00:00Z", DAY), &key(1)).unwrap();
    assert!(bytes.len() > 200_000, "{} bytes", bytes.len());
    BundleCache::open(dir.path(), k, now)
        .unwrap()
        .install(&bytes, now)
        .unwrap();
    let full = BundleCache::open(dir.path(), k, now).unwrap();

    let before = thread_bytes_read();
    let header = BundleCache::open_header(dir.path(), k, now).unwrap();
    let read = thread_bytes_read() - before;
    assert!(read < 4096, "{read} bytes read for the header");
    assert!(header.current().is_none());
    assert_eq!(header.status(now), full.status(now));
    assert_eq!(header.etag(), Some(bundle_etag(&bytes).as_str()));

    // The measure sees a full read: a decoded open reads the whole file.
    let before = thread_bytes_read();
    BundleCache::open(dir.path(), k, now).unwrap();
    assert!(thread_bytes_read() - before >= bytes.len() as u64);

    // Truncated behind the cache's back (a new size): verified again, in full, and refused.
    std::fs::write(full.current_path(), &bytes[..bytes.len() - 10]).unwrap();
    let c = BundleCache::open_header(dir.path(), k, now).unwrap();
    assert_eq!(c.status(now).current_version, None);
    assert!(c.status(now).last_error.is_some());
}
