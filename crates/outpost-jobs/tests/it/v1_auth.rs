//! Authorization of every `/api/v1` job route for every role; tenant isolation; audit.

use crate::common;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{header_for, inject_principal, principal, quick_cfg, sqlite_store};
use outpost_core::auth::{Principal, Role};
use outpost_jobs::{Job, JobsConfig, JobsState, v1_router};
use tower::ServiceExt;

struct Env {
    app: Router,
    state: JobsState,
    _t: common::TestStore,
}

async fn env() -> Env {
    let t = sqlite_store(quick_cfg).await;
    let state = JobsState::new(t.store.clone(), JobsConfig::default()).unwrap();
    let app = v1_router(state.clone()).layer(axum::middleware::from_fn(inject_principal));
    Env { app, state, _t: t }
}

async fn call(
    app: &Router,
    p: Option<&Principal>,
    method: &str,
    uri: &str,
    body: Option<serde_json::Value>,
) -> (StatusCode, serde_json::Value) {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(p) = p {
        req = req.header("x-test-principal", header_for(p));
    }
    let req = match body {
        Some(b) => req
            .header("content-type", "application/json")
            .body(Body::from(b.to_string()))
            .unwrap(),
        None => req.body(Body::empty()).unwrap(),
    };
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    let v = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    (status, v)
}

fn admin() -> Principal {
    principal(Role::Admin, "root", None)
}
fn tech() -> Principal {
    principal(Role::Technician, "tech", None)
}
fn cust_a() -> Principal {
    principal(Role::Customer, "alice", Some("ta"))
}
fn cust_b() -> Principal {
    principal(Role::Customer, "bob", Some("tb"))
}
fn dev_a1() -> Principal {
    principal(Role::Device, "a1", Some("ta"))
}
fn dev_a2() -> Principal {
    principal(Role::Device, "a2", Some("ta"))
}
fn dev_b1() -> Principal {
    principal(Role::Device, "b1", Some("tb"))
}

fn assert_error(v: &serde_json::Value, code: &str) {
    assert_eq!(v["error"]["code"], code, "{v}");
    assert!(v["error"]["message"].is_string());
}

#[tokio::test]
async fn unauthenticated_requests_get_401_everywhere() {
    let e = env().await;
    for (m, u) in [
        ("GET", "/api/v1/jobs"),
        ("POST", "/api/v1/jobs"),
        ("GET", "/api/v1/jobs/1001"),
        ("DELETE", "/api/v1/jobs/1001"),
        ("GET", "/api/v1/jobs/1001/result"),
        ("GET", "/api/v1/agent/jobs/next?wait=0"),
        ("POST", "/api/v1/agent/jobs/1001"),
        ("PUT", "/api/v1/agent/jobs/1001/result?lease_id=x"),
        ("GET", "/joblookup?esid=x"),
    ] {
        let (s, v) = call(&e.app, None, m, u, Some(serde_json::json!({}))).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{m} {u}");
        assert_error(&v, "unauthorized");
    }
}

async fn create(
    e: &Env,
    p: &Principal,
    body: serde_json::Value,
) -> (StatusCode, serde_json::Value) {
    call(&e.app, Some(p), "POST", "/api/v1/jobs", Some(body)).await
}

#[tokio::test]
async fn create_rules_per_role_tenant_and_kind() {
    let e = env().await;
    // Staff must name the tenant.
    let (s, v) = create(
        &e,
        &admin(),
        serde_json::json!({"device_id":"a1","kind":"pcap"}),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_error(&v, "bad_request");
    for p in [admin(), tech()] {
        let (s, v) = create(&e, &p, serde_json::json!({"tenant_id":"ta","device_id":"a1","kind":"process.kill","filter":{"parameters":{"pid":5,"startTime":1}}})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["owner"], p.subject);
    }
    // Customer: own tenant implied; another tenant refused; kill not allowed by default policy.
    let (s, v) = create(
        &e,
        &cust_a(),
        serde_json::json!({"device_id":"a1","kind":"pcap"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["tenant_id"], "ta");
    let (s, v) = create(
        &e,
        &cust_a(),
        serde_json::json!({"tenant_id":"tb","device_id":"b1","kind":"pcap"}),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_error(&v, "forbidden");
    let (s, v) = create(
        &e,
        &cust_a(),
        serde_json::json!({"device_id":"a1","kind":"process.kill"}),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_error(&v, "kind_not_allowed");
    // Devices never create.
    let (s, _) = create(
        &e,
        &dev_a1(),
        serde_json::json!({"device_id":"a1","kind":"pcap"}),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Unknown kind, bad filter, unknown field.
    let (s, v) = create(
        &e,
        &admin(),
        serde_json::json!({"tenant_id":"ta","device_id":"a1","kind":"rm -rf"}),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_error(&v, "bad_request");
    let (s, _) = create(&e, &admin(), serde_json::json!({"tenant_id":"ta","device_id":"a1","kind":"pcap","filter":{"srcIp":"nope"}})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = create(
        &e,
        &admin(),
        serde_json::json!({"tenant_id":"ta","device_id":"a1","kind":"pcap","bogus":1}),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn tenant_policy_restricts_kinds() {
    let t = sqlite_store(quick_cfg).await;
    let mut cfg = JobsConfig::default();
    cfg.policy.tenants.insert(
        "ta".into(),
        ["process.list".to_string()].into_iter().collect(),
    );
    let state = JobsState::new(t.store.clone(), cfg).unwrap();
    let app = v1_router(state).layer(axum::middleware::from_fn(inject_principal));
    let (s, v) = call(
        &app,
        Some(&admin()),
        "POST",
        "/api/v1/jobs",
        Some(serde_json::json!({"tenant_id":"ta","device_id":"a1","kind":"pcap"})),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, _) = call(
        &app,
        Some(&admin()),
        "POST",
        "/api/v1/jobs",
        Some(serde_json::json!({"tenant_id":"ta","device_id":"a1","kind":"process.list"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = call(
        &app,
        Some(&admin()),
        "POST",
        "/api/v1/jobs",
        Some(serde_json::json!({"tenant_id":"tb","device_id":"b1","kind":"pcap"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "other tenants unaffected");
}

async fn seed(e: &Env) -> (i64, i64, i64) {
    let mk = |t: &str, d: &str| serde_json::json!({"tenant_id": t, "device_id": d, "kind": "process.list"});
    let a1 = create(e, &admin(), mk("ta", "a1")).await.1["id"]
        .as_i64()
        .unwrap();
    let a2 = create(e, &admin(), mk("ta", "a2")).await.1["id"]
        .as_i64()
        .unwrap();
    let b1 = create(e, &admin(), mk("tb", "b1")).await.1["id"]
        .as_i64()
        .unwrap();
    (a1, a2, b1)
}

fn ids(v: &serde_json::Value) -> Vec<i64> {
    let mut out: Vec<i64> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_i64().unwrap())
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn visibility_list_show_result_delete() {
    let e = env().await;
    let (a1, a2, b1) = seed(&e).await;
    let list = |p: Principal, q: &'static str| {
        let app = e.app.clone();
        async move { call(&app, Some(&p), "GET", &format!("/api/v1/jobs{q}"), None).await }
    };
    assert_eq!(ids(&list(admin(), "").await.1), vec![a1, a2, b1]);
    assert_eq!(ids(&list(tech(), "?tenant_id=tb").await.1), vec![b1]);
    assert_eq!(ids(&list(cust_a(), "").await.1), vec![a1, a2]);
    assert_eq!(
        ids(&list(cust_a(), "?tenant_id=tb").await.1),
        Vec::<i64>::new(),
        "no peeking at tb"
    );
    assert_eq!(ids(&list(cust_b(), "").await.1), vec![b1]);
    assert_eq!(ids(&list(dev_a1(), "").await.1), vec![a1]);
    assert_eq!(
        ids(&list(dev_a1(), "?device_id=a2").await.1),
        Vec::<i64>::new()
    );
    let (s, v) = list(admin(), "?status=weird").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_error(&v, "bad_request");

    // show: visible → 200, invisible → 404 (never 403: ids don't leak).
    for (p, id, want) in [
        (admin(), b1, 200),
        (tech(), a1, 200),
        (cust_a(), a1, 200),
        (cust_a(), b1, 404),
        (cust_b(), a2, 404),
        (dev_a1(), a1, 200),
        (dev_a1(), a2, 404),
        (dev_b1(), a1, 404),
    ] {
        let (s, v) = call(&e.app, Some(&p), "GET", &format!("/api/v1/jobs/{id}"), None).await;
        assert_eq!(s.as_u16(), want, "{p:?} show {id}: {v}");
        if want == 404 {
            assert_error(&v, "not_found");
        }
        let (s, _) = call(
            &e.app,
            Some(&p),
            "GET",
            &format!("/api/v1/jobs/{id}/result"),
            None,
        )
        .await;
        assert_eq!(s.as_u16(), 404, "no result yet / not visible");
    }
    let (s, v) = call(&e.app, Some(&admin()), "GET", "/api/v1/jobs/abc", None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_error(&v, "bad_request");

    // delete: devices never; customers only their tenant; staff anything.
    let (s, _) = call(
        &e.app,
        Some(&dev_a1()),
        "DELETE",
        &format!("/api/v1/jobs/{a1}"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = call(
        &e.app,
        Some(&cust_b()),
        "DELETE",
        &format!("/api/v1/jobs/{a1}"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, v) = call(
        &e.app,
        Some(&cust_a()),
        "DELETE",
        &format!("/api/v1/jobs/{a1}"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "deleted");
    let (s, v) = call(
        &e.app,
        Some(&cust_a()),
        "DELETE",
        &format!("/api/v1/jobs/{a1}"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_error(&v, "conflict");
    let (s, _) = call(
        &e.app,
        Some(&tech()),
        "DELETE",
        &format!("/api/v1/jobs/{b1}"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);

    // Every action is audited, denials included.
    let log = e.state.store().audit_log(None, 1000).await.unwrap();
    assert!(
        log.iter()
            .any(|a| a.action == "job.delete" && a.outcome == "denied" && a.actor == "bob")
    );
    assert!(
        log.iter()
            .any(|a| a.action == "job.read" && a.outcome == "denied" && a.actor == "a1")
    );
    assert!(
        log.iter()
            .any(|a| a.action == "job.create" && a.actor == "root" && a.job_id == Some(a1))
    );
    assert!(log.iter().any(|a| a.action == "job.delete"
        && a.outcome == "ok"
        && a.actor == "alice"
        && a.job_id == Some(a1)));
}

#[tokio::test]
async fn agent_routes_are_device_only_and_scoped() {
    let e = env().await;
    let (a1, _a2, b1) = seed(&e).await;
    for p in [
        admin(),
        tech(),
        cust_a(),
        principal(Role::Device, "loose", None),
    ] {
        let (s, v) = call(
            &e.app,
            Some(&p),
            "GET",
            "/api/v1/agent/jobs/next?wait=0",
            None,
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{p:?}");
        assert_error(&v, "forbidden");
    }
    // Device b1 sees only its job.
    let (s, v) = call(
        &e.app,
        Some(&dev_b1()),
        "GET",
        "/api/v1/agent/jobs/next?wait=0",
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["job"]["id"].as_i64(), Some(b1));
    let (s, _) = call(
        &e.app,
        Some(&dev_b1()),
        "GET",
        "/api/v1/agent/jobs/next?wait=0",
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = call(
        &e.app,
        Some(&dev_b1()),
        "GET",
        "/api/v1/agent/jobs/next?wait=soon",
        None,
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // Device a1 claims its own.
    let (_, c) = call(
        &e.app,
        Some(&dev_a1()),
        "GET",
        "/api/v1/agent/jobs/next?wait=0",
        None,
    )
    .await;
    assert_eq!(c["job"]["id"].as_i64(), Some(a1));
    let lease = c["lease_id"].as_str().unwrap().to_string();
    // Staff and customers never see the lease token.
    for p in [admin(), cust_a()] {
        let (_, v) = call(&e.app, Some(&p), "GET", &format!("/api/v1/jobs/{a1}"), None).await;
        assert_eq!(v["status"], "assigned");
        assert!(v.get("lease_id").is_none(), "{v}");
    }
    // Another device of the same tenant cannot report on it or upload to it, even with the lease.
    let (s, _) = call(
        &e.app,
        Some(&dev_a2()),
        "POST",
        &format!("/api/v1/agent/jobs/{a1}"),
        Some(serde_json::json!({"lease_id": lease, "status":"completed"})),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = call(
        &e.app,
        Some(&dev_a2()),
        "PUT",
        &format!("/api/v1/agent/jobs/{a1}/result?lease_id={lease}"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Staff cannot report as an agent.
    let (s, _) = call(
        &e.app,
        Some(&admin()),
        "POST",
        &format!("/api/v1/agent/jobs/{a1}"),
        Some(serde_json::json!({"lease_id": lease, "status":"completed"})),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Wrong lease → 409 lease_lost; bad status → 400.
    let (s, v) = call(
        &e.app,
        Some(&dev_a1()),
        "POST",
        &format!("/api/v1/agent/jobs/{a1}"),
        Some(serde_json::json!({"lease_id": "nope", "status":"running"})),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_error(&v, "lease_lost");
    let (s, _) = call(
        &e.app,
        Some(&dev_a1()),
        "POST",
        &format!("/api/v1/agent/jobs/{a1}"),
        Some(serde_json::json!({"lease_id": lease, "status":"pending"})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // The owner: running → upload → completed.
    let (s, v) = call(
        &e.app,
        Some(&dev_a1()),
        "POST",
        &format!("/api/v1/agent/jobs/{a1}"),
        Some(serde_json::json!({"lease_id": lease, "status":"running"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let req = Request::builder()
        .method("PUT")
        .uri(format!(
            "/api/v1/agent/jobs/{a1}/result?lease_id={lease}&ext=json"
        ))
        .header("x-test-principal", header_for(&dev_a1()))
        .body(Body::from("{\"processes\":[]}"))
        .unwrap();
    let resp = e.app.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let (s, v) = call(
        &e.app,
        Some(&dev_a1()),
        "POST",
        &format!("/api/v1/agent/jobs/{a1}"),
        Some(serde_json::json!({"lease_id": lease, "status":"completed"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["status"], "completed");
    // Download: tenant's customer yes, other tenant no.
    let req = Request::builder()
        .uri(format!("/api/v1/jobs/{a1}/result"))
        .header("x-test-principal", header_for(&cust_a()))
        .body(Body::empty())
        .unwrap();
    let resp = e.app.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let cd = resp
        .headers()
        .get("content-disposition")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(cd.contains(&format!("outpost_a1_{a1}.json")), "{cd}");
    let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    assert_eq!(&body[..], b"{\"processes\":[]}");
    let (s, _) = call(
        &e.app,
        Some(&cust_b()),
        "GET",
        &format!("/api/v1/jobs/{a1}/result"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let job: Job = serde_json::from_value(
        call(
            &e.app,
            Some(&admin()),
            "GET",
            &format!("/api/v1/jobs/{a1}"),
            None,
        )
        .await
        .1,
    )
    .unwrap();
    assert_eq!(job.result_size, Some(16));
}

#[tokio::test]
async fn joblookup_authorization() {
    let e = env().await;
    let (s, _) = call(&e.app, Some(&dev_a1()), "GET", "/joblookup?esid=x", None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Staff need not name the tenant: the document's observer.name decides it (here the
    // lookup then stops at the missing search backend).
    let (s, v) = call(&e.app, Some(&admin()), "GET", "/joblookup?esid=x", None).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    let (s, v) = call(&e.app, Some(&cust_a()), "GET", "/joblookup", None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_error(&v, "bad_request");
    let (s, v) = call(&e.app, Some(&cust_a()), "GET", "/joblookup?esid=x", None).await;
    assert_eq!(
        s,
        StatusCode::SERVICE_UNAVAILABLE,
        "no elastic configured: {v}"
    );
    let (s, _) = call(
        &e.app,
        Some(&cust_a()),
        "GET",
        "/joblookup?esid=x&tenant_id=tb",
        None,
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

/// Regression: the job subsystem built its Elasticsearch client at start even when
/// `[jobs.elastic]` was not configured, so a server on a system without CA certificates (a
/// `FROM scratch` image) refused to start ("builder error"). The client is built only when
/// it is needed. Runs in its own process under nextest, which `scripts/test.sh` uses, so the
/// environment variables below touch no other test.
#[tokio::test]
async fn starts_without_ca_certificates_unless_elastic_needs_them() {
    let empty = tempfile::tempdir().unwrap();
    let no_certs = empty.path().join("none.pem");
    std::fs::write(&no_certs, b"").unwrap();
    // SAFETY: set before any other thread of this test reads the environment.
    unsafe {
        std::env::set_var("SSL_CERT_FILE", &no_certs);
        std::env::set_var("SSL_CERT_DIR", empty.path());
    }
    let t = sqlite_store(quick_cfg).await;
    // The environment really has no CA certificate: a configured client cannot be built…
    let mut with_es = JobsConfig::default();
    with_es.elastic = Some(outpost_jobs::ElasticConfig {
        url: "https://127.0.0.1:9".into(),
        index: "logs-*".into(),
        username: None,
        password: None,
        time_shift: std::time::Duration::from_secs(120),
        default_duration: std::time::Duration::from_secs(60),
        timeout: std::time::Duration::from_secs(5),
    });
    let err = JobsState::new(t.store.clone(), with_es)
        .expect_err("a client without CA certificates")
        .to_string();
    assert!(err.contains("[jobs.elastic]"), "{err}");
    // …and without `[jobs.elastic]` nothing needs one.
    JobsState::new(t.store.clone(), JobsConfig::default()).expect("starts without CA certs");
}
