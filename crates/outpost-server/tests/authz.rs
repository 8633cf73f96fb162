//! Authorization of every route, in process: each route against no credentials, a wrong
//! token, each key kind and device tokens of two tenants. Runs on a temporary SQLite store.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use outpost_server::config::ServerConfig;
use outpost_store::{KeyKind, Store};
use serde_json::{Value, json};
use tower::ServiceExt;

struct World {
    app: axum::Router,
    admin: String,
    tech: String,
    cust_a: String,
    enroll_a: String,
    dev_a: (String, String, String), // token, device id, tenant id
    dev_b: (String, String, String),
    tenant_a: String,
    tenant_b: String,
    _dir: tempfile::TempDir,
}

async fn world() -> World {
    world_with(false).await
}

/// The world; with `jobs`, the server state includes the job subsystem (`build_state`).
async fn world_with(jobs: bool) -> World {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_sqlite_dir(dir.path()).await.unwrap();
    store.migrate().await.unwrap();
    let a = store.create_tenant("a").await.unwrap();
    let b = store.create_tenant("b").await.unwrap();
    let (_, admin) = store.create_key(KeyKind::Admin, None, "").await.unwrap();
    let (_, tech) = store
        .create_key(KeyKind::Technician, None, "")
        .await
        .unwrap();
    let (_, cust_a) = store
        .create_key(KeyKind::Customer, Some(&a.id), "")
        .await
        .unwrap();
    let (_, enroll_a) = store
        .create_key(KeyKind::Enrollment, Some(&a.id), "")
        .await
        .unwrap();
    let (da, ta) = store
        .create_device(&a.id, "host-a", None, None)
        .await
        .unwrap();
    let (db, tb) = store
        .create_device(&b.id, "host-b", None, None)
        .await
        .unwrap();
    let cfg = ServerConfig {
        data_dir: dir.path().to_path_buf(),
        max_body_bytes: 64 * 1024,
        ..Default::default()
    };
    let state = if jobs {
        outpost_server::build_state(cfg, store).await.unwrap()
    } else {
        outpost_server::state(cfg, store)
    };
    let app = outpost_server::router(state);
    World {
        app,
        admin,
        tech,
        cust_a,
        enroll_a,
        dev_a: (ta, da.id, a.id.clone()),
        dev_b: (tb, db.id, b.id.clone()),
        tenant_a: a.id,
        tenant_b: b.id,
        _dir: dir,
    }
}

async fn call(
    app: &axum::Router,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let body = body.map(|b| b.to_string().into_bytes());
    let r = common::request(app, method, uri, token, &[], body).await;
    (r.status, r.json())
}

fn payload(dev: &(String, String, String), batch: &str) -> Value {
    json!({"batch_id": batch, "tenant_id": dev.2, "device_id": dev.1, "hostname": "h", "agent_version": "t",
           "hotlist_version": "v", "hits": [{"remote_ip": "192.0.2.1", "remote_port": 443, "protocol": "tcp",
           "process_name": "p", "pid": 1, "exe_path": null, "sha256": null, "first_seen_utc": "2026-01-01T00:00:00Z",
           "last_seen_utc": "2026-01-01T00:00:00Z", "hit_count": 1, "sample_events": []}]})
}

fn assert_err(got: &(StatusCode, Value), status: StatusCode, code: &str) {
    assert_eq!(got.0, status, "{}", got.1);
    assert_eq!(got.1["error"]["code"], code, "{}", got.1);
}

#[tokio::test]
async fn post_hits_only_as_the_token_device() {
    let w = world().await;
    let p = payload(&w.dev_a, "b1");
    assert_err(
        &call(&w.app, "POST", "/api/v1/hits", None, Some(p.clone())).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    assert_err(
        &call(
            &w.app,
            "POST",
            "/api/v1/hits",
            Some("opd_nope"),
            Some(p.clone()),
        )
        .await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    for key in [&w.admin, &w.tech, &w.cust_a, &w.enroll_a] {
        assert_err(
            &call(&w.app, "POST", "/api/v1/hits", Some(key), Some(p.clone())).await,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        );
    }
    // Device B cannot write as device A (another tenant), nor as itself naming tenant A.
    assert_err(
        &call(
            &w.app,
            "POST",
            "/api/v1/hits",
            Some(&w.dev_b.0),
            Some(p.clone()),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let mut mixed = payload(&w.dev_b, "b2");
    mixed["tenant_id"] = w.tenant_a.clone().into();
    assert_err(
        &call(
            &w.app,
            "POST",
            "/api/v1/hits",
            Some(&w.dev_b.0),
            Some(mixed),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let ok = call(&w.app, "POST", "/api/v1/hits", Some(&w.dev_a.0), Some(p)).await;
    assert_eq!(ok.0, StatusCode::OK, "{}", ok.1);
}

#[tokio::test]
async fn reading_is_scoped_by_role_and_tenant() {
    let w = world().await;
    for (dev, batch) in [(&w.dev_a, "a"), (&w.dev_b, "b")] {
        let r = call(
            &w.app,
            "POST",
            "/api/v1/hits",
            Some(&dev.0),
            Some(payload(dev, batch)),
        )
        .await;
        assert_eq!(r.0, StatusCode::OK);
    }
    for uri in ["/api/v1/hits", "/api/v1/devices"] {
        assert_err(
            &call(&w.app, "GET", uri, None, None).await,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        );
        // Device tokens and enrollment keys cannot read.
        assert_err(
            &call(&w.app, "GET", uri, Some(&w.dev_a.0), None).await,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        );
        assert_err(
            &call(&w.app, "GET", uri, Some(&w.enroll_a), None).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        // Staff see both tenants.
        for key in [&w.admin, &w.tech] {
            let (s, v) = call(&w.app, "GET", uri, Some(key), None).await;
            assert_eq!(s, StatusCode::OK);
            assert_eq!(v["items"].as_array().unwrap().len(), 2, "{uri}: {v}");
        }
        // A customer sees only their tenant, and may not ask for another.
        let (s, v) = call(&w.app, "GET", uri, Some(&w.cust_a), None).await;
        assert_eq!(s, StatusCode::OK);
        let items = v["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{uri}: {v}");
        assert_eq!(items[0]["tenant_id"], w.tenant_a.as_str());
        let other = format!("{uri}?tenant={}", w.tenant_b);
        assert_err(
            &call(&w.app, "GET", &other, Some(&w.cust_a), None).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
    }
}

#[tokio::test]
async fn enroll_needs_an_enrollment_key() {
    let w = world().await;
    for key in [
        w.admin.as_str(),
        w.cust_a.as_str(),
        w.dev_a.0.as_str(),
        "ope_wrong",
    ] {
        let r = call(
            &w.app,
            "POST",
            "/api/v1/enroll",
            None,
            Some(json!({"enrollment_key": key, "hostname": "x"})),
        )
        .await;
        assert_err(&r, StatusCode::UNAUTHORIZED, "unauthorized");
    }
    let (s, v) = call(
        &w.app,
        "POST",
        "/api/v1/enroll",
        None,
        Some(json!({"enrollment_key": w.enroll_a, "hostname": "new"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["tenant_id"], w.tenant_a.as_str());
    assert!(v["device_token"].as_str().unwrap().starts_with("opd_"));
}

#[tokio::test]
async fn errors_have_one_shape() {
    let w = world().await;
    assert_err(
        &call(&w.app, "GET", "/nope", None, None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_err(
        &call(
            &w.app,
            "GET",
            "/api/v1/hits?limit=abc",
            Some(&w.admin),
            None,
        )
        .await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    );
    assert_err(
        &call(
            &w.app,
            "GET",
            "/api/v1/hits?cursor=%%%",
            Some(&w.admin),
            None,
        )
        .await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    );
    assert_err(
        &call(
            &w.app,
            "GET",
            "/api/v1/hits?remote_ip=x",
            Some(&w.admin),
            None,
        )
        .await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    );
    let big = json!({"enrollment_key": "x".repeat(100 * 1024), "hostname": "h"});
    assert_err(
        &call(&w.app, "POST", "/api/v1/enroll", None, Some(big)).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    );
    let (s, _) = call(&w.app, "GET", "/healthz", None, None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = call(&w.app, "GET", "/metrics", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        v.as_str().unwrap().contains("outpost_api_errors_total"),
        "{v}"
    );
}

mod prop {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]
        /// Arbitrary bodies to every POST route get a documented error, never a 5xx or a panic.
        #[test]
        fn arbitrary_bodies_get_documented_errors(body in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                let w = world().await;
                for (uri, tok) in [("/api/v1/hits", Some(w.dev_a.0.clone())), ("/api/v1/enroll", None)] {
                    let mut req = Request::builder().method("POST").uri(uri).header("content-type", "application/json");
                    if let Some(t) = &tok { req = req.header("authorization", format!("Bearer {t}")); }
                    let resp = w.app.clone().oneshot(req.body(Body::from(body.clone())).unwrap()).await.unwrap();
                    let s = resp.status();
                    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
                    let v: Value = serde_json::from_slice(&bytes).unwrap();
                    assert!(s.is_client_error(), "{uri}: {s} {v}");
                    assert!(v["error"]["code"].is_string(), "{v}");
                }
            });
        }
    }
}

/// The job API mounted by `build_state` authorizes with the principals our middleware
/// resolves from API keys and device tokens.
#[tokio::test]
async fn mounted_job_api_sees_our_principals() {
    let w = world_with(true).await;
    let (app, admin, cust_a) = (&w.app, &w.admin, &w.cust_a);
    let (a_id, b_id) = (&w.tenant_a, &w.tenant_b);
    let (da_id, db_id) = (&w.dev_a.1, &w.dev_b.1);
    let (ta, tb) = (&w.dev_a.0, &w.dev_b.0);
    let job = json!({"tenant_id": a_id, "device_id": da_id, "kind": "file.hash", "filter": {"parameters": {"path": "/etc/hostname"}}});
    assert_err(
        &call(app, "POST", "/api/v1/jobs", None, Some(job.clone())).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    let (s, created) = call(app, "POST", "/api/v1/jobs", Some(admin), Some(job)).await;
    assert!(s.is_success(), "{s} {created}");
    // A customer of tenant A cannot create jobs for tenant B's devices.
    let other = json!({"tenant_id": b_id, "device_id": db_id, "kind": "file.hash", "filter": {"parameters": {"path": "/x"}}});
    let (s, v) = call(app, "POST", "/api/v1/jobs", Some(cust_a), Some(other)).await;
    assert!(
        s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND,
        "{s} {v}"
    );
    // Device B gets nothing; device A claims its job.
    let (s, _) = call(app, "GET", "/api/v1/agent/jobs/next?wait=0", Some(tb), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = call(app, "GET", "/api/v1/agent/jobs/next?wait=0", Some(ta), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["job"]["id"], created["id"], "{v}");
    // The queue is visible in the metrics.
    let (s, m) = call(app, "GET", "/metrics", None, None).await;
    assert_eq!(s, StatusCode::OK);
    let m = m.as_str().unwrap().to_string();
    let value = |name: &str| -> f64 {
        m.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name} not in metrics:\n{m}"))
    };
    assert!(value("outpost_jobs_created_total{kind=\"file.hash\"}") >= 1.0);
    assert!(value("outpost_jobs_claimed_total") >= 1.0);
    for name in [
        "outpost_jobs_completed_total",
        "outpost_jobs_failed_total",
        "outpost_jobs_retried_total",
        "outpost_jobs_leases_expired_total",
        "outpost_jobs_expired_total",
        "outpost_jobs_pending",
    ] {
        value(name);
    }
}
