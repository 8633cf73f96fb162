//! Shared test helpers: stores on SQLite (always) and PostgreSQL (when
//! `OUTPOST_TEST_PG_URL` is set), a principal-injecting middleware standing in for the server's
//! auth layer, and an HTTP server on loopback.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use outpost_core::auth::{Principal, Role};
use outpost_db::Db;
use outpost_jobs::store::{JobStore, StoreConfig};

/// A jobs configuration with the Sensoroni-compatible routes on: the static key `api_key`,
/// their jobs in `tenant`, PCAP jobs only.
pub fn pcap_compat(api_key: &str, tenant: &str) -> outpost_jobs::JobsConfig {
    outpost_jobs::JobsConfig {
        compat: outpost_jobs::CompatConfig {
            api_key: Some(api_key.into()),
            tenant_id: tenant.into(),
            allowed_kinds: vec!["pcap".into()],
            ..outpost_jobs::CompatConfig::default()
        },
        ..outpost_jobs::JobsConfig::default()
    }
}

pub struct TestStore {
    pub store: JobStore,
    pub name: &'static str,
    _dir: tempfile::TempDir,
}

pub fn quick_cfg(dir: &std::path::Path) -> StoreConfig {
    StoreConfig {
        lease: Duration::from_secs(30),
        max_attempts: 3,
        backoff_base: Duration::from_millis(50),
        backoff_max: Duration::from_millis(400),
        pending_ttl: Duration::from_secs(3600),
        data_dir: dir.to_path_buf(),
        max_result_bytes: 1024 * 1024,
    }
}

pub async fn sqlite_store(cfg: impl FnOnce(&std::path::Path) -> StoreConfig) -> TestStore {
    let t = unmigrated_sqlite_store(cfg).await;
    t.store.migrate().await.unwrap();
    t
}

/// A SQLite store whose migrations have not run yet.
pub async fn unmigrated_sqlite_store(
    cfg: impl FnOnce(&std::path::Path) -> StoreConfig,
) -> TestStore {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open_sqlite_file(&dir.path().join("jobs.db"))
        .await
        .unwrap();
    let store = JobStore::new(db, cfg(dir.path()));
    TestStore {
        store,
        name: "sqlite",
        _dir: dir,
    }
}

/// A PostgreSQL store in a fresh schema, or `None` (with a message) without
/// `OUTPOST_TEST_PG_URL`.
pub async fn pg_store(cfg: impl FnOnce(&std::path::Path) -> StoreConfig) -> Option<TestStore> {
    let t = unmigrated_pg_store(cfg).await?;
    t.store.migrate().await.unwrap();
    Some(t)
}

/// [`pg_store`] whose migrations have not run yet.
pub async fn unmigrated_pg_store(
    cfg: impl FnOnce(&std::path::Path) -> StoreConfig,
) -> Option<TestStore> {
    let url = outpost_testkit::pg_schema("jobs_test").await?;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(8)
        .connect(&url)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = JobStore::new(Db::Postgres(pool), cfg(dir.path()));
    Some(TestStore {
        store,
        name: "postgres",
        _dir: dir,
    })
}

/// SQLite always, PostgreSQL when configured.
pub async fn all_stores(cfg: fn(&std::path::Path) -> StoreConfig) -> Vec<TestStore> {
    let mut v = vec![sqlite_store(cfg).await];
    if let Some(pg) = pg_store(cfg).await {
        v.push(pg);
    }
    v
}

pub fn principal(role: Role, subject: &str, tenant: Option<&str>) -> Principal {
    Principal {
        role,
        subject: subject.into(),
        tenant_id: tenant.map(str::to_string),
    }
}

/// Stand-in for the server's auth middleware: `x-test-principal: role:subject[:tenant]`.
pub async fn inject_principal(mut req: Request, next: Next) -> Response {
    let p = req
        .headers()
        .get("x-test-principal")
        .and_then(|v| v.to_str().ok())
        .and_then(|s| {
            let mut it = s.splitn(3, ':');
            let role = match it.next()? {
                "admin" => Role::Admin,
                "technician" => Role::Technician,
                "customer" => Role::Customer,
                "device" => Role::Device,
                _ => return None,
            };
            let subject = it.next()?.to_string();
            let tenant = it.next().filter(|t| !t.is_empty()).map(str::to_string);
            Some(Principal {
                role,
                subject,
                tenant_id: tenant,
            })
        });
    if let Some(p) = p {
        req.extensions_mut().insert(p);
    }
    next.run(req).await
}

pub fn header_for(p: &Principal) -> String {
    let role = match p.role {
        Role::Admin => "admin",
        Role::Technician => "technician",
        Role::Customer => "customer",
        Role::Device => "device",
    };
    format!(
        "{role}:{}:{}",
        p.subject,
        p.tenant_id.clone().unwrap_or_default()
    )
}

/// Serves `app` on `addr` (port 0 = any) with peer addresses; returns the bound address.
pub async fn serve(app: Router, addr: &str) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let local = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    local
}

/// A device token scheme for HTTP tests: `Authorization: Bearer device:<id>:<tenant>` etc.
/// (the test's stand-in auth turns it into a Principal).
pub async fn bearer_principal(mut req: Request, next: Next) -> Response {
    let p = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.strip_prefix("Bearer "))
        .map(str::to_string);
    if let Some(s) = p {
        let mut it = s.splitn(3, ':');
        let role = match it.next() {
            Some("device") => Some(Role::Device),
            Some("admin") => Some(Role::Admin),
            Some("customer") => Some(Role::Customer),
            Some("technician") => Some(Role::Technician),
            _ => None,
        };
        if let (Some(role), Some(subject)) = (role, it.next()) {
            let tenant = it.next().filter(|t| !t.is_empty()).map(str::to_string);
            req.extensions_mut().insert(Principal {
                role,
                subject: subject.into(),
                tenant_id: tenant,
            });
        }
    }
    next.run(req).await
}

/// `POST url` with the JSON `body` as `authorization`; asserts `201 Created` and returns the
/// created job's id.
pub async fn post_job(url: String, authorization: &str, body: &serde_json::Value) -> i64 {
    let resp = reqwest::Client::new()
        .post(url)
        .header("Authorization", authorization)
        .json(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    resp.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap()
}

/// `GET url` as `authorization`.
pub async fn get_as(url: String, authorization: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(url)
        .header("Authorization", authorization)
        .send()
        .await
        .unwrap()
}
