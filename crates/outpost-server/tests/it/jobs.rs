//! The job subsystem as the server mounts it: `/joblookup` resolving a document's
//! `observer.name` to an enrolled device (so the Outpost agent claims the job), the job audit
//! API, and the `[jobs]` configuration (kind policy, lease, attempts, result cap).

use crate::common;
use crate::common::World;
use crate::common::world::Builder;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use outpost_store::KeyKind;
use serde_json::{Value, json};
use tower::ServiceExt;

/// A world whose job lookups read the OpenSearch index at `es_url`; devices run Linux.
fn lookup_world<'a>(es_url: &'a str, index: &'a str) -> Builder<'a> {
    World::builder()
        .os("linux")
        .no_rate_limits()
        .config(move |c, _| {
            c.elastic_url = Some(es_url.to_string());
            c.elastic_index = index.to_string();
        })
}

/// An OpenSearch index named after `name` holding a connection document per (id, observer
/// name).
async fn seed_index(es_url: &str, name: &str, docs: &[(&str, &str)]) -> String {
    let index = format!("outpost-server-{name}-{}", uuid::Uuid::new_v4().simple());
    let http = reqwest::Client::new();
    for (id, host) in docs {
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
    index
}

/// Tenants alpha and bravo with a device each (`host-a`, `host-b`), no rate limits.
fn two_tenants<'a>() -> Builder<'a> {
    World::builder()
        .tenant("alpha", &["host-a"])
        .tenant("bravo", &["host-b"])
        .no_rate_limits()
}

/// The static key of the Sensoroni-compatible API, where a test configures one.
const SENSORONI_KEY: &str = "sensoroni-static-key-0123456789";

/// `GET uri` as the holder of `token`: the status and the body.
async fn get(app: &axum::Router, uri: &str, token: &str) -> (StatusCode, Value) {
    common::call(app, "GET", uri, Some(token), None).await.sv()
}

/// `POST uri` with `body` as the holder of `token`: the status and the body.
async fn post(app: &axum::Router, uri: &str, token: &str, body: Value) -> (StatusCode, Value) {
    common::call(app, "POST", uri, Some(token), Some(body))
        .await
        .sv()
}

/// A request to the Sensoroni-compatible API with its static key: the status and the body.
async fn sensoroni(
    app: &axum::Router,
    method: &str,
    uri: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    common::call(app, method, uri, Some(SENSORONI_KEY), body)
        .await
        .sv()
}

/// The OpenSearch of the tests (`None`: a skip, or a failure under `OUTPOST_REQUIRE_SERVICES=1`)
/// with an index named after `name` holding `docs` (see [`seed_index`]): its URL and the index.
async fn opensearch_index(name: &str, docs: &[(&str, &str)]) -> Option<(String, String)> {
    let es_url = outpost_testkit::service("OUTPOST_TEST_OPENSEARCH_URL")?;
    let index = seed_index(&es_url, name, docs).await;
    Some((es_url, index))
}

/// A `/joblookup` pivot (`POST uri` as the holder of `token`) whose host names more than one
/// device: refused as ambiguous; the message.
async fn ambiguous(app: &axum::Router, uri: &str, token: &str) -> String {
    let (s, b, _) = lookup(app, uri, token).await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    assert_eq!(b["error"]["code"], "ambiguous_device");
    b["error"]["message"].as_str().unwrap().to_string()
}

/// A Sensoroni sensor `id` checking in (`POST /api/node`): its job, if one is there.
async fn sensor_checkin(app: &axum::Router, id: &str) -> (StatusCode, Value) {
    let body = json!({"id": id, "role": "sensor"});
    sensoroni(app, "POST", "/api/node", Some(body)).await
}

/// A Sensoroni sensor's job status report (`PUT /api/job/`).
async fn put_job(app: &axum::Router, job: Value) -> (StatusCode, Value) {
    sensoroni(app, "PUT", "/api/job/", Some(job)).await
}

/// A Sensoroni sensor's result data `data` for job `id` (`POST /api/stream?jobId={id}{lease}`).
async fn stream(app: &axum::Router, id: i64, lease: &str, data: &str) -> (StatusCode, Value) {
    let uri = format!("/api/stream?jobId={id}{lease}");
    sensoroni(app, "POST", &uri, Some(json!(data))).await
}

/// The job a `/joblookup` pivot (`POST uri` as the holder of `token`) created, whose page it
/// redirected to.
async fn lookup_job(w: &World, uri: &str, token: &str) -> outpost_jobs::Job {
    let (s, b, h) = lookup(&w.app, uri, token).await;
    let id = job_id_of_redirect(s, &b, &h);
    let jobs = w.state.jobs.as_ref().unwrap();
    jobs.store().get(id).await.unwrap().unwrap()
}

/// `POST uri` (a `/joblookup` pivot) as the holder of `token`: the status, the body and the
/// headers.
async fn lookup(
    app: &axum::Router,
    uri: &str,
    token: &str,
) -> (StatusCode, Value, axum::http::HeaderMap) {
    common::call(app, "POST", uri, Some(token), None)
        .await
        .parts()
}

fn job_id_of_redirect(status: StatusCode, body: &Value, h: &axum::http::HeaderMap) -> i64 {
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let loc = h["location"].to_str().unwrap();
    loc.strip_prefix("/ui/jobs/")
        .unwrap_or_else(|| panic!("redirect to {loc}"))
        .parse()
        .unwrap()
}

#[tokio::test]
async fn joblookup_targets_the_enrolled_device_so_its_agent_claims_the_job() {
    let Some((es_url, index)) = opensearch_index(
        "lookup",
        &[
            ("d-known", "SENSOR-7"),
            ("d-sensor", "zeek-sensor-9"),
            ("d-fqdn", "Sensor-7.Corp.Example"),
            ("d-short", "WEB01"),
            ("d-web-fqdn", "web01.corp.example"),
        ],
    )
    .await
    else {
        return;
    };
    // The enrolled Outpost agent of host "sensor-7" (hostnames compare without case).
    let w = lookup_world(&es_url, &index)
        .tenant("alpha", &["sensor-7"])
        .tenant("bravo", &[])
        .build()
        .await;
    let (app, store, admin) = (&w.app, &w.store, &w.admin);
    let (alpha, bravo) = (w.a(), w.b());
    let (dev, dev_token) = (alpha.device(), &alpha.device().token);
    let (cust_a, cust_b) = (&alpha.customer, &bravo.customer);

    // A customer of alpha pivots from the document: the job targets the device id.
    let job = lookup_job(&w, "/joblookup?esid=d-known", &cust_a).await;
    assert_eq!(job.device_id, dev.id);
    assert_eq!(job.tenant_id, alpha.id);
    // ...and the agent of that device claims it with its device token.
    let (s, claimed) = get(&app, "/api/v1/agent/jobs/next?wait=0", &dev_token).await;
    assert_eq!(s, StatusCode::OK, "{claimed}");
    assert_eq!(claimed["job"]["id"], job.id);
    assert_eq!(claimed["job"]["kind"], "pcap");

    // Staff without a tenant_id: the one tenant with such a device.
    let job = lookup_job(&w, "/joblookup?esid=d-known", &admin).await;
    assert_eq!(
        (job.tenant_id.as_str(), job.device_id.as_str()),
        (alpha.id.as_str(), dev.id.as_str())
    );

    // A customer of bravo has no such device, and the sensors' tenant is not theirs.
    let (s, b, _) = lookup(&app, "/joblookup?esid=d-known", &cust_b).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["code"], "unknown_device");

    // A hostname that is no enrolled device is a Sensoroni sensor: the job goes to the
    // compatible API's tenant (default "default") under the sensor's name.
    let job = lookup_job(&w, "/joblookup?esid=d-sensor", &admin).await;
    assert_eq!(
        (job.tenant_id.as_str(), job.device_id.as_str()),
        ("default", "zeek-sensor-9")
    );

    // observer.name is a full name, the device is enrolled under its short name.
    let job = lookup_job(&w, "/joblookup?esid=d-fqdn", &cust_a).await;
    assert_eq!(
        (job.tenant_id.as_str(), job.device_id.as_str()),
        (alpha.id.as_str(), dev.id.as_str())
    );
    // ...and the other way round: a short observer.name, a device enrolled under its FQDN.
    let (web, _) = store
        .create_device(&alpha.id, "Web01.corp.example", None, None)
        .await
        .unwrap();
    assert_eq!(
        lookup_job(&w, "/joblookup?esid=d-short", &cust_a)
            .await
            .device_id,
        web.id
    );
    // A second full name with that first label in the tenant: the short name is ambiguous,
    // and the error names both candidates; the full name still finds its device.
    let (web_dmz, _) = store
        .create_device(&alpha.id, "web01.dmz.example", None, None)
        .await
        .unwrap();
    let msg = ambiguous(app, "/joblookup?esid=d-short", cust_a).await;
    assert!(
        msg.contains(&format!("Web01.corp.example (device {})", web.id))
            && msg.contains(&format!("web01.dmz.example (device {})", web_dmz.id)),
        "{msg}"
    );
    assert_eq!(
        lookup_job(&w, "/joblookup?esid=d-web-fqdn", &cust_a)
            .await
            .device_id,
        web.id
    );
    // Tenant scoping is unchanged: bravo's customer does not reach alpha's web01.
    let (s, b, _) = lookup(&app, "/joblookup?esid=d-short", &cust_b).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");

    // The same hostname enrolled in two tenants: staff must say which.
    let (dev_b, _) = store
        .create_device(&bravo.id, "Sensor-7", None, None)
        .await
        .unwrap();
    ambiguous(app, "/joblookup?esid=d-known", admin).await;
    let uri = format!("/joblookup?esid=d-known&tenant_id={}", bravo.id);
    let job = lookup_job(&w, &uri, &admin).await;
    assert_eq!(job.device_id, dev_b.id);
}

/// `/joblookup` creates nothing on a GET (a link on another site
/// rides a cookie session, which needs no CSRF header for GET) — it shows a confirmation, and
/// only a POST creates; a second enrollment under an existing hostname does not capture that
/// host's lookups: both devices are shown, and the technician chooses.
#[tokio::test]
async fn joblookup_confirms_on_get_and_never_guesses_between_duplicate_hostnames() {
    let Some((es_url, index)) = opensearch_index(
        "confirm",
        &[("d-web", "web01"), ("d-other", "other-tenants-host-77")],
    )
    .await
    else {
        return;
    };
    let w = lookup_world(&es_url, &index)
        .tenant("alpha", &["web01"])
        .user("tech1", outpost_core::auth::Role::Technician, None)
        .build()
        .await;
    let (app, store, admin) = (&w.app, &w.store, &w.admin);
    let jobs = w.state.jobs.clone().unwrap();
    let alpha = w.a();
    let (real, cust_a) = (alpha.device(), &alpha.customer);
    let r = common::login(&app, "tech1", "correct horse battery").await;
    let v = r.json();
    assert_eq!(r.status, StatusCode::OK, "{v}");
    let session = v["token"].as_str().unwrap().to_string();
    let count = || async {
        jobs.store()
            .list(&outpost_jobs::ListQuery::default())
            .await
            .unwrap()
            .len()
    };
    let cookie = |method: &str, uri: &str, extra: &[(&str, &str)]| {
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header("cookie", format!("outpost_session={session}"))
            .header("accept", "text/html");
        for (k, v) in extra {
            req = req.header(*k, *v);
        }
        app.clone().oneshot(req.body(Body::empty()).unwrap())
    };

    // The link a page on another site would embed: a confirmation page, no job.
    let r = cookie("GET", "/joblookup?esid=d-web", &[]).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = String::from_utf8(
        axum::body::to_bytes(r.into_body(), 1 << 20)
            .await
            .unwrap()
            .to_vec(),
    )
    .unwrap();
    assert!(html.contains("Create a PCAP job?"), "{html}");
    assert!(html.contains(&real.id), "{html}");
    assert_eq!(count().await, 0, "a GET created a job");
    // A cross-site POST (no htmx header) is refused by the CSRF rule; the page's button
    // (htmx) creates the job and is sent to its page.
    let r = cookie("POST", "/joblookup?esid=d-web", &[]).await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(count().await, 0);
    let r = cookie("POST", "/joblookup?esid=d-web", &[("hx-request", "true")])
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let loc = r.headers()["hx-redirect"].to_str().unwrap().to_string();
    let id: i64 = loc.strip_prefix("/ui/jobs/").unwrap().parse().unwrap();
    assert_eq!(
        jobs.store().get(id).await.unwrap().unwrap().device_id,
        real.id
    );

    // A customer's refusal does not echo the document's (another tenant's) host name.
    let (s, b) = get(&app, "/joblookup?esid=d-other", &cust_a).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["code"], "unknown_device");
    assert!(!b.to_string().contains("other-tenants-host-77"), "{b}");
    let (_, log) = get(&app, "/api/v1/jobs/audit", &cust_a).await;
    assert!(!log.to_string().contains("other-tenants-host-77"), "{log}");

    // A second enrollment claims the name "web01" and checks in (the most recently active
    // device): the lookup does not follow it. GET lists both; POST without a choice is a
    // 409 naming both; the technician's choice decides.
    let enroll_key = store
        .create_key(KeyKind::Enrollment, Some(&alpha.id), "")
        .await
        .unwrap()
        .1;
    let r = common::call(
        &app,
        "POST",
        "/api/v1/enroll",
        None,
        Some(json!({"enrollment_key": enroll_key, "hostname": "WEB01"})),
    )
    .await;
    let v = r.json();
    assert!(r.status.is_success(), "{v}");
    let rogue = v["device_id"].as_str().unwrap().to_string();
    let rogue_token = v["device_token"].as_str().unwrap().to_string();
    let (s, v) = post(&app, "/api/v1/checkin", &rogue_token, json!({})).await;
    assert!(s.is_success(), "{v}");
    let (s, v) = get(&app, "/joblookup?esid=d-web", &admin).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["target"]["kind"], "choose", "{v}");
    let listed = common::fields(&v["target"]["candidates"], "device_id", Value::as_str);
    assert!(
        listed.contains(&real.id.as_str()) && listed.contains(&rogue.as_str()),
        "{v}"
    );
    let before = count().await;
    let msg = ambiguous(app, "/joblookup?esid=d-web", admin).await;
    assert!(msg.contains(&real.id) && msg.contains(&rogue), "{msg}");
    assert_eq!(count().await, before);
    let uri = format!("/joblookup?esid=d-web&device_id={}", real.id);
    assert_eq!(lookup_job(&w, &uri, &admin).await.device_id, real.id);
    // A device_id that is not one of the candidates is refused.
    let (s, b, _) = lookup(&app, "/joblookup?esid=d-web&device_id=someone-else", &admin).await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    // The rogue device got nothing.
    let (s, _) = get(&app, "/api/v1/agent/jobs/next?wait=0", &rogue_token).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn job_audit_api_follows_the_role_rules() {
    let w = two_tenants().build().await;
    let (app, admin, tech) = (&w.app, &w.admin, &w.tech);
    let (alpha, bravo) = (w.a(), w.b());
    let (dev_a, tok_a, dev_b) = (alpha.device(), &alpha.device().token, bravo.device());
    let (cust_a, cust_b) = (&alpha.customer, &bravo.customer);
    let mut ids = Vec::new();
    for (t, d) in [
        (&alpha.id, &dev_a.id),
        (&alpha.id, &dev_a.id),
        (&bravo.id, &dev_b.id),
    ] {
        let (s, b) = post(
            &app,
            "/api/v1/jobs",
            &admin,
            json!({"tenant_id": t, "device_id": d, "kind": "process.list"}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        ids.push(b["id"].as_i64().unwrap());
    }
    // Bravo's customer pokes at alpha's job (denied, recorded on alpha's job).
    let (s, _) = get(&app, &format!("/api/v1/jobs/{}", ids[0]), &cust_b).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let audit = |token: &str, query: &str| {
        let (app, token, uri) = (
            app.clone(),
            token.to_string(),
            format!("/api/v1/jobs/audit{query}"),
        );
        async move {
            common::call(&app, "GET", &uri, Some(&token), None)
                .await
                .parts()
        }
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
            v.to_string().contains(&bravo.customer_id),
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
    let first_page = common::fields(&v["items"], "id", Value::as_i64);
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
        !text.contains(&bravo.id)
            && !text.contains(&bravo.customer_id)
            && !text.contains(&dev_b.id),
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
    let w = two_tenants()
        .toml(|_| toml_text.to_string())
        .config(|c, dir| c.data_dir = dir.to_path_buf())
        .build()
        .await;
    let (app, admin) = (&w.app, &w.admin);
    let (alpha, bravo) = (w.a(), w.b());
    let (dev_a, tok_a, dev_b) = (alpha.device(), &alpha.device().token, bravo.device());
    let cust_b = &bravo.customer;
    let create = |token: &str, tenant: &str, device: &str, kind: &str| {
        let (app, token) = (app.clone(), token.to_string());
        let body = json!({"tenant_id": tenant, "device_id": device, "kind": kind,
            "filter": {"parameters": {"path": "/etc/hostname"}}});
        async move {
            common::call(&app, "POST", "/api/v1/jobs", Some(&token), Some(body))
                .await
                .parts()
        }
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
    let (s, claimed) = get(&app, "/api/v1/agent/jobs/next?wait=0", &tok_a).await;
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

/// The Sensoroni-compatible key reaches only Sensoroni jobs. The compatible
/// API's tenant is the one where Outpost devices are enrolled too (as with `outpost up`);
/// a staff `file.get` job on an enrolled device must stay out of reach of the static key:
/// not listed, not readable, not claimable under the device's id, not uploadable, not
/// completable, not downloadable. A sensor's own job needs the current lease for results.
#[tokio::test]
async fn sensoroni_key_reaches_only_sensoroni_jobs() {
    let w = World::builder()
        .tenant("default", &["payroll-01"])
        .os("linux")
        .config(|c, _| {
            c.rate_limit_per_s = 0;
            c.sensoroni.api_key = Some(SENSORONI_KEY.into());
        })
        .build()
        .await;
    let (app, admin) = (&w.app, &w.admin);
    let default = w.a();
    let (dev, dev_token) = (default.device(), &default.device().token);

    // Staff jobs on the enrolled device: file.get (the secret) and pcap (an allowed kind).
    let mut staff = Vec::new();
    for (kind, filter) in [
        (
            "file.get",
            json!({"parameters": {"path": "/etc/payroll/secret.txt"}}),
        ),
        ("pcap", json!({"srcIp": "10.0.0.1"})),
    ] {
        let (s, v) = post(
            &app,
            "/api/v1/jobs",
            &admin,
            json!({"tenant_id": default.id, "device_id": dev.id, "kind": kind, "filter": filter}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        staff.push(v["id"].as_i64().unwrap());
    }

    // Listing: a kind the compatible API may not create cannot be read either; the allowed
    // kind lists only sensor jobs.
    let (s, v) = sensoroni(&app, "GET", "/api/jobs/?kind=file.get", None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, v) = sensoroni(&app, "GET", "/api/jobs/?kind=pcap", None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v, json!([]), "staff jobs listed to the static key");
    for id in &staff {
        for (m, uri, body) in [
            ("GET", format!("/api/job/?jobId={id}"), None),
            ("GET", format!("/api/stream?jobId={id}"), None),
            ("GET", format!("/api/packets?jobId={id}"), None),
            (
                "POST",
                format!("/api/stream?jobId={id}"),
                Some(json!("forged")),
            ),
            (
                "PUT",
                "/api/job/".to_string(),
                Some(json!({"id": id, "status": 1})),
            ),
            ("DELETE", format!("/api/job/{id}"), None),
        ] {
            let (s, v) = sensoroni(&app, m, &uri, body).await;
            assert_eq!(s, StatusCode::NOT_FOUND, "{m} {uri}: {v}");
            assert!(!v.to_string().contains(&dev.id), "{m} {uri}: {v}");
        }
    }
    // Checking in under the device's id is refused, and nothing is claimed.
    let (s, v) = sensor_checkin(app, &dev.id).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    // Nor can the key queue jobs under a device's id.
    let (s, v) = sensoroni(&app, "POST", "/api/job/", Some(json!({"nodeId": dev.id}))).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    // The real agent still gets its jobs, untouched.
    for id in &staff {
        let (s, claimed) = get(&app, "/api/v1/agent/jobs/next?wait=0", &dev_token).await;
        assert_eq!(s, StatusCode::OK, "{claimed}");
        assert_eq!(claimed["job"]["id"], *id);
        assert!(claimed["job"]["result_size"].is_null(), "{claimed}");
    }

    // A Sensoroni sensor's own job: visible to the key, invisible to the device.
    let (s, v) = sensoroni(
        &app,
        "POST",
        "/api/job/",
        Some(json!({"nodeId": "zeek-1", "filter": {"srcIp": "10.0.0.9"}})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let sid = v["id"].as_i64().unwrap();
    let (_, listed) = sensoroni(&app, "GET", "/api/jobs/?kind=pcap", None).await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    // Results need the current lease: not before the sensor claimed the job...
    let (s, v) = stream(app, sid, "", "early").await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"]["code"], "lease_lost");
    let (s, v) = put_job(app, json!({"id": sid, "status": 1})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let (s, claimed) = sensor_checkin(app, "zeek-1").await;
    assert_eq!(s, StatusCode::OK, "{claimed}");
    assert_eq!(claimed["id"], sid);
    let lease = claimed["leaseId"].as_str().unwrap().to_string();
    // ...nor with another lease than the current one.
    let (s, v) = stream(app, sid, "&leaseId=not-the-lease", "forged").await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let mut wrong = claimed.clone();
    wrong["status"] = json!(1);
    wrong["leaseId"] = json!("not-the-lease");
    let (s, v) = put_job(app, wrong).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let (s, v) = stream(app, sid, &format!("&leaseId={lease}"), "pcap bytes").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let mut done = claimed.clone();
    done["status"] = json!(1);
    let (s, v) = put_job(app, done).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], 1);
    let (s, _) = sensoroni(&app, "GET", &format!("/api/stream?jobId={sid}"), None).await;
    assert_eq!(s, StatusCode::OK);
    // The device never sees the sensor's job; staff see which job is whose.
    let (s, v) = get(&app, &format!("/api/v1/jobs/{sid}"), &dev_token).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    let (_, v) = get(&app, &format!("/api/v1/jobs/{sid}"), &admin).await;
    assert_eq!(v["sensor"], true, "{v}");
    let (_, v) = get(&app, &format!("/api/v1/jobs/{}", staff[0]), &admin).await;
    assert_eq!(v["sensor"], false, "{v}");
    assert_eq!(v["status"], "assigned", "{v}");
}

/// The stored hit hostname is the device's enrolled one, whatever the
/// payload says.
#[tokio::test]
async fn hits_store_the_enrolled_hostname() {
    let w = World::builder()
        .tenant("alpha", &["web01"])
        .os("linux")
        .no_rate_limits()
        .build()
        .await;
    let (app, store, t) = (&w.app, &w.store, w.a());
    let (dev, token) = (t.device(), &t.device().token);
    let payload = json!({"batch_id": "b1", "tenant_id": t.id, "device_id": dev.id,
        "hostname": "dc01.corp.example", "agent_version": "t", "hotlist_version": "v",
        "hits": [{"remote_ip": "203.0.113.9", "remote_port": 443, "protocol": "tcp",
        "process_name": "curl", "pid": 1, "first_seen_utc": "2026-01-01T00:00:00Z",
        "last_seen_utc": "2026-01-01T00:01:00Z", "hit_count": 1, "sample_events": []}]});
    let (s, v) = post(&app, "/api/v1/hits", &token, payload).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let hits = common::tenant_hits(store, &t.id).await;
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].hostname, "web01");
    // The replacement is counted, not only logged.
    let counted = common::metric_sum(app, "outpost_hostname_mismatches_total ").await;
    assert!(counted.0 >= 1.0, "{}", counted.1);
}
