//! `/joblookup` against a real OpenSearch-API server (osmem-server). Uses
//! `OUTPOST_TEST_OPENSEARCH_URL` when set; otherwise starts osmem from `/tmp/osmem` (or
//! `$OSMEM_VENV`) if installed; otherwise skips with a message.

use crate::common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{header_for, inject_principal, principal, quick_cfg, sqlite_store};
use outpost_core::auth::Role;
use outpost_jobs::{ElasticConfig, JobStatus, JobsConfig, JobsState, v1_router};
use serde_json::json;
use tower::ServiceExt;

struct Osmem(Option<Child>);

impl Drop for Osmem {
    fn drop(&mut self) {
        if let Some(c) = &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

async fn opensearch() -> Option<(String, Osmem)> {
    if let Ok(url) = std::env::var("OUTPOST_TEST_OPENSEARCH_URL") {
        return Some((url, Osmem(None)));
    }
    let venv = std::env::var("OSMEM_VENV").unwrap_or_else(|_| "/tmp/osmem".into());
    let bin = std::fs::read_dir(std::path::Path::new(&venv).join("lib"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("site-packages/osmem_server/bin/osmem-server"))
        .find(|p| p.exists());
    let Some(bin) = bin else {
        // Neither a server nor an installed osmem-server: skip (fails under
        // OUTPOST_REQUIRE_SERVICES=1).
        let _ = outpost_testkit::service("OUTPOST_TEST_OPENSEARCH_URL");
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(&bin)
        .args(["-addr", &format!("127.0.0.1:{port}"), "-no-stdin-watch"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let guard = Osmem(Some(child));
    for _ in 0..100 {
        if reqwest::get(&url)
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Some((url, guard));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("osmem-server did not start on {url}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joblookup_builds_pcap_job_and_redirects() {
    let Some((url, _guard)) = opensearch().await else {
        return;
    };
    let index = format!("outpost-jobs-test-{}", uuid::Uuid::new_v4().simple());
    let http = reqwest::Client::new();
    let docs = [
        (
            "doc-1",
            json!({"@timestamp": "2026-03-01T12:00:00Z", "observer": {"name": "sensor-7"}, "source": {"ip": "10.1.1.1", "port": 50000}, "destination": {"ip": "10.2.2.2", "port": 443}, "network": {"community_id": "1:abcDEF+/="}}),
        ),
        (
            "doc-2",
            json!({"@timestamp": "2026-03-01T12:00:00Z", "source": {"ip": "10.1.1.1"}, "destination": {"ip": "10.2.2.2"}}),
        ),
    ];
    for (id, d) in &docs {
        let r = http
            .put(format!("{url}/{index}/_doc/{id}?refresh=true"))
            .json(d)
            .send()
            .await
            .unwrap();
        assert!(
            r.status().is_success(),
            "index {id}: {}",
            r.text().await.unwrap()
        );
    }

    let t = sqlite_store(quick_cfg).await;
    let mut es = ElasticConfig::new(url.clone(), index.clone());
    es.default_duration = Duration::from_secs(60);
    es.time_shift = Duration::from_secs(30);
    // No device resolver: every observer.name is a Sensoroni sensor, whose jobs live in the
    // compatible API's tenant ("ta" here).
    let mut cfg = JobsConfig {
        elastic: Some(es),
        ..JobsConfig::default()
    };
    cfg.compat.tenant_id = "ta".into();
    let state = JobsState::new(t.store.clone(), cfg).unwrap();
    let app = v1_router(state.clone()).layer(axum::middleware::from_fn(inject_principal));
    let cust = principal(Role::Customer, "alice", Some("ta"));
    let as_who = |who: outpost_core::auth::Principal, uri: String| {
        let app = app.clone();
        let h = header_for(&who);
        async move {
            let req = Request::builder()
                .method("POST")
                .uri(uri)
                .header("x-test-principal", h)
                .body(Body::empty())
                .unwrap();
            app.oneshot(req).await.unwrap()
        }
    };
    let send = |method: &'static str, uri: String, accept: &'static str| {
        let app = app.clone();
        let h = header_for(&cust);
        async move {
            let req = Request::builder()
                .method(method)
                .uri(uri)
                .header("x-test-principal", h)
                .header("accept", accept)
                .body(Body::empty())
                .unwrap();
            app.oneshot(req).await.unwrap()
        }
    };
    let get = |uri: String| send("GET", uri, "application/json");
    let post = |uri: String| send("POST", uri, "application/json");
    let jobs_now = || async {
        state
            .store()
            .list(&outpost_jobs::ListQuery::default())
            .await
            .unwrap()
            .len()
    };

    // A GET only shows what would be created (a link on another site cannot create jobs):
    // JSON for API clients, a confirmation page for browsers.
    let r = get("/joblookup?esid=doc-1".into()).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body = axum::body::to_bytes(r.into_body(), 1 << 16).await.unwrap();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["target"]["kind"], "sensor", "{v}");
    assert_eq!(v["target"]["name"], "sensor-7");
    assert_eq!(v["filter"]["srcIp"], "10.1.1.1");
    assert_eq!(v["confirm"]["method"], "POST");
    assert_eq!(v["confirm"]["url"], "/joblookup?esid=doc-1");
    let r = send("GET", "/joblookup?esid=doc-1".into(), "text/html,*/*").await;
    assert_eq!(r.status(), StatusCode::OK);
    let body = axum::body::to_bytes(r.into_body(), 1 << 16).await.unwrap();
    let html = String::from_utf8(body.to_vec()).unwrap();
    assert!(
        html.contains("Create a PCAP job?") && html.contains(r#"hx-post="/joblookup?esid=doc-1""#),
        "{html}"
    );
    assert_eq!(jobs_now().await, 0, "a GET created a job");

    // By document id: the POST creates the job.
    let r = post("/joblookup?esid=doc-1".into()).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    let id: i64 = loc.strip_prefix("/ui/jobs/").unwrap().parse().unwrap();
    let job = state.store().get(id).await.unwrap().unwrap();
    assert_eq!(
        (
            job.kind.as_str(),
            job.device_id.as_str(),
            job.tenant_id.as_str()
        ),
        ("pcap", "sensor-7", "ta")
    );
    assert_eq!(job.status, JobStatus::Pending);
    assert_eq!(
        serde_json::to_value(&job).unwrap()["sensor"],
        true,
        "a job for a Sensoroni sensor"
    );
    assert_eq!(job.filter.src_ip.as_deref(), Some("10.1.1.1"));
    assert_eq!(job.filter.src_port, Some(50000));
    assert_eq!(job.filter.dst_ip.as_deref(), Some("10.2.2.2"));
    assert_eq!(job.filter.dst_port, Some(443));
    assert_eq!(
        job.filter.begin_time.unwrap().to_rfc3339(),
        "2026-03-01T11:58:30+00:00"
    );
    assert_eq!(
        job.filter.end_time.unwrap().to_rfc3339(),
        "2026-03-01T12:01:30+00:00"
    );

    // A customer of another tenant cannot address a sensor (its jobs live in "ta"): refused,
    // not a job nobody would ever claim.
    let r = as_who(
        principal(Role::Customer, "bob", Some("tb")),
        "/joblookup?esid=doc-1".into(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = axum::body::to_bytes(r.into_body(), 1 << 16).await.unwrap();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["error"]["code"], "unknown_device");
    // ...without echoing the other tenant's host name.
    assert!(!v.to_string().contains("sensor-7"), "{v}");
    // Staff without a tenant_id: the sensor's job goes to the compatible API's tenant.
    let r = as_who(
        principal(Role::Technician, "tech", None),
        "/joblookup?esid=doc-1".into(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    let id: i64 = loc.strip_prefix("/ui/jobs/").unwrap().parse().unwrap();
    let job = state.store().get(id).await.unwrap().unwrap();
    assert_eq!(
        (job.tenant_id.as_str(), job.device_id.as_str()),
        ("ta", "sensor-7")
    );

    // By community id (with characters that would break a spliced query string).
    let r = post("/joblookup?ncid=1%3AabcDEF%2B%2F%3D".into()).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // An id crafted to rewrite a spliced query finds nothing (it is only a value).
    let hostile = urlencode(r#"doc-1"]}},{"match_all":{}}]}},"x":{"y":["#);
    let r = post(format!("/joblookup?esid={hostile}")).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = get(format!("/joblookup?ncid={}", urlencode(r#"x" OR "1"="1"#))).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // A document without observer.name cannot make a job.
    let r = post("/joblookup?esid=doc-2".into()).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = axum::body::to_bytes(r.into_body(), 1 << 16).await.unwrap();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["error"]["code"], "incomplete_document");

    // Every lookup is audited.
    let log = state.store().audit_log(None, 100).await.unwrap();
    assert_eq!(
        log.iter()
            .filter(|a| a.action == "job.lookup" && a.outcome == "ok")
            .count(),
        3
    );
    assert!(
        log.iter()
            .any(|a| a.action == "job.lookup" && a.outcome == "rejected")
    );
    assert!(
        log.iter()
            .any(|a| a.action == "job.lookup" && a.outcome == "not_found")
    );
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn joblookup_upstream_down_is_502() {
    let t = sqlite_store(quick_cfg).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cfg = JobsConfig {
        elastic: Some(ElasticConfig::new(format!("http://127.0.0.1:{port}"), "x")),
        ..JobsConfig::default()
    };
    let state = JobsState::new(t.store.clone(), cfg).unwrap();
    let app = v1_router(state).layer(axum::middleware::from_fn(inject_principal));
    let req = Request::builder()
        .uri("/joblookup?esid=a")
        .header(
            "x-test-principal",
            header_for(&principal(Role::Customer, "alice", Some("ta"))),
        )
        .body(Body::empty())
        .unwrap();
    let r = app.oneshot(req).await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_GATEWAY);
}
