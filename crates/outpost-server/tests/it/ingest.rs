//! The ingest stage through the real router: hits are scored by the detection engines (static
//! list, YAML and Sigma rules from `[detect] rules_dir`, hot-reloaded) and forwarded to the
//! `[[outputs]]` — a JSONL file and a webhook that is down at first — at least once, also
//! when an agent retries a batch.

use crate::common;
use crate::common::World;
use crate::common::world::add_user;
use outpost_core::auth::Role;

use axum::http::StatusCode;
use outpost_server::config::ServerConfig;
use outpost_store::Store;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const RULES: &str = r#"
rules:
  - id: curl-from-tmp
    name: curl run from /tmp
    indicator_type: suspicious_process
    score: 40
    condition:
      all:
        - {field: process.name, equals: curl}
        - {field: process.cwd, startswith: /tmp}
  - id: passwd-written
    name: account database written
    score: 60
    condition:
      all:
        - {field: file.path, equals: /etc/passwd}
    actions: [alert]
"#;

const SIGMA: &str = r#"
title: Shell Started By A Web Server Account
id: 0d8a4f8e-8b1c-4a3e-9a55-6f3f2b3c9d01
status: test
logsource:
    product: linux
    category: process_creation
detection:
    selection_user:
        User: 'www-data'
    selection_shell:
        Image|endswith: '/bash'
    condition: all of selection_*
level: high
"#;

/// The file output and an alerts-only webhook on `hook_port`.
fn default_outputs(hook_port: u16) -> String {
    format!(
        r#"
[[outputs]]
name = "hook"
type = "webhook"
url = "http://127.0.0.1:{hook_port}/hook"
filter = {{ kinds = ["alert"] }}
retry = {{ initial_backoff_ms = 50, max_backoff_ms = 200 }}
"#
    )
}

async fn world(hook_port: u16) -> World {
    world_with(&default_outputs(hook_port)).await
}

/// Tenant acme with device web1; the server reloads the rules in `rules/` every second and
/// writes every record to `forwarded.jsonl` and to `outputs`.
async fn world_with(outputs: &str) -> World {
    World::builder()
        .tenant("acme", &["web1"])
        .toml(|dir| {
            let rules = dir.join("rules");
            std::fs::create_dir_all(&rules).unwrap();
            std::fs::write(rules.join("local.yml"), RULES).unwrap();
            std::fs::write(rules.join("web_shell.yml"), SIGMA).unwrap();
            let detect = "reload_secs = 1\nalert_threshold = 150";
            let archive = dir.join("forwarded.jsonl");
            [
                common::detect_toml(dir, &rules, detect),
                common::file_output_toml("archive", &archive, &[], 100),
                outputs.to_string(),
            ]
            .concat()
        })
        .build()
        .await
}

/// The file every record is forwarded to.
fn out_file(w: &World) -> PathBuf {
    w.dir.path().join("forwarded.jsonl")
}

fn hit(w: &World, ip: &str, process: &str, samples: Value) -> Value {
    json!({
        "remote_ip": ip, "remote_port": 443, "protocol": "tcp",
        "process_name": process, "pid": 4242, "exe_path": format!("/usr/bin/{process}"),
        "first_seen_utc": "2026-12-01T10:00:00Z", "last_seen_utc": "2026-12-01T10:05:00Z",
        "hit_count": 3, "sample_events": samples,
        "intel": {"indicator": ip, "source": "ipsum", "score": 4},
        "_device": w.a().device().id,
    })
}

async fn upload(w: &World, batch: &str, hits: Vec<Value>) -> Value {
    let hits: Vec<Value> = hits
        .into_iter()
        .map(|mut h| {
            h.as_object_mut().unwrap().remove("_device");
            h
        })
        .collect();
    let body = json!({
        "batch_id": batch, "tenant_id": w.a().id, "device_id": w.a().device().id, "hostname": "web1",
        "agent_version": "test", "hotlist_version": "v1", "hits": hits,
    });
    let token = &w.a().device().token;
    let r = w
        .call("POST", "/api/v1/hits", Some(token), Some(body))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

async fn hits(w: &World) -> Vec<Value> {
    let r = w
        .call("GET", "/api/v1/hits?limit=100", Some(&w.admin), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    r.json()["items"].as_array().unwrap().clone()
}

/// `POST /api/v1/suppressions` with `rule`, as an admin.
async fn suppress(w: &World, rule: Value) -> common::Reply {
    w.call("POST", "/api/v1/suppressions", Some(&w.admin), Some(rule))
        .await
}

use outpost_testkit::json_lines as lines;

async fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let t = Instant::now();
    while !f() {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A webhook receiver on a fixed port that records every request body.
async fn hook_server(listener: tokio::net::TcpListener) -> Arc<Mutex<Vec<Value>>> {
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: String| {
            let g = g.clone();
            async move {
                for l in body.lines().filter(|l| !l.trim().is_empty()) {
                    match serde_json::from_str::<Value>(l) {
                        Ok(Value::Array(items)) => g.lock().unwrap().extend(items),
                        Ok(v) => g.lock().unwrap().push(v),
                        Err(_) => {}
                    }
                }
                StatusCode::OK
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hits_are_scored_stored_and_forwarded_at_least_once() {
    // The webhook's port is reserved but nobody listens yet: the target is down.
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = probe.local_addr().unwrap().port();
    drop(probe);
    let w = world(port).await;

    let web_shell = json!([{
        "ts": "2026-12-01T10:00:00Z", "kind": "process_exec", "source": "proc_connector",
        "process": {"pid": 4242, "name": "bash", "exe": "/usr/bin/bash", "user": "www-data", "uid": 33}
    }]);
    // The exec (the static engine's risky-process list applies to execs) and the connect.
    let curl = json!([{
        "ts": "2026-12-01T10:00:00Z", "kind": "process_exec", "source": "proc_connector",
        "process": {"pid": 77, "name": "curl", "exe": "/usr/bin/curl", "cwd": "/tmp/x"}
    }, {
        "ts": "2026-12-01T10:00:01Z", "kind": "network", "source": "audit",
        "process": {"pid": 77, "name": "curl", "exe": "/usr/bin/curl", "cwd": "/tmp/x"},
        "network": {"protocol": "tcp", "remote_ip": "203.0.113.9", "remote_port": 80}
    }]);
    let started = Instant::now();
    let r = upload(
        &w,
        "b1",
        vec![
            hit(&w, "198.51.100.7", "bash", web_shell),
            hit(&w, "203.0.113.9", "curl", curl),
            // No sample events: scored on an event made of the hit's own fields.
            hit(&w, "192.0.2.1", "sshd", json!([])),
        ],
    )
    .await;
    // A dead output does not hold up scoring.
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(r["stored"], 3);

    let stored = hits(&w).await;
    let by_proc = |p: &str| {
        stored
            .iter()
            .find(|h| h["process_name"] == p)
            .cloned()
            .unwrap()
    };
    let bash = by_proc("bash");
    let engines = |h: &Value| -> Vec<String> {
        h["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                format!(
                    "{}:{}",
                    i["engine"].as_str().unwrap(),
                    i["rule_name"].as_str().unwrap()
                )
            })
            .collect()
    };
    // intel (ipsum score 4 → 40) + risky process bash (static, 70) + Sigma high (70) = 180:
    // over the threshold of 150, an alert.
    assert_eq!(
        engines(&bash),
        [
            "intel:ipsum",
            "static:bash",
            "sigma:0d8a4f8e-8b1c-4a3e-9a55-6f3f2b3c9d01"
        ],
        "{bash}"
    );
    assert_eq!(bash["risk_score"], 180);
    assert_eq!(bash["alert"], true);
    // intel 40 + risky process curl (static, 50) + local rule 40 = 130.
    let c = by_proc("curl");
    assert_eq!(
        engines(&c),
        ["intel:ipsum", "static:curl", "rules:curl-from-tmp"],
        "{c}"
    );
    assert_eq!(c["risk_score"], 130);
    assert_eq!(c["alert"], false);
    let sshd = by_proc("sshd");
    assert_eq!(engines(&sshd), ["intel:ipsum"]);
    assert_eq!(sshd["risk_score"], 40);

    // Forwarded to the file with the same scores (the native format: event, indicators,
    // risk_score): three hits and the alert of the bash hit.
    wait_for("4 records in the file output", || {
        lines(&out_file(&w)).len() >= 4
    })
    .await;
    let file = lines(&out_file(&w));
    assert_eq!(file.len(), 4, "{file:?}");
    assert_eq!(file.iter().filter(|d| d["kind"] == "hit").count(), 3);
    let a = file.iter().find(|d| d["kind"] == "alert").unwrap();
    assert_eq!(a["event"]["hit_id"], bash["id"]);
    assert_eq!(a["risk_score"], 180);
    let fc = file
        .iter()
        .find(|d| d["event"]["process_name"] == "curl")
        .unwrap();
    assert_eq!(fc["risk_score"], 130);
    assert_eq!(fc["indicators"].as_array().unwrap().len(), 3);

    // A hotter curl hit becomes an alert too: the file gets the hit and the alert; the webhook
    // (alerts only) is still down, so both alerts wait in its queue.
    let r =
        upload(
            &w,
            "b2",
            vec![hit(
            &w,
            "203.0.113.10",
            "curl",
            json!([{
                "ts": "2026-12-01T10:00:01Z", "kind": "process_exec", "source": "audit",
                "process": {"pid": 78, "name": "curl", "exe": "/usr/bin/curl", "cwd": "/tmp/y",
                            "user": "www-data"},
                "network": {"protocol": "tcp", "remote_ip": "203.0.113.10", "remote_port": 80}
            }]),
        )
        .with_intel_score(10)],
        )
        .await;
    assert_eq!(r["stored"], 1);
    let alert_hit = hits(&w)
        .await
        .into_iter()
        .find(|h| h["remote_ip"] == "203.0.113.10")
        .unwrap();
    // intel 100 + static 50 + rule 40 = 190 ≥ 150.
    assert_eq!(alert_hit["risk_score"], 190);
    assert_eq!(alert_hit["alert"], true);
    wait_for("hit and alert in the file", || {
        lines(&out_file(&w)).len() >= 6
    })
    .await;
    let file = lines(&out_file(&w));
    let alert = file
        .iter()
        .find(|d| d["kind"] == "alert" && d["event"]["hit_id"] == alert_hit["id"])
        .unwrap();
    assert_eq!(alert["risk_score"], 190);
    assert_eq!(
        w.state.forward.outputs().unwrap().queue_depth("hook"),
        Some(2),
        "the alerts wait for the dead webhook"
    );

    // The agent retries b2 (its 2xx was lost): stored once, forwarded again.
    let again = upload(
        &w,
        "b2",
        vec![hit(&w, "203.0.113.10", "curl", json!([])).with_intel_score(10)],
    )
    .await;
    assert_eq!(again["duplicate"], true);
    assert_eq!(hits(&w).await.len(), 4);
    wait_for("the retried batch forwarded again", || {
        lines(&out_file(&w)).len() >= 8
    })
    .await;

    // The webhook comes up: the queued alerts are delivered (at least once).
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let got = hook_server(listener).await;
    wait_for("3 alerts at the webhook", || got.lock().unwrap().len() >= 3).await;
    let got = got.lock().unwrap().clone();
    assert!(got.iter().all(|d| d["kind"] == "alert"), "{got:?}");
    let mut scores: Vec<i64> = got
        .iter()
        .map(|d| d["risk_score"].as_i64().unwrap())
        .collect();
    scores.sort();
    assert_eq!(scores, [180, 190, 190], "{got:?}");

    // The rules in effect and the outputs' counters are visible to staff.
    let v = w
        .call("GET", "/api/v1/detect/rules", Some(&w.admin), None)
        .await
        .json();
    let ids = common::fields(&v["rules"], "id", Value::as_str);
    assert!(
        ids.contains(&"curl-from-tmp") && ids.contains(&"0d8a4f8e-8b1c-4a3e-9a55-6f3f2b3c9d01"),
        "{v}"
    );
    assert_eq!(v["alert_threshold"], 150);
    assert_eq!(v["reload"]["generation"], 1);
    let v = w
        .call("GET", "/api/v1/outputs", Some(&w.admin), None)
        .await
        .json();
    let archive = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "archive")
        .unwrap()
        .clone();
    assert_eq!(archive["type"], "file");
    assert!(archive["sent"].as_u64().unwrap() >= 8, "{v}");

    // The counters are visible.
    let m = w.call("GET", "/metrics", None, None).await.text();
    // Metrics are per process: other tests of this binary raise alerts too.
    let alerts: u64 = m
        .lines()
        .find_map(|l| l.strip_prefix("outpost_alerts_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    assert!(alerts >= 2, "{m}");
    assert!(m.contains("outpost_output_records_queued_total"), "{m}");
    assert!(
        m.contains("outpost_output_sent_total{output=\"archive\"}"),
        "{m}"
    );
    let _ = &w.store;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_reload_while_serving_and_suppressed_hits_are_not_forwarded() {
    let w = world(1).await;
    let plain = || {
        json!([{
            "ts": "2026-12-01T10:00:01Z", "kind": "network", "source": "audit",
            "process": {"pid": 9, "name": "backup", "exe": "/opt/backup/run"},
            "network": {"protocol": "tcp", "remote_ip": "198.51.100.20", "remote_port": 22}
        }])
    };
    upload(&w, "r1", vec![hit(&w, "198.51.100.20", "backup", plain())]).await;
    let h = hits(&w).await;
    assert_eq!(h[0]["risk_score"], 40, "{}", h[0]);

    // A new rule file is picked up without a restart.
    std::fs::write(
        w.dir.path().join("rules").join("backup.yml"),
        "rules:\n  - id: backup-off-site\n    name: backup to an unknown host\n    score: 25\n    condition: {field: process.exe, startswith: /opt/backup/}\n",
    )
    .unwrap();
    std::fs::write(
        w.dir.path().join("rules").join("unmappable.yml"),
        "title: Launch Agent Written On macOS\nid: 11111111-2222-3333-4444-555555555555\nlogsource:\n    product: macos\n    category: file_event\ndetection:\n    sel:\n        TargetFilename|contains: /Library/LaunchAgents/\n    condition: sel\nlevel: medium\n",
    )
    .unwrap();
    let handle = w.state.scoring.rules().unwrap().clone();
    wait_for("the rule reload", || {
        handle
            .current()
            .rules()
            .iter()
            .any(|r| r.id == "backup-off-site")
    })
    .await;
    // The rule that cannot be mapped is reported with its reason, not silently dropped.
    let v = w
        .call("GET", "/api/v1/detect/rules", Some(&w.admin), None)
        .await
        .json();
    let uns = v["reload"]["unsupported"].as_array().unwrap();
    assert!(
        uns.iter()
            .any(|u| u["rule_id"].as_str().unwrap().contains("11111111")
                && !u["reason"].as_str().unwrap().is_empty()),
        "{v}"
    );
    assert!(v["reload"]["generation"].as_u64().unwrap() >= 2, "{v}");
    upload(&w, "r2", vec![hit(&w, "198.51.100.21", "backup", plain())]).await;
    let h = hits(&w).await;
    let newest = h
        .iter()
        .find(|h| h["remote_ip"] == "198.51.100.21")
        .unwrap();
    assert_eq!(newest["risk_score"], 65, "{newest}");

    // A suppressed hit is stored (as suppressed) but not forwarded.
    let r = suppress(&w, json!({"tenant_id": w.a().id, "process_name": "backup"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    wait_for("2 records in the file", || lines(&out_file(&w)).len() >= 2).await;
    upload(&w, "r3", vec![hit(&w, "198.51.100.22", "backup", plain())]).await;
    let h = hits(&w).await;
    assert_eq!(h.len(), 3);
    drain(&w, "archive").await;
    assert_eq!(
        lines(&out_file(&w)).len(),
        2,
        "the suppressed hit was forwarded"
    );
}

#[tokio::test]
async fn a_broken_rule_stops_the_start_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(
        rules.join("bad.yml"),
        "rules:\n  - id: broken-one\n    name: x\n    score: 1\n    condition: {field: process.name, regex: '(unclosed'}\n",
    )
    .unwrap();
    let mut cfg = ServerConfig {
        data_dir: dir.path().to_path_buf(),
        ..Default::default()
    };
    cfg.detect.rules_dir = Some(rules);
    let store = Store::open_sqlite_dir(dir.path()).await.unwrap();
    store.migrate().await.unwrap();
    let err = match outpost_server::build_state(cfg, store).await {
        Ok(_) => panic!("a broken rule was accepted"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains("broken-one") && err.contains("bad.yml"),
        "{err}"
    );
}

trait IntelScore {
    fn with_intel_score(self, s: u32) -> Self;
}

impl IntelScore for Value {
    fn with_intel_score(mut self, s: u32) -> Self {
        self["intel"]["score"] = json!(s);
        self
    }
}

/// Waits until the output named `output` has delivered what it was given.
async fn drain(w: &World, output: &str) {
    let outputs = w.state.forward.outputs().unwrap();
    assert!(outputs.drain_output(output, Duration::from_secs(10)).await);
}

/// The world with a Syncro output (`psa`, alerts only) to a `syncro_server`.
async fn syncro_world() -> (World, Arc<Mutex<Vec<(String, Value)>>>) {
    let (port, syncro) = syncro_server().await;
    let w = world_with(&format!(
        r#"
[[outputs]]
name = "psa"
type = "syncro"
base_url = "http://127.0.0.1:{port}"
api_key = "test-token"
public_url = "https://outpost.example"
default_customer_id = 7
filter = {{ kinds = ["alert"] }}
retry = {{ initial_backoff_ms = 50, max_backoff_ms = 200 }}
"#
    ))
    .await;
    (w, syncro)
}

/// A Syncro-shaped API: `POST /tickets` answers a ticket id, `POST /tickets/{id}/comment`
/// records a comment. Every request is kept as (path, body).
async fn syncro_server() -> (u16, Arc<Mutex<Vec<(String, Value)>>>) {
    let got: Arc<Mutex<Vec<(String, Value)>>> = Arc::new(Mutex::new(Vec::new()));
    let (g1, g2) = (got.clone(), got.clone());
    let app = axum::Router::new()
        .route(
            "/tickets",
            axum::routing::post(move |axum::Json(v): axum::Json<Value>| {
                let g = g1.clone();
                async move {
                    g.lock().unwrap().push(("/tickets".into(), v));
                    axum::Json(json!({"ticket": {"id": 501, "number": 1001}}))
                }
            }),
        )
        .route(
            "/tickets/{id}/comment",
            axum::routing::post(
                move |axum::extract::Path(id): axum::extract::Path<String>,
                      axum::Json(v): axum::Json<Value>| {
                    let g = g2.clone();
                    async move {
                        g.lock()
                            .unwrap()
                            .push((format!("/tickets/{id}/comment"), v));
                        axum::Json(json!({"comment": {"id": 1}}))
                    }
                },
            ),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (port, got)
}

/// The hit page's "Open a ticket" sends the hit to the ticketing outputs only; a second
/// request for the same connection comments on the open ticket; customers can neither see
/// the indicators nor open tickets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ui_opens_a_ticket_and_a_repeat_comments_on_it() {
    let (w, syncro) = syncro_world().await;
    // A hit below the threshold: no alert, so no automatic ticket.
    upload(&w, "t1", vec![hit(&w, "198.51.100.30", "sshd", json!([]))]).await;
    let id = hits(&w).await[0]["id"].as_i64().unwrap();
    drain(&w, "psa").await;
    assert!(syncro.lock().unwrap().is_empty());

    let tech_s = add_user(&w.store, "tech", Role::Technician, None)
        .await
        .session;
    let cust_s = add_user(&w.store, "cust", Role::Customer, Some(&w.a().id))
        .await
        .session;
    let cookie = |s: &str| format!("outpost_session={s}");

    // The intel page: the signing key and the tenant's bundle version; staff only.
    let intel = common::page(&w.app, "/ui/intel", &tech_s).await;
    assert_eq!(intel.status, StatusCode::OK);
    let key = w.state.intel.as_ref().unwrap().key_id();
    let html = intel.text();
    assert!(
        html.contains(&key) && html.contains(r#"data-testid="bundles""#) && html.contains("acme"),
        "{html}"
    );
    let r = common::page(&w.app, "/ui/intel", &cust_s).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // The detection and output status routes: staff only.
    for p in ["/api/v1/detect/rules", "/api/v1/outputs"] {
        let r = w.call("GET", p, Some(&cust_s), None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{p}: {}", r.text());
        let r = w.call("GET", p, Some(&w.a().device().token), None).await;
        assert_eq!(
            r.status,
            StatusCode::UNAUTHORIZED,
            "a device token is no user: {p}: {}",
            r.text()
        );
        let r = w.call("GET", p, None, None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{p}");
        let r = w.call("GET", p, Some(&tech_s), None).await;
        assert_eq!(r.status, StatusCode::OK, "{p}");
    }

    let page = common::page(&w.app, &format!("/ui/hits/{id}"), &tech_s).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(
        html.contains(r#"data-testid="ticket""#) && html.contains("Sends this hit to psa"),
        "{html}"
    );
    assert!(html.contains(r#"data-testid="risk-score">40<"#), "{html}");
    assert!(html.contains(r#"data-testid="indicators""#));

    let ticket = |s: String| {
        let app = w.app.clone();
        async move {
            common::request(
                &app,
                "POST",
                &format!("/ui/hits/{id}/ticket"),
                None,
                &[("cookie", &s), ("hx-request", "true")],
                None,
            )
            .await
        }
    };
    // A customer may not.
    let r = ticket(cookie(&cust_s)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let cpage = common::page(&w.app, &format!("/ui/hits/{id}"), &cust_s)
        .await
        .text();
    assert!(
        !cpage.contains(r#"data-testid="ticket""#)
            && !cpage.contains(r#"data-testid="indicators""#)
    );
    assert!(cpage.contains(r#"data-testid="risk-score">40<"#));

    let r = ticket(cookie(&tech_s)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.text().contains("Sent to psa"), "{}", r.text());
    wait_for("the Syncro ticket", || !syncro.lock().unwrap().is_empty()).await;
    let r = ticket(cookie(&tech_s)).await;
    assert_eq!(r.status, StatusCode::OK);
    // Opened: the ticket, then its description (with the link to the hit) as a comment; the
    // repeat is one more comment on the same ticket.
    wait_for("the Syncro comments", || syncro.lock().unwrap().len() >= 3).await;
    let got = syncro.lock().unwrap().clone();
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(got[0].0, "/tickets");
    assert_eq!(got[0].1["customer_id"], 7);
    assert!(
        got[0].1["subject"].as_str().unwrap().contains("sshd"),
        "{got:?}"
    );
    assert_eq!(got[1].0, "/tickets/501/comment", "{got:?}");
    let d = got[1].1.to_string();
    assert!(
        d.contains(&format!("https://outpost.example/ui/hits/{id}")),
        "{d}"
    );
    assert_eq!(got[2].0, "/tickets/501/comment", "{got:?}");
    assert!(got[2].1.to_string().contains("Seen again"), "{got:?}");
}

/// Changes made through the API (and the job subsystem's audit trail) reach the outputs
/// that take `audit` records, with who did what.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_entries_are_forwarded() {
    let dir = tempfile::tempdir().unwrap();
    let audit_file = dir.path().join("audit.jsonl");
    let w = world_with(&format!(
        r#"
[[outputs]]
name = "audit"
type = "file"
path = {:?}
filter = {{ kinds = ["audit"] }}
"#,
        audit_file.display().to_string()
    ))
    .await;
    let r = suppress(
        &w,
        json!({"tenant_id": w.a().id, "remote_ip": "192.0.2.0/24"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let sup = r.json()["id"].as_str().unwrap().to_string();
    let r = w.call("POST", "/api/v1/jobs", Some(&w.admin), Some(json!({"tenant_id": w.a().id, "device_id": w.a().device().id, "kind": "process.list"})))
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    wait_for("two audit records", || lines(&audit_file).len() >= 2).await;
    let got = lines(&audit_file);
    assert!(got.iter().all(|d| d["kind"] == "audit"), "{got:?}");
    let s = got
        .iter()
        .find(|d| d["event"]["action"] == "suppression.create")
        .unwrap_or_else(|| panic!("{got:?}"));
    assert_eq!(s["event"]["target"], sup.as_str());
    assert_eq!(s["event"]["tenant_id"], w.a().id.as_str());
    assert_eq!(s["event"]["actor_role"], "admin");
    let j = got
        .iter()
        .find(|d| d["event"]["action"] == "job.create" && d["event"]["source"] == "jobs")
        .unwrap_or_else(|| panic!("{got:?}"));
    assert_eq!(j["event"]["outcome"], "ok");
    // No hit or alert went to the audit output.
    upload(&w, "a1", vec![hit(&w, "198.51.100.99", "sshd", json!([]))]).await;
    drain(&w, "audit").await;
    assert!(lines(&audit_file).iter().all(|d| d["kind"] == "audit"));
}

/// Full telemetry: a device posts events; each is scored and forwarded as an `event` record
/// with its indicators, and the one a rule flags also as an `alert` linked to the device.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streamed_events_are_scored_and_forwarded() {
    let dir = tempfile::tempdir().unwrap();
    let ev_file = dir.path().join("events.jsonl");
    let w = world_with(&format!(
        "\n[[outputs]]\nname = \"siem\"\ntype = \"file\"\npath = {:?}\nfilter = {{ kinds = [\"event\", \"alert\"] }}\n",
        ev_file.display().to_string()
    ))
    .await;
    let body = json!({"batch_id": "e1", "events": [
        {"ts": "2026-12-01T10:00:00Z", "kind": "process_exec", "source": "proc_connector",
         "process": {"pid": 5, "name": "ls", "exe": "/usr/bin/ls"}},
        {"ts": "2026-12-01T10:00:01Z", "kind": "file", "source": "inotify",
         "process": {"pid": 6, "name": "vi", "exe": "/usr/bin/vi"},
         "file": {"path": "/etc/passwd", "action": "write"}}
    ]});
    let post = |b: Value, tok: String| {
        let app = w.app.clone();
        async move { common::call(&app, "POST", "/api/v1/events", Some(&tok), Some(b)).await }
    };
    let r = post(body.clone(), w.a().device().token.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["accepted"], 2);
    assert_eq!(r.json()["alerts"], 1);
    wait_for("2 events and 1 alert", || lines(&ev_file).len() >= 3).await;
    let got = lines(&ev_file);
    let events: Vec<&Value> = got.iter().filter(|d| d["kind"] == "event").collect();
    assert_eq!(events.len(), 2, "{got:?}");
    let passwd = events
        .iter()
        .find(|d| d["event"]["file"]["path"] == "/etc/passwd")
        .unwrap();
    // The static engine's watched path (/etc/passwd, 90) and the local rule (60).
    assert_eq!(passwd["risk_score"], 150, "{passwd}");
    let rules = common::fields(&passwd["indicators"], "rule_name", Value::as_str);
    assert!(rules.contains(&"passwd-written"), "{passwd}");
    let ls = events
        .iter()
        .find(|d| d["event"]["process"]["name"] == "ls")
        .unwrap();
    assert_eq!(ls["risk_score"], 0);
    let alert = got.iter().find(|d| d["kind"] == "alert").unwrap();
    assert_eq!(alert["event"]["event_id"], passwd["id"]);
    // Bad input: a clear error, nothing forwarded.
    let r = post(
        json!({"batch_id": "", "events": []}),
        w.a().device().token.clone(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let r = post(
        json!({"batch_id": "x", "events": [{"kind": "nope"}]}),
        w.a().device().token.clone(),
    )
    .await;
    assert!(r.status.is_client_error(), "{}", r.text());
    // Only devices post telemetry.
    let r = post(body, w.admin.clone()).await;
    assert!(
        matches!(r.status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN),
        "{}",
        r.status
    );
    drain(&w, "siem").await;
    assert_eq!(lines(&ev_file).len(), 3);
}

/// `[detect.tenant_thresholds]` keys may be tenant names: they apply to that tenant's hits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_threshold_given_by_name_applies() {
    let w = world_with("\n[detect.tenant_thresholds]\nacme = 30\n").await;
    upload(&w, "t1", vec![hit(&w, "198.51.100.40", "sshd", json!([]))]).await;
    let h = hits(&w).await;
    // The intel indicator alone (40) passes acme's threshold of 30 (the global one is 150).
    assert_eq!(h[0]["risk_score"], 40);
    assert_eq!(h[0]["alert"], true, "{}", h[0]);
}

/// A rule's `ticket` action: the alert it raised opens one ticket titled with the rule's
/// summary (the untitled alert record skips the ticketing outputs); a retried batch is a
/// redelivery, not a second ticket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rules_ticket_action_opens_a_titled_ticket_once() {
    let (w, syncro) = syncro_world().await;
    std::fs::write(
        w.dir.path().join("rules").join("ransom.yml"),
        r#"
rules:
  - id: ransom-note
    name: ransom note writer
    score: 200
    condition:
      all:
        - {field: process.name, equals: encryptor}
    actions: [{ticket: {summary: "Ransomware suspected", priority: urgent}}]
"#,
    )
    .unwrap();
    let t0 = Instant::now();
    loop {
        let r = w
            .call("GET", "/api/v1/detect/rules", Some(&w.admin), None)
            .await;
        if r.text().contains("ransom-note") {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "rule not reloaded: {}",
            r.text()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let body = json!({"batch_id": "r1", "events": [
        {"ts": "2026-12-01T10:00:00Z", "kind": "process_exec", "source": "test",
         "process": {"pid": 5, "name": "encryptor", "exe": "/tmp/encryptor"}}]});
    for _ in 0..2 {
        let r = w
            .call(
                "POST",
                "/api/v1/events",
                Some(&w.a().device().token),
                Some(body.clone()),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.json()["alerts"], 1);
    }
    drain(&w, "psa").await;
    let got = syncro.lock().unwrap().clone();
    let tickets: Vec<&Value> = got
        .iter()
        .filter(|(p, _)| p == "/tickets")
        .map(|(_, v)| v)
        .collect();
    assert_eq!(tickets.len(), 1, "{got:?}");
    assert_eq!(
        tickets[0]["subject"], "Ransomware suspected on web1",
        "{got:?}"
    );
}
