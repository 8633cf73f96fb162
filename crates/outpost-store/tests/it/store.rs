//! The storage test suite, run against every backend: embedded SQLite always, PostgreSQL when
//! `OUTPOST_TEST_PG_URL` is set (scripts/test.sh starts one). Each PostgreSQL run uses a
//! schema of its own.

use chrono::{Duration, Utc};
use outpost_core::api::{HitRecord, NewSuppression, TriageState};
use outpost_core::auth::Role;
use outpost_core::{Hit, HitPayload, Protocol};
use outpost_db::LEGACY_TABLE;
use outpost_store::{CheckinUpdate, DeviceAuth, HitFilter, KeyKind, StateChange, Store};
use outpost_testkit::migrations::{
    assert_migration_files, migrate_legacy, migration_rows, record_migration,
};

struct Backend {
    name: &'static str,
    store: Store,
    _dir: Option<tempfile::TempDir>,
}

async fn backends() -> Vec<Backend> {
    let v = unmigrated_backends().await;
    for b in &v {
        b.store.migrate().await.unwrap();
    }
    v
}

/// Fresh databases, not migrated yet.
async fn unmigrated_backends() -> Vec<Backend> {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open_sqlite_dir(dir.path()).await.unwrap();
    let mut v = vec![Backend {
        name: "sqlite",
        store: s,
        _dir: Some(dir),
    }];
    if let Some(url) = outpost_testkit::pg_schema("store_test").await {
        let s = Store::connect(&url).await.unwrap();
        v.push(Backend {
            name: "postgres",
            store: s,
            _dir: None,
        });
    }
    v
}

fn hit(ip: &str, process: &str, sha: Option<&str>) -> Hit {
    let t = Utc::now();
    Hit {
        remote_ip: Some(ip.parse().unwrap()),
        remote_port: Some(443),
        protocol: Protocol::Tcp,
        process_name: process.into(),
        pid: Some(42),
        exe_path: Some(format!("/usr/bin/{process}")),
        sha256: sha.map(str::to_string),
        first_seen_utc: t - Duration::minutes(5),
        last_seen_utc: t,
        hit_count: 2,
        sample_events: vec![],
        direction: None,
        intel: None,
        domain: None,
    }
}

fn payload(dev: &DeviceAuth, batch: &str, hits: Vec<Hit>) -> HitPayload {
    HitPayload {
        tenant_id: dev.tenant_id.clone(),
        device_id: dev.device_id.clone(),
        hostname: dev.hostname.clone(),
        agent_version: "test".into(),
        hotlist_version: "v1".into(),
        batch_id: batch.into(),
        hits,
    }
}

async fn device(s: &Store, tenant: &str, host: &str) -> DeviceAuth {
    let (_, token) = s.create_device(tenant, host, None, None).await.unwrap();
    s.device_by_token(&token).await.unwrap().unwrap()
}

#[tokio::test]
async fn ingest_is_idempotent_and_suppressions_apply() {
    for b in backends().await {
        let s = &b.store;
        let t = s.create_tenant("acme").await.unwrap();
        let d1 = device(s, &t.id, "h1").await;
        let sup = s
            .create_suppression(
                &NewSuppression {
                    tenant_id: t.id.clone(),
                    remote_ip: Some("198.51.100.0/24".into()),
                    process_name: Some("backup".into()),
                    ..Default::default()
                },
                "tester",
            )
            .await
            .unwrap();
        let p = payload(
            &d1,
            "batch-1",
            vec![
                hit("198.51.100.7", "backup", None),
                hit("198.51.100.7", "curl", None),
                hit("203.0.113.1", "backup", None),
            ],
        );
        let o = s.insert_hits(&d1, &p, &[]).await.unwrap();
        assert_eq!(
            (o.stored, o.suppressed, o.duplicate),
            (3, 1, false),
            "{}",
            b.name
        );
        let again = s.insert_hits(&d1, &p, &[]).await.unwrap();
        assert_eq!((again.stored, again.duplicate), (0, true), "{}", b.name);
        let all = s.list_hits(&HitFilter::default(), None, 100).await.unwrap();
        assert_eq!(all.items.len(), 3, "{}", b.name);
        let suppressed = s
            .list_hits(
                &HitFilter {
                    state: Some(TriageState::Suppressed),
                    ..Default::default()
                },
                None,
                100,
            )
            .await
            .unwrap();
        assert_eq!(suppressed.items.len(), 1, "{}", b.name);
        assert_eq!(suppressed.items[0].hit.process_name, "backup");
        assert_eq!(
            suppressed.items[0].triage.suppression_id.as_deref(),
            Some(sup.id.as_str())
        );
        // A deleted rule no longer applies.
        s.delete_suppression(&sup.id).await.unwrap();
        let o = s
            .insert_hits(
                &d1,
                &payload(&d1, "batch-2", vec![hit("198.51.100.7", "backup", None)]),
                &[],
            )
            .await
            .unwrap();
        assert_eq!(o.suppressed, 0, "{}", b.name);
        // An expired rule neither.
        s.create_suppression(
            &NewSuppression {
                tenant_id: t.id.clone(),
                process_name: Some("backup".into()),
                expires_at: Some(Utc::now() - Duration::seconds(1)),
                ..Default::default()
            },
            "tester",
        )
        .await
        .unwrap();
        assert!(
            s.active_suppressions(&t.id).await.unwrap().is_empty(),
            "{}",
            b.name
        );
        // Rules need at least one condition and valid values.
        assert!(
            s.create_suppression(
                &NewSuppression {
                    tenant_id: t.id.clone(),
                    ..Default::default()
                },
                "x"
            )
            .await
            .is_err()
        );
        assert!(
            s.create_suppression(
                &NewSuppression {
                    tenant_id: t.id.clone(),
                    remote_ip: Some("not-an-ip".into()),
                    ..Default::default()
                },
                "x"
            )
            .await
            .is_err()
        );
    }
}

#[tokio::test]
async fn state_changes_are_compare_and_set_with_history() {
    for b in backends().await {
        let s = &b.store;
        let t = s.create_tenant("acme").await.unwrap();
        let d = device(s, &t.id, "h1").await;
        s.insert_hits(
            &d,
            &payload(&d, "b", vec![hit("192.0.2.1", "curl", None)]),
            &[],
        )
        .await
        .unwrap();
        let id = s
            .list_hits(&HitFilter::default(), None, 1)
            .await
            .unwrap()
            .items[0]
            .id;
        let StateChange::Changed(h) = s
            .set_triage_state::<HitRecord>(
                id,
                TriageState::Acknowledged,
                "user:ann",
                Some("looked at it"),
                Some(0),
            )
            .await
            .unwrap()
        else {
            panic!("{}: first change conflicted", b.name)
        };
        assert_eq!(h.triage.state, TriageState::Acknowledged);
        assert_eq!(h.triage.version, 1);
        assert_eq!(h.triage.state_changed_by.as_deref(), Some("user:ann"));
        // A stale version is refused and changes nothing.
        let c = s
            .set_triage_state::<HitRecord>(
                id,
                TriageState::FalsePositive,
                "user:bob",
                None,
                Some(0),
            )
            .await
            .unwrap();
        assert!(
            matches!(c, StateChange::Conflict(ref h) if h.triage.version == 1),
            "{}",
            b.name
        );
        // Concurrent changes without a version all apply, one after another: none is lost.
        let mut tasks = Vec::new();
        for i in 0..8 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                let to = if i % 2 == 0 {
                    TriageState::New
                } else {
                    TriageState::Acknowledged
                };
                s.set_triage_state::<HitRecord>(id, to, &format!("user:u{i}"), None, None)
                    .await
            }));
        }
        for t in tasks {
            assert!(matches!(t.await.unwrap().unwrap(), StateChange::Changed(_)));
        }
        let h = s.get_hit(id).await.unwrap();
        assert_eq!(h.triage.version, 9, "{}", b.name);
        let hist = s.triage_history::<HitRecord>(id).await.unwrap();
        assert_eq!(hist.len(), 9, "{}", b.name);
        assert_eq!(hist[0].from_state, TriageState::New);
        assert_eq!(hist[0].to_state, TriageState::Acknowledged);
        assert_eq!(hist[0].note.as_deref(), Some("looked at it"));
        // Each history row starts where the one before ended.
        for w in hist.windows(2) {
            assert_eq!(w[0].to_state, w[1].from_state, "{}: {hist:?}", b.name);
        }
        assert!(s.get_hit(id + 1000).await.is_err());
    }
}

#[tokio::test]
async fn correlation_across_devices_and_retention() {
    for b in backends().await {
        let s = &b.store;
        let t = s.create_tenant("acme").await.unwrap();
        let other = s.create_tenant("other").await.unwrap();
        let sha = "cd".repeat(32);
        let mut devs = Vec::new();
        for h in ["h1", "h2", "h3"] {
            devs.push(device(s, &t.id, h).await);
        }
        let dx = device(s, &other.id, "x1").await;
        for (i, d) in devs.iter().enumerate() {
            let mut hits = vec![hit("192.0.2.50", "curl", Some(&sha))];
            if i == 0 {
                hits.push(hit("192.0.2.99", "wget", None));
            }
            s.insert_hits(d, &payload(d, &format!("b{i}"), hits), &[])
                .await
                .unwrap();
        }
        s.insert_hits(
            &dx,
            &payload(&dx, "bx", vec![hit("192.0.2.50", "curl", None)]),
            &[],
        )
        .await
        .unwrap();
        let c = s.correlations(Some(&t.id), None, 2, 100).await.unwrap();
        assert_eq!(c.len(), 2, "{}: {c:?}", b.name);
        assert!(c.iter().all(|c| c.devices == 3 && c.tenant_id == t.id));
        assert!(
            c.iter()
                .any(|c| c.kind == "remote_ip" && c.value == "192.0.2.50")
        );
        assert!(c.iter().any(|c| c.kind == "sha256" && c.value == sha));
        // Another tenant's device never correlates with this tenant.
        let all = s.correlations(None, None, 2, 100).await.unwrap();
        assert!(all.iter().all(|c| c.devices == 3), "{}: {all:?}", b.name);
        let first = s
            .list_hits(
                &HitFilter {
                    device_id: Some(devs[0].device_id.clone()),
                    remote_ip: Some("192.0.2.50".into()),
                    ..Default::default()
                },
                None,
                1,
            )
            .await
            .unwrap()
            .items
            .remove(0);
        let related = s.related_hits(&first, 100).await.unwrap();
        assert_eq!(related.len(), 2, "{}", b.name);
        assert!(
            related
                .iter()
                .all(|r| r.tenant_id == t.id && r.device_id != first.device_id)
        );
        // Retention.
        assert_eq!(
            s.purge_hits_before(Utc::now() - Duration::days(1))
                .await
                .unwrap(),
            0
        );
        s.set_triage_state::<HitRecord>(first.id, TriageState::Acknowledged, "x", None, None)
            .await
            .unwrap();
        let n = s
            .purge_hits_before(Utc::now() + Duration::seconds(1))
            .await
            .unwrap();
        assert_eq!(n, 5, "{}", b.name);
        assert!(
            s.list_hits(&HitFilter::default(), None, 10)
                .await
                .unwrap()
                .items
                .is_empty()
        );
    }
}

#[tokio::test]
async fn users_sessions_keys_and_devices() {
    for b in backends().await {
        let s = &b.store;
        let t = s.create_tenant("acme").await.unwrap();
        assert!(
            s.create_user("c1", "$argon2id$x", Role::Customer, None)
                .await
                .is_err()
        );
        assert!(
            s.create_user("t1", "$argon2id$x", Role::Technician, Some(&t.id))
                .await
                .is_err()
        );
        assert!(
            s.create_user("bad name", "$argon2id$x", Role::Admin, None)
                .await
                .is_err()
        );
        let u = s
            .create_user("c1", "$argon2id$x", Role::Customer, Some(&t.id))
            .await
            .unwrap();
        assert!(
            s.create_user("c1", "$argon2id$y", Role::Admin, None)
                .await
                .is_err(),
            "duplicate"
        );
        let creds = s.user_credentials("c1").await.unwrap().unwrap();
        assert_eq!(creds.password_hash, "$argon2id$x");
        let (tok, exp) = s
            .create_session(&u.id, std::time::Duration::from_secs(60))
            .await
            .unwrap();
        assert!(tok.starts_with("ops_") && exp > Utc::now());
        assert_eq!(s.session_user(&tok).await.unwrap().unwrap().id, u.id);
        let (short, _) = s
            .create_session(&u.id, std::time::Duration::from_millis(1))
            .await
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        assert!(s.session_user(&short).await.unwrap().is_none(), "expired");
        assert!(s.purge_sessions().await.unwrap() >= 1);
        s.disable_user(&u.id).await.unwrap();
        assert!(
            s.session_user(&tok).await.unwrap().is_none(),
            "{}: disabled user's session",
            b.name
        );
        assert!(s.user_credentials("c1").await.unwrap().is_none());

        let (k, secret) = s
            .create_key(KeyKind::Enrollment, Some(&t.id), "e")
            .await
            .unwrap();
        assert!(s.resolve_key(&secret).await.unwrap().is_some());
        s.revoke_key(&k.id).await.unwrap();
        assert!(s.resolve_key(&secret).await.unwrap().is_none());
        assert!(
            s.list_keys(None)
                .await
                .unwrap()
                .iter()
                .any(|x| x.id == k.id && x.revoked)
        );

        let (dev, token) = s.create_device(&t.id, "h", None, None).await.unwrap();
        let counters = serde_json::json!({"events": {"network": 5}, "rss_kib": 9000});
        let (v, c) = s
            .record_checkin(
                &dev.id,
                &CheckinUpdate {
                    agent_version: Some("1.2"),
                    counters: Some(&counters),
                    interval_s: Some(30),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(v.is_none() && c.is_none());
        let got = s.get_device(&dev.id).await.unwrap();
        assert!(got.online, "{}", b.name);
        assert_eq!(got.counters, Some(counters));
        assert_eq!(got.agent_version.as_deref(), Some("1.2"));
        let before = s.config_marker().await.unwrap();
        let ver = s
            .set_device_config(
                &dev.id,
                &serde_json::json!({"window": {"min_age_minutes": 5}}),
            )
            .await
            .unwrap();
        assert_ne!(s.config_marker().await.unwrap(), before);
        let (v, c) = s
            .record_checkin(&dev.id, &CheckinUpdate::default())
            .await
            .unwrap();
        assert_eq!(v.as_deref(), Some(ver.as_str()));
        assert_eq!(c.unwrap()["window"]["min_age_minutes"], 5);
        s.revoke_device(&dev.id).await.unwrap();
        assert!(s.device_by_token(&token).await.unwrap().is_none());
        assert!(s.list_devices(Some(&t.id)).await.unwrap().is_empty());
        assert!(
            s.get_device(&dev.id).await.is_ok(),
            "revoked devices stay readable"
        );
    }
}

#[tokio::test]
async fn host_candidates_cover_full_and_short_names_case_insensitively() {
    for b in backends().await {
        let s = &b.store;
        let ta = s.create_tenant("fq-a").await.unwrap();
        let tb = s.create_tenant("fq-b").await.unwrap();
        let short = device(s, &ta.id, "WEB01").await;
        let full = device(s, &ta.id, "web01.Corp.Example").await;
        let other_dom = device(s, &ta.id, "web01.dmz.example").await;
        device(s, &ta.id, "web011").await;
        device(s, &ta.id, "web01x.corp.example").await;
        // LIKE wildcards in a name are literal.
        let under = device(s, &ta.id, "a_b.corp").await;
        device(s, &ta.id, "axb.corp").await;
        let in_b = device(s, &tb.id, "web01.corp.example").await;
        let ids = |v: Vec<outpost_core::api::Device>| {
            let mut v: Vec<String> = v.into_iter().map(|d| d.id).collect();
            v.sort();
            v
        };
        let sorted = |mut v: Vec<String>| {
            v.sort();
            v
        };
        let got = ids(s
            .find_devices_for_host(Some(&ta.id), "Web01")
            .await
            .unwrap());
        assert_eq!(
            got,
            sorted(vec![
                short.device_id.clone(),
                full.device_id.clone(),
                other_dom.device_id.clone()
            ]),
            "{}",
            b.name
        );
        // A full name's candidates: itself and its first label (the resolver drops other
        // domains).
        let got = ids(s
            .find_devices_for_host(Some(&ta.id), "WEB01.corp.example.")
            .await
            .unwrap());
        assert!(
            got.contains(&short.device_id) && got.contains(&full.device_id),
            "{}",
            b.name
        );
        assert!(!got.contains(&in_b.device_id), "tenant scoping, {}", b.name);
        let got = ids(s
            .find_devices_for_host(None, "web01.corp.example")
            .await
            .unwrap());
        assert!(got.contains(&in_b.device_id), "{}", b.name);
        let got = ids(s.find_devices_for_host(Some(&ta.id), "a_b").await.unwrap());
        assert_eq!(got, vec![under.device_id.clone()], "{}", b.name);
    }
}

#[tokio::test]
async fn devices_are_found_by_hostname_within_a_tenant() {
    for b in backends().await {
        let s = &b.store;
        let ta = s.create_tenant("hn-a").await.unwrap();
        let tb = s.create_tenant("hn-b").await.unwrap();
        let a1 = device(s, &ta.id, "Sensor-7").await;
        let b1 = device(s, &tb.id, "sensor-7").await;
        device(s, &ta.id, "other").await;
        let found = s
            .find_devices_by_hostname(Some(&ta.id), "sensor-7")
            .await
            .unwrap();
        assert_eq!(
            found.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
            vec![a1.device_id.as_str()],
            "{}",
            b.name
        );
        let all = s.find_devices_by_hostname(None, "SENSOR-7").await.unwrap();
        assert_eq!(all.len(), 2, "{}", b.name);
        assert!(all.iter().any(|d| d.id == b1.device_id));
        // A revoked device is no longer a target.
        s.revoke_device(&a1.device_id).await.unwrap();
        assert!(
            s.find_devices_by_hostname(Some(&ta.id), "sensor-7")
                .await
                .unwrap()
                .is_empty(),
            "{}",
            b.name
        );
        assert!(
            s.find_devices_by_hostname(Some(&ta.id), "nope")
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn tenant_intel_allowlist_revisions_and_device_intel_status() {
    use outpost_core::api::{IntelStatus, NewAllowlistEntry, NewTenantIndicator};
    for b in backends().await {
        let s = &b.store;
        let ta = s.create_tenant("intel-a").await.unwrap();
        let tb = s.create_tenant("intel-b").await.unwrap();
        assert_eq!(s.intel_revision(&ta.id).await.unwrap().revision, 0);
        let new = |t: &str, v: &str| NewTenantIndicator {
            tenant_id: t.to_string(),
            kind: "ip".into(),
            value: v.into(),
            score: Some(7),
            source: Some("analyst".into()),
            expires_at: Some(Utc::now() + Duration::days(1)),
        };
        let ia = s
            .create_tenant_indicator(&new(&ta.id, "203.0.113.5"), "key:x")
            .await
            .unwrap();
        s.create_tenant_indicator(&new(&tb.id, "198.51.100.7"), "key:x")
            .await
            .unwrap();
        // The same value twice in one tenant is a conflict; in another tenant it is not.
        assert!(matches!(
            s.create_tenant_indicator(&new(&ta.id, "203.0.113.5"), "key:x")
                .await,
            Err(outpost_store::StoreError::Conflict(_))
        ));
        s.create_tenant_indicator(&new(&tb.id, "203.0.113.5"), "key:x")
            .await
            .unwrap();
        let rev = s.intel_revision(&ta.id).await.unwrap();
        assert_eq!(rev.revision, 1, "{}: a conflict must not bump", b.name);
        assert!(rev.changed_at.is_some());
        let la = s.list_tenant_indicators(Some(&ta.id)).await.unwrap();
        assert_eq!(la, vec![ia.clone()], "{}", b.name);
        assert_eq!(la[0].score, Some(7));
        assert_eq!(s.list_tenant_indicators(None).await.unwrap().len(), 3);

        let al = s
            .create_allowlist_entry(
                &NewAllowlistEntry {
                    tenant_id: ta.id.clone(),
                    network: "192.0.2.0/24".into(),
                    reason: Some("our servers".into()),
                },
                "key:x",
            )
            .await
            .unwrap();
        assert_eq!(s.intel_revision(&ta.id).await.unwrap().revision, 2);
        assert_eq!(
            s.list_allowlist(Some(&ta.id)).await.unwrap(),
            vec![al.clone()]
        );
        assert!(s.list_allowlist(Some(&tb.id)).await.unwrap().is_empty());
        s.delete_allowlist_entry(&al.id).await.unwrap();
        s.delete_tenant_indicator(&ia.id).await.unwrap();
        assert_eq!(s.intel_revision(&ta.id).await.unwrap().revision, 4);
        assert_eq!(s.intel_revision(&tb.id).await.unwrap().revision, 2);
        assert!(
            s.list_tenant_indicators(Some(&ta.id))
                .await
                .unwrap()
                .is_empty()
        );
        assert!(matches!(
            s.delete_tenant_indicator(&ia.id).await,
            Err(outpost_store::StoreError::NotFound(_))
        ));

        // The agent's reported bundle state is stored on the device and replaced by the next.
        let (dev, _) = s.create_device(&ta.id, "h", None, None).await.unwrap();
        let bad = IntelStatus {
            version: Some("v1".into()),
            stale: false,
            last_error: Some("bundle has been tampered with: x".into()),
            last_error_at: Some(Utc::now()),
        };
        s.record_checkin(
            &dev.id,
            &CheckinUpdate {
                intel: Some(&bad),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let got = s.get_device(&dev.id).await.unwrap();
        let stored = got.intel.unwrap();
        assert_eq!(stored.last_error, bad.last_error, "{}", b.name);
        // A check-in without the field keeps it; one with a clean state replaces it.
        s.record_checkin(&dev.id, &CheckinUpdate::default())
            .await
            .unwrap();
        assert!(s.get_device(&dev.id).await.unwrap().intel.is_some());
        let good = IntelStatus {
            version: Some("v2".into()),
            ..Default::default()
        };
        s.record_checkin(
            &dev.id,
            &CheckinUpdate {
                intel: Some(&good),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let got = s.get_device(&dev.id).await.unwrap().intel.unwrap();
        assert_eq!(got.version.as_deref(), Some("v2"));
        assert!(got.last_error.is_none());
    }
}

/// Scores given at ingest are stored with the hits and read back; a batch's hits can be read
/// again by (device, batch) — the server re-publishes them when an agent retries a batch.
#[tokio::test]
async fn scores_are_stored_and_batches_read_back() {
    use outpost_core::Finding;
    use outpost_core::api::HitScore;
    for b in backends().await {
        let s = &b.store;
        let t = s.create_tenant("acme").await.unwrap();
        let d = device(s, &t.id, "h1").await;
        let p = payload(
            &d,
            "scored",
            vec![
                hit("198.51.100.7", "curl", None),
                hit("203.0.113.1", "sshd", None),
            ],
        );
        let ind = Finding {
            engine: "rules".into(),
            rule_name: "curl-to-ip".into(),
            indicator_type: "custom".into(),
            description: "curl to a bare address".into(),
            extra_info: "198.51.100.7".into(),
            score: 70,
        };
        let scores = vec![
            HitScore {
                risk_score: 120,
                indicators: vec![ind.clone()],
                alert: true,
            },
            HitScore::default(),
        ];
        // A score list of the wrong length is refused and stores nothing.
        assert!(
            s.insert_hits(&d, &p, &scores[..1]).await.is_err(),
            "{}",
            b.name
        );
        assert!(
            s.hits_of_batch(&d.device_id, "scored")
                .await
                .unwrap()
                .is_empty()
        );
        s.insert_hits(&d, &p, &scores).await.unwrap();
        let got = s.hits_of_batch(&d.device_id, "scored").await.unwrap();
        assert_eq!(got.len(), 2, "{}", b.name);
        assert_eq!(got[0].hit.process_name, "curl");
        assert_eq!(got[0].score, scores[0], "{}", b.name);
        assert_eq!(got[1].score, HitScore::default(), "{}", b.name);
        assert_eq!(
            s.get_hit(got[0].id).await.unwrap().score.indicators,
            vec![ind]
        );
        assert!(
            s.hits_of_batch(&d.device_id, "other")
                .await
                .unwrap()
                .is_empty()
        );
    }
}

/// Hit rows are ~2 KB; a new database is made with 16 KiB pages (4 KiB split every other
/// insert), and one made before keeps its own page size.
#[tokio::test]
async fn new_sqlite_databases_use_large_pages_and_old_ones_keep_theirs() {
    use sqlx::Connection;
    async fn page_size(path: &std::path::Path) -> i64 {
        let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        sqlx::query_scalar("PRAGMA page_size")
            .fetch_one(&mut c)
            .await
            .unwrap()
    }
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open_sqlite_dir(dir.path()).await.unwrap();
    s.migrate().await.unwrap();
    s.close().await;
    assert_eq!(
        page_size(&dir.path().join("outpost.db")).await,
        i64::from(outpost_store::SQLITE_PAGE_SIZE)
    );

    let old = dir.path().join("old.db");
    {
        let url = format!("sqlite://{}?mode=rwc", old.display());
        let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query("PRAGMA page_size = 4096")
            .execute(&mut c)
            .await
            .unwrap();
        sqlx::query("PRAGMA journal_mode = WAL")
            .execute(&mut c)
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (x)")
            .execute(&mut c)
            .await
            .unwrap();
    }
    let s = Store::open_sqlite_file(&old).await.unwrap();
    s.migrate().await.unwrap();
    s.close().await;
    assert_eq!(page_size(&old).await, 4096);
}

/// Hits of other indicator kinds (no address) are stored and read back as they
/// were sent, and the same indicator on several devices is a correlation of its kind, with
/// related hits found by it.
#[tokio::test]
async fn hits_without_an_address_round_trip_and_correlate_by_indicator() {
    for b in backends().await {
        let s = &b.store;
        let t = s.create_tenant("acme").await.unwrap();
        let dns_hit = |process: &str| {
            let mut h = hit("192.0.2.1", process, None);
            h.remote_ip = None;
            h.remote_port = None;
            h.domain = Some("x.bad.example".into());
            h.intel = Some(outpost_core::IntelMatch {
                indicator: "*.bad.example".into(),
                kind: Some("domain_suffix".into()),
                source: Some("report".into()),
                ..Default::default()
            });
            h
        };
        let (d1, d2) = (device(s, &t.id, "h1").await, device(s, &t.id, "h2").await);
        s.insert_hits(&d1, &payload(&d1, "b1", vec![dns_hit("curl")]), &[])
            .await
            .unwrap();
        s.insert_hits(&d2, &payload(&d2, "b2", vec![dns_hit("wget")]), &[])
            .await
            .unwrap();
        let page = s
            .list_hits(
                &HitFilter {
                    tenant_id: Some(t.id.clone()),
                    ..Default::default()
                },
                None,
                100,
            )
            .await
            .unwrap();
        assert_eq!(page.items.len(), 2, "{}", b.name);
        let h = &page.items[0];
        assert_eq!(h.hit.remote_ip, None, "{}", b.name);
        assert_eq!(h.hit.domain.as_deref(), Some("x.bad.example"));
        assert_eq!(h.hit.kind(), "domain_suffix");
        let c = s.correlations(Some(&t.id), None, 2, 100).await.unwrap();
        assert_eq!(c.len(), 1, "{}: {c:?}", b.name);
        assert_eq!(
            (c[0].kind.as_str(), c[0].value.as_str(), c[0].devices),
            ("domain_suffix", "*.bad.example", 2)
        );
        let related = s.related_hits(h, 10).await.unwrap();
        assert_eq!(related.len(), 1, "{}", b.name);
        assert_ne!(related[0].device_id, h.device_id);
    }
}

/// OIDC logins in progress are good once and expire; provider-linked users are
/// created on first login, updated (a new scope ends their sessions), disabled by the
/// mapping and enabled again by it — but never re-enabled after an admin disabled them.
#[tokio::test]
async fn oidc_logins_and_provider_linked_users() {
    for b in backends().await {
        let s = &b.store;
        let t = s.create_tenant("acme").await.unwrap();
        let login = outpost_store::PendingOidcLogin {
            provider: "corp".into(),
            nonce: "n1".into(),
            pkce_verifier: "v1".into(),
        };
        s.oidc_login_begin("state-1", &login, std::time::Duration::from_secs(600))
            .await
            .unwrap();
        s.oidc_login_begin("state-old", &login, std::time::Duration::from_secs(0))
            .await
            .unwrap();
        assert!(
            s.oidc_login_take("state-2").await.unwrap().is_none(),
            "{}",
            b.name
        );
        let got = s.oidc_login_take("state-1").await.unwrap().unwrap();
        assert_eq!(
            (
                got.provider.as_str(),
                got.nonce.as_str(),
                got.pkce_verifier.as_str()
            ),
            ("corp", "n1", "v1")
        );
        assert!(
            s.oidc_login_take("state-1").await.unwrap().is_none(),
            "once only ({})",
            b.name
        );
        assert!(
            s.oidc_login_take("state-old").await.unwrap().is_none(),
            "expired ({})",
            b.name
        );

        let created = s
            .oidc_login_user(
                "corp",
                "sub-1",
                "corp:ann@acme.example",
                Role::Technician,
                None,
            )
            .await
            .unwrap();
        let outpost_store::OidcLogin::Created(u) = created else {
            panic!("{created:?}")
        };
        assert_eq!(
            s.user_oidc_provider(&u.id).await.unwrap().as_deref(),
            Some("corp")
        );
        let (tok, _) = s
            .create_session(&u.id, std::time::Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(s.session_id_token(&tok).await.unwrap(), None);
        s.set_session_id_token(&tok, "eyJ.id.token").await.unwrap();
        assert_eq!(
            s.session_id_token(&tok).await.unwrap().as_deref(),
            Some("eyJ.id.token")
        );
        // Same identity, same scope: the session stays.
        let again = s
            .oidc_login_user(
                "corp",
                "sub-1",
                "corp:ann@acme.example",
                Role::Technician,
                None,
            )
            .await
            .unwrap();
        assert!(
            matches!(
                again,
                outpost_store::OidcLogin::Updated {
                    scope_changed: false,
                    ..
                }
            ),
            "{again:?}"
        );
        assert!(s.session_user(&tok).await.unwrap().is_some());
        // Narrowed to a customer of acme: other sessions end.
        let narrowed = s
            .oidc_login_user(
                "corp",
                "sub-1",
                "corp:ann@acme.example",
                Role::Customer,
                Some(&t.id),
            )
            .await
            .unwrap();
        let outpost_store::OidcLogin::Updated {
            user,
            scope_changed: true,
        } = narrowed
        else {
            panic!("{narrowed:?}")
        };
        assert_eq!(
            (user.role, user.tenant_id.as_deref()),
            (Role::Customer, Some(t.id.as_str()))
        );
        assert!(s.session_user(&tok).await.unwrap().is_none(), "{}", b.name);
        // Another provider's identity with a taken name: a conflict, not a takeover.
        assert!(matches!(
            s.oidc_login_user(
                "other",
                "sub-1",
                "corp:ann@acme.example",
                Role::Technician,
                None
            )
            .await,
            Err(outpost_store::StoreError::Conflict(_))
        ));
        // The mapping disables, and enables again.
        assert!(
            s.oidc_disable_user("corp", "sub-1")
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            s.oidc_disable_user("corp", "sub-1")
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            s.user_credentials("corp:ann@acme.example")
                .await
                .unwrap()
                .is_none()
        );
        let back = s
            .oidc_login_user(
                "corp",
                "sub-1",
                "corp:ann@acme.example",
                Role::Customer,
                Some(&t.id),
            )
            .await
            .unwrap();
        assert!(
            matches!(back, outpost_store::OidcLogin::Updated { .. }),
            "{back:?}"
        );
        // An admin disables: the provider cannot undo it.
        s.disable_user(&u.id).await.unwrap();
        let refused = s
            .oidc_login_user(
                "corp",
                "sub-1",
                "corp:ann@acme.example",
                Role::Customer,
                Some(&t.id),
            )
            .await
            .unwrap();
        assert!(
            matches!(refused, outpost_store::OidcLogin::Disabled(_)),
            "{refused:?}"
        );
        // An admin may also disable a user the mapping had disabled; it then stays disabled.
        let v = s
            .oidc_login_user(
                "corp",
                "sub-2",
                "corp:bo@acme.example",
                Role::Technician,
                None,
            )
            .await
            .unwrap();
        let outpost_store::OidcLogin::Created(v) = v else {
            panic!()
        };
        s.oidc_disable_user("corp", "sub-2").await.unwrap();
        s.disable_user(&v.id).await.unwrap();
        assert!(matches!(
            s.oidc_login_user(
                "corp",
                "sub-2",
                "corp:bo@acme.example",
                Role::Technician,
                None
            )
            .await
            .unwrap(),
            outpost_store::OidcLogin::Disabled(_)
        ));
        // Local users are unaffected by the unique identity index (NULL pairs).
        s.create_user("local1", "$argon2id$x", Role::Admin, None)
            .await
            .unwrap();
        s.create_user("local2", "$argon2id$x", Role::Admin, None)
            .await
            .unwrap();
        assert_eq!(
            s.user_oidc_provider(&u.id).await.unwrap().as_deref(),
            Some("corp")
        );
        assert_eq!(s.purge_sessions().await.unwrap(), 0);
    }
}

/// Releases are stored once per content, unique per platform and version; a
/// rollout's devices and their reports (idempotent), and a device's update history.
#[tokio::test]
async fn releases_rollouts_and_update_history() {
    for b in backends().await {
        let s = &b.store;
        let t = s.create_tenant("upd").await.unwrap();
        let dev = device(s, &t.id, "u1").await;
        let bytes = b"agent build bytes".to_vec();
        let sha = outpost_core_sha(&bytes);
        let new = |v: &'static str| outpost_store::NewRelease {
            os: "linux",
            arch: "x86_64",
            version: v,
            sha256: Box::leak(sha.clone().into_boxed_str()),
            signature: "ab",
        };
        let r1 = s.put_release(&new("1.0.0"), &bytes, "admin").await.unwrap();
        assert_eq!(
            (r1.size, r1.sha256.as_str()),
            (bytes.len() as u64, sha.as_str())
        );
        // Same bytes under another version share the blob; the same version is a conflict.
        let r2 = s.put_release(&new("1.0.1"), &bytes, "admin").await.unwrap();
        assert!(
            matches!(
                s.put_release(&new("1.0.0"), &bytes, "admin").await,
                Err(outpost_store::StoreError::Conflict(_))
            ),
            "{}",
            b.name
        );
        assert_eq!(s.release_content(&r2.id).await.unwrap(), bytes);
        assert_eq!(s.list_releases().await.unwrap().len(), 2);
        let ro = s
            .create_rollout(&outpost_store::NewRolloutRow {
                release_id: &r2.id,
                tenant_id: Some(&t.id),
                canary: std::slice::from_ref(&dev.device_id),
                percents: &[50, 100],
                healthy_secs: 60,
                failure_threshold: 2,
                rollback: false,
                created_by: "admin",
            })
            .await
            .unwrap();
        assert_eq!((ro.stage, ro.stages, ro.state.as_str()), (0, 3, "running"));
        s.assign_update(&dev.device_id, &ro.id).await.unwrap();
        s.assign_update(&dev.device_id, &ro.id).await.unwrap();
        let rep = outpost_core::api::UpdateReport {
            release_id: r2.id.clone(),
            version: "1.0.1".into(),
            outcome: "installed".into(),
            reason: None,
            at: Utc::now(),
        };
        assert!(s.record_update_report(&dev.device_id, &rep).await.unwrap());
        assert!(
            !s.record_update_report(&dev.device_id, &rep).await.unwrap(),
            "{}",
            b.name
        );
        let ro = s.get_rollout(&ro.id).await.unwrap();
        assert_eq!(ro.devices.get("installed"), Some(&1), "{}", b.name);
        s.set_rollout(&ro.id, "paused", Some("manual"), Some(1), None)
            .await
            .unwrap();
        let ro = s.get_rollout(&ro.id).await.unwrap();
        assert_eq!(
            (ro.stage, ro.state.as_str(), ro.reason.as_deref()),
            (1, "paused", Some("manual"))
        );
        assert_eq!(s.list_rollouts(true).await.unwrap().len(), 1);
        s.set_rollout(&ro.id, "aborted", None, None, Some(1))
            .await
            .unwrap();
        assert!(s.list_rollouts(true).await.unwrap().is_empty());
        let h = s.update_history(&dev.device_id, 10).await.unwrap();
        assert_eq!(h.len(), 1);
        assert_eq!(
            (h[0].outcome.as_str(), h[0].rollout_id.as_deref()),
            ("installed", Some(ro.id.as_str()))
        );
    }
}

fn outpost_core_sha(b: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(b))
}

/// Secrets are stored only as hashes: no enrollment key, API key, device token or session
/// token appears in the database's files (the database itself, its WAL), in any form a byte
/// scan finds.
#[tokio::test]
async fn no_secret_is_stored_in_clear() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open_sqlite_dir(dir.path()).await.unwrap();
    s.migrate().await.unwrap();
    let t = s.create_tenant("acme").await.unwrap();
    let mut secrets = Vec::new();
    for (kind, tenant) in [
        (KeyKind::Enrollment, Some(t.id.as_str())),
        (KeyKind::Admin, None),
    ] {
        let (info, secret) = s.create_key(kind, tenant, "k").await.unwrap();
        assert!(s.resolve_key(&secret).await.unwrap().is_some());
        assert!(secret.starts_with(&info.prefix));
        secrets.push(secret);
    }
    let (_, token) = s.create_device(&t.id, "host-1", None, None).await.unwrap();
    secrets.push(token);
    let user = s
        .create_user(
            "alice",
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
            Role::Admin,
            None,
        )
        .await
        .unwrap();
    let (session, _) = s
        .create_session(&user.id, std::time::Duration::from_secs(60))
        .await
        .unwrap();
    secrets.push(session);
    let mut bytes = Vec::new();
    for e in std::fs::read_dir(dir.path()).unwrap().flatten() {
        if e.path().is_file() {
            bytes.extend(std::fs::read(e.path()).unwrap());
        }
    }
    assert!(bytes.len() > 4096, "the database files were not found");
    for secret in &secrets {
        // The part after the kind prefix is the random value itself.
        let random = &secret[secret.len() - 32..];
        assert!(
            !bytes.windows(random.len()).any(|w| w == random.as_bytes()),
            "a secret ({}…) is stored in clear",
            &secret[..6]
        );
    }
}

/// The store's migrations, pinned: a migration file lost or renamed fails this test (and a
/// database that applied it refuses to open, see the next test).
#[test]
fn the_migration_files_are_all_there() {
    assert_migration_files(
        &outpost_store::MIGRATIONS,
        &[
            "foundation",
            "server",
            "intel",
            "scores",
            "intel signing key",
            "alerts profiles",
            "indicator kinds",
            "oidc",
            "releases",
            "input offsets",
            "attack models",
        ],
    );
}

/// A database made before migrations were kept per crate (the store's and the job queue's
/// rows in one `_sqlx_migrations` table, each crate ignoring the other's) opens: its rows are
/// kept, nothing runs again, the store's records move to `_outpost_store_migrations` and the
/// job queue's stay for it to take; and once there, a migration the binary lacks fails the
/// start instead of going unnoticed.
#[tokio::test]
async fn a_database_of_the_shared_migration_table_opens_and_lost_migrations_fail() {
    for b in unmigrated_backends().await {
        let s = &b.store;
        let db = s.db();
        // What the server did before: the store's migrations into `_sqlx_migrations`,
        // ignoring missing versions, beside the job queue's row (version 1000).
        migrate_legacy(db, &outpost_store::MIGRATIONS).await;
        record_migration(db, LEGACY_TABLE, 1000, "outpost jobs").await;
        let tenant = s.create_tenant("kept").await.unwrap();
        let before = migration_rows(db, LEGACY_TABLE).await;
        // The store's migrations, then the job queue's row.
        let n = outpost_store::MIGRATIONS.list("sqlite").len();
        assert_eq!(before.len(), n + 1, "{}", b.name);

        s.migrate().await.unwrap();
        s.migrate().await.unwrap();
        assert_eq!(
            migration_rows(db, "_outpost_store_migrations").await,
            before[..n],
            "{}",
            b.name
        );
        assert_eq!(
            migration_rows(db, LEGACY_TABLE).await,
            before[n..],
            "{}",
            b.name
        );
        assert_eq!(s.find_tenant("kept").await.unwrap().id, tenant.id);

        // A migration this binary does not carry (a lost file) stops the start.
        record_migration(db, "_outpost_store_migrations", n as i64 + 1, "lost").await;
        match s.migrate().await {
            Err(outpost_store::StoreError::Open(outpost_db::DbError::Migrate(
                sqlx::migrate::MigrateError::VersionMissing(v),
            ))) if v == n as i64 + 1 => {}
            other => panic!("{}: a lost migration went unnoticed: {other:?}", b.name),
        }
    }
}
