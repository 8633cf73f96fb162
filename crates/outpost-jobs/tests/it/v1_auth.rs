//! Authorization of every `/api/v1` job route for every role; tenant isolation; audit.

use crate::common;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{header_for, inject_principal, principal, quick_cfg, sqlite_store};
use outpost_core::auth::{Principal, Role};
use outpost_jobs::{Job, JobsConfig, JobsState, v1_router};
use serde_json::{Value, json};
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

fn assert_error(v: &Value, code: &str) {
    assert_eq!(v["error"]["code"], code, "{v}");
    assert!(v["error"]["message"].is_string());
}

/// One request and what it must answer: the status and, for an error, its code ("": any
/// body).
struct Case {
    who: Option<Principal>,
    method: &'static str,
    uri: String,
    body: Option<Value>,
    status: u16,
    code: &'static str,
}

fn case(
    who: impl Into<Option<Principal>>,
    method: &'static str,
    uri: impl Into<String>,
    body: Option<Value>,
    status: u16,
    code: &'static str,
) -> Case {
    Case {
        who: who.into(),
        method,
        uri: uri.into(),
        body,
        status,
        code,
    }
}

/// `POST /api/v1/jobs` with `body`.
fn create(who: Principal, body: Value, status: u16, code: &'static str) -> Case {
    case(who, "POST", "/api/v1/jobs", Some(body), status, code)
}

/// Runs `cases` in order (later ones may depend on earlier ones); returns each answer's body.
async fn run(app: &Router, cases: Vec<Case>) -> Vec<Value> {
    let mut bodies = Vec::with_capacity(cases.len());
    for c in cases {
        let (s, v) = call(app, c.who.as_ref(), c.method, &c.uri, c.body).await;
        assert_eq!(
            s.as_u16(),
            c.status,
            "{:?} {} {}: {v}",
            c.who,
            c.method,
            c.uri
        );
        if !c.code.is_empty() {
            assert_error(&v, c.code);
        }
        bodies.push(v);
    }
    bodies
}

/// Every route of the router's own table, so a new route is covered too.
#[tokio::test]
async fn unauthenticated_requests_get_401_everywhere() {
    let e = env().await;
    let cases: Vec<Case> = outpost_jobs::v1_routes()
        .into_iter()
        .map(|(m, p)| {
            let query = match p {
                "/api/v1/agent/jobs/next" => "?wait=0",
                "/api/v1/agent/jobs/{id}/result" => "?lease_id=x",
                "/joblookup" => "?esid=x",
                _ => "",
            };
            let uri = format!("{}{query}", p.replace("{id}", "1001"));
            case(None, m, uri, Some(json!({})), 401, "unauthorized")
        })
        .collect();
    assert!(cases.len() >= 10, "{}", cases.len());
    run(&e.app, cases).await;
}

#[tokio::test]
async fn create_rules_per_role_tenant_and_kind() {
    let e = env().await;
    let kill = json!({"tenant_id":"ta","device_id":"a1","kind":"process.kill","filter":{"parameters":{"pid":5,"startTime":1}}});
    let v = run(
        &e.app,
        vec![
            // Staff must name the tenant.
            create(
                admin(),
                json!({"device_id":"a1","kind":"pcap"}),
                400,
                "bad_request",
            ),
            create(admin(), kill.clone(), 201, ""),
            create(tech(), kill, 201, ""),
            // Customer: own tenant implied; another tenant refused; kill not allowed by
            // default policy.
            create(cust_a(), json!({"device_id":"a1","kind":"pcap"}), 201, ""),
            create(
                cust_a(),
                json!({"tenant_id":"tb","device_id":"b1","kind":"pcap"}),
                403,
                "forbidden",
            ),
            create(
                cust_a(),
                json!({"device_id":"a1","kind":"process.kill"}),
                403,
                "kind_not_allowed",
            ),
            // Devices never create.
            create(dev_a1(), json!({"device_id":"a1","kind":"pcap"}), 403, ""),
            // Unknown kind, bad filter, unknown field.
            create(
                admin(),
                json!({"tenant_id":"ta","device_id":"a1","kind":"rm -rf"}),
                400,
                "bad_request",
            ),
            create(
                admin(),
                json!({"tenant_id":"ta","device_id":"a1","kind":"pcap","filter":{"srcIp":"nope"}}),
                400,
                "",
            ),
            create(
                admin(),
                json!({"tenant_id":"ta","device_id":"a1","kind":"pcap","bogus":1}),
                400,
                "",
            ),
        ],
    )
    .await;
    assert_eq!(
        (&v[1]["owner"], &v[2]["owner"]),
        (&json!("root"), &json!("tech"))
    );
    assert_eq!(v[3]["tenant_id"], "ta");
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
    let job = |t: &str, d: &str, k: &str| json!({"tenant_id": t, "device_id": d, "kind": k});
    run(
        &app,
        vec![
            create(admin(), job("ta", "a1", "pcap"), 403, ""),
            create(admin(), job("ta", "a1", "process.list"), 201, ""),
            // Other tenants unaffected.
            create(admin(), job("tb", "b1", "pcap"), 201, ""),
        ],
    )
    .await;
}

async fn seed(e: &Env) -> (i64, i64, i64) {
    let mk = |t: &str, d: &str| json!({"tenant_id": t, "device_id": d, "kind": "process.list"});
    let v = run(
        &e.app,
        vec![
            create(admin(), mk("ta", "a1"), 201, ""),
            create(admin(), mk("ta", "a2"), 201, ""),
            create(admin(), mk("tb", "b1"), 201, ""),
        ],
    )
    .await;
    let id = |i: usize| v[i]["id"].as_i64().unwrap();
    (id(0), id(1), id(2))
}

fn ids(v: &Value) -> Vec<i64> {
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
    // list: who, query, the ids they see.
    for (p, q, want) in [
        (admin(), "", vec![a1, a2, b1]),
        (tech(), "?tenant_id=tb", vec![b1]),
        (cust_a(), "", vec![a1, a2]),
        // No peeking at tb.
        (cust_a(), "?tenant_id=tb", vec![]),
        (cust_b(), "", vec![b1]),
        (dev_a1(), "", vec![a1]),
        (dev_a1(), "?device_id=a2", vec![]),
    ] {
        let uri = format!("/api/v1/jobs{q}");
        let v = run(&e.app, vec![case(p, "GET", uri, None, 200, "")]).await;
        assert_eq!(ids(&v[0]), want, "{q}");
    }
    run(
        &e.app,
        vec![case(
            admin(),
            "GET",
            "/api/v1/jobs?status=weird",
            None,
            400,
            "bad_request",
        )],
    )
    .await;

    // show: visible → 200, invisible → 404 (never 403: ids don't leak); no result yet, or
    // not visible: 404.
    let mut cases = Vec::new();
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
        let code = if want == 404 { "not_found" } else { "" };
        cases.push(case(
            p.clone(),
            "GET",
            format!("/api/v1/jobs/{id}"),
            None,
            want,
            code,
        ));
        cases.push(case(
            p,
            "GET",
            format!("/api/v1/jobs/{id}/result"),
            None,
            404,
            "",
        ));
    }
    cases.push(case(
        admin(),
        "GET",
        "/api/v1/jobs/abc",
        None,
        400,
        "bad_request",
    ));
    run(&e.app, cases).await;

    // delete: devices never; customers only their tenant; staff anything.
    let del = |p: Principal, id: i64, status: u16, code: &'static str| {
        case(
            p,
            "DELETE",
            format!("/api/v1/jobs/{id}"),
            None,
            status,
            code,
        )
    };
    let v = run(
        &e.app,
        vec![
            del(dev_a1(), a1, 403, ""),
            del(cust_b(), a1, 404, ""),
            del(cust_a(), a1, 200, ""),
            del(cust_a(), a1, 409, "conflict"),
            del(tech(), b1, 200, ""),
        ],
    )
    .await;
    assert_eq!(v[2]["status"], "deleted");

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
    let next = "/api/v1/agent/jobs/next?wait=0";
    let mut cases: Vec<Case> = [
        admin(),
        tech(),
        cust_a(),
        principal(Role::Device, "loose", None),
    ]
    .into_iter()
    .map(|p| case(p, "GET", next, None, 403, "forbidden"))
    .collect();
    // Device b1 sees only its job.
    cases.push(case(dev_b1(), "GET", next, None, 200, ""));
    cases.push(case(dev_b1(), "GET", next, None, 204, ""));
    cases.push(case(
        dev_b1(),
        "GET",
        "/api/v1/agent/jobs/next?wait=soon",
        None,
        400,
        "",
    ));
    // Device a1 claims its own.
    cases.push(case(dev_a1(), "GET", next, None, 200, ""));
    let v = run(&e.app, cases).await;
    assert_eq!(v[4]["job"]["id"].as_i64(), Some(b1));
    assert_eq!(v[7]["job"]["id"].as_i64(), Some(a1));
    let lease = v[7]["lease_id"].as_str().unwrap().to_string();
    // Staff and customers never see the lease token.
    for p in [admin(), cust_a()] {
        let (_, v) = call(&e.app, Some(&p), "GET", &format!("/api/v1/jobs/{a1}"), None).await;
        assert_eq!(v["status"], "assigned");
        assert!(v.get("lease_id").is_none(), "{v}");
    }
    let report = |p: Principal, lease: &str, status: &str, want: u16, code: &'static str| {
        let body = json!({"lease_id": lease, "status": status});
        case(
            p,
            "POST",
            format!("/api/v1/agent/jobs/{a1}"),
            Some(body),
            want,
            code,
        )
    };
    let upload = format!("/api/v1/agent/jobs/{a1}/result?lease_id={lease}");
    let v = run(
        &e.app,
        vec![
            // Another device of the same tenant cannot report on it or upload to it, even
            // with the lease.
            report(dev_a2(), &lease, "completed", 404, ""),
            case(dev_a2(), "PUT", upload, None, 404, ""),
            // Staff cannot report as an agent.
            report(admin(), &lease, "completed", 403, ""),
            // Wrong lease → 409 lease_lost; bad status → 400.
            report(dev_a1(), "nope", "running", 409, "lease_lost"),
            report(dev_a1(), &lease, "pending", 400, ""),
            // The owner: running → upload → completed.
            report(dev_a1(), &lease, "running", 200, ""),
        ],
    )
    .await;
    assert_eq!(v[5]["status"], "running");
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
    let v = run(&e.app, vec![report(dev_a1(), &lease, "completed", 200, "")]).await;
    assert_eq!(v[0]["status"], "completed");
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
    let v = run(
        &e.app,
        vec![
            case(
                cust_b(),
                "GET",
                format!("/api/v1/jobs/{a1}/result"),
                None,
                404,
                "",
            ),
            case(admin(), "GET", format!("/api/v1/jobs/{a1}"), None, 200, ""),
        ],
    )
    .await;
    let job: Job = serde_json::from_value(v[1].clone()).unwrap();
    assert_eq!(job.result_size, Some(16));
}

#[tokio::test]
async fn joblookup_authorization() {
    let e = env().await;
    let get = |p: Principal, uri: &'static str, status: u16, code: &'static str| {
        case(p, "GET", uri, None, status, code)
    };
    run(
        &e.app,
        vec![
            get(dev_a1(), "/joblookup?esid=x", 403, ""),
            // Staff need not name the tenant: the document's observer.name decides it (here
            // the lookup then stops at the missing search backend).
            get(admin(), "/joblookup?esid=x", 503, ""),
            get(cust_a(), "/joblookup", 400, "bad_request"),
            // No search backend configured.
            get(cust_a(), "/joblookup?esid=x", 503, ""),
            get(cust_a(), "/joblookup?esid=x&tenant_id=tb", 403, ""),
        ],
    )
    .await;
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
    let with_es = JobsConfig {
        elastic: Some(outpost_jobs::ElasticConfig {
            url: "https://127.0.0.1:9".into(),
            index: "logs-*".into(),
            username: None,
            password: None,
            time_shift: std::time::Duration::from_secs(120),
            default_duration: std::time::Duration::from_secs(60),
            timeout: std::time::Duration::from_secs(5),
        }),
        ..JobsConfig::default()
    };
    let err = JobsState::new(t.store.clone(), with_es)
        .expect_err("a client without CA certificates")
        .to_string();
    assert!(err.contains("[jobs.elastic]"), "{err}");
    // …and without `[jobs.elastic]` nothing needs one.
    JobsState::new(t.store.clone(), JobsConfig::default()).expect("starts without CA certs");
}
