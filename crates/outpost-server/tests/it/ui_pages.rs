//! The web UI in process: authorization like the API (redirect to /login, tenant scoping,
//! customer view without technician-only fields, CSRF on changes), the login form, and page
//! render times with 100,000 stored hits.

use crate::common;
use crate::common::World;
use crate::common::world::add_user;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use outpost_core::auth::Role;
use outpost_core::{Hit, HitPayload};
use outpost_store::{DeviceAuth, Store};
use serde_json::json;
use std::time::Instant;
use tower::ServiceExt;

/// Tenants acme and globex with a device each, users `tech` and acme's `alice`.
async fn world() -> World {
    world_with(false).await
}

/// With `jobs`, the state as `outpost server` builds it (job subsystem included).
async fn world_with(jobs: bool) -> World {
    let b = World::builder()
        .tenant("acme", &["acme-host"])
        .tenant("globex", &["globex-host"])
        .user("tech", Role::Technician, None)
        .user("alice", Role::Customer, Some("acme"));
    if jobs {
        b.build().await
    } else {
        b.lite().build().await
    }
}

/// The sessions of `tech` and `alice`.
fn sessions(w: &World) -> (&str, &str) {
    (&w.user("tech").session, &w.user("alice").session)
}

fn hit(ip: &str, process: &str, n: u64) -> Hit {
    let now = chrono::Utc::now();
    serde_json::from_value(json!({
        "remote_ip": ip, "remote_port": 443, "protocol": "tcp", "process_name": process,
        "pid": 4242, "exe_path": format!("/usr/bin/{process}"),
        "first_seen_utc": (now - chrono::Duration::minutes(10)).to_rfc3339(),
        "last_seen_utc": now.to_rfc3339(), "hit_count": n,
        "sample_events": [{"ts": now.to_rfc3339(), "kind": "network", "source": "sample-src-marker"}],
        "intel": {"indicator": ip, "source": "ipsum-test", "score": 5}
    }))
    .unwrap()
}

async fn upload(store: &Store, dev: &DeviceAuth, batch: &str, hits: Vec<Hit>) {
    let p = HitPayload {
        batch_id: batch.to_string(),
        tenant_id: dev.tenant_id.clone(),
        device_id: dev.device_id.clone(),
        hostname: "ignored-hostname".to_string(),
        agent_version: "9.9.9".to_string(),
        hotlist_version: "hl-1".to_string(),
        hits,
    };
    store.insert_hits(dev, &p, &[]).await.unwrap();
}

async fn send(
    app: &axum::Router,
    req: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

/// The page at `path` as the holder of the session `session`, which must be 200 OK.
async fn page_ok(w: &World, path: &str, session: &str) -> String {
    let (s, _, body) = send(&w.app, get(path, Some(session))).await;
    assert_eq!(s, StatusCode::OK, "{path}: {body}");
    body
}

fn get(path: &str, session: Option<&str>) -> Request<Body> {
    let mut b = Request::get(path);
    if let Some(s) = session {
        b = b.header(header::COOKIE, format!("outpost_session={s}"));
    }
    b.body(Body::empty()).unwrap()
}

fn post_form(path: &str, session: &str, body: &str, htmx: bool) -> Request<Body> {
    let mut b = Request::post(path)
        .header(header::COOKIE, format!("outpost_session={session}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if htmx {
        b = b.header("HX-Request", "true");
    }
    b.body(Body::from(body.to_string())).unwrap()
}

#[tokio::test]
async fn pages_authorize_like_the_api() {
    let w = world().await;
    let (tech, cust_a) = sessions(&w);
    for (t, batch, hit) in [
        (w.a(), "batch-acme-1", hit("203.0.113.7", "curl", 3)),
        (w.b(), "batch-globex-1", hit("198.51.100.9", "wget", 2)),
    ] {
        upload(&w.store, &t.device().auth, batch, vec![hit]).await;
    }
    let acme_id = w
        .store
        .ui_latest_hit_id(Some(&w.a().device().auth.tenant_id))
        .await
        .unwrap();
    let globex_id = w
        .store
        .ui_latest_hit_id(Some(&w.b().device().auth.tenant_id))
        .await
        .unwrap();

    // No credentials: redirected to the login page (htmx requests get HX-Redirect).
    let (s, h, _) = send(&w.app, get("/ui/hits", None)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(h[header::LOCATION], "/login");
    let (s, _, body) = send(&w.app, get("/login", None)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.contains("<label for=\"username\">"));
    let (s, _, body) = send(&w.app, get("/assets/htmx.min.js", None)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.contains("htmx"));

    // Technician: both tenants, full detail.
    let body = page_ok(&w, "/ui/hits", &tech).await;
    assert!(body.contains("203.0.113.7") && body.contains("198.51.100.9"));
    assert!(body.contains("ipsum-test"));
    let body = page_ok(&w, &format!("/ui/hits/{acme_id}"), &tech).await;
    assert!(body.contains("batch-acme-1") && body.contains("sample-src-marker"));
    assert!(body.contains("ipsum-test"));
    for p in [
        "/ui/dashboard",
        "/ui/devices",
        "/ui/jobs",
        "/ui/settings",
        "/ui/intel",
    ] {
        page_ok(&w, p, &tech).await;
    }

    // Customer: own tenant only, simplified fields.
    let body = page_ok(&w, "/ui/hits", &cust_a).await;
    assert!(body.contains("203.0.113.7"));
    assert!(!body.contains("198.51.100.9") && !body.contains("globex"));
    assert!(!body.contains("ipsum-test"));
    let body = page_ok(&w, &format!("/ui/hits/{acme_id}"), &cust_a).await;
    for secret in [
        "batch-acme-1",
        "sample-src-marker",
        "ipsum-test",
        "hl-1",
        "9.9.9",
    ] {
        assert!(!body.contains(secret), "customer sees {secret}");
    }
    let (s, _, body) = send(&w.app, get(&format!("/ui/hits/{globex_id}"), Some(&cust_a))).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(!body.contains("198.51.100.9"));
    let other = &w.b().device().auth;
    for (path, status) in [
        (
            format!("/ui/hits?tenant={}", other.tenant_id),
            StatusCode::FORBIDDEN,
        ),
        (
            format!("/ui/devices/{}", other.device_id),
            StatusCode::NOT_FOUND,
        ),
    ] {
        let (s, _, _) = send(&w.app, get(&path, Some(cust_a))).await;
        assert_eq!(s, status, "{path}");
    }
    // Device page: technicians see the recent sample events, customers do not.
    let dev_a = format!("/ui/devices/{}", w.a().device().auth.device_id);
    let body = page_ok(&w, &dev_a, &tech).await;
    assert!(
        body.contains(r#"data-testid="device-event""#) && body.contains("sample-src-marker"),
        "{body}"
    );
    let body = page_ok(&w, &dev_a, &cust_a).await;
    assert!(!body.contains("sample-src-marker"), "{body}");
    for p in ["/ui/settings", "/ui/intel"] {
        let (s, _, _) = send(&w.app, get(p, Some(&cust_a))).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{p}");
    }
    let (s, _, _) = send(
        &w.app,
        post_form(&format!("/ui/hits/{acme_id}/ticket"), &cust_a, "", true),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "customers cannot open tickets");
    let body = page_ok(&w, "/ui/dashboard", &cust_a).await;
    assert!(!body.contains("198.51.100.9") && !body.contains("wget"));

    // Changes: CSRF header required with the cookie; customers may only acknowledge.
    let path = format!("/ui/hits/{acme_id}/state");
    let other = format!("/ui/hits/{globex_id}/state");
    for (path, body, htmx, status) in [
        (&path, "state=acknowledged", false, StatusCode::FORBIDDEN),
        (&path, "state=false_positive", true, StatusCode::FORBIDDEN),
        (&other, "state=acknowledged", true, StatusCode::NOT_FOUND),
    ] {
        let (s, _, _) = send(&w.app, post_form(path, cust_a, body, htmx)).await;
        assert_eq!(s, status, "{path} {body} (htmx: {htmx})");
    }
    let (s, h, _) = send(
        &w.app,
        post_form(
            &path,
            &cust_a,
            "state=acknowledged&expected_version=0",
            true,
        ),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(h["hx-redirect"], format!("/ui/hits/{acme_id}"));
    let rec = w.store.get_hit(acme_id).await.unwrap();
    assert_eq!(rec.triage.state.as_str(), "acknowledged");
    assert_eq!(rec.triage.state_changed_by.as_deref(), Some("user:alice"));
    // A stale version is a conflict, reported in the page.
    let (s, _, body) = send(
        &w.app,
        post_form(&path, &tech, "state=new&expected_version=0", true),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.contains("changed this hit meanwhile"));
    // Suppression by a technician; refused to customers.
    let sp = format!("/ui/hits/{globex_id}/suppress");
    let (s, _, _) = send(&w.app, post_form(&sp, &cust_a, "scope=ip", true)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, _) = send(
        &w.app,
        post_form(&sp, &tech, "scope=ip&reason=lab&days=7", true),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(
        w.store
            .get_hit(globex_id)
            .await
            .unwrap()
            .triage
            .state
            .as_str(),
        "suppressed"
    );
    assert_eq!(
        w.store
            .list_suppressions(Some(&w.b().device().auth.tenant_id))
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn login_form_sets_the_session_cookie() {
    let w = world().await;
    let req = |body: &str| {
        Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let (s, _, body) = send(&w.app, req("username=tech&password=wrong")).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(body.contains("Wrong username or password"));
    let (s, h, _) = send(&w.app, req("username=tech&password=correct+horse+battery")).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(h[header::LOCATION], "/ui/dashboard");
    let cookie = h[header::SET_COOKIE].to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    let token = cookie
        .strip_prefix("outpost_session=")
        .and_then(|c| c.split(';').next())
        .unwrap()
        .to_string();
    let body = page_ok(&w, "/ui/dashboard", &token).await;
    assert!(body.contains("tech"));
    let logout = Request::post("/logout")
        .header(header::COOKIE, format!("outpost_session={token}"))
        .body(Body::empty())
        .unwrap();
    let (s, h, _) = send(&w.app, logout).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(h[header::LOCATION], "/login");
    let (s, _, _) = send(&w.app, get("/ui/dashboard", Some(&token))).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
}

/// Median time of `n` renders of `path`.
async fn median_ms(app: &axum::Router, path: &str, session: &str, n: usize) -> f64 {
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let (s, _, body) = send(app, get(path, Some(session))).await;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(s, StatusCode::OK, "{path}: {body}");
    }
    times.sort_by(|a, b| a.total_cmp(b));
    times[n / 2]
}

#[tokio::test]
async fn pages_render_fast_with_100k_hits() {
    let w = world().await;
    let (tech, cust_a) = sessions(&w);
    let t0 = Instant::now();
    for batch in 0..50 {
        let dev = if batch % 2 == 0 {
            &w.a().device().auth
        } else {
            &w.b().device().auth
        };
        let hits = (0..2000u32)
            .map(|i| {
                let n = batch * 2000 + i;
                hit(
                    &format!("10.{}.{}.{}", n % 7, (n / 7) % 250, n % 250),
                    &format!("proc{}", n % 40),
                    u64::from(n % 17 + 1),
                )
            })
            .collect();
        upload(&w.store, dev, &format!("perf-{batch}"), hits).await;
    }
    eprintln!("inserted 100000 hits in {:?}", t0.elapsed());
    let some_id = w.store.ui_latest_hit_id(None).await.unwrap() - 500;
    let pages = [
        "/ui/dashboard".to_string(),
        "/ui/dashboard?range=30d".to_string(),
        "/ui/hits".to_string(),
        "/ui/hits?sort=oldest".to_string(),
        "/ui/hits?state=new&process=proc7".to_string(),
        "/ui/hits?ip=10.3.3.3".to_string(),
        format!("/ui/hits?tenant={}", w.a().device().auth.tenant_id),
        format!("/ui/hits/{some_id}"),
        "/ui/devices".to_string(),
        format!("/ui/devices/{}", w.a().device().auth.device_id),
        "/ui/settings".to_string(),
        "/ui/intel".to_string(),
        "/ui/jobs".to_string(),
        "/ui/hits?sort=score".to_string(),
        "/ui/hits?min_score=50&alerts=1".to_string(),
    ];
    let mut slow = Vec::new();
    for p in &pages {
        let ms = median_ms(&w.app, p, &tech, 5).await;
        eprintln!("{p}: {ms:.1} ms (technician)");
        if ms >= 100.0 {
            slow.push(format!("{p}: {ms:.1} ms"));
        }
    }
    for p in ["/ui/dashboard", "/ui/hits", "/ui/hits?sort=oldest"] {
        let ms = median_ms(&w.app, p, &cust_a, 5).await;
        eprintln!("{p}: {ms:.1} ms (customer)");
        if ms >= 100.0 {
            slow.push(format!("{p} (customer): {ms:.1} ms"));
        }
    }
    // Paging works deep into the list (keyset cursor, no OFFSET).
    let body = page_ok(&w, "/ui/hits?limit=200", &tech).await;
    assert!(body.contains("data-testid=\"next-page\""));
    assert!(slow.is_empty(), "pages slower than 100 ms: {slow:?}");
}

#[tokio::test]
async fn job_page_shows_a_job_with_its_audit_trail_to_its_tenant_only() {
    let w = world_with(true).await;
    let (tech, cust_a) = sessions(&w);
    let cust_b = add_user(&w.store, "bob-of-globex", Role::Customer, Some(&w.b().id)).await;
    let cust_b = cust_b.session;
    let bearer = |method: &str, path: &str, token: &str, body: Option<serde_json::Value>| {
        let b = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json");
        b.body(body.map_or_else(Body::empty, |v| Body::from(v.to_string())))
            .unwrap()
    };
    // A technician creates a job for acme's device through the API.
    let (s, _, body) = send(
        &w.app,
        bearer(
            "POST",
            "/api/v1/jobs",
            &tech,
            Some(
                json!({"tenant_id": w.a().device().auth.tenant_id, "device_id": w.a().device().auth.device_id,
                "kind": "file.hash", "filter": {"parameters": {"path": "/etc/marker-path"}}}),
            ),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let id = serde_json::from_str::<serde_json::Value>(&body).unwrap()["id"]
        .as_i64()
        .unwrap();
    // Globex's customer tries to read it through the API (denied and audited).
    let (s, _, _) = send(
        &w.app,
        bearer("GET", &format!("/api/v1/jobs/{id}"), &cust_b, None),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let page = format!("/ui/jobs/{id}");
    // Pending: no result, no lease.
    let body = page_ok(&w, &page, &tech).await;
    assert!(
        body.contains("pending") && body.contains("No result yet"),
        "{body}"
    );

    // The agent runs it (through the job store, as the agent API does).
    let jobs = w.state.jobs.clone().unwrap();
    let c = jobs
        .store()
        .claim(
            &w.a().device().auth.tenant_id,
            &w.a().device().auth.device_id,
        )
        .await
        .unwrap()
        .expect("claimable");
    assert_eq!(c.job.id, id);
    jobs.store().mark_running(id, &c.lease_id).await.unwrap();
    let body = page_ok(&w, &page, &tech).await;
    assert!(body.contains("running"), "{body}");
    assert!(
        !body.contains(&c.lease_id),
        "the lease id is the agent's secret"
    );
    let chunk: Result<bytes::Bytes, std::io::Error> = Ok(bytes::Bytes::from_static(b"{}"));
    jobs.store()
        .store_result(id, "json", futures_util::stream::iter(vec![chunk]))
        .await
        .unwrap();
    jobs.store().complete(id, Some(&c.lease_id)).await.unwrap();

    // Technician: everything, the audit trail included (the intruder too).
    let body = page_ok(&w, &page, &tech).await;
    for want in [
        "file.hash",
        "completed",
        "acme-host",
        "/etc/marker-path",
        "1 of 3",
        &format!("/api/v1/jobs/{id}/result"),
        "job.create",
        "user:tech",
        "user:bob-of-globex",
        "acme",
    ] {
        assert!(
            body.contains(want),
            "technician page lacks {want:?}: {body}"
        );
    }
    // The jobs list links to the page.
    let (_, _, list) = send(&w.app, get("/ui/jobs", Some(&tech))).await;
    assert!(list.contains(&format!("href=\"/ui/jobs/{id}\"")), "{list}");
    // The result link works with the same session.
    let (s, _, res) = send(
        &w.app,
        get(&format!("/api/v1/jobs/{id}/result"), Some(&tech)),
    )
    .await;
    assert_eq!((s, res.as_str()), (StatusCode::OK, "{}"));

    // Acme's customer: their job, but not other tenants' principals in its trail.
    let body = page_ok(&w, &page, &cust_a).await;
    assert!(body.contains("/etc/marker-path") && body.contains("job.create"));
    assert!(!body.contains("bob-of-globex"), "{body}");
    assert!(!body.contains("globex"), "{body}");

    // Globex's customer: not found, nothing of the job shown.
    let (s, _, body) = send(&w.app, get(&page, Some(&cust_b))).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(!body.contains("/etc/marker-path") && !body.contains("acme-host"));
    // Unknown job, and no credentials.
    let (s, _, _) = send(&w.app, get("/ui/jobs/999999", Some(&tech))).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, h, _) = send(&w.app, get(&page, None)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(h[header::LOCATION], "/login");
}

/// The alerts page lists open alerts from telemetry: technicians see every tenant's with the
/// rules, a customer only their own; learned and suppressed alerts are not listed.
#[tokio::test]
async fn alerts_page_lists_open_alerts_per_tenant() {
    let w = world().await;
    let (tech, cust_a) = sessions(&w);
    let alert = |seq: i64, process: &str, learned: bool| {
        let e = common::exec_event(4, process);
        outpost_store::NewAlert {
            seq,
            risk_score: 150,
            threshold: 100,
            indicators: vec![outpost_core::Finding {
                engine: "rules".into(),
                rule_name: "reverse-shell".into(),
                indicator_type: "suspicious_process".into(),
                description: format!("{process} opened a reverse shell"),
                extra_info: String::new(),
                score: 150,
            }],
            event: e,
            learned,
        }
    };
    w.store
        .insert_alerts(
            &w.a().device().auth,
            "a1",
            &[alert(0, "socat", false), alert(1, "rsync", true)],
            &[],
        )
        .await
        .unwrap();
    w.store
        .insert_alerts(&w.b().device().auth, "b1", &[alert(0, "ncat", false)], &[])
        .await
        .unwrap();
    let html = page_ok(&w, "/ui/alerts", &tech).await;
    assert!(
        html.contains("socat opened a reverse shell")
            && html.contains("ncat opened a reverse shell"),
        "{html}"
    );
    assert!(html.contains("reverse-shell"), "technicians see the rules");
    assert!(
        !html.contains("rsync"),
        "learned alerts are not listed: {html}"
    );
    let html = page_ok(&w, "/ui/alerts", &cust_a).await;
    assert!(html.contains("socat opened a reverse shell"), "{html}");
    assert!(!html.contains("ncat"), "another tenant's alert: {html}");
    let (s, h, _) = send(&w.app, get("/ui/alerts", None)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(h[header::LOCATION], "/login");
}

/// A classic pcap (Ethernet, IPv4, UDP) of `frames` packets spread over `flows` flows
/// (source ports 10000..), one second apart from `t0`.
fn udp_pcap(frames: u32, flows: u32, t0: u32) -> Vec<u8> {
    let mut out = Vec::new();
    // Magic, version 2.4 (two little-endian u16), zone, sigfigs, snaplen, Ethernet.
    for v in [0xa1b2_c3d4u32, 0x0004_0002, 0, 0, 65535, 1] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    for i in 0..frames {
        let sport = 10000 + (i % flows) as u16;
        let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
        f.extend_from_slice(&[
            0x45, 0, 0, 28, 0, 1, 0x40, 0, 64, 17, 0, 0, 192, 0, 2, 10, 198, 51, 100, 53,
        ]);
        f.extend_from_slice(&sport.to_be_bytes());
        f.extend_from_slice(&53u16.to_be_bytes());
        f.extend_from_slice(&[0, 8, 0, 0]);
        for v in [t0 + i, 0, f.len() as u32, f.len() as u32] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&f);
    }
    out
}

/// The Threatsensor views. Sensors checking in through the compatible API are
/// listed beside the devices for the users who may see their tenant; the PCAP job form
/// validates like the API (ports, addresses, window), keeps the CSRF rule and the tenant
/// scope, and creates sensor and device jobs; the packet view of a finished job lists flows
/// and first packets, reads a bounded number of packets and flows, and is another tenant's
/// "not found".
#[tokio::test]
async fn threatsensor_views_sensors_pcap_form_and_bounded_packet_view() {
    let w = World::builder()
        .tenant("acme", &["acme-host"])
        .tenant("globex", &[])
        .user("tech", Role::Technician, None)
        .user("alice", Role::Customer, Some("acme"))
        .user("bob", Role::Customer, Some("globex"))
        .config(|c, _| {
            c.rate_limit_per_s = 0;
            c.sensoroni.tenant = Some("acme".into());
            c.sensoroni.api_key = Some("sensor-key-ui-test".into());
        })
        .build()
        .await;
    let (app, a, da) = (&w.app, w.a(), w.a().device());
    let [tech, alice, bob] = [&w.users[0], &w.users[1], &w.users[2]].map(|u| u.session.clone());
    let jobs = w.state.jobs.clone().unwrap();
    jobs.store()
        .upsert_node(
            &a.id,
            &outpost_jobs::Node {
                id: "sensor-01".into(),
                description: "SPAN port".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();

    // The sensors list.
    let (s, _, body) = send(&app, get("/ui/devices", Some(&tech))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        body.contains("data-sensor=\"sensor-01\"")
            && body.contains("SPAN port")
            && body.contains("acme-host"),
        "{body}"
    );
    let (_, _, body) = send(&app, get("/ui/devices", Some(&alice))).await;
    assert!(
        body.contains("sensor-01"),
        "acme's customer sees acme's sensors"
    );
    let (_, _, body) = send(&app, get("/ui/devices", Some(&bob))).await;
    assert!(!body.contains("sensor-01"), "globex's customer does not");

    // The form.
    let (s, _, body) = send(&app, get("/ui/jobs/new?sensor=sensor-01", Some(&tech))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        body.contains("name=\"sensor\" value=\"sensor-01\""),
        "{body}"
    );
    let (s, _, _) = send(&app, get("/ui/jobs/new?sensor=sensor-01", Some(&bob))).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _, _) = send(
        &app,
        get(&format!("/ui/jobs/new?device={}", da.id), Some(&bob)),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let form = |target: &str, dst_ip: &str, dst_port: &str, begin: &str| {
        format!(
            "{target}&src_ip=192.0.2.10&src_port=40000&dst_ip={dst_ip}&dst_port={dst_port}&protocol=tcp&begin={begin}&end=2026-12-06T12%3A00"
        )
    };
    let sensor_t = "sensor=sensor-01";
    for (body, msg) in [
        (
            form(sensor_t, "203.0.113.7", "99999", "2026-12-06T11%3A00"),
            "port is 0-65535",
        ),
        (
            form(sensor_t, "not-an-ip", "443", "2026-12-06T11%3A00"),
            "dstIp is not an IP address",
        ),
        (
            form(sensor_t, "203.0.113.7", "443", "2026-12-06T13%3A00"),
            "endTime is before beginTime",
        ),
        (form(sensor_t, "203.0.113.7", "443", ""), "time window"),
        (
            form(sensor_t, "203.0.113.7", "443", "2026-12-06T11%3A00")
                .replace("protocol=tcp", "protocol=quic"),
            "protocol &quot;quic&quot; is not tcp",
        ),
        (
            form(
                "sensor=no-such-sensor",
                "203.0.113.7",
                "443",
                "2026-12-06T11%3A00",
            ),
            "not found",
        ),
    ] {
        let (s, _, text) = send(&app, post_form("/ui/jobs/new", &tech, &body, true)).await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            text.contains("job-form-error") && text.contains(msg),
            "{msg}: {text}"
        );
    }
    assert!(
        jobs.store()
            .list(&Default::default())
            .await
            .unwrap()
            .is_empty(),
        "nothing was created"
    );
    let good = form(sensor_t, "203.0.113.7", "443", "2026-12-06T11%3A00");
    let (s, _, _) = send(&app, post_form("/ui/jobs/new", &tech, &good, false)).await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "a cookie change without HX-Request"
    );
    let (s, _, text) = send(&app, post_form("/ui/jobs/new", &bob, &good, true)).await;
    assert!(s == StatusCode::OK && text.contains("not found"), "{text}");
    let (s, h, _) = send(&app, post_form("/ui/jobs/new", &tech, &good, true)).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let loc = h["hx-redirect"].to_str().unwrap().to_string();
    let id: i64 = loc.trim_start_matches("/ui/jobs/").parse().unwrap();
    let job = jobs.store().get(id).await.unwrap().unwrap();
    assert_eq!(
        (
            job.device_id.as_str(),
            job.tenant_id.as_str(),
            job.kind.as_str(),
            job.sensor
        ),
        ("sensor-01", a.id.as_str(), "pcap", true)
    );
    assert_eq!(
        (
            job.filter.src_port,
            job.filter.dst_ip.as_deref(),
            job.filter.protocol.as_deref()
        ),
        (Some(40000), Some("203.0.113.7"), Some("tcp"))
    );
    let (_, _, body) = send(&app, get("/ui/jobs", Some(&tech))).await;
    assert!(
        body.contains("/ui/devices#sensors-h"),
        "a sensor job links the sensor list"
    );
    // A device job by the device's own customer.
    let dev_form = form(
        &format!("device={}", da.id),
        "203.0.113.7",
        "443",
        "2026-12-06T11%3A00",
    );
    let (s, h, t) = send(&app, post_form("/ui/jobs/new", &alice, &dev_form, true)).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{t}");
    let dev_job: i64 = h["hx-redirect"]
        .to_str()
        .unwrap()
        .trim_start_matches("/ui/jobs/")
        .parse()
        .unwrap();
    assert!(!jobs.store().get(dev_job).await.unwrap().unwrap().sensor);

    // The packet view: 25,000 packets over 300 flows — bounded to 20,000 packets, 200 flows.
    let (s, _, _) = send(&app, get(&format!("/ui/jobs/{id}/packets"), Some(&tech))).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "no result yet");
    let pcap = udp_pcap(25_000, 300, 1_765_000_000);
    jobs.store()
        .store_result(
            id,
            "pcap",
            futures_util::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from(pcap))]),
        )
        .await
        .unwrap();
    let (s, _, body) = send(&app, get(&format!("/ui/jobs/{id}/packets"), Some(&tech))).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(
        body.contains("20000 packets") && body.contains("the first 20000 packets only"),
        "bounded read"
    );
    assert!(
        body.contains("further flows are not listed (at most 200 flows)"),
        "bounded flows"
    );
    assert_eq!(
        body.matches("<h2>UDP ").count(),
        200,
        "one section per listed flow"
    );
    assert!(body.contains("192.0.2.10:10000") && body.contains("198.51.100.53:53"));
    assert!(
        body.contains(&format!("/api/v1/jobs/{id}/result")),
        "the download link"
    );
    let (s, _, _) = send(&app, get(&format!("/ui/jobs/{id}/packets"), Some(&bob))).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "another tenant's job");
    let (s, _, body) = send(&app, get(&format!("/ui/jobs/{id}"), Some(&alice))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        body.contains(&format!("/ui/jobs/{id}/packets")),
        "the job page links the packets"
    );
}
