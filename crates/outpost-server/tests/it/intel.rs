//! Intel publishing through the real router: each device gets its tenant's signed bundle
//! (global feeds + tenant indicators − tenant allowlist), conditional GETs answer 304, changes
//! of a tenant's intel reach its next bundle, and staff manage tenant intel.

use crate::common;
use crate::common::{Reply, World};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use outpost_server::config::ServerConfig;
use outpost_store::KeyKind;
use serde_json::{Value, json};
use std::net::IpAddr;
use std::time::Duration;
use tower::ServiceExt;

async fn send(
    app: &axum::Router,
    method: &str,
    uri: &str,
    token: &str,
    body: Option<Value>,
    if_none_match: Option<&str>,
) -> Reply {
    let extra: Vec<(&str, &str)> = if_none_match
        .map(|e| ("if-none-match", e))
        .into_iter()
        .collect();
    let body = body.map(|b| b.to_string().into_bytes());
    common::request(app, method, uri, Some(token), &extra, body).await
}

async fn get(app: &axum::Router, uri: &str, token: &str) -> Reply {
    send(app, "GET", uri, token, None, None).await
}

/// `GET /api/v1/intel/bundle` with `If-None-Match: etag`.
async fn bundle_if(app: &axum::Router, token: &str, etag: &str) -> Reply {
    send(app, "GET", "/api/v1/intel/bundle", token, None, Some(etag)).await
}

async fn post(app: &axum::Router, uri: &str, token: &str, body: Value) -> Reply {
    send(app, "POST", uri, token, Some(body), None).await
}

async fn delete(app: &axum::Router, uri: &str, token: &str) -> Reply {
    send(app, "DELETE", uri, token, None, None).await
}

const GLOBAL: &str = "# global feed\n192.0.2.0/24\n10.9.9.9\n203.0.113.50\t4\n";

fn config(dir: &std::path::Path) -> ServerConfig {
    let hotlist = dir.join("global.txt");
    std::fs::write(&hotlist, GLOBAL).unwrap();
    let mut cfg = ServerConfig {
        data_dir: dir.to_path_buf(),
        rate_limit_per_s: 0,
        ..Default::default()
    };
    cfg.intel.hotlists = vec![hotlist];
    cfg
}

/// Tenants alpha and bravo with a device each (`ha`, `hb`) and the global hotlist; the
/// bundles' public key is served.
async fn world() -> World {
    let w = World::builder()
        .tenant("alpha", &["ha"])
        .tenant("bravo", &["hb"])
        .config(|c, dir| *c = config(dir))
        .build()
        .await;
    let r = get(&w.app, "/api/v1/intel/key", &w.admin).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.json()["public_key"],
        outpost_intel::distribute::verifying_key_to_hex(&public_key(&w.state))
    );
    w
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

async fn bundle(w: &World, token: &str) -> (outpost_intel::Bundle, String) {
    let r = get(&w.app, "/api/v1/intel/bundle", token).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    let b = outpost_intel::verify(&r.body, &public_key(&w.state), chrono::Utc::now()).unwrap();
    (b, r.etag().unwrap())
}

/// `POST /api/v1/intel/allowlist` with `entry`, as a technician.
async fn allow(w: &World, entry: Value) -> Reply {
    post(&w.app, "/api/v1/intel/allowlist", &w.tech, entry).await
}

async fn add_indicator(w: &World, token: &str, tenant: &str, kind: &str, value: &str) -> Reply {
    post(
        &w.app,
        "/api/v1/intel/indicators",
        token,
        json!({"tenant_id": tenant, "kind": kind, "value": value, "score": 9, "source": "analyst"}),
    )
    .await
}

#[tokio::test]
async fn each_device_gets_its_tenants_signed_bundle_with_etags() {
    let w = world().await;
    let r = add_indicator(&w, &w.tech, &w.a().id, "ip", "198.51.100.10").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.json());
    let r = add_indicator(&w, &w.tech, &w.b().id, "ip", "198.51.100.20").await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = add_indicator(&w, &w.tech, &w.a().id, "domain", "Evil.Example.").await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.json()["value"], "evil.example");

    let (ba, etag_a) = bundle(&w, &w.a().device().token).await;
    let (bb, etag_b) = bundle(&w, &w.b().device().token).await;
    // Global intel in both; each tenant's own entries only in its bundle.
    for b in [&ba, &bb] {
        assert!(b.hotlist().contains(ip("192.0.2.77")));
        assert_eq!(
            b.hotlist().lookup(ip("203.0.113.50")).unwrap().score,
            Some(4)
        );
        // Private ranges are always subtracted.
        assert!(!b.hotlist().contains(ip("10.9.9.9")));
    }
    assert!(ba.hotlist().contains(ip("198.51.100.10")));
    assert!(!ba.hotlist().contains(ip("198.51.100.20")));
    assert!(bb.hotlist().contains(ip("198.51.100.20")));
    assert!(!bb.hotlist().contains(ip("198.51.100.10")));
    assert!(
        ba.all_indicators()
            .lookup_domain("www.evil.example")
            .is_none()
    );
    assert!(ba.all_indicators().lookup_domain("evil.example").is_some());
    assert!(bb.all_indicators().lookup_domain("evil.example").is_none());
    assert_ne!(etag_a, etag_b);

    // A matching If-None-Match is 304 without a body; a stale one gets the bundle.
    let r = bundle_if(&w.app, &w.a().device().token, &etag_a).await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    assert!(r.body.is_empty());
    assert_eq!(r.etag().as_deref(), Some(etag_a.as_str()));
    let r = bundle_if(&w.app, &w.a().device().token, "\"sha256-old\"").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.etag().as_deref(),
        Some(etag_a.as_str()),
        "same inputs, same bytes"
    );

    // Allowlisting a network of A removes it from A's bundle only, and changes A's ETag.
    let r = allow(
        &w,
        json!({"tenant_id": "alpha", "network": "192.0.2.5", "reason": "our VPN"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.json());
    let allow_id = r.json()["id"].as_str().unwrap().to_string();
    let r = bundle_if(&w.app, &w.a().device().token, &etag_a).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "a change of A's intel must change A's bundle"
    );
    let ba2 = outpost_intel::verify(&r.body, &public_key(&w.state), chrono::Utc::now()).unwrap();
    assert!(!ba2.hotlist().contains(ip("192.0.2.5")));
    assert!(ba2.hotlist().contains(ip("192.0.2.6")));
    assert_ne!(ba2.version(), ba.version());
    let r = bundle_if(&w.app, &w.b().device().token, &etag_b).await;
    assert_eq!(
        r.status,
        StatusCode::NOT_MODIFIED,
        "B's bundle is unaffected"
    );

    // Deleting the allowlist entry and the indicator brings A back to the start.
    let r = get(&w.app, "/api/v1/intel/indicators?tenant=alpha", &w.admin).await;
    let items = r.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2);
    let ip_id = items.iter().find(|i| i["kind"] == "ip").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    for uri in [
        format!("/api/v1/intel/allowlist/{allow_id}"),
        format!("/api/v1/intel/indicators/{ip_id}"),
    ] {
        let r = delete(&w.app, &uri, &w.admin).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{uri}");
    }
    let (ba3, _) = bundle(&w, &w.a().device().token).await;
    assert!(ba3.hotlist().contains(ip("192.0.2.5")));
    assert!(!ba3.hotlist().contains(ip("198.51.100.10")));

    // Metrics count what was served.
    let req = Request::get("/metrics").body(Body::empty()).unwrap();
    let text = w
        .app
        .clone()
        .oneshot(req)
        .await
        .unwrap()
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes();
    let text = String::from_utf8_lossy(&text);
    assert!(
        text.contains("outpost_intel_bundle_requests_total{result=\"not_modified\"}"),
        "{text}"
    );
    assert!(
        text.contains("outpost_intel_bundles_built_total{result=\"ok\"}"),
        "{text}"
    );
}

#[tokio::test]
async fn tenant_intel_is_staff_only_and_validated() {
    let w = world().await;
    // Customers may neither read nor change tenant intel, not even their own tenant's.
    let r = add_indicator(&w, &w.a().customer, &w.a().id, "ip", "198.51.100.10").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = get(&w.app, "/api/v1/intel/indicators", &w.a().customer).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = get(&w.app, "/api/v1/intel/key", &w.a().customer).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A device may fetch its bundle but not manage intel.
    let r = add_indicator(&w, &w.a().device().token, &w.a().id, "ip", "198.51.100.10").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // Staff get clear validation errors.
    let r = add_indicator(&w, &w.tech, &w.a().id, "colour", "blue").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("colour")
    );
    let r = add_indicator(&w, &w.tech, &w.a().id, "ip", "300.1.1.1").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = add_indicator(&w, &w.tech, &w.a().id, "sha256", "abcd").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = add_indicator(&w, &w.tech, "no-such-tenant", "ip", "198.51.100.10").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = add_indicator(&w, &w.tech, &w.a().id, "ip", "198.51.100.10").await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = add_indicator(&w, &w.tech, &w.a().id, "ip", "198.51.100.10").await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = allow(&w, json!({"tenant_id": w.a().id, "network": "not-a-net"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(w.store.list_allowlist(None).await.unwrap().len(), 0);
}

#[tokio::test]
async fn the_signing_key_is_generated_once_and_given_at_enrollment() {
    let w = world().await;
    let path = w.dir.path().join(outpost_server::intel::KEY_FILE);
    let first = std::fs::read_to_string(&path).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let public =
        std::fs::read_to_string(w.dir.path().join(outpost_server::intel::PUBLIC_KEY_FILE)).unwrap();
    assert_eq!(
        public.trim(),
        outpost_intel::distribute::verifying_key_to_hex(&public_key(&w.state))
    );
    // A second start on the same data directory keeps the key.
    let st = outpost_server::build_state(config(w.dir.path()), w.store.clone())
        .await
        .unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), first);
    assert_eq!(st.intel.as_ref().unwrap().public_key(), public.trim());
    // Enrollment hands the agent the key to pin.
    let (_, ek) = w
        .store
        .create_key(KeyKind::Enrollment, Some(&w.a().id), "")
        .await
        .unwrap();
    let req = Request::post("/api/v1/enroll")
        .header("content-type", "application/json")
        .body(Body::from(
            json!({"enrollment_key": ek, "hostname": "new"}).to_string(),
        ))
        .unwrap();
    let resp = w.app.clone().oneshot(req).await.unwrap();
    let v: Value =
        serde_json::from_slice(&resp.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(v["intel_public_key"], public.trim());
    // A configured key file that does not exist is an error, not a silently new key.
    let mut cfg = config(w.dir.path());
    cfg.intel.signing_key_file = Some(w.dir.path().join("missing.key"));
    let e = outpost_server::build_state(cfg, w.store.clone())
        .await
        .err()
        .unwrap();
    assert!(e.to_string().contains("missing.key"), "{e}");
}

#[tokio::test]
async fn checkin_reports_the_agents_bundle_state_to_staff() {
    let w = world().await;
    let r = post(&w.app, "/api/v1/checkin", &w.a().device().token, json!({"intel": {"version": "v1", "stale": false, "last_error": "bundle has been tampered with: payload digest mismatch", "last_error_at": "2026-01-01T00:00:00Z"}})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json());
    let uri = format!("/api/v1/devices?tenant={}", w.a().id);
    let devs = get(&w.app, &uri, &w.tech).await;
    let d = &devs.json()["items"][0];
    assert_eq!(d["intel"]["version"], "v1");
    assert!(
        d["intel"]["last_error"]
            .as_str()
            .unwrap()
            .contains("tampered")
    );
    let devs = get(&w.app, "/api/v1/devices", &w.a().customer).await;
    assert!(
        devs.json()["items"][0].get("intel").is_none(),
        "customers do not see agent internals"
    );
    // Fields a newer agent adds to the report are accepted (and counted); a known field of
    // the wrong type is refused.
    for (intel, status) in [
        (json!({"nope": 1}), StatusCode::OK),
        (json!({"stale": "yes"}), StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let body = json!({ "intel": intel });
        let r = post(&w.app, "/api/v1/checkin", &w.a().device().token, body).await;
        assert_eq!(r.status, status, "{intel}");
    }
}

async fn confirm(w: &World, token: &str, ips: &[&str]) -> Reply {
    post(
        &w.app,
        "/api/v1/intel/confirm",
        token,
        json!({"ips": ips, "bundle_version": "old"}),
    )
    .await
}

#[tokio::test]
async fn confirm_answers_from_the_devices_tenant_intel() {
    let w = world().await;
    let r = add_indicator(&w, &w.tech, &w.a().id, "ip", "198.51.100.0/28").await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = allow(&w, json!({"tenant_id": w.a().id, "network": "192.0.2.5"})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let asked = [
        "198.51.100.3", // A's own CIDR
        "203.0.113.50", // global, with its IPsum score
        "192.0.2.5",    // global but allowlisted by A
        "10.9.9.9",     // global but private
        "192.0.2.6",    // global
        "8.8.8.8",      // not listed
    ];
    let r = confirm(&w, &w.a().device().token, &asked).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json());
    let v = r.json();
    let res = v["results"].as_array().unwrap();
    assert_eq!(res.len(), asked.len());
    for (i, ip) in asked.iter().enumerate() {
        assert_eq!(res[i]["ip"], *ip, "answers are in request order");
    }
    assert_eq!(res[0]["intel"]["indicator"], "198.51.100.0/28");
    assert_eq!(res[0]["intel"]["source"], "analyst");
    assert_eq!(res[1]["intel"]["score"], 4);
    assert!(res[2].get("intel").is_none(), "{v}");
    assert!(res[3].get("intel").is_none(), "{v}");
    // The allowlist split A's copy of the global /24 around 192.0.2.5.
    assert_eq!(res[4]["intel"]["indicator"], "192.0.2.6/31");
    assert!(res[5].get("intel").is_none());
    // The other tenant's device: A's indicator is not listed, the allowlist of A does not apply.
    let r = confirm(&w, &w.b().device().token, &["198.51.100.3", "192.0.2.5"]).await;
    let v = r.json();
    assert!(v["results"][0].get("intel").is_none(), "{v}");
    assert_eq!(v["results"][1]["intel"]["indicator"], "192.0.2.0/24");
    // Limits and validation; only devices may ask.
    let many: Vec<String> = (0..10_001)
        .map(|i| format!("100.64.{}.{}", i / 256, i % 256))
        .collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    assert_eq!(
        confirm(&w, &w.a().device().token, &many).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        confirm(&w, &w.a().device().token, &["not-an-ip"])
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        confirm(&w, &w.tech, &["192.0.2.6"]).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        confirm(&w, &w.a().customer, &["192.0.2.6"]).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn filter_mode_bundles_hold_host_addresses_in_a_filter_and_confirm_them() {
    let w = World::builder()
        .tenant("alpha", &["ha"])
        .config(|c, dir| {
            *c = config(dir);
            c.intel.filter_mode = true;
        })
        .build()
        .await;
    let key = public_key(&w.state);
    let (app, tok) = (&w.app, &w.a().device().token);
    let r = get(&app, "/api/v1/intel/bundle", &tok).await;
    assert_eq!(r.status, StatusCode::OK);
    let b = outpost_intel::verify(&r.body, &key, chrono::Utc::now()).unwrap();
    assert!(b.info().filter_mode);
    assert_eq!(
        b.check_ip(ip("203.0.113.50")),
        outpost_intel::IpVerdict::MaybeListed
    );
    let r = send(
        &app,
        "POST",
        "/api/v1/intel/confirm",
        &tok,
        Some(json!({"ips": ["203.0.113.50"]})),
        None,
    )
    .await;
    assert_eq!(r.json()["results"][0]["intel"]["indicator"], "203.0.113.50");
}

/// The public key of the server's bundles.
fn public_key(state: &outpost_server::AppState) -> outpost_intel::VerifyingKey {
    let hex = state.intel.as_ref().unwrap().public_key();
    outpost_intel::distribute::verifying_key_from_hex(&hex).unwrap()
}

async fn bundle_has(
    app: &axum::Router,
    tok: &str,
    key: &outpost_intel::VerifyingKey,
    addr: &str,
) -> bool {
    let r = get(app, "/api/v1/intel/bundle", tok).await;
    assert_eq!(r.status, StatusCode::OK);
    let b = outpost_intel::verify(&r.body, key, chrono::Utc::now()).unwrap();
    b.hotlist().contains(ip(addr))
}

#[tokio::test]
async fn feeds_refresh_on_schedule_and_survive_a_restart_while_unreachable() {
    use outpost_intel::feed::{Feed, FeedFormat, FeedLocation, FeedOptions};
    let feed_config = |dir: &std::path::Path| {
        let mut cfg = ServerConfig {
            data_dir: dir.to_path_buf(),
            rate_limit_per_s: 0,
            ..Default::default()
        };
        cfg.intel.refresh_check_s = 1;
        cfg.intel.feeds = vec![Feed {
            name: "analyst list".into(),
            location: FeedLocation::File(dir.join("feed.txt")),
            format: FeedFormat::Ipsum { min_score: Some(2) },
            interval: Duration::from_secs(1),
            options: FeedOptions::default(),
        }];
        cfg
    };
    let w = World::builder()
        .tenant("alpha", &["ha"])
        .config(|c, dir| {
            std::fs::write(dir.join("feed.txt"), "198.51.100.1\n").unwrap();
            *c = feed_config(dir);
        })
        .build()
        .await;
    let (store, state, dir) = (&w.store, &w.state, &w.dir);
    let (tok, feed_path) = (&w.a().device().token, dir.path().join("feed.txt"));
    let key = public_key(state);
    outpost_server::spawn_housekeeping(state);
    let app = outpost_server::router(state.clone());
    // Unscored lines pass the IPsum minimum.
    assert!(bundle_has(&app, &tok, &key, "198.51.100.1").await);

    // The file changes: the refresh loop picks it up within its schedule.
    std::fs::write(&feed_path, "198.51.100.2\t5\n198.51.100.3\t1\n").unwrap();
    let later = std::time::SystemTime::now() + Duration::from_secs(5);
    std::fs::File::options()
        .write(true)
        .open(&feed_path)
        .unwrap()
        .set_modified(later)
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !bundle_has(&app, &tok, &key, "198.51.100.2").await {
        assert!(
            std::time::Instant::now() < deadline,
            "the feed refresh did not reach the bundle"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        !bundle_has(&app, &tok, &key, "198.51.100.1").await,
        "the old content is replaced"
    );
    assert!(
        !bundle_has(&app, &tok, &key, "198.51.100.3").await,
        "below min_score"
    );
    let states = state.intel.as_ref().unwrap().feed_states();
    assert!(states[0].1.fetched_at.is_some() && states[0].1.last_error.is_none());

    // The feed disappears and the server restarts: the last good content, saved in the data
    // directory, is still published, and the feed's error is recorded.
    std::fs::remove_file(&feed_path).unwrap();
    let st2 = outpost_server::build_state(feed_config(dir.path()), store.clone())
        .await
        .unwrap();
    let app2 = outpost_server::router(st2.clone());
    assert!(bundle_has(&app2, &tok, &key, "198.51.100.2").await);
    let states = st2.intel.as_ref().unwrap().feed_states();
    assert!(
        states[0]
            .1
            .last_error
            .as_deref()
            .unwrap()
            .contains("feed.txt"),
        "{states:?}"
    );
    let saved = std::fs::read_dir(dir.path().join(outpost_server::intel::FEED_DIR))
        .unwrap()
        .count();
    assert_eq!(saved, 2, "state and content of the one feed");
}

/// Replicas on one database sign with one key. The first server records its
/// public key in the database; a replica with another key refuses to start with a message
/// saying what to do; one given the same key file (`[intel] signing_key_file`) starts and
/// serves byte-identical bundles.
#[tokio::test]
async fn replicas_on_one_database_must_share_the_signing_key() {
    let tmp = tempfile::tempdir().unwrap();
    for (backend, store, url) in common::stores(tmp.path(), "intel_key").await {
        let root = tmp.path().join(backend);
        let replica = |name: &str| {
            let d = root.join(name);
            std::fs::create_dir_all(&d).unwrap();
            let mut cfg = config(&d);
            cfg.database_url = url.clone();
            cfg
        };
        let t = store.create_tenant("acme").await.unwrap();
        let (_, token) = store.create_device(&t.id, "h1", None, None).await.unwrap();

        let a = outpost_server::build_state(replica("a"), store.clone())
            .await
            .unwrap_or_else(|e| panic!("{backend}: first replica: {e}"));
        // A second replica that generated its own key in its own data directory.
        let err = outpost_server::build_state(replica("b"), store.clone())
            .await
            .err()
            .unwrap_or_else(|| panic!("{backend}: a replica with another key must not start"));
        let msg = err.to_string();
        assert!(
            msg.contains("is not the key this database's servers sign with")
                && msg.contains("signing_key_file")
                && msg.contains("OUTPOST_INTEL_SIGNING_KEY_FILE"),
            "{backend}: {msg}"
        );
        // The same key file: starts, and both publish the same bundle bytes.
        let mut c_cfg = replica("c");
        c_cfg.intel.signing_key_file = Some(root.join("a").join(outpost_server::intel::KEY_FILE));
        let c = outpost_server::build_state(c_cfg, store.clone())
            .await
            .unwrap_or_else(|e| panic!("{backend}: replica with the shared key: {e}"));
        let (app_a, app_c) = (outpost_server::router(a), outpost_server::router(c));
        let ra = get(&app_a, "/api/v1/intel/bundle", &token).await;
        let rc = get(&app_c, "/api/v1/intel/bundle", &token).await;
        assert_eq!(
            (ra.status, rc.status),
            (StatusCode::OK, StatusCode::OK),
            "{backend}"
        );
        assert_eq!(ra.etag(), rc.etag(), "{backend}");
        assert_eq!(ra.body, rc.body, "{backend}");
    }
}

/// The per-tenant bundle cache is bounded; evictions are counted in
/// `outpost_intel_bundle_cache_evictions` and an evicted tenant's bundle is rebuilt (same
/// bytes) at its next request.
#[tokio::test]
async fn bundle_cache_is_bounded_and_counts_evictions() {
    let names = ["t0", "t1", "t2", "t3", "t4"];
    let b = names
        .iter()
        .fold(World::builder(), |b, n| b.tenant(n, &["h"]));
    let w = b
        .config(|c, dir| {
            *c = config(dir);
            c.intel.bundle_cache_tenants = 2;
        })
        .build()
        .await;
    let tokens: Vec<&String> = w.tenants.iter().map(|t| &t.device().token).collect();
    let intel = w.state.intel.clone().unwrap();
    let app = &w.app;
    let evictions = || {
        let name = "outpost_intel_bundle_cache_evictions_total{result=\"capacity\"}";
        common::metric_sum(app, name)
    };
    let before = evictions().await.0;
    let first = get(&app, "/api/v1/intel/bundle", &tokens[0]).await;
    assert_eq!(first.status, StatusCode::OK);
    for tok in &tokens[1..] {
        let r = get(&app, "/api/v1/intel/bundle", tok).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(intel.cached_bundles() <= 2);
    }
    assert_eq!(intel.cached_bundles(), 2);
    let (after, text) = evictions().await;
    // Metrics are process-wide (other tests in this binary build bundles too): at least ours.
    assert!(after >= before + 3.0, "{text}");
    assert!(
        text.contains("outpost_intel_bundle_cache_entries"),
        "{text}"
    );
    // Tenant 0 was evicted: its bundle is rebuilt, byte-identical, and its ETag still matches.
    let again = get(&app, "/api/v1/intel/bundle", &tokens[0]).await;
    assert_eq!(
        (again.status, &again.etag()),
        (StatusCode::OK, &first.etag())
    );
    assert_eq!(again.body, first.body);
    let r = send(
        &app,
        "GET",
        "/api/v1/intel/bundle",
        &tokens[0],
        None,
        first.etag().as_deref(),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
}
