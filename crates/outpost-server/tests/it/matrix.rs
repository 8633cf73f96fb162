//! The tenant-isolation and role matrix over **every** route the server mounts.
//!
//! Tenants A and B each have a device with hits, a suppression rule, a customer user and an
//! enrollment key. Every principal of tenant A (customer key, customer user's session, device
//! token, enrollment key) calls every route in [`outpost_server::api_routes`] and every job
//! route, aimed at tenant B's resources; no answer may succeed on B's data or contain any of
//! B's identifiers, and afterwards B's data is unchanged. The Sensoroni-compatible API's
//! static key attacks too: the compatible API's tenant is B, so B's device jobs live where
//! the key's own jobs do, and still the key must not reach them (it reaches only jobs
//! created for Sensoroni nodes). A new route without an entry here fails the test, so the
//! matrix cannot fall behind the router.

use crate::common;
use crate::common::World;
use crate::common::world::Tenant;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use outpost_core::auth::Role;
use outpost_server::config::ServerConfig;
use serde_json::{Value, json};
use tower::ServiceExt;

struct Side {
    tenant: String,
    device: String,
    device_token: String,
    hostname: String,
    hit: i64,
    suppression: String,
    customer_key: String,
    customer_key_id: String,
    enroll_key: String,
    enroll_key_id: String,
    customer_user: String,
    customer_user_id: String,
    session: String,
    job: i64,
    indicator: String,
    indicator_ip: String,
    allow: String,
    alert: i64,
    profile_subject: String,
    attack_model: i64,
    attack_model_name: String,
}

/// The Sensoroni-compatible API's static key.
const SENSORONI_KEY: &str = "sensoroni-matrix-key-5f1d";

/// The common world with a side of each tenant.
struct Matrix {
    w: World,
    a: Side,
    b: Side,
}

impl std::ops::Deref for Matrix {
    type Target = World;
    fn deref(&self) -> &World {
        &self.w
    }
}

fn hit_payload(tenant: &str, device: &str, batch: &str, ip: &str) -> Value {
    json!({"batch_id": batch, "tenant_id": tenant, "device_id": device, "hostname": "h", "agent_version": "t",
           "hotlist_version": "v", "hits": [{"remote_ip": ip, "remote_port": 443, "protocol": "tcp",
           "process_name": "curl", "pid": 1, "exe_path": "/usr/bin/curl", "sha256": "ab".repeat(32),
           "first_seen_utc": "2026-01-01T00:00:00Z", "last_seen_utc": "2026-01-01T00:01:00Z", "hit_count": 3,
           "sample_events": []}]})
}

/// What tenant `t` of the world holds for the matrix to attack: a hit, a suppression, a
/// customer user with a session, a job, a tenant indicator, an allowlist entry, an alert and
/// a learned profile.
async fn side(w: &World, t: &Tenant, n: u8) -> Side {
    let (store, app, admin, name) = (&w.store, &w.app, w.admin.as_str(), t.name.as_str());
    let indicator_ip = format!("203.0.113.{}", 100 + n);
    let ind = store
        .create_tenant_indicator(
            &outpost_core::api::NewTenantIndicator {
                tenant_id: t.id.clone(),
                kind: "ip".into(),
                value: indicator_ip.clone(),
                ..Default::default()
            },
            "setup",
        )
        .await
        .unwrap();
    let allow = store
        .create_allowlist_entry(
            &outpost_core::api::NewAllowlistEntry {
                tenant_id: t.id.clone(),
                network: format!("198.51.100.{n}"),
                reason: None,
            },
            "setup",
        )
        .await
        .unwrap();
    let (dev, token) = (t.device(), t.device().token.clone());
    let (s, _) = common::call(
        app,
        "POST",
        "/api/v1/hits",
        Some(&token),
        Some(hit_payload(&t.id, &dev.id, "b1", "203.0.113.9")),
    )
    .await
    .st();
    assert_eq!(s, StatusCode::OK);
    let hit = common::tenant_hits(store, &t.id).await[0].id;
    let supp = store
        .create_suppression(
            &outpost_core::api::NewSuppression {
                tenant_id: t.id.clone(),
                process_name: Some("backup-agent".into()),
                ..Default::default()
            },
            "setup",
        )
        .await
        .unwrap();
    let user = format!("customer-{name}");
    let phc = outpost_server::password::hash_blocking("correct horse battery").unwrap();
    let u = store
        .create_user(&user, &phc, Role::Customer, Some(&t.id))
        .await
        .unwrap();
    let (s, body) = common::login(app, &user, "correct horse battery")
        .await
        .st();
    assert_eq!(s, StatusCode::OK, "{body}");
    let session = serde_json::from_str::<Value>(&body).unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, body) = common::call(
        app,
        "POST",
        "/api/v1/jobs",
        Some(admin),
        Some(json!({"tenant_id": t.id, "device_id": dev.id, "kind": "file.hash", "filter": {"parameters": {"path": "/etc/hostname"}}})),)
    .await.st();
    assert!(s.is_success(), "{s} {body}");
    let job = serde_json::from_str::<Value>(&body).unwrap()["id"]
        .as_i64()
        .unwrap();
    // An alert from telemetry and a learned profile.
    let auth = store.device_by_token(&token).await.unwrap().unwrap();
    let ev = common::exec_event(9, "nc");
    let stored = store
        .insert_alerts(
            &auth,
            "ev1",
            &[outpost_store::NewAlert {
                seq: 0,
                risk_score: 200,
                threshold: 100,
                indicators: Vec::new(),
                event: ev,
                learned: false,
            }],
            &[],
        )
        .await
        .unwrap();
    let profile_subject = format!("exe:/opt/{name}-secret-app");
    store
        .merge_profiles(
            &[(
                t.id.clone(),
                vec![outpost_core::api::ProfileDelta {
                    subject: profile_subject.clone(),
                    first_seen: Some(chrono::Utc::now()),
                    learning_until: Some(chrono::Utc::now()),
                    command_lines: vec!["app --serve".into()],
                    events_learned: 1,
                    ..Default::default()
                }],
            )],
            100,
        )
        .await
        .unwrap();
    // The tenant's own attack model (its intrusion set's name is the model's name).
    let attack_model_name = format!("crew-of-{name}-7c2e");
    let (s, body) = common::call(
        app,
        "POST",
        &format!("/api/v1/attack-models?tenant={}", t.id),
        Some(admin),
        Some(common::attack_bundle(&attack_model_name, n)),
    )
    .await
    .st();
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let attack_model = serde_json::from_str::<Value>(&body).unwrap()["id"]
        .as_i64()
        .unwrap();
    Side {
        attack_model,
        attack_model_name,
        alert: stored.alerts[0].id,
        profile_subject,
        tenant: t.id.clone(),
        device: dev.id.clone(),
        device_token: token,
        hostname: dev.hostname.clone(),
        hit,
        suppression: supp.id,
        customer_key: t.customer.clone(),
        customer_key_id: t.customer_id.clone(),
        enroll_key: t.enroll.clone(),
        enroll_key_id: t.enroll_id.clone(),
        customer_user: user,
        customer_user_id: u.id,
        session,
        job,
        indicator: ind.id,
        indicator_ip,
        allow: allow.id,
    }
}

async fn world() -> Matrix {
    // Tenant B is the Sensoroni-compatible API's tenant.
    let w = World::builder()
        .tenant("alpha", &["host-alpha-0c1f"])
        .tenant("bravo", &["host-bravo-0c1f"])
        .os("linux")
        .no_rate_limits()
        .config(config)
        .build()
        .await;
    let a = side(&w, w.a(), 1).await;
    let b = side(&w, w.b(), 2).await;
    Matrix { w, a, b }
}

/// The Sensoroni-compatible API on tenant B, and an OpenID Provider.
fn config(cfg: &mut ServerConfig, _: &std::path::Path) {
    cfg.sensoroni.api_key = Some(SENSORONI_KEY.into());
    cfg.sensoroni.tenant = Some("bravo".into());
    // An OpenID Provider nobody serves (port 9 of the loopback): the sign-in routes answer
    // without reaching it, or fail to.
    cfg.public_url = Some("http://127.0.0.1:8470".into());
    cfg.auth.oidc = vec![outpost_server::config::OidcProviderConfig::new(
        "corp",
        "http://127.0.0.1:9",
        "outpost",
        vec![outpost_server::config::OidcRule {
            groups: vec!["msp-techs".into()],
            roles: vec![],
            email_domains: vec![],
            role: Role::Technician,
            tenant: None,
        }],
    )];
}

/// The URI and body with which a principal of tenant A attacks tenant B through a route.
fn attack(method: &str, path: &str, w: &Matrix) -> Option<(String, Option<Value>)> {
    let b = &w.b;
    let tb = &b.tenant;
    let r = match (method, path) {
        ("POST", "/api/v1/enroll") => (
            path.to_string(),
            Some(json!({"enrollment_key": w.a.enroll_key, "hostname": b.hostname})),
        ),
        ("POST", "/api/v1/checkin") => (
            path.to_string(),
            Some(json!({"hostname": b.hostname, "counters": {"x": 1}})),
        ),
        ("POST", "/api/v1/hits") => (
            path.to_string(),
            Some(hit_payload(tb, &b.device, "evil", "198.51.100.1")),
        ),
        ("GET", "/api/v1/hits") => (format!("{path}?tenant={tb}"), None),
        ("GET", "/api/v1/hits/{id}") => (format!("/api/v1/hits/{}", b.hit), None),
        ("POST", "/api/v1/hits/{id}/state") => (
            format!("/api/v1/hits/{}/state", b.hit),
            Some(json!({"state": "acknowledged"})),
        ),
        ("GET", "/api/v1/hits/{id}/history") => (format!("/api/v1/hits/{}/history", b.hit), None),
        ("GET", "/api/v1/hits/{id}/related") => (format!("/api/v1/hits/{}/related", b.hit), None),
        ("GET", "/api/v1/correlations") => (format!("{path}?tenant={tb}"), None),
        ("GET", "/api/v1/suppressions") => (format!("{path}?tenant={tb}"), None),
        ("POST", "/api/v1/suppressions") => (
            path.to_string(),
            Some(json!({"tenant_id": tb, "remote_ip": "0.0.0.0/0"})),
        ),
        ("DELETE", "/api/v1/suppressions/{id}") => {
            (format!("/api/v1/suppressions/{}", b.suppression), None)
        }
        ("GET", "/api/v1/devices") => (format!("{path}?tenant={tb}"), None),
        ("GET", "/api/v1/devices/{id}") => (format!("/api/v1/devices/{}", b.device), None),
        ("POST", "/api/v1/devices/{id}/revoke") => {
            (format!("/api/v1/devices/{}/revoke", b.device), None)
        }
        ("PUT", "/api/v1/devices/{id}/config") => (
            format!("/api/v1/devices/{}/config", b.device),
            Some(json!({"config": {"daemon": {"jobs": false}}})),
        ),
        ("POST", "/api/v1/auth/login") => (
            path.to_string(),
            Some(json!({"username": b.customer_user, "password": "guess guess guess"})),
        ),
        ("POST", "/api/v1/auth/logout") => (path.to_string(), None),
        ("GET", "/api/v1/auth/me") => (path.to_string(), None),
        // Sign-in through an OpenID Provider: public routes; a callback with a forged state
        // must neither sign anyone in nor name B's user.
        ("GET", "/api/v1/auth/providers") => (path.to_string(), None),
        ("GET", "/api/v1/auth/oidc/{name}/login") => ("/api/v1/auth/oidc/corp/login".into(), None),
        ("GET", "/api/v1/auth/oidc/{name}/callback") => (
            format!(
                "/api/v1/auth/oidc/corp/callback?code=forged&state={}",
                b.customer_user
            ),
            None,
        ),
        ("GET", "/api/v1/tenants") => (path.to_string(), None),
        ("POST", "/api/v1/tenants") => (path.to_string(), Some(json!({"name": "evil"}))),
        ("GET", "/api/v1/users") => (format!("{path}?tenant={tb}"), None),
        ("POST", "/api/v1/users") => (
            path.to_string(),
            Some(
                json!({"username": "evil", "password": "0123456789ab", "role": "customer", "tenant_id": tb}),
            ),
        ),
        ("DELETE", "/api/v1/users/{id}") => (format!("/api/v1/users/{}", b.customer_user_id), None),
        ("GET", "/api/v1/keys") => (format!("{path}?tenant={tb}"), None),
        ("POST", "/api/v1/keys") => (
            path.to_string(),
            Some(json!({"kind": "enrollment", "tenant_id": tb})),
        ),
        ("DELETE", "/api/v1/keys/{id}") => (format!("/api/v1/keys/{}", b.enroll_key_id), None),
        ("POST", "/api/v1/keys/{id}/rotate") => {
            (format!("/api/v1/keys/{}/rotate", b.customer_key_id), None)
        }
        ("GET", "/api/v1/openapi.json" | "/api/v1/docs") => (path.to_string(), None),
        ("GET", "/api/v1/detect/rules") => (path.to_string(), None),
        ("POST", "/api/v1/events") => (
            path.to_string(),
            Some(json!({"batch_id": "evil", "events": []})),
        ),
        ("GET", "/api/v1/outputs") => (path.to_string(), None),
        ("GET", "/api/v1/alerts") => (format!("{path}?tenant={tb}"), None),
        ("GET", "/api/v1/alerts/{id}") => (format!("/api/v1/alerts/{}", b.alert), None),
        ("POST", "/api/v1/alerts/{id}/state") => (
            format!("/api/v1/alerts/{}/state", b.alert),
            Some(json!({"state": "acknowledged"})),
        ),
        ("GET", "/api/v1/alerts/{id}/history") => {
            (format!("/api/v1/alerts/{}/history", b.alert), None)
        }
        ("GET", "/api/v1/sightings") => (format!("{path}?tenant={tb}"), None),
        ("GET", "/api/v1/attack-models") => (format!("{path}?tenant={tb}"), None),
        ("POST", "/api/v1/attack-models") => (
            format!("{path}?tenant={tb}"),
            Some(common::attack_bundle("evil crew", 9)),
        ),
        ("GET", "/api/v1/attack-models/{id}") => (
            format!("/api/v1/attack-models/{}?tenant={tb}", b.attack_model),
            None,
        ),
        ("GET", "/api/v1/profiles") => (
            format!("{path}?tenant={tb}&subject={}", b.profile_subject),
            None,
        ),
        ("POST", "/api/v1/profiles/reset") => (path.to_string(), Some(json!({"tenant_id": tb}))),
        ("GET", "/api/v1/detect/learn") => (format!("{path}?tenant={tb}"), None),
        ("PUT", "/api/v1/detect/learn") => {
            (path.to_string(), Some(json!({"tenant_id": tb, "on": true})))
        }
        ("POST", "/api/v1/detect/learn/apply") => {
            (path.to_string(), Some(json!({"tenant_id": tb})))
        }
        ("GET", "/api/v1/intel/bundle") => (path.to_string(), None),
        ("GET", "/api/v1/intel/key") => (path.to_string(), None),
        ("POST", "/api/v1/intel/confirm") => {
            (path.to_string(), Some(json!({"ips": [b.indicator_ip]})))
        }
        ("GET", "/api/v1/intel/indicators") => (format!("{path}?tenant={tb}"), None),
        ("POST", "/api/v1/intel/indicators") => (
            path.to_string(),
            Some(json!({"tenant_id": tb, "kind": "ip", "value": "0.0.0.0/1"})),
        ),
        ("DELETE", "/api/v1/intel/indicators/{id}") => {
            (format!("/api/v1/intel/indicators/{}", b.indicator), None)
        }
        ("GET", "/api/v1/intel/allowlist") => (format!("{path}?tenant={tb}"), None),
        ("POST", "/api/v1/intel/allowlist") => (
            path.to_string(),
            Some(json!({"tenant_id": tb, "network": "0.0.0.0/0"})),
        ),
        ("DELETE", "/api/v1/intel/allowlist/{id}") => {
            (format!("/api/v1/intel/allowlist/{}", b.allow), None)
        }
        // The job API.
        ("GET", "/api/v1/jobs") => (format!("{path}?tenant={tb}"), None),
        ("POST", "/api/v1/jobs") => (
            path.to_string(),
            Some(
                json!({"tenant_id": tb, "device_id": b.device, "kind": "file.hash", "filter": {"parameters": {"path": "/etc/shadow"}}}),
            ),
        ),
        ("GET", "/api/v1/jobs/audit") => (
            format!(
                "{path}?tenant_id={tb}&job_id={}&device_id={}",
                b.job, b.device
            ),
            None,
        ),
        ("GET", "/api/v1/jobs/{id}") => (format!("/api/v1/jobs/{}", b.job), None),
        ("DELETE", "/api/v1/jobs/{id}") => (format!("/api/v1/jobs/{}", b.job), None),
        ("GET", "/api/v1/jobs/{id}/result") => (format!("/api/v1/jobs/{}/result", b.job), None),
        ("GET", "/api/v1/agent/jobs/next") => (format!("{path}?wait=0"), None),
        ("POST", "/api/v1/agent/jobs/{id}") => (
            format!("/api/v1/agent/jobs/{}", b.job),
            Some(json!({"status": "completed", "lease_id": "x"})),
        ),
        ("PUT", "/api/v1/agent/jobs/{id}/result") => (
            format!("/api/v1/agent/jobs/{}/result", b.job),
            Some(json!("x")),
        ),
        // A PCAP job in B from a document naming B's device.
        ("GET" | "POST", "/joblookup") => (format!("{path}?esid=x&tenant_id={tb}"), None),
        // The Sensoroni-compatible API, aimed at B's device job (B is its tenant).
        ("POST", "/api/node") => (path.to_string(), Some(json!({"id": b.device}))),
        ("GET", "/api/job/" | "/api/job") => (format!("{path}?jobId={}", b.job), None),
        ("POST", "/api/job/" | "/api/job") => (
            path.to_string(),
            Some(json!({"nodeId": b.device, "kind": "pcap"})),
        ),
        ("PUT", "/api/job/" | "/api/job") => {
            (path.to_string(), Some(json!({"id": b.job, "status": 1})))
        }
        ("DELETE", "/api/job/{id}") => (format!("/api/job/{}", b.job), None),
        ("GET", "/api/jobs/" | "/api/jobs") => (format!("{path}?kind=file.hash"), None),
        ("GET", "/api/stream") => (format!("{path}?jobId={}", b.job), None),
        ("POST", "/api/stream") => (format!("{path}?jobId={}", b.job), Some(json!("forged"))),
        ("GET", "/api/packets") => (format!("{path}?jobId={}", b.job), None),
        ("GET", "/api/grid" | "/api/info") => (path.to_string(), None),
        ("GET", "/api/v1/releases") => (path.to_string(), None),
        ("POST", "/api/v1/releases") => (
            format!("{path}?os=linux&arch=x86_64&version=9.9.9&signature=00"),
            Some(json!("evil build")),
        ),
        ("GET", "/api/v1/releases/{id}/download") => {
            ("/api/v1/releases/no-such-release/download".into(), None)
        }
        ("GET", "/api/v1/rollouts") => (path.to_string(), None),
        ("POST", "/api/v1/rollouts") => (
            path.to_string(),
            Some(json!({"release_id": "no-such-release", "tenant_id": tb})),
        ),
        ("GET", "/api/v1/rollouts/{id}") => ("/api/v1/rollouts/no-such-rollout".into(), None),
        ("POST", "/api/v1/rollouts/{id}/state") => (
            "/api/v1/rollouts/no-such-rollout/state".into(),
            Some(json!({"action": "abort"})),
        ),
        ("GET", "/api/v1/fleet") => (format!("{path}?tenant={tb}"), None),
        ("GET", "/api/v1/devices/{id}/updates") => {
            (format!("/api/v1/devices/{}/updates", b.device), None)
        }
        _ => return None,
    };
    Some(r)
}

/// Every mounted route: ours, and the job crate's (its `/api/v1/jobs…` and `/joblookup`
/// router and its Sensoroni-compatible one), from the tables the routers are built from — a
/// route added anywhere without an entry in [`attack`] fails the matrix.
fn all_routes() -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = outpost_server::api_routes()
        .into_iter()
        .map(|(m, p)| (m.to_string(), p))
        .collect();
    v.extend(
        outpost_jobs::v1_routes()
            .into_iter()
            .chain(outpost_jobs::compat_routes())
            .map(|(m, p)| (m.to_string(), p.to_string())),
    );
    v
}

#[tokio::test]
async fn no_principal_of_tenant_a_reaches_tenant_b() {
    let w = world().await;
    let secrets_of_b = [
        w.b.tenant.as_str(),
        w.b.device.as_str(),
        w.b.hostname.as_str(),
        w.b.suppression.as_str(),
        w.b.customer_user.as_str(),
        w.b.customer_key_id.as_str(),
        w.b.enroll_key_id.as_str(),
        w.b.indicator.as_str(),
        w.b.indicator_ip.as_str(),
        w.b.allow.as_str(),
        w.b.profile_subject.as_str(),
        w.b.attack_model_name.as_str(),
    ];
    let principals = [
        ("customer key A", w.a.customer_key.clone()),
        ("customer session A", w.a.session.clone()),
        ("device A", w.a.device_token.clone()),
        ("enrollment key A", w.a.enroll_key.clone()),
        ("Sensoroni key", SENSORONI_KEY.to_string()),
    ];
    let mut checked = 0;
    for (method, path) in all_routes() {
        let Some((uri, body)) = attack(&method, &path, &w) else {
            panic!("route {method} {path} has no entry in the isolation matrix");
        };
        for (who, token) in &principals {
            let (status, text) = w.call(&method, &uri, Some(token), body.clone()).await.st();
            let sent = format!(
                "{uri} {}",
                body.as_ref().map(|b| b.to_string()).unwrap_or_default()
            );
            // An error may repeat what the caller sent; nothing else of B may appear.
            for s in secrets_of_b.iter().filter(|s| !sent.contains(**s)) {
                assert!(
                    !text.contains(s),
                    "{who}: {method} {uri} answered {status} with tenant B's {s:?}: {text}"
                );
            }
            // Writing anything of B, or creating anything in B, must fail.
            if method != "GET" && status.is_success() {
                let allowed = matches!(
                    path.as_str(),
                    // Enrolling with A's key creates a device in A, checking in updates A's
                    // own device, logging out ends A's own session, confirming answers
                    // from A's intel (checked below).
                    "/api/v1/enroll"
                        | "/api/v1/checkin"
                        | "/api/v1/auth/logout"
                        | "/api/v1/intel/confirm"
                        // Telemetry from device A is A's own (scored and forwarded as A's).
                        | "/api/v1/events"
                );
                assert!(
                    allowed,
                    "{who}: {method} {uri} succeeded ({status}): {text}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= principals.len() * 37, "{checked}");

    // B's device job is untouched: unclaimed, no result, still pending.
    let job = w
        .state
        .jobs
        .as_ref()
        .unwrap()
        .store()
        .get(w.b.job)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (job.status, job.attempts, job.result_size),
        (outpost_jobs::JobStatus::Pending, 0, None),
        "{job:?}"
    );

    // B's data is untouched.
    let alert = w.store.get_alert(w.b.alert).await.unwrap();
    assert_eq!(
        (alert.triage.state, alert.triage.version),
        (outpost_core::api::TriageState::New, 0)
    );
    let prof = w
        .store
        .get_profile(&w.b.tenant, &w.b.profile_subject)
        .await
        .unwrap();
    assert_eq!((prof.epoch, prof.command_lines.len()), (0, 1));
    assert_eq!(w.store.learn_until(&w.b.tenant).await.unwrap(), None);
    let hit = w.store.get_hit(w.b.hit).await.unwrap();
    assert_eq!(hit.triage.state, outpost_core::api::TriageState::New);
    assert_eq!(hit.triage.version, 0);
    let devices = w.store.list_devices(Some(&w.b.tenant)).await.unwrap();
    assert_eq!(
        devices.len(),
        1,
        "B's device was revoked or a device was added"
    );
    assert!(devices[0].config_version.is_none());
    assert_eq!(
        w.store
            .list_suppressions(Some(&w.b.tenant))
            .await
            .unwrap()
            .len(),
        1
    );
    let keys = w.store.list_keys(Some(&w.b.tenant)).await.unwrap();
    assert_eq!(keys.len(), 2);
    assert!(keys.iter().all(|k| !k.revoked), "{keys:?}");
    let users = w.store.list_users(Some(&w.b.tenant)).await.unwrap();
    assert_eq!(users.len(), 1);
    assert!(!users[0].disabled);
    assert_eq!(common::tenant_hits(&w.store, &w.b.tenant).await.len(), 1);
    // B's intel is untouched, and A's device gets a bundle with A's indicator, not B's.
    let inds = w
        .store
        .list_tenant_indicators(Some(&w.b.tenant))
        .await
        .unwrap();
    assert_eq!(inds.len(), 1);
    assert_eq!(
        w.store
            .list_allowlist(Some(&w.b.tenant))
            .await
            .unwrap()
            .len(),
        1
    );
    let (status, bytes) = w
        .call("GET", "/api/v1/intel/bundle", Some(&w.a.device_token), None)
        .await
        .sb();
    assert_eq!(status, StatusCode::OK);
    let bundle = outpost_intel::bundle::decode_unauthenticated(&bytes).unwrap();
    let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
    assert!(bundle.hotlist().contains(ip(&w.a.indicator_ip)));
    assert!(!bundle.hotlist().contains(ip(&w.b.indicator_ip)));
    // Confirmation answers from A's intel: B's indicator is not listed for A's device.
    let (status, text) = w
        .call(
            "POST",
            "/api/v1/intel/confirm",
            Some(&w.a.device_token),
            Some(json!({"ips": [w.b.indicator_ip, w.a.indicator_ip]})),
        )
        .await
        .st();
    assert_eq!(status, StatusCode::OK, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert!(v["results"][0].get("intel").is_none(), "{v}");
    assert_eq!(
        v["results"][1]["intel"]["indicator"],
        w.a.indicator_ip.as_str()
    );
    // B's session still works.
    let (s, _) = w
        .call("GET", "/api/v1/auth/me", Some(&w.b.session), None)
        .await
        .st();
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn every_route_needs_credentials_except_the_public_ones() {
    let w = world().await;
    for (method, path) in all_routes() {
        let (uri, mut body) = attack(&method, &path, &w).unwrap();
        if path == "/api/v1/enroll" {
            body = Some(json!({"enrollment_key": "ope_0000", "hostname": "x"}));
        }
        for token in [None, Some("opa_0000"), Some("ops_0000"), Some("opd_0000")] {
            let (status, text) = w.call(&method, &uri, token, body.clone()).await.st();
            match path.as_str() {
                "/api/v1/openapi.json" | "/api/v1/docs" | "/api/v1/auth/providers" => {
                    assert_eq!(status, StatusCode::OK)
                }
                // Sign-in through an OpenID Provider needs no credentials; this world's
                // provider cannot be reached (502), and a callback that no browser's state
                // cookie vouches for signs nobody in.
                "/api/v1/auth/oidc/{name}/login" => {
                    assert_eq!(status, StatusCode::BAD_GATEWAY, "{method} {uri}: {text}")
                }
                "/api/v1/auth/oidc/{name}/callback" => {
                    assert_eq!(status, StatusCode::BAD_REQUEST, "{method} {uri}: {text}");
                    assert!(!text.contains("ops_"), "{text}");
                }
                // Public routes that check the credentials in the body.
                "/api/v1/enroll" | "/api/v1/auth/login" => {
                    assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {uri}: {text}")
                }
                _ => assert_eq!(
                    status,
                    StatusCode::UNAUTHORIZED,
                    "{method} {uri} with {token:?}: {text}"
                ),
            }
        }
    }
}

#[tokio::test]
async fn roles_decide_who_manages_what() {
    let w = world().await;
    // Technicians manage customers' users and keys, not staff ones.
    for (body, ok) in [
        (
            json!({"username": "tech2", "password": "0123456789ab", "role": "technician"}),
            false,
        ),
        (
            json!({"username": "adm2", "password": "0123456789ab", "role": "admin"}),
            false,
        ),
        (
            json!({"username": "cust9", "password": "0123456789ab", "role": "customer", "tenant_id": w.a.tenant}),
            true,
        ),
    ] {
        let (s, t) = w.post("/api/v1/users", &w.tech, body).await;
        assert_eq!(s.is_success(), ok, "{s} {t}");
    }
    for (kind, ok) in [
        ("admin", false),
        ("technician", false),
        ("enrollment", true),
        ("customer", true),
    ] {
        let tenant = if matches!(kind, "enrollment" | "customer") {
            Some(w.a.tenant.clone())
        } else {
            None
        };
        let (s, t) = w
            .post(
                "/api/v1/keys",
                &w.tech,
                json!({"kind": kind, "tenant_id": tenant}),
            )
            .await;
        assert_eq!(s.is_success(), ok, "{kind}: {s} {t}");
    }
    let (s, _) = w
        .post("/api/v1/tenants", &w.tech, json!({"name": "t3"}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = w
        .post("/api/v1/tenants", &w.admin, json!({"name": "t3"}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    // A customer may acknowledge their own hit, nothing else.
    let uri = format!("/api/v1/hits/{}/state", w.a.hit);
    let (s, t) = w
        .post(&uri, &w.a.session, json!({"state": "false_positive"}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{t}");
    let (s, t) = w
        .post(
            &uri,
            &w.a.session,
            json!({"state": "acknowledged", "note": "seen it"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    // Customers see the simplified view: no batch ids, no sample events.
    let (s, v) = w
        .get(&format!("/api/v1/hits/{}", w.a.hit), &w.a.customer_key)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        v.get("batch_id").is_none() && v.get("sample_events").is_none(),
        "{v}"
    );
    assert_eq!(v["state"], "acknowledged");
    let (_, v) = w.get(&format!("/api/v1/hits/{}", w.a.hit), &w.tech).await;
    assert!(
        v.get("batch_id").is_some() && v.get("sample_events").is_some(),
        "{v}"
    );
    assert_eq!(v["state_changed_by"], "user:customer-alpha");
    // Devices: customers do not see agents' counters.
    let (_, t) = w
        .get(&format!("/api/v1/devices/{}", w.a.device), &w.a.session)
        .await;
    assert!(!t.to_string().contains("counters"), "{t}");
}

#[tokio::test]
async fn cookie_sessions_need_a_csrf_header_to_change_things() {
    let w = world().await;
    let uri = format!("/api/v1/hits/{}/state", w.a.hit);
    let send = |csrf: bool| {
        let mut req = Request::builder()
            .method("POST")
            .uri(&uri)
            .header(
                "cookie",
                format!("theme=dark; outpost_session={}", w.a.session),
            )
            .header("content-type", "application/json");
        if csrf {
            req = req.header("hx-request", "true");
        }
        w.app
            .clone()
            .oneshot(req.body(Body::from(r#"{"state":"acknowledged"}"#)).unwrap())
    };
    assert_eq!(send(false).await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(send(true).await.unwrap().status(), StatusCode::OK);
    // Reading with the cookie needs no header.
    let req = Request::builder()
        .uri("/api/v1/auth/me")
        .header("cookie", format!("outpost_session={}", w.a.session))
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        w.app.clone().oneshot(req).await.unwrap().status(),
        StatusCode::OK
    );
    // After logout the session is gone.
    let (s, _) = w
        .call("POST", "/api/v1/auth/logout", Some(&w.a.session), None)
        .await
        .st();
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = w
        .call("GET", "/api/v1/auth/me", Some(&w.a.session), None)
        .await
        .st();
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}
