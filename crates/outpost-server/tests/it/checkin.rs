//! Check-in: counters and versions are recorded, and a long-polling check-in returns as soon
//! as a job or a new configuration is there for the device (well within a second).

use crate::common;
use crate::common::World;

use axum::http::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// The device row as stored, after this replica wrote its pending check-ins.
async fn stored_device(w: &World) -> outpost_core::api::Device {
    w.state.fresh_devices().await;
    w.store.get_device(&w.a().device().id).await.unwrap()
}

async fn world() -> World {
    World::builder().tenant("acme", &["h1"]).build().await
}

/// `POST /api/v1/checkin` with `body` as the device of `token`: the status and the answer.
async fn post_checkin(app: &axum::Router, token: &str, body: Value) -> (StatusCode, Value) {
    common::call(app, "POST", "/api/v1/checkin", Some(token), Some(body))
        .await
        .sv()
}

/// A long-polling check-in (`wait_s` 20) of the first device in a task of its own: its
/// status and answer, and when it came (after `start`).
fn spawn_long_poll(
    w: &World,
    start: Instant,
) -> tokio::task::JoinHandle<((StatusCode, Value), Duration)> {
    let (app, token) = (w.app.clone(), w.a().device().token.clone());
    tokio::spawn(async move {
        let r = post_checkin(&app, &token, json!({"wait_s": 20})).await;
        (r, start.elapsed())
    })
}

/// `PUT /api/v1/devices/{id}/config` of the first device, as an admin.
async fn put_config(w: &World, body: Value) -> (StatusCode, Value) {
    let uri = format!("/api/v1/devices/{}/config", w.a().device().id);
    w.call("PUT", &uri, Some(&w.admin), Some(body)).await.sv()
}

/// `POST /api/v1/rollouts/{rollout}/state` with `action`, as the holder of `token`.
async fn rollout_action(
    app: &axum::Router,
    token: &str,
    rollout: &str,
    action: &str,
) -> (StatusCode, Value) {
    let uri = format!("/api/v1/rollouts/{rollout}/state");
    let body = json!({ "action": action });
    common::call(app, "POST", &uri, Some(token), Some(body))
        .await
        .sv()
}

#[tokio::test]
async fn checkin_records_counters_and_versions() {
    let w = world().await;
    let (s, v) = post_checkin(&w.app, &w.a().device().token, json!({"agent_version": "9.9", "hotlist_version": "hl-7", "counters": {"events": {"network": 12}, "dropped": 0}, "interval_s": 30})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["jobs_pending"], 0);
    assert_eq!(v["next_checkin_s"], 60);
    assert!(v.get("config").is_none());
    let d = stored_device(&w).await;
    assert!(d.online);
    assert_eq!(d.agent_version.as_deref(), Some("9.9"));
    assert_eq!(d.hotlist_version.as_deref(), Some("hl-7"));
    assert_eq!(d.counters.unwrap()["events"]["network"], 12);
    // Bad bodies get the documented error and change nothing.
    for bad in [
        json!({"counters": [1, 2]}),
        json!({"wait_s": 61}),
        json!({"agent_version": "x".repeat(300)}),
        json!({"interval_s": "soon", "unknown": 1}),
        json!({"intel": {"stale": "maybe"}}),
        json!({"counters": {"big": "x".repeat(70_000)}}),
    ] {
        let (s, v) = post_checkin(&w.app, &w.a().device().token, bad.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {v}");
        assert_eq!(v["error"]["code"], "invalid_payload");
    }
    let d = stored_device(&w).await;
    assert_eq!(d.agent_version.as_deref(), Some("9.9"));
    // A newer agent's fields this server does not know are accepted (and
    // counted), at the top level and inside `intel`; the known ones are applied.
    let (s, v) = post_checkin(
        &w.app,
        &w.a().device().token,
        json!({"agent_version": "10.0", "unknown": 1, "ebpf": {"probes": 3},
               "intel": {"version": "v9", "stale": false, "next_gen": true}}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let d = stored_device(&w).await;
    assert_eq!(d.agent_version.as_deref(), Some("10.0"));
    let counted =
        common::metric_sum(&w.app, "outpost_unknown_fields_total{body=\"checkin\"}").await;
    assert!(counted.0 >= 3.0, "{}", counted.1);
    // An API key is not a device.
    let (s, _) = post_checkin(&w.app, &w.admin, json!({})).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn long_poll_returns_when_a_job_is_created() {
    let w = world().await;
    let start = Instant::now();
    let poll = spawn_long_poll(&w, start);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let created_at = start.elapsed();
    let (s, v) = w.call("POST",
        "/api/v1/jobs", Some(&w.admin), Some(json!({"tenant_id": w.a().id, "device_id": w.a().device().id, "kind": "process.list", "filter": {}})),)
    .await.sv();
    assert!(s.is_success(), "{s} {v}");
    let ((s, v), done) = poll.await.unwrap();
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["jobs_pending"], 1, "{v}");
    let latency = done - created_at;
    assert!(
        latency < Duration::from_secs(1),
        "job reached the waiting agent after {latency:?}"
    );
    // With a job pending, a check-in answers at once.
    let t = Instant::now();
    let (_, v) = post_checkin(&w.app, &w.a().device().token, json!({"wait_s": 20})).await;
    assert_eq!(v["jobs_pending"], 1);
    assert!(t.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn long_poll_returns_when_the_config_changes() {
    let w = world().await;
    let poll = spawn_long_poll(&w, Instant::now());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (s, v) = put_config(&w, json!({"config": {"window": {"min_age_minutes": 1}}})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let version = v["config_version"].as_str().unwrap().to_string();
    let ((s, got), took) = poll.await.unwrap();
    assert_eq!(s, StatusCode::OK);
    assert!(took < Duration::from_millis(1300), "{took:?}");
    assert_eq!(got["config_version"], version.as_str());
    assert_eq!(got["config"]["window"]["min_age_minutes"], 1);
    // Reporting that version: no config in the answer, and the device shows it.
    let (_, got) = post_checkin(
        &w.app,
        &w.a().device().token,
        json!({"config_version": version}),
    )
    .await;
    assert!(got.get("config").is_none(), "{got}");
    let d = stored_device(&w).await;
    assert_eq!(d.reported_config_version.as_deref(), Some(version.as_str()));
    // A configuration that is not an object is refused.
    let (s, _) = put_config(&w, json!({"config": [1]})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    // The agent's safety switches and job caps cannot be set from the server.
    for (k, v) in [
        ("allow_kill", json!(true)),
        ("max_file_get_bytes", json!(1u64 << 40)),
        ("capture_dir", json!("/")),
    ] {
        let (s, body) = put_config(&w, json!({"config": {"daemon": {k: v}}})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{k}");
        assert!(body.to_string().contains(&format!("daemon.{k}")), "{body}");
    }
}

#[tokio::test]
async fn a_wait_without_news_lasts_the_wait() {
    let w = world().await;
    let t = Instant::now();
    let (s, v) = post_checkin(&w.app, &w.a().device().token, json!({"wait_s": 1})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let e = t.elapsed();
    assert!(
        e >= Duration::from_millis(950) && e < Duration::from_secs(3),
        "{e:?}"
    );
}

/// Check-ins are written behind, for all devices in one transaction: the row changes at the
/// flush (not per request), a read through the API flushes first, and nothing is lost.
#[tokio::test]
async fn checkins_are_written_behind_and_reads_see_them() {
    let w = world().await;
    let before = w.store.get_device(&w.a().device().id).await.unwrap();
    assert!(before.last_checkin_at.is_none());
    let body = json!({"agent_version": "9.9.9", "counters": {"events": 7}});
    let (s, v) = post_checkin(&w.app, &w.a().device().token, body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(w.state.reports.pending(), 1);
    let raw = w.store.get_device(&w.a().device().id).await.unwrap();
    assert!(raw.last_checkin_at.is_none(), "not written per request");
    // A read through the API writes what is pending first.
    let r = w
        .call(
            "GET",
            &format!("/api/v1/devices/{}", w.a().device().id),
            Some(&w.admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert_eq!(v["agent_version"], "9.9.9", "{v}");
    assert_eq!(v["counters"]["events"], 7, "{v}");
    assert_eq!(w.state.reports.pending(), 0);
    // Several reports of one device fold into one row write; later values win.
    for n in 0..3 {
        let body = json!({"counters": {"events": n}});
        let (s, _) = post_checkin(&w.app, &w.a().device().token, body).await;
        assert_eq!(s, StatusCode::OK);
    }
    assert_eq!(w.state.reports.pending(), 1);
    assert_eq!(w.state.reports.flush(&w.store).await.unwrap(), 1);
    let d = w.store.get_device(&w.a().device().id).await.unwrap();
    assert_eq!(d.counters.unwrap()["events"], 2);
    assert_eq!(
        d.agent_version.as_deref(),
        Some("9.9.9"),
        "kept when not reported again"
    );
}

/// A release signed with the release key is uploaded by staff (a bad signature
/// and a customer are refused), served to devices only, and rolled out in stages through
/// real check-ins: canary first, then half, then all, advancing after the healthy period;
/// failures pause it, a paused rollout reaches no new device until resumed; abort stops it.
#[tokio::test]
async fn staged_rollout_advances_pauses_resumes_and_aborts() {
    use outpost_intel::release::{ReleaseStatement, sha256_hex, sign};
    let key = outpost_intel::distribute::generate_signing_key();
    let public = outpost_intel::distribute::verifying_key_to_hex(&key.verifying_key());
    let w = World::builder()
        .tenant("acme", &[])
        .config(|c, _| {
            c.checkin_flush_ms = 0;
            c.releases.public_key = Some(public);
        })
        .build()
        .await;
    let (app, state, store, admin) = (&w.app, &w.state, &w.store, &w.admin);
    let (t, customer) = (w.a(), &w.a().customer);
    let mut devs = Vec::new();
    for i in 0..20 {
        devs.push(
            store
                .create_device(&t.id, &format!("h{i}"), None, None)
                .await
                .unwrap(),
        );
    }
    let file = b"\x7fELF release 2.0.0".repeat(100);
    let sha = sha256_hex(&file);
    let st = ReleaseStatement {
        os: "linux",
        arch: "x86_64",
        version: "2.0.0",
        size: file.len() as u64,
        sha256: &sha,
    };
    let sig = sign(&key, &st);
    let other = sign(&outpost_intel::distribute::generate_signing_key(), &st);
    let upload = |token: String, sig: String| {
        let app = app.clone();
        let file = file.clone();
        async move {
            common::request(
                &app,
                "POST",
                &format!("/api/v1/releases?os=linux&arch=x86_64&version=2.0.0&signature={sig}"),
                Some(&token),
                &[],
                Some(file),
            )
            .await
        }
    };
    assert_eq!(upload(admin.clone(), other).await.status, 422);
    assert_eq!(upload(customer.clone(), sig.clone()).await.status, 403);
    let r = upload(admin.clone(), sig.clone()).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let rel = r.json()["id"].as_str().unwrap().to_string();
    let dl = format!("/api/v1/releases/{rel}/download");
    let got = common::call(&app, "GET", &dl, Some(&devs[0].1), None).await;
    assert_eq!((got.status, got.body.len()), (StatusCode::OK, file.len()));
    let got = common::call(&app, "GET", &dl, Some(&admin), None).await;
    assert_eq!(got.status, 401, "only devices download releases");

    let canary = devs[0].0.id.clone();
    let (s, v) = common::call(
        &app,
        "POST",
        "/api/v1/rollouts",
        Some(&admin),
        Some(
            json!({"release_id": rel, "tenant_id": t.id, "canary": [canary],
               "percents": [50, 100], "healthy_secs": 1, "failure_threshold": 2}),
        ),
    )
    .await
    .sv();
    assert_eq!(s, 201, "{v}");
    let rollout = v["id"].as_str().unwrap().to_string();
    let checkin = |token: String, update: Option<Value>| {
        let app = app.clone();
        async move {
            let mut body = json!({"agent_version": "1.0.0", "os": "linux x86_64"});
            if let Some(u) = update {
                body["update"] = u;
            }
            let (s, v) = post_checkin(&app, &token, body).await;
            assert_eq!(s, 200, "{v}");
            v["update"]["release_id"].as_str().map(str::to_string)
        }
    };
    let offered = |devs: Vec<(outpost_core::api::Device, String)>| {
        let checkin = &checkin;
        async move {
            let mut n = Vec::new();
            for (d, tok) in devs {
                if checkin(tok.clone(), None).await.is_some() {
                    n.push((d, tok));
                }
            }
            n
        }
    };
    let report = |outcome: &str| {
        json!({"release_id": rel, "version": "2.0.0", "outcome": outcome,
               "at": chrono::Utc::now()})
    };
    // Stage 0: the canary only (another platform is offered nothing).
    let got = offered(devs.clone()).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0.id, canary);
    let (s, v) = post_checkin(app, &devs[0].1, json!({"os": "windows x86_64"})).await;
    assert!(s == 200 && v.get("update").is_none(), "{v}");
    checkin(devs[0].1.clone(), Some(report("installed"))).await;
    let stage = || async {
        outpost_server::routes::releases::tick(&state)
            .await
            .unwrap();
        let r = store.get_rollout(&rollout).await.unwrap();
        (r.stage, r.state)
    };
    assert_eq!(
        stage().await,
        (0, "running".into()),
        "not healthy long enough"
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(stage().await, (1, "running".into()));
    // Stage 1: half of the others.
    let half = offered(devs[1..].to_vec()).await;
    assert!(
        (4..=15).contains(&half.len()),
        "{} of 19 at 50 %",
        half.len()
    );
    for (_, tok) in &half {
        checkin(tok.clone(), Some(report("installed"))).await;
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(stage().await, (2, "running".into()));
    let all = offered(devs.clone()).await;
    assert_eq!(all.len(), 20);
    // Two failures: paused, with the reason; a new device is not offered the release.
    let rest: Vec<_> = devs[1..]
        .iter()
        .filter(|d| !half.iter().any(|h| h.0.id == d.0.id))
        .cloned()
        .collect();
    checkin(rest[0].1.clone(), Some(report("rolled_back"))).await;
    assert_eq!(stage().await.1, "running");
    checkin(rest[1].1.clone(), Some(report("refused"))).await;
    let r = store.get_rollout(&rollout).await.unwrap();
    assert_eq!(r.state, "paused");
    assert!(r.reason.unwrap().contains("2 device(s) failed"));
    assert_eq!(r.devices.get("installed"), Some(&(1 + half.len() as u64)));
    let late = store
        .create_device(&t.id, "late", None, None)
        .await
        .unwrap();
    assert_eq!(checkin(late.1.clone(), None).await, None);
    assert_eq!(
        checkin(rest[0].1.clone(), None).await,
        None,
        "a failed device is not offered it again"
    );
    // Resume (staff): running again, the old failures excused; the new device gets it.
    let (s, v) = rollout_action(app, customer, &rollout, "resume").await;
    assert_eq!(s, 403, "{v}");
    let (s, v) = rollout_action(app, admin, &rollout, "resume").await;
    assert_eq!(
        (s, v["state"].as_str()),
        (StatusCode::OK, Some("running")),
        "{v}"
    );
    assert_eq!(stage().await.1, "running");
    assert_eq!(checkin(late.1.clone(), None).await, Some(rel.clone()));
    let (s, _) = rollout_action(app, admin, &rollout, "abort").await;
    assert_eq!(s, 200);
    assert_eq!(checkin(devs[0].1.clone(), None).await, None);
    // The device's history and the fleet view.
    let h = common::call(
        &app,
        "GET",
        &format!("/api/v1/devices/{}/updates", rest[0].0.id),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(h.json()[0]["outcome"], "rolled_back");
    let f = common::call(&app, "GET", "/api/v1/fleet", Some(&customer), None).await;
    let f = f.json();
    assert_eq!(f["latest"]["linux x86_64"], "2.0.0");
    assert_eq!(f["tenants"][0]["devices"], 21);
}
