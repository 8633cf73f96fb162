//! Authorization of every route, in process: each route against no credentials, a wrong
//! token, each key kind and device tokens of two tenants. Runs on a temporary SQLite store.

use crate::common;
use crate::common::World;
use crate::common::world::Tenant;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

/// Tenants `a` and `b` with a device each; with `jobs`, the state `outpost server` builds
/// (job subsystem included), else the lite one.
async fn world_with(jobs: bool) -> World {
    let b = World::builder()
        .tenant("a", &["host-a"])
        .tenant("b", &["host-b"])
        .config(|c, _| c.max_body_bytes = 64 * 1024);
    if jobs {
        b.build().await
    } else {
        b.lite().build().await
    }
}

async fn world() -> World {
    world_with(false).await
}

fn payload(t: &Tenant, batch: &str) -> Value {
    json!({"batch_id": batch, "tenant_id": t.id, "device_id": t.device().id, "hostname": "h", "agent_version": "t",
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
    let p = payload(w.a(), "b1");
    // No token, an unknown one, and every key that is not a device's.
    for key in [
        None,
        Some("opd_nope"),
        Some(w.admin.as_str()),
        Some(w.tech.as_str()),
        Some(w.a().customer.as_str()),
        Some(w.a().enroll.as_str()),
    ] {
        assert_err(
            &w.call("POST", "/api/v1/hits", key, Some(p.clone()))
                .await
                .sv(),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        );
    }
    // Device B cannot write as device A (another tenant), nor as itself naming tenant A.
    assert_err(
        &w.call(
            "POST",
            "/api/v1/hits",
            Some(&w.b().device().token),
            Some(p.clone()),
        )
        .await
        .sv(),
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let mut mixed = payload(w.b(), "b2");
    mixed["tenant_id"] = w.a().id.clone().into();
    assert_err(
        &w.call(
            "POST",
            "/api/v1/hits",
            Some(&w.b().device().token),
            Some(mixed),
        )
        .await
        .sv(),
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let ok = w
        .call("POST", "/api/v1/hits", Some(&w.a().device().token), Some(p))
        .await
        .sv();
    assert_eq!(ok.0, StatusCode::OK, "{}", ok.1);
}

#[tokio::test]
async fn reading_is_scoped_by_role_and_tenant() {
    let w = world().await;
    for (dev, batch) in [(w.a(), "a"), (w.b(), "b")] {
        let r = w
            .call(
                "POST",
                "/api/v1/hits",
                Some(&dev.device().token),
                Some(payload(dev, batch)),
            )
            .await
            .sv();
        assert_eq!(r.0, StatusCode::OK);
    }
    for uri in ["/api/v1/hits", "/api/v1/devices"] {
        assert_err(
            &w.call("GET", uri, None, None).await.sv(),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        );
        // Device tokens and enrollment keys cannot read.
        assert_err(
            &w.call("GET", uri, Some(&w.a().device().token), None)
                .await
                .sv(),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        );
        assert_err(
            &w.call("GET", uri, Some(&w.a().enroll), None).await.sv(),
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        // Staff see both tenants.
        for key in [&w.admin, &w.tech] {
            let (s, v) = w.call("GET", uri, Some(key), None).await.sv();
            assert_eq!(s, StatusCode::OK);
            assert_eq!(v["items"].as_array().unwrap().len(), 2, "{uri}: {v}");
        }
        // A customer sees only their tenant, and may not ask for another.
        let (s, v) = w.call("GET", uri, Some(&w.a().customer), None).await.sv();
        assert_eq!(s, StatusCode::OK);
        let items = v["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{uri}: {v}");
        assert_eq!(items[0]["tenant_id"], w.a().id.as_str());
        let other = format!("{uri}?tenant={}", w.b().id);
        assert_err(
            &w.call("GET", &other, Some(&w.a().customer), None)
                .await
                .sv(),
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
        w.a().customer.as_str(),
        w.a().device().token.as_str(),
        "ope_wrong",
    ] {
        let r = w
            .call(
                "POST",
                "/api/v1/enroll",
                None,
                Some(json!({"enrollment_key": key, "hostname": "x"})),
            )
            .await
            .sv();
        assert_err(&r, StatusCode::UNAUTHORIZED, "unauthorized");
    }
    let (s, v) = w
        .call(
            "POST",
            "/api/v1/enroll",
            None,
            Some(json!({"enrollment_key": w.a().enroll, "hostname": "new"})),
        )
        .await
        .sv();
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["tenant_id"], w.a().id.as_str());
    assert!(v["device_token"].as_str().unwrap().starts_with("opd_"));
}

#[tokio::test]
async fn errors_have_one_shape() {
    let w = world().await;
    let got = w.call("GET", "/nope", None, None).await.sv();
    assert_err(&got, StatusCode::NOT_FOUND, "not_found");
    for uri in [
        "/api/v1/hits?limit=abc",
        "/api/v1/hits?cursor=%%%",
        "/api/v1/hits?remote_ip=x",
    ] {
        let got = w.call("GET", uri, Some(&w.admin), None).await.sv();
        assert_err(&got, StatusCode::BAD_REQUEST, "bad_request");
    }
    let big = json!({"enrollment_key": "x".repeat(100 * 1024), "hostname": "h"});
    assert_err(
        &w.call("POST", "/api/v1/enroll", None, Some(big)).await.sv(),
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    );
    let (s, _) = w.call("GET", "/healthz", None, None).await.sv();
    assert_eq!(s, StatusCode::OK);
    let (s, v) = w.call("GET", "/metrics", None, None).await.sv();
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
                for (uri, tok) in [("/api/v1/hits", Some(w.a().device().token.clone())), ("/api/v1/enroll", None)] {
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
    let (app, admin, cust_a) = (&w.app, &w.admin, &w.a().customer);
    let (a_id, b_id) = (&w.a().id, &w.b().id);
    let (da_id, db_id) = (&w.a().device().id, &w.b().device().id);
    let (ta, tb) = (&w.a().device().token, &w.b().device().token);
    let job = json!({"tenant_id": a_id, "device_id": da_id, "kind": "file.hash", "filter": {"parameters": {"path": "/etc/hostname"}}});
    assert_err(
        &common::call(app, "POST", "/api/v1/jobs", None, Some(job.clone()))
            .await
            .sv(),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    let (s, created) = common::call(app, "POST", "/api/v1/jobs", Some(admin), Some(job))
        .await
        .sv();
    assert!(s.is_success(), "{s} {created}");
    // A customer of tenant A cannot create jobs for tenant B's devices.
    let other = json!({"tenant_id": b_id, "device_id": db_id, "kind": "file.hash", "filter": {"parameters": {"path": "/x"}}});
    let (s, v) = common::call(app, "POST", "/api/v1/jobs", Some(cust_a), Some(other))
        .await
        .sv();
    assert!(
        s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND,
        "{s} {v}"
    );
    // Device B gets nothing; device A claims its job.
    let (s, _) = common::call(app, "GET", "/api/v1/agent/jobs/next?wait=0", Some(tb), None)
        .await
        .sv();
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = common::call(app, "GET", "/api/v1/agent/jobs/next?wait=0", Some(ta), None)
        .await
        .sv();
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["job"]["id"], created["id"], "{v}");
    // The queue is visible in the metrics.
    let (s, m) = common::call(app, "GET", "/metrics", None, None).await.sv();
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

// ---------------------------------------------------------------- sign-in through OIDC

/// An OIDC provider `corp` of the real provider `op`: technicians by group, customers of
/// tenant `a` by verified email domain.
fn oidc_config(
    op: &common::OidcProvider,
    secret_file: &std::path::Path,
) -> outpost_server::config::OidcProviderConfig {
    use outpost_core::auth::Role;
    use outpost_server::config::{OidcProviderConfig, OidcRule};
    std::fs::write(secret_file, format!("{}\n", op.client_secret)).unwrap();
    let rule = |groups: &[&str], domains: &[&str], role, tenant: Option<&str>| OidcRule {
        groups: groups.iter().map(|s| s.to_string()).collect(),
        roles: vec![],
        email_domains: domains.iter().map(|s| s.to_string()).collect(),
        role,
        tenant: tenant.map(str::to_string),
    };
    let rules = vec![
        rule(&["msp-techs"], &[], Role::Technician, None),
        rule(&[], &["acme.example"], Role::Customer, Some("a")),
    ];
    OidcProviderConfig {
        display_name: Some("Corp SSO".into()),
        client_secret_file: Some(secret_file.to_path_buf()),
        scopes: vec!["email".into(), "profile".into(), "groups".into()],
        ..OidcProviderConfig::new("corp", &op.issuer, &op.client_id, rules)
    }
}

/// The real provider with Outpost's callback of provider `corp` (at 127.0.0.1:1) registered;
/// `None`, a skip (or a failure under `OUTPOST_REQUIRE_HOST=1`), without it.
fn corp_provider() -> Option<common::OidcProvider> {
    common::OidcProvider::start(&["http://127.0.0.1:1/api/v1/auth/oidc/corp/callback"], &[])
}

/// `GET /api/v1/auth/me` with the session `session`.
async fn whoami(app: &axum::Router, session: &str) -> (StatusCode, Value) {
    common::call(app, "GET", "/api/v1/auth/me", Some(session), None)
        .await
        .sv()
}

/// `GET /api/v1/hits?tenant={tenant}` with the session `session`.
async fn hits_of(app: &axum::Router, tenant: &str, session: &str) -> (StatusCode, Value) {
    let uri = format!("/api/v1/hits?tenant={tenant}");
    common::call(app, "GET", &uri, Some(session), None)
        .await
        .sv()
}

/// The SQLite database of a world whose directory is `dir`, opened beside its store.
async fn world_db(dir: &std::path::Path) -> sqlx::SqlitePool {
    let url = format!("sqlite://{}", dir.join("outpost.db").display());
    sqlx::SqlitePool::connect(&url).await.unwrap()
}

/// Sets `column` of the login in progress whose state the provider sent back in `back` (the
/// callback URL) to `value`, as a tampered or mixed-up server record would have it.
async fn set_login_in_progress(pool: &sqlx::SqlitePool, back: &str, column: &str, value: &str) {
    let state = back
        .split("state=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let sql = format!("UPDATE oidc_logins SET {column} = $2 WHERE state_hash = $1");
    let n = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(outpost_store::hash_secret(state))
        .bind(value)
        .execute(pool)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(n, 1);
}

fn now_s() -> i64 {
    chrono::Utc::now().timestamp()
}

fn oidc_metric(result: &str, family: &outpost_server::metrics::Metrics) -> u64 {
    family
        .oidc_jwks_refetches
        .get_or_create(&outpost_server::metrics::ResultLabel {
            result: match result {
                "ok" => "ok",
                "throttled" => "throttled",
                _ => "error",
            },
        })
        .get()
}

/// ID tokens crafted with the real provider's keys — right ones pass; a wrong
/// nonce, another audience, an extra untrusted audience, a changed payload, another issuer,
/// an expired token (beyond the clock skew), one issued in the future, and one signed by a
/// key the provider does not publish are refused. A key rotation at the provider is picked
/// up (the JWKS is fetched again once), and unknown keys do not make every token refetch.
#[tokio::test]
async fn oidc_id_tokens_are_verified_against_the_real_provider() {
    let Some(op) = corp_provider() else { return };
    let dir = tempfile::tempdir().unwrap();
    let cfg = oidc_config(&op, &dir.path().join("secret"));
    let svc = outpost_server::oidc::OidcService::new(&[cfg], Some("http://127.0.0.1:1")).unwrap();
    let p = svc.provider("corp").unwrap().clone();
    let good = |nonce: &str| {
        json!({"iss": op.issuer, "sub": "tech1", "aud": "outpost", "exp": now_s() + 300, "iat": now_s(),
               "nonce": nonce, "email": "tech1@msp.example", "groups": ["msp-techs"]})
    };
    let t = op.sign(good("n-1"), false).await;
    let id = svc
        .verify_id_token(&p, &t, "n-1")
        .await
        .expect("a good token");
    assert_eq!(id.subject, "tech1");
    assert_eq!(id.claims["groups"], json!(["msp-techs"]));

    let refused = |r: Result<outpost_server::oidc::Identity, outpost_server::oidc::OidcError>,
                   what: &str| {
        match r {
            Err(outpost_server::oidc::OidcError::InvalidToken(m)) => m,
            other => panic!("{what}: expected an invalid token, got {other:?}"),
        }
    };
    let m = refused(svc.verify_id_token(&p, &t, "n-2").await, "wrong nonce");
    assert!(m.to_lowercase().contains("nonce"), "{m}");
    let mut c = good("n-1");
    c["aud"] = json!("other-app");
    let m = refused(
        svc.verify_id_token(&p, &op.sign(c, false).await, "n-1")
            .await,
        "wrong audience",
    );
    assert!(m.to_lowercase().contains("aud"), "{m}");
    for (claim, value, what) in [
        (
            "aud",
            json!(["outpost", "other-app"]),
            "untrusted extra audience",
        ),
        ("iss", json!("http://127.0.0.1:9/evil"), "other issuer"),
        ("exp", json!(now_s() - 120), "expired"),
        ("iat", json!(now_s() + 600), "issued in the future"),
    ] {
        let mut c = good("n-1");
        c[claim] = value;
        refused(
            svc.verify_id_token(&p, &op.sign(c, false).await, "n-1")
                .await,
            what,
        );
    }
    let mut c = good("n-1");
    c["exp"] = json!(now_s() - 20);
    svc.verify_id_token(&p, &op.sign(c, false).await, "n-1")
        .await
        .expect("expired 20 s ago is within the 60 s clock skew");
    // The payload changed after signing: groups widened.
    let parts: Vec<&str> = t.split('.').collect();
    let mut c = good("n-1");
    c["groups"] = json!(["msp-techs", "admins"]);
    use base64::Engine;
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(c.to_string()),
        parts[2]
    );
    refused(
        svc.verify_id_token(&p, &forged, "n-1").await,
        "tampered payload",
    );

    // Key rotation: the provider now signs with a new key only; the cached keys lack it.
    let m = outpost_server::metrics::metrics();
    let ok_before = oidc_metric("ok", m);
    let rotated = op.control("/test/rotate", None).await;
    let t2 = op.sign(good("n-3"), false).await;
    svc.verify_id_token(&p, &t2, "n-3")
        .await
        .expect("a token of the rotated key");
    assert_eq!(
        oidc_metric("ok", m),
        ok_before + 1,
        "one refetch for the new key {rotated}"
    );
    // Tokens of a key the provider does not publish: refused, and refetches stay bounded.
    for _ in 0..5 {
        refused(
            svc.verify_id_token(&p, &op.sign(good("n-4"), true).await, "n-4")
                .await,
            "foreign key",
        );
    }
    assert_eq!(
        oidc_metric("ok", m),
        ok_before + 1,
        "no refetch within JWKS_MIN_REFETCH"
    );
    assert!(oidc_metric("throttled", m) >= 5);
}

/// Follows our login route to the provider and back: the callback URL (path and query).
async fn oidc_login_as(
    w: &axum::Router,
    op: &common::OidcProvider,
    user: &str,
) -> (String, String) {
    let r = common::call(w, "GET", "/api/v1/auth/oidc/corp/login", None, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let authorize = r.headers["location"].to_str().unwrap().to_string();
    assert!(
        authorize.contains("code_challenge_method=S256") && authorize.contains("nonce="),
        "{authorize}"
    );
    let cookie = r.headers["set-cookie"].to_str().unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let state_cookie = cookie.split(';').next().unwrap().to_string();
    let back = op
        .browse_to_callback(
            &authorize,
            user,
            "http://127.0.0.1:1/api/v1/auth/oidc/corp/callback",
        )
        .await;
    (
        back.trim_start_matches("http://127.0.0.1:1").to_string(),
        state_cookie,
    )
}

async fn callback(w: &axum::Router, path: &str, cookie: Option<&str>) -> common::Reply {
    let h: Vec<(&str, &str)> = cookie.map(|c| vec![("cookie", c)]).unwrap_or_default();
    common::request(w, "GET", path, None, &h, None).await
}

fn session_of(r: &common::Reply) -> String {
    r.headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|v| v.starts_with("outpost_session=ops_"))
        .unwrap_or_else(|| panic!("no session cookie: {:?}", r.headers))
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("outpost_session=")
        .to_string()
}

/// The whole authorization-code flow against the real provider: the state
/// must come back to the browser that started it and is good once; a technician and a
/// customer of tenant A are created just in time with the mapped role and scope (the
/// customer sees only A, whatever other claims say); an unmapped user is refused with a
/// message and a user the provider no longer maps is disabled at their next login (their
/// session ends); a stored nonce that does not match the ID token's is refused; with
/// `local_login = false` password logins are refused.
#[tokio::test]
async fn oidc_login_flow_against_the_real_provider() {
    let Some(op) = corp_provider() else { return };
    let w = World::builder()
        .tenant("a", &[])
        .tenant("b", &[])
        .user("root", outpost_core::auth::Role::Admin, None)
        .no_rate_limits()
        .config(|c, dir| {
            c.public_url = Some("http://127.0.0.1:1".into());
            c.auth.oidc = vec![oidc_config(&op, &dir.join("secret"))];
            c.auth.local_login = false;
        })
        .build()
        .await;
    let (app, store, dir) = (&w.app, &w.store, &w.dir);
    let (a, b) = (w.a(), w.b());

    let (s, body) = common::call(&app, "GET", "/api/v1/auth/providers", None, None)
        .await
        .sv();
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body["local_login"], false);
    assert_eq!(
        body["providers"][0]["login_url"],
        "/api/v1/auth/oidc/corp/login"
    );
    let got = common::login(&app, "root", common::world::PASSWORD)
        .await
        .sv();
    assert_err(&got, StatusCode::FORBIDDEN, "forbidden");

    // Technician: the callback without the state cookie (another browser) is refused and
    // does not use up the login; with it, a session; a replay is refused.
    let (back, cookie) = oidc_login_as(&app, &op, "tech1").await;
    assert!(back.contains("code=") && back.contains("iss="), "{back}");
    let r = callback(&app, &back, None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert!(r.text().contains("another browser"), "{}", r.text());
    let r = callback(&app, &back, Some("outpost_oidc_state=0000")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = callback(&app, &back, Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.text().contains("/ui/dashboard"));
    let set: Vec<&str> = r
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert!(
        set.iter().any(|c| c.starts_with("outpost_session=ops_")
            && c.contains("HttpOnly")
            && c.contains("SameSite=Strict")),
        "{set:?}"
    );
    let tech = session_of(&r);
    let (s, me) = whoami(app, &tech).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (me["role"].as_str(), me["subject"].as_str()),
        (Some("technician"), Some("user:corp:tech1@msp.example"))
    );
    let (s, _) = hits_of(app, &b.id, &tech).await;
    assert_eq!(s, StatusCode::OK, "technicians see every tenant");
    let r = callback(&app, &back, Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "a state is good once");
    // The session keeps the CSRF rule: a cookie-authenticated change without HX-Request.
    let sc = format!("outpost_session={tech}");
    let r = common::request(
        &app,
        "POST",
        "/api/v1/auth/logout",
        None,
        &[("cookie", &sc)],
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Signing out of the UI ends the session and sends the browser to the provider's
    // end_session_endpoint (RP-initiated logout) with the session's ID token as hint.
    let (back, cookie) = oidc_login_as(&app, &op, "tech1").await;
    let second = session_of(&callback(&app, &back, Some(&cookie)).await);
    let sc2 = format!("outpost_session={second}");
    let r = common::request(&app, "POST", "/logout", None, &[("cookie", &sc2)], None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let to = url::Url::parse(r.headers["location"].to_str().unwrap()).unwrap();
    assert_eq!(
        to.as_str().split('?').next(),
        Some(format!("{}/session/end", op.issuer).as_str())
    );
    let q: std::collections::HashMap<_, _> = to.query_pairs().into_owned().collect();
    assert_eq!(q["client_id"], "outpost");
    assert_eq!(q["post_logout_redirect_uri"], "http://127.0.0.1:1/login");
    assert_eq!(q["id_token_hint"].split('.').count(), 3, "{q:?}");
    let (s, _) = whoami(app, &second).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "the Outpost session ended");
    let (s, _) = whoami(app, &tech).await;
    assert_eq!(s, StatusCode::OK, "other sessions stay");

    // Customer of A by verified email domain: sees A only.
    let (back, cookie) = oidc_login_as(&app, &op, "alice").await;
    let r = callback(&app, &back, Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let alice = session_of(&r);
    let (_, me) = whoami(app, &alice).await;
    assert_eq!(
        (me["role"].as_str(), me["tenant_id"].as_str()),
        (Some("customer"), Some(a.id.as_str()))
    );
    let got = hits_of(app, &b.id, &alice).await;
    assert_err(&got, StatusCode::FORBIDDEN, "forbidden");

    // Eve: unverified email at acme, a `tenant` claim and a look-alike group: unmapped.
    let (back, cookie) = oidc_login_as(&app, &op, "eve").await;
    let r = callback(&app, &back, Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        r.text().contains("not mapped to an Outpost role"),
        "{}",
        r.text()
    );
    // Mallory: unmapped, refused with the message; no user is created.
    let (back, cookie) = oidc_login_as(&app, &op, "mallory").await;
    let r = callback(&app, &back, Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        r.text().contains("mallory@nowhere.example") && r.text().contains("not mapped"),
        "{}",
        r.text()
    );
    let users = store.list_users(None).await.unwrap();
    assert_eq!(
        users
            .iter()
            .map(|u| u.username.as_str())
            .collect::<Vec<_>>(),
        ["corp:alice@acme.example", "corp:tech1@msp.example", "root"]
    );

    // Wrong nonce: the login in progress expects another nonce than the token carries.
    let (back, cookie) = oidc_login_as(&app, &op, "tech1").await;
    let pool = world_db(dir.path()).await;
    set_login_in_progress(&pool, &back, "nonce", "not-the-nonce").await;
    let r = callback(&app, &back, Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.text().to_lowercase().contains("nonce"), "{}", r.text());

    // Wrong PKCE verifier: the provider refuses to redeem the code.
    let (back, cookie) = oidc_login_as(&app, &op, "tech1").await;
    set_login_in_progress(&pool, &back, "pkce_verifier", &"x".repeat(64)).await;
    let r = callback(&app, &back, Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.text().contains("invalid_grant"), "{}", r.text());

    // The provider drops tech1 from the mapped group: the next login is refused, the user
    // disabled, the earlier session ended.
    op.control("/test/groups?user=tech1&groups=former-staff", None)
        .await;
    let (back, cookie) = oidc_login_as(&app, &op, "tech1").await;
    let r = callback(&app, &back, Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let (s, _) = whoami(app, &tech).await;
    assert_eq!(
        s,
        StatusCode::UNAUTHORIZED,
        "the disabled user's session ended"
    );
    let u = store.list_users(None).await.unwrap();
    assert!(
        u.iter()
            .any(|u| u.username == "corp:tech1@msp.example" && u.disabled)
    );
    // Mapped again: enabled again (the mapping disabled it, not an admin).
    op.control("/test/groups?user=tech1&groups=msp-techs", None)
        .await;
    let (back, cookie) = oidc_login_as(&app, &op, "tech1").await;
    assert_eq!(
        callback(&app, &back, Some(&cookie)).await.status,
        StatusCode::OK
    );
    // An admin disables them: the provider cannot enable them again.
    let id = store
        .list_users(None)
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.username == "corp:tech1@msp.example")
        .unwrap()
        .id;
    store.disable_user(&id).await.unwrap();
    let (back, cookie) = oidc_login_as(&app, &op, "tech1").await;
    let r = callback(&app, &back, Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.text().contains("disabled"), "{}", r.text());
    // Local password logins never work for provider users.
    let got = common::login(&app, "corp:alice@acme.example", "!oidc")
        .await
        .sv();
    assert_eq!(got.0, StatusCode::FORBIDDEN);
}

/// The API and the web UI sign in through one service with one rule: an empty username is a
/// failed login without a lookup, even when a row with an empty username exists (written
/// before usernames were validated, or by hand). The API used to look it up and sign it in.
#[tokio::test]
async fn api_and_ui_refuse_an_empty_username_alike() {
    let w = World::builder()
        .user("nameless", outpost_core::auth::Role::Admin, None)
        .no_rate_limits()
        .lite()
        .build()
        .await;
    let app = &w.app;
    let n = w
        .sql("UPDATE users SET username = '' WHERE username = 'nameless'")
        .await;
    assert_eq!(n, 1);
    let got = common::login(&app, "", common::world::PASSWORD).await.sv();
    assert_err(&got, StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(got.1["error"]["message"], "wrong username or password");
    let form = common::request(
        &app,
        "POST",
        "/login",
        None,
        &[("content-type", "application/x-www-form-urlencoded")],
        Some(b"username=&password=correct+horse+battery".to_vec()),
    )
    .await;
    assert_eq!(form.status, StatusCode::UNAUTHORIZED, "{}", form.text());
    assert!(form.headers.get("set-cookie").is_none());
    assert!(form.text().contains("Wrong username or password."));
}
