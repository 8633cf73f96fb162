//! The job subsystem as the server mounts it: `/joblookup` resolving a document's
//! `observer.name` to an enrolled device (so the Outpost agent claims the job), the job audit
//! API, and the `[jobs]` configuration (kind policy, lease, attempts, result cap).

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use outpost_server::config::ServerConfig;
use outpost_store::{KeyKind, Store};
use serde_json::{Value, json};
use tower::ServiceExt;

async fn call(
    app: &axum::Router,
    method: &str,
    uri: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value, axum::http::HeaderMap) {
    let body = body.map(|b| b.to_string().into_bytes());
    let r = common::request(app, method, uri, Some(token), &[], body).await;
    let v = r.json();
    (r.status, v, r.headers)
}

fn job_id_of_redirect(status: StatusCode, body: &Value, h: &axum::http::HeaderMap) -> i64 {
    assert_eq!(status, StatusCode::FOUND, "{body}");
    let loc = h["location"].to_str().unwrap();
    loc.strip_prefix("/ui/jobs/")
        .unwrap_or_else(|| panic!("redirect to {loc}"))
        .parse()
        .unwrap()
}

#[tokio::test]
async fn joblookup_targets_the_enrolled_device_so_its_agent_claims_the_job() {
    let Some(es_url) = outpost_testkit::service("OUTPOST_TEST_OPENSEARCH_URL") else {
        return;
    };
    let index = format!("outpost-server-lookup-{}", uuid::Uuid::new_v4().simple());
    let http = reqwest::Client::new();
    for (id, host) in [
        ("d-known", "SENSOR-7"),
        ("d-sensor", "zeek-sensor-9"),
        ("d-fqdn", "Sensor-7.Corp.Example"),
        ("d-short", "WEB01"),
        ("d-web-fqdn", "web01.corp.example"),
    ] {
        let doc = json!({"@timestamp": "2026-03-01T12:00:00Z", "observer": {"name": host},
            "source": {"ip": "10.1.1.1", "port": 50000}, "destination": {"ip": "10.2.2.2", "port": 443}});
        let r = http
            .put(format!("{es_url}/{index}/_doc/{id}?refresh=true"))
            .json(&doc)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    }

    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_sqlite_dir(dir.path()).await.unwrap();
    store.migrate().await.unwrap();
    let alpha = store.create_tenant("alpha").await.unwrap();
    let bravo = store.create_tenant("bravo").await.unwrap();
    // The enrolled Outpost agent of host "sensor-7" (hostnames compare without case).
    let (dev, dev_token) = store
        .create_device(&alpha.id, "sensor-7", Some("linux"), None)
        .await
        .unwrap();
    let (_, admin) = store.create_key(KeyKind::Admin, None, "").await.unwrap();
    let (_, cust_a) = store
        .create_key(KeyKind::Customer, Some(&alpha.id), "")
        .await
        .unwrap();
    let (_, cust_b) = store
        .create_key(KeyKind::Customer, Some(&bravo.id), "")
        .await
        .unwrap();
    let cfg = ServerConfig {
        data_dir: dir.path().to_path_buf(),
        elastic_url: Some(es_url.clone()),
        elastic_index: index.clone(),
        rate_limit_per_s: 0,
        ..Default::default()
    };
    let state = outpost_server::build_state(cfg, store.clone())
        .await
        .unwrap();
    let jobs = state.jobs.clone().unwrap();
    let app = outpost_server::router(state);

    // A customer of alpha pivots from the document: the job targets the device id.
    let (s, b, h) = call(&app, "GET", "/joblookup?esid=d-known", &cust_a, None).await;
    let id = job_id_of_redirect(s, &b, &h);
    let job = jobs.store().get(id).await.unwrap().unwrap();
    assert_eq!(job.device_id, dev.id);
    assert_eq!(job.tenant_id, alpha.id);
    // ...and the agent of that device claims it with its device token.
    let (s, claimed, _) = call(
        &app,
        "GET",
        "/api/v1/agent/jobs/next?wait=0",
        &dev_token,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{claimed}");
    assert_eq!(claimed["job"]["id"], id);
    assert_eq!(claimed["job"]["kind"], "pcap");

    // Staff without a tenant_id: the one tenant with such a device.
    let (s, b, h) = call(&app, "GET", "/joblookup?esid=d-known", &admin, None).await;
    let id = job_id_of_redirect(s, &b, &h);
    let job = jobs.store().get(id).await.unwrap().unwrap();
    assert_eq!(
        (job.tenant_id.as_str(), job.device_id.as_str()),
        (alpha.id.as_str(), dev.id.as_str())
    );

    // A customer of bravo has no such device, and the sensors' tenant is not theirs.
    let (s, b, _) = call(&app, "GET", "/joblookup?esid=d-known", &cust_b, None).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["code"], "unknown_device");

    // A hostname that is no enrolled device is a Sensoroni sensor: the job goes to the
    // compatible API's tenant (default "default") under the sensor's name.
    let (s, b, h) = call(&app, "GET", "/joblookup?esid=d-sensor", &admin, None).await;
    let id = job_id_of_redirect(s, &b, &h);
    let job = jobs.store().get(id).await.unwrap().unwrap();
    assert_eq!(
        (job.tenant_id.as_str(), job.device_id.as_str()),
        ("default", "zeek-sensor-9")
    );

    // observer.name is a full name, the device is enrolled under its short name.
    let (s, b, h) = call(&app, "GET", "/joblookup?esid=d-fqdn", &cust_a, None).await;
    let id = job_id_of_redirect(s, &b, &h);
    let job = jobs.store().get(id).await.unwrap().unwrap();
    assert_eq!(
        (job.tenant_id.as_str(), job.device_id.as_str()),
        (alpha.id.as_str(), dev.id.as_str())
    );
    // ...and the other way round: a short observer.name, a device enrolled under its FQDN.
    let (web, _) = store
        .create_device(&alpha.id, "Web01.corp.example", None, None)
        .await
        .unwrap();
    let (s, b, h) = call(&app, "GET", "/joblookup?esid=d-short", &cust_a, None).await;
    let id = job_id_of_redirect(s, &b, &h);
    assert_eq!(
        jobs.store().get(id).await.unwrap().unwrap().device_id,
        web.id
    );
    // A second full name with that first label in the tenant: the short name is ambiguous,
    // and the error names both candidates; the full name still finds its device.
    let (web_dmz, _) = store
        .create_device(&alpha.id, "web01.dmz.example", None, None)
        .await
        .unwrap();
    let (s, b, _) = call(&app, "GET", "/joblookup?esid=d-short", &cust_a, None).await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    assert_eq!(b["error"]["code"], "ambiguous_device");
    let msg = b["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains(&format!("Web01.corp.example (device {})", web.id))
            && msg.contains(&format!("web01.dmz.example (device {})", web_dmz.id)),
        "{msg}"
    );
    let (s, b, h) = call(&app, "GET", "/joblookup?esid=d-web-fqdn", &cust_a, None).await;
    let id = job_id_of_redirect(s, &b, &h);
    assert_eq!(
        jobs.store().get(id).await.unwrap().unwrap().device_id,
        web.id
    );
    // Tenant scoping is unchanged: bravo's customer does not reach alpha's web01.
    let (s, b, _) = call(&app, "GET", "/joblookup?esid=d-short", &cust_b, None).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");

    // The same hostname enrolled in two tenants: staff must say which.
    let (dev_b, _) = store
        .create_device(&bravo.id, "Sensor-7", None, None)
        .await
        .unwrap();
    let (s, b, _) = call(&app, "GET", "/joblookup?esid=d-known", &admin, None).await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    assert_eq!(b["error"]["code"], "ambiguous_device");
    let uri = format!("/joblookup?esid=d-known&tenant_id={}", bravo.id);
    let (s, b, h) = call(&app, "GET", &uri, &admin, None).await;
    let id = job_id_of_redirect(s, &b, &h);
    let job = jobs.store().get(id).await.unwrap().unwrap();
    assert_eq!(job.device_id, dev_b.id);
}

#[tokio::test]
async fn job_audit_api_follows_the_role_rules() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_sqlite_dir(dir.path()).await.unwrap();
    store.migrate().await.unwrap();
    let alpha = store.create_tenant("alpha").await.unwrap();
    let bravo = store.create_tenant("bravo").await.unwrap();
    let (dev_a, tok_a) = store
        .create_device(&alpha.id, "host-a", None, None)
        .await
        .unwrap();
    let (dev_b, _) = store
        .create_device(&bravo.id, "host-b", None, None)
        .await
        .unwrap();
    let (_, admin) = store.create_key(KeyKind::Admin, None, "").await.unwrap();
    let (_, tech) = store
        .create_key(KeyKind::Technician, None, "")
        .await
        .unwrap();
    let (_, cust_a) = store
        .create_key(KeyKind::Customer, Some(&alpha.id), "")
        .await
        .unwrap();
    let (ck_b, cust_b) = store
        .create_key(KeyKind::Customer, Some(&bravo.id), "")
        .await
        .unwrap();
    let cfg = ServerConfig {
        data_dir: dir.path().to_path_buf(),
        rate_limit_per_s: 0,
        ..Default::default()
    };
    let app = outpost_server::router(
        outpost_server::build_state(cfg, store.clone())
            .await
            .unwrap(),
    );
    let mut ids = Vec::new();
    for (t, d) in [
        (&alpha.id, &dev_a.id),
        (&alpha.id, &dev_a.id),
        (&bravo.id, &dev_b.id),
    ] {
        let (s, b, _) = call(
            &app,
            "POST",
            "/api/v1/jobs",
            &admin,
            Some(json!({"tenant_id": t, "device_id": d, "kind": "process.list"})),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        ids.push(b["id"].as_i64().unwrap());
    }
    // Bravo's customer pokes at alpha's job (denied, recorded on alpha's job).
    let (s, _, _) = call(
        &app,
        "GET",
        &format!("/api/v1/jobs/{}", ids[0]),
        &cust_b,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let audit = |token: &str, query: &str| {
        let (app, token, uri) = (
            app.clone(),
            token.to_string(),
            format!("/api/v1/jobs/audit{query}"),
        );
        async move { call(&app, "GET", &uri, &token, None).await }
    };
    let jobs_of = |v: &Value| -> Vec<i64> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| r["job_id"].as_i64())
            .collect()
    };
    // Staff: every tenant.
    for token in [&admin, &tech] {
        let (s, v, _) = audit(token, "").await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let jobs = jobs_of(&v);
        assert!(ids.iter().all(|i| jobs.contains(i)), "{v}");
        assert!(
            v.to_string().contains(&ck_b.id),
            "staff see the intruder: {v}"
        );
    }
    // Filters: one job, one device, a time window, paging.
    let (_, v, _) = audit(&admin, &format!("?job_id={}", ids[0])).await;
    assert!(jobs_of(&v).iter().all(|j| *j == ids[0]) && !jobs_of(&v).is_empty());
    let (_, v, _) = audit(&admin, &format!("?device_id={}", dev_b.id)).await;
    assert_eq!(jobs_of(&v), vec![ids[2]]);
    let (_, v, _) = audit(&admin, "?until=2000-01-01T00:00:00Z").await;
    assert!(v["items"].as_array().unwrap().is_empty(), "{v}");
    let (_, v, _) = audit(&admin, "?since=2000-01-01T00:00:00Z&limit=2").await;
    assert_eq!(v["items"].as_array().unwrap().len(), 2);
    let cursor = v["next_cursor"].as_str().unwrap().to_string();
    let (_, v2, _) = audit(&admin, &format!("?limit=2&cursor={cursor}")).await;
    let first_page: Vec<i64> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert!(
        v2["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| !first_page.contains(&r["id"].as_i64().unwrap()))
    );
    let (s, v, _) = audit(&admin, "?since=yesterday").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["code"], "bad_request");

    // A customer: their tenant only, and not bravo's principal that tried alpha's job.
    let (s, v, _) = audit(&cust_a, "").await;
    assert_eq!(s, StatusCode::OK);
    let jobs = jobs_of(&v);
    assert!(
        jobs.contains(&ids[0]) && jobs.contains(&ids[1]) && !jobs.contains(&ids[2]),
        "{v}"
    );
    let text = v.to_string();
    assert!(
        !text.contains(&bravo.id) && !text.contains(&ck_b.id) && !text.contains(&dev_b.id),
        "{v}"
    );
    let (_, v, _) = audit(&cust_a, &format!("?tenant_id={}", bravo.id)).await;
    assert!(v["items"].as_array().unwrap().is_empty(), "{v}");
    let (_, v, _) = audit(&cust_a, &format!("?job_id={}", ids[2])).await;
    assert!(v["items"].as_array().unwrap().is_empty(), "{v}");
    // Bravo's customer sees bravo's job, not its own attempt on alpha's job.
    let (_, v, _) = audit(&cust_b, "").await;
    assert_eq!(jobs_of(&v), vec![ids[2]]);
    // Devices do not read the trail; no credentials, no trail.
    let (s, v, _) = audit(&tok_a, "").await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, _, _) = audit("opa_0000", "").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn jobs_section_sets_kind_policy_lease_attempts_and_result_cap() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_sqlite_dir(dir.path()).await.unwrap();
    store.migrate().await.unwrap();
    let alpha = store.create_tenant("alpha").await.unwrap();
    let bravo = store.create_tenant("bravo").await.unwrap();
    let (dev_a, tok_a) = store
        .create_device(&alpha.id, "host-a", None, None)
        .await
        .unwrap();
    let (dev_b, _) = store
        .create_device(&bravo.id, "host-b", None, None)
        .await
        .unwrap();
    let (_, admin) = store.create_key(KeyKind::Admin, None, "").await.unwrap();
    let (_, cust_b) = store
        .create_key(KeyKind::Customer, Some(&bravo.id), "")
        .await
        .unwrap();
    // As an operator writes it: tenant by name.
    let toml_text = r#"
rate_limit_per_s = 0
[jobs]
lease_secs = 7
max_attempts = 5
max_result_bytes = 10
[jobs.kinds]
customer = ["process.list"]
[jobs.kinds.tenants]
alpha = ["process.list", "agent.config"]
"#;
    let path = dir.path().join("outpost.toml");
    std::fs::write(&path, toml_text).unwrap();
    let mut cfg = ServerConfig::load(Some(&path)).unwrap();
    cfg.data_dir = dir.path().to_path_buf();
    let app = outpost_server::router(
        outpost_server::build_state(cfg, store.clone())
            .await
            .unwrap(),
    );
    let create = |token: &str, tenant: &str, device: &str, kind: &str| {
        let (app, token) = (app.clone(), token.to_string());
        let body = json!({"tenant_id": tenant, "device_id": device, "kind": kind,
            "filter": {"parameters": {"path": "/etc/hostname"}}});
        async move { call(&app, "POST", "/api/v1/jobs", &token, Some(body)).await }
    };
    // A kind the tenant does not allow: refused even for an admin, with the documented error.
    let (s, v, _) = create(&admin, &alpha.id, &dev_a.id, "file.hash").await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(
        v,
        json!({"error": {"code": "kind_not_allowed",
            "message": "job kind \"file.hash\" is not allowed for this role/tenant"}})
    );
    // The same kind in a tenant without a restriction is fine for the admin.
    let (s, v, _) = create(&admin, &bravo.id, &dev_b.id, "file.hash").await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // The customer role is narrowed to process.list.
    let (s, v, _) = create(&cust_b, &bravo.id, &dev_b.id, "pcap").await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["error"]["code"], "kind_not_allowed");
    let (s, v, _) = create(&cust_b, &bravo.id, &dev_b.id, "process.list").await;
    assert_eq!(s, StatusCode::CREATED, "{v}");

    // Lease, attempts and result cap come from [jobs].
    let (s, v, _) = create(&admin, &alpha.id, &dev_a.id, "process.list").await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["max_attempts"], 5);
    let (s, claimed, _) = call(&app, "GET", "/api/v1/agent/jobs/next?wait=0", &tok_a, None).await;
    assert_eq!(s, StatusCode::OK, "{claimed}");
    let exp = chrono::DateTime::parse_from_rfc3339(claimed["lease_expires_at"].as_str().unwrap())
        .unwrap();
    let left = exp
        .signed_duration_since(chrono::Utc::now())
        .num_milliseconds();
    assert!((5_000..=7_000).contains(&left), "lease {left} ms");
    let id = claimed["job"]["id"].as_i64().unwrap();
    let lease = claimed["lease_id"].as_str().unwrap();
    let req = Request::builder()
        .method("PUT")
        .uri(format!(
            "/api/v1/agent/jobs/{id}/result?lease_id={lease}&ext=json"
        ))
        .header("authorization", format!("Bearer {tok_a}"))
        .body(Body::from("01234567890"))
        .unwrap();
    let resp = app.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
}
