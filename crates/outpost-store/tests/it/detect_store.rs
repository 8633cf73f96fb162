//! Storage on both backends: alerts from telemetry (idempotent per event, suppression
//! rules incl. by detection rule, learn mode and its proposals, state changes with history),
//! STIX sightings linked to alerts, and behaviour profiles merged by several replicas (set
//! union, reset epochs, revisions read once). PostgreSQL runs when `OUTPOST_TEST_PG_URL` is set
//! (scripts/test.sh starts one), each run in a schema of its own.

use chrono::{Duration, TimeZone, Utc};
use outpost_core::api::{AlertRecord, NewSuppression, ProfileDelta, TriageState};
use outpost_core::sighting::{AttackLink, StixSighting};
use outpost_core::{Event, EventKind, Finding, ProcessInfo};
use outpost_store::{AlertFilter, AlertStateChange, DeviceAuth, NewAlert, NewSighting, Store};

async fn backends() -> Vec<(&'static str, Store, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open_sqlite_dir(dir.path()).await.unwrap();
    s.migrate().await.unwrap();
    let mut v = vec![("sqlite", s, Some(dir))];
    if let Some(url) = outpost_testkit::pg_schema("detect_test").await {
        let s = Store::connect(&url).await.unwrap();
        s.migrate().await.unwrap();
        v.push(("postgres", s, None));
    }
    v
}

async fn device(s: &Store, tenant: &str, host: &str) -> DeviceAuth {
    let (_, token) = s.create_device(tenant, host, None, None).await.unwrap();
    s.device_by_token(&token).await.unwrap().unwrap()
}

fn ind(rule: &str, score: i32) -> Finding {
    Finding {
        engine: "rules".into(),
        rule_name: rule.into(),
        indicator_type: "suspicious_process".into(),
        description: format!("{rule} matched"),
        extra_info: String::new(),
        score,
    }
}

fn alert(seq: i64, process: &str, rule: &str, learned: bool) -> NewAlert {
    let mut e = Event::new(
        Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap() + Duration::seconds(seq),
        EventKind::ProcessExec,
        "test",
    );
    e.process = Some(std::sync::Arc::new(ProcessInfo {
        pid: 7,
        name: Some(process.into()),
        exe: Some(format!("/usr/bin/{process}")),
        ..Default::default()
    }));
    NewAlert {
        seq,
        risk_score: 120,
        threshold: 100,
        indicators: vec![ind(rule, 80), ind("other-rule", 40)],
        event: e,
        learned,
    }
}

#[tokio::test]
async fn alerts_are_stored_once_with_suppression_states_and_sightings() {
    for (name, s, _dir) in backends().await {
        let t = s.create_tenant("acme").await.unwrap();
        let d = device(&s, &t.id, "web1").await;
        // A suppression narrowed to one detection rule and one process.
        let sup = s
            .create_suppression(
                &NewSuppression {
                    tenant_id: t.id.clone(),
                    process_name: Some("backup".into()),
                    rule_name: Some("tar-exfil".into()),
                    ..Default::default()
                },
                "tester",
            )
            .await
            .unwrap();
        let alerts = vec![
            alert(0, "bash", "web-shell", false),
            alert(3, "backup", "tar-exfil", false),
            alert(4, "backup", "web-shell", false),
        ];
        let sightings = vec![NewSighting {
            seq: 0,
            event_ts: Utc::now(),
            found: StixSighting {
                indicator_id: "indicator--1a2b3c4d-0000-4000-8000-000000000001".into(),
                indicator_name: "web shell".into(),
                attack_patterns: vec![AttackLink {
                    id: "attack-pattern--x".into(),
                    name: "T1505".into(),
                    mitre_id: None,
                }],
                intrusion_sets: Vec::new(),
                sighting: serde_json::json!({"type": "sighting"}),
                observed: vec![serde_json::json!({"type": "observed-data"})],
            },
        }];
        let o = s
            .insert_alerts(&d, "b1", &alerts, &sightings)
            .await
            .unwrap();
        assert_eq!((o.fresh, o.suppressed, o.sightings), (3, 1, 1), "{name}");
        assert_eq!(o.alerts.len(), 3, "{name}");
        let by_seq = |seq: i64| o.alerts.iter().find(|a| a.seq == seq).unwrap();
        assert_eq!(by_seq(0).triage.state, TriageState::New);
        assert_eq!(by_seq(0).summary, "web-shell matched");
        assert_eq!(by_seq(0).process_name.as_deref(), Some("bash"));
        assert_eq!(by_seq(3).triage.state, TriageState::Suppressed, "{name}");
        assert_eq!(
            by_seq(3).triage.suppression_id.as_deref(),
            Some(sup.id.as_str())
        );
        // Same process, another rule: not suppressed.
        assert_eq!(by_seq(4).triage.state, TriageState::New, "{name}");
        // A retried batch stores nothing twice but returns the batch's alerts.
        let again = s
            .insert_alerts(&d, "b1", &alerts, &sightings)
            .await
            .unwrap();
        assert_eq!(
            (again.fresh, again.sightings, again.alerts.len()),
            (0, 0, 3),
            "{name}"
        );
        let sp = s
            .list_sightings(&Default::default(), None, 10)
            .await
            .unwrap();
        assert_eq!(sp.items.len(), 1);
        assert_eq!(
            sp.items[0].alert_id,
            Some(by_seq(0).id),
            "{name}: linked to the alert"
        );
        assert_eq!(sp.items[0].attack["attack_patterns"][0]["name"], "T1505");
        // Filters.
        let f = |rule: Option<&str>, state: Option<TriageState>| AlertFilter {
            tenant_id: Some(t.id.clone()),
            rule_name: rule.map(String::from),
            state,
            ..Default::default()
        };
        let page = s
            .list_alerts(&f(Some("tar-exfil"), None), None, 10)
            .await
            .unwrap();
        assert_eq!(page.items.len(), 1, "{name}");
        let page = s
            .list_alerts(&f(Some("tar"), None), None, 10)
            .await
            .unwrap();
        assert!(
            page.items.is_empty(),
            "{name}: a rule name matches whole, not as a prefix"
        );
        let page = s
            .list_alerts(&f(None, Some(TriageState::New)), None, 1)
            .await
            .unwrap();
        assert_eq!(page.items.len(), 1);
        let next = s
            .list_alerts(
                &f(None, Some(TriageState::New)),
                page.next_cursor.as_deref(),
                1,
            )
            .await
            .unwrap();
        assert_eq!(next.items.len(), 1);
        assert_ne!(next.items[0].id, page.items[0].id);
        assert!(next.next_cursor.is_none(), "{name}");
        // Lifecycle with compare-and-set.
        let id = by_seq(0).id;
        let AlertStateChange::Changed(a) = s
            .set_triage_state::<AlertRecord>(
                id,
                TriageState::Acknowledged,
                "user:ana",
                Some("looking"),
                Some(0),
            )
            .await
            .unwrap()
        else {
            panic!("{name}: change refused")
        };
        assert_eq!(
            (a.triage.state, a.triage.version),
            (TriageState::Acknowledged, 1)
        );
        let AlertStateChange::Conflict(cur) = s
            .set_triage_state::<AlertRecord>(
                id,
                TriageState::FalsePositive,
                "user:bo",
                None,
                Some(0),
            )
            .await
            .unwrap()
        else {
            panic!("{name}: a stale version must conflict")
        };
        assert_eq!(cur.triage.version, 1);
        let h = s.triage_history::<AlertRecord>(id).await.unwrap();
        assert_eq!(h.len(), 1);
        assert_eq!(
            (h[0].from_state, h[0].to_state),
            (TriageState::New, TriageState::Acknowledged)
        );
        assert_eq!(
            s.get_alert(id).await.unwrap().triage.state,
            TriageState::Acknowledged
        );
        assert!(s.get_alert(id + 1000).await.is_err());
    }
}

#[tokio::test]
async fn learn_mode_stores_learned_alerts_and_proposes_rules() {
    for (name, s, _dir) in backends().await {
        let t = s.create_tenant("acme").await.unwrap();
        let d1 = device(&s, &t.id, "h1").await;
        let d2 = device(&s, &t.id, "h2").await;
        assert_eq!(s.learn_until(&t.id).await.unwrap(), None);
        let until = Utc::now() + Duration::hours(2);
        s.set_learn_mode(&t.id, Some(until), "user:ana")
            .await
            .unwrap();
        let got = s.learn_until(&t.id).await.unwrap().unwrap();
        assert_eq!(got.timestamp_millis(), until.timestamp_millis(), "{name}");
        assert_eq!(s.learning_tenants().await.unwrap().len(), 1);
        let o = s
            .insert_alerts(&d1, "b", &[alert(0, "rsync", "bulk-copy", true)], &[])
            .await
            .unwrap();
        assert_eq!((o.fresh, o.suppressed), (1, 1), "{name}");
        assert!(o.alerts[0].learned);
        assert_eq!(
            o.alerts[0].triage.state_changed_by.as_deref(),
            Some("learn-mode")
        );
        s.insert_alerts(&d2, "b", &[alert(0, "rsync", "bulk-copy", true)], &[])
            .await
            .unwrap();
        let p = s.learn_proposals(&t.id).await.unwrap();
        let bulk = p.iter().find(|p| p.rule_name == "bulk-copy").unwrap();
        assert_eq!(
            (bulk.alerts, bulk.devices, bulk.applied),
            (2, 2, false),
            "{name}: {p:?}"
        );
        assert_eq!(p.len(), 2, "both rules of the alerts: {p:?}");
        let created = s
            .apply_learn_proposals(
                &t.id,
                Some(&[("bulk-copy".into(), "rsync".into())]),
                "user:ana",
            )
            .await
            .unwrap();
        assert_eq!(created.len(), 1, "{name}");
        assert_eq!(created[0].rule_name.as_deref(), Some("bulk-copy"));
        assert!(
            s.learn_proposals(&t.id)
                .await
                .unwrap()
                .iter()
                .any(|p| p.applied)
        );
        // Applying again creates nothing new.
        assert!(
            s.apply_learn_proposals(&t.id, Some(&[("bulk-copy".into(), "rsync".into())]), "x")
                .await
                .unwrap()
                .is_empty()
        );
        s.set_learn_mode(&t.id, None, "user:ana").await.unwrap();
        assert_eq!(s.learn_until(&t.id).await.unwrap(), None, "{name}");
        // After learning, the learned rule is suppressed, other rules alert.
        let o = s
            .insert_alerts(&d1, "c", &[alert(0, "rsync", "bulk-copy", false)], &[])
            .await
            .unwrap();
        assert_eq!(o.suppressed, 1, "{name}");
        assert!(s.set_learn_mode("no-such-tenant", None, "x").await.is_err());
    }
}

fn merge(tenant: &str, subject: &str, epoch: u64, cmds: &[&str]) -> (String, Vec<ProfileDelta>) {
    let t0 = Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap();
    let delta = ProfileDelta {
        subject: subject.into(),
        epoch,
        first_seen: Some(t0),
        learning_until: Some(t0 + Duration::hours(1)),
        command_lines: cmds.iter().map(|c| c.to_string()).collect(),
        events_learned: cmds.len() as u64,
        ..Default::default()
    };
    (tenant.into(), vec![delta])
}

#[tokio::test]
async fn profiles_merge_by_union_and_reset_by_epoch() {
    for (name, s, _dir) in backends().await {
        let t = s.create_tenant("acme").await.unwrap();
        let (none, rev0) = s.profiles_changed_since(0).await.unwrap();
        assert!(none.is_empty());
        // Two replicas learn parts of the same profile.
        s.merge_profiles(
            &[merge(
                &t.id,
                "exe:/usr/sbin/nginx",
                0,
                &["nginx -g daemon off;"],
            )],
            100,
        )
        .await
        .unwrap();
        s.merge_profiles(
            &[
                merge(&t.id, "exe:/usr/sbin/nginx", 0, &["nginx -s reload"]),
                merge(&t.id, "image:redis:7", 0, &["redis-server"]),
            ],
            100,
        )
        .await
        .unwrap();
        let (changed, rev1) = s.profiles_changed_since(rev0).await.unwrap();
        assert_eq!(changed.len(), 2, "{name}");
        assert!(rev1 > rev0);
        let p = s.get_profile(&t.id, "exe:/usr/sbin/nginx").await.unwrap();
        assert_eq!(
            p.command_lines,
            ["nginx -g daemon off;", "nginx -s reload"],
            "{name}"
        );
        assert_eq!((p.events_learned, p.epoch), (2, 0));
        assert_eq!(p.status, "profiled", "the window of 2026-12-01 has passed");
        // Nothing new since rev1.
        assert!(s.profiles_changed_since(rev1).await.unwrap().0.is_empty());
        // Listing, paging and status filter.
        let page = s.list_profiles(Some(&t.id), None, None, 1).await.unwrap();
        assert_eq!(page.items.len(), 1);
        let rest = s
            .list_profiles(Some(&t.id), None, page.next_cursor.as_deref(), 10)
            .await
            .unwrap();
        assert_eq!(rest.items.len(), 1, "{name}");
        assert!(
            s.list_profiles(Some(&t.id), Some("learning"), None, 10)
                .await
                .unwrap()
                .items
                .is_empty()
        );
        assert_eq!(
            s.list_profiles(None, Some("profiled"), None, 10)
                .await
                .unwrap()
                .items
                .len(),
            2
        );
        assert!(
            s.list_profiles(None, Some("bogus"), None, 10)
                .await
                .is_err()
        );
        // The cap per dimension holds.
        let many: Vec<String> = (0..50).map(|i| format!("cmd {i}")).collect();
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        s.merge_profiles(&[merge(&t.id, "image:redis:7", 0, &refs)], 10)
            .await
            .unwrap();
        assert_eq!(
            s.get_profile(&t.id, "image:redis:7")
                .await
                .unwrap()
                .command_lines
                .len(),
            10
        );
        // Reset: emptied, epoch 1; a replica's late merge of epoch 0 is dropped.
        assert_eq!(
            s.reset_profiles(&t.id, Some("exe:/usr/sbin/nginx"))
                .await
                .unwrap(),
            1
        );
        let p = s.get_profile(&t.id, "exe:/usr/sbin/nginx").await.unwrap();
        assert_eq!(
            (p.epoch, p.command_lines.len(), p.first_seen),
            (1, 0, None),
            "{name}"
        );
        let (changed, rev2) = s.profiles_changed_since(rev1).await.unwrap();
        assert!(
            changed
                .iter()
                .any(|c| c.subject == "exe:/usr/sbin/nginx" && c.epoch == 1)
        );
        assert_eq!(
            s.merge_profiles(&[merge(&t.id, "exe:/usr/sbin/nginx", 0, &["stale"])], 100)
                .await
                .unwrap(),
            0,
            "{name}"
        );
        s.merge_profiles(&[merge(&t.id, "exe:/usr/sbin/nginx", 1, &["fresh"])], 100)
            .await
            .unwrap();
        let p = s.get_profile(&t.id, "exe:/usr/sbin/nginx").await.unwrap();
        assert_eq!(p.command_lines, ["fresh"], "{name}");
        assert!(s.profiles_changed_since(rev2).await.unwrap().1 > rev2);
        // Reset all of a tenant.
        assert_eq!(s.reset_profiles(&t.id, None).await.unwrap(), 2, "{name}");
        assert!(s.get_profile(&t.id, "nope").await.is_err());
    }
}

/// The committed offsets of `[[inputs]]` of kind kafka, per (group, topic,
/// partition), only moving forward.
#[tokio::test]
async fn input_offsets_per_group_topic_partition() {
    for (name, s, _dir) in backends().await {
        assert!(
            s.input_offsets("g", "t").await.unwrap().is_empty(),
            "{name}"
        );
        s.commit_input_offset("g", "t", 0, 10).await.unwrap();
        s.commit_input_offset("g", "t", 1, 5).await.unwrap();
        s.commit_input_offset("g", "other", 0, 99).await.unwrap();
        s.commit_input_offset("g2", "t", 0, 7).await.unwrap();
        s.commit_input_offset("g", "t", 0, 12).await.unwrap();
        // A late commit of an older batch never rewinds.
        s.commit_input_offset("g", "t", 1, 3).await.unwrap();
        assert_eq!(
            s.input_offsets("g", "t").await.unwrap(),
            vec![(0, 12), (1, 5)],
            "{name}"
        );
        assert_eq!(
            s.input_offsets("g2", "t").await.unwrap(),
            vec![(0, 7)],
            "{name}"
        );
    }
}

fn model_graph(steps: &[(&str, &str)]) -> outpost_core::sighting::AttackGraph {
    use outpost_core::sighting::{AttackGraph, AttackStep, StepIndicator};
    AttackGraph {
        intrusion_sets: vec![AttackLink {
            id: "intrusion-set--x".into(),
            name: "crew".into(),
            mitre_id: None,
        }],
        steps: steps
            .iter()
            .enumerate()
            .map(|(i, (step, indicator))| AttackStep {
                id: (*step).into(),
                name: format!("step {}", i + 1),
                mitre_id: None,
                order: i as u32 + 1,
                intrusion_sets: vec!["intrusion-set--x".into()],
                indicators: vec![StepIndicator {
                    id: (*indicator).into(),
                    name: String::new(),
                    pattern: "[process:name = 'x']".into(),
                }],
            })
            .collect(),
        edges: Vec::new(),
        ignored: Vec::new(),
    }
}

fn sighting_of(seq: i64, indicator: &str, minute: u32) -> NewSighting {
    NewSighting {
        seq,
        event_ts: Utc.with_ymd_and_hms(2026, 12, 1, 10, minute, 0).unwrap(),
        found: StixSighting {
            indicator_id: indicator.into(),
            indicator_name: String::new(),
            attack_patterns: Vec::new(),
            intrusion_sets: Vec::new(),
            sighting: serde_json::json!({"type": "sighting"}),
            observed: Vec::new(),
        },
    }
}

/// Attack models: global and per-tenant (same bundle id, two models), replaced by a new
/// upload of the same bundle (with its indicator → step rows), listed per scope, and their
/// steps' sightings aggregated per device (first, last, count) through the indicator → step
/// link, narrowed by tenant and device.
#[tokio::test]
async fn attack_models_link_sightings_to_steps_per_device() {
    use outpost_store::NewAttackModel;
    for (name, s, _dir) in backends().await {
        let a = s.create_tenant("acme").await.unwrap();
        let b = s.create_tenant("bolt").await.unwrap();
        let (da, db) = (
            device(&s, &a.id, "web1").await,
            device(&s, &b.id, "db1").await,
        );
        let new = |tenant: Option<&str>, source: &str, graph| NewAttackModel {
            tenant_id: tenant.map(String::from),
            bundle_id: "bundle--m".into(),
            source: source.into(),
            origin: "test".into(),
            bundle: serde_json::json!({"type": "bundle"}),
            graph,
            warnings: vec!["w".into()],
        };
        let (global, replaced) = s
            .upsert_attack_model(&new(None, "api", model_graph(&[("ap-1", "ind-1")])))
            .await
            .unwrap();
        assert!(!replaced);
        let (own, _) = s
            .upsert_attack_model(&new(Some(&b.id), "api", model_graph(&[("ap-1", "ind-1")])))
            .await
            .unwrap();
        assert_ne!(global, own, "{name}: a tenant's model is its own");
        // The same bundle again: the same model, its steps replaced.
        let (again, replaced) = s
            .upsert_attack_model(&new(
                None,
                "api",
                model_graph(&[("ap-1", "ind-1"), ("ap-2", "ind-2")]),
            ))
            .await
            .unwrap();
        assert_eq!((again, replaced), (global, true), "{name}");
        let (m, g) = s.get_attack_model(global).await.unwrap();
        assert_eq!((m.steps, g.steps.len(), m.name.as_str()), (2, 2, "crew"));
        assert_eq!(m.warnings, vec!["w".to_string()]);
        assert_eq!(m.tenant_id, None);
        // Scopes: acme sees the global model only, bolt both, staff every one.
        let ids = |v: Vec<outpost_core::sighting::AttackModelSummary>| {
            v.into_iter().map(|m| m.id).collect::<Vec<_>>()
        };
        assert_eq!(
            ids(s.list_attack_models(Some(&a.id)).await.unwrap()),
            vec![global]
        );
        assert_eq!(
            ids(s.list_attack_models(Some(&b.id)).await.unwrap()).len(),
            2
        );
        assert_eq!(ids(s.list_attack_models(None).await.unwrap()).len(), 2);
        // Sightings: ind-1 twice on web1, once on db1; ind-2 once on web1.
        s.insert_alerts(
            &da,
            "e1",
            &[],
            &[
                sighting_of(0, "ind-1", 1),
                sighting_of(1, "ind-2", 2),
                sighting_of(2, "ind-1", 5),
            ],
        )
        .await
        .unwrap();
        s.insert_alerts(&db, "e1", &[], &[sighting_of(0, "ind-1", 3)])
            .await
            .unwrap();
        let got = s.attack_model_sightings(global, None, None).await.unwrap();
        let row = |step: &str, dev: &str| {
            got.iter()
                .find(|(st, d)| st == step && d.device_id == dev)
                .map(|(_, d)| {
                    (
                        d.count,
                        d.first_seen.format("%M").to_string(),
                        d.last_seen.format("%M").to_string(),
                        d.hostname.clone(),
                    )
                })
        };
        assert_eq!(got.len(), 3, "{name}: {got:?}");
        assert_eq!(
            row("ap-1", &da.device_id),
            Some((2, "01".into(), "05".into(), "web1".into())),
            "{name}"
        );
        assert_eq!(
            row("ap-1", &db.device_id),
            Some((1, "03".into(), "03".into(), "db1".into()))
        );
        assert_eq!(row("ap-2", &da.device_id).map(|r| r.0), Some(1));
        let acme = s
            .attack_model_sightings(global, Some(&a.id), None)
            .await
            .unwrap();
        assert!(acme.iter().all(|(_, d)| d.tenant_id == a.id) && acme.len() == 2);
        let one = s
            .attack_model_sightings(global, None, Some(&db.device_id))
            .await
            .unwrap();
        assert_eq!(one.len(), 1);
        // The steps an indicator indicates, in the models a tenant sees.
        let steps = s.indicator_steps(&a.id, &["ind-2".into()]).await.unwrap();
        assert_eq!(steps.len(), 1);
        assert_eq!(
            (
                steps[0].model_id,
                steps[0].step_order,
                steps[0].step_id.as_str()
            ),
            (global, 2, "ap-2")
        );
        assert_eq!(
            s.indicator_steps(&b.id, &["ind-1".into()])
                .await
                .unwrap()
                .len(),
            2
        );
        // File models: not given to the engine (it reads the files), retired with their file.
        s.upsert_attack_model(&NewAttackModel {
            bundle_id: "bundle--f".into(),
            ..new(None, "file", model_graph(&[("ap-9", "ind-9")]))
        })
        .await
        .unwrap();
        let engine: Vec<i64> = s
            .attack_model_bundles()
            .await
            .unwrap()
            .iter()
            .map(|m| m.id)
            .collect();
        assert_eq!(engine.len(), 2, "{name}: the api models only");
        assert_eq!(
            s.retire_file_models(&["bundle--f".into()]).await.unwrap(),
            0
        );
        assert_eq!(s.retire_file_models(&[]).await.unwrap(), 1);
        assert_eq!(
            ids(s.list_attack_models(None).await.unwrap()).len(),
            2,
            "{name}"
        );
    }
}

/// Two replicas storing the same new bundle at once (a feed's model seen by both, or two
/// uploads) both succeed: one creates the model, the other replaces it, never a unique-key
/// error (PostgreSQL has no write gate: both see no row and both insert).
#[tokio::test]
async fn concurrent_first_stores_of_one_attack_model_both_succeed() {
    use outpost_store::NewAttackModel;
    for (name, s, _dir) in backends().await {
        for k in 0..20 {
            let new = NewAttackModel {
                tenant_id: None,
                bundle_id: format!("bundle--race-{k}"),
                source: "feed".into(),
                origin: "crew feed".into(),
                bundle: serde_json::json!({"type": "bundle"}),
                graph: model_graph(&[("ap-1", "ind-1")]),
                warnings: Vec::new(),
            };
            let (a, b) = tokio::join!(s.upsert_attack_model(&new), s.upsert_attack_model(&new));
            let (a, b) = (a.unwrap(), b.unwrap());
            assert_eq!(a.0, b.0, "{name}: one model");
            assert!(a.1 != b.1, "{name}: one created, one replaced: {a:?} {b:?}");
        }
        assert_eq!(
            s.list_attack_models(None).await.unwrap().len(),
            20,
            "{name}"
        );
    }
}
