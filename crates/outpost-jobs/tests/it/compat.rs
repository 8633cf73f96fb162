//! A Sensoroni-style agent and UI (plain HTTP calls shaped like the real ones) against the
//! compatible routes, over real TCP on loopback; static-key auth and the anonymous CIDR on
//! IPv4 and IPv6.

use crate::common;

use std::time::Duration;

use common::{quick_cfg, serve, sqlite_store};
use outpost_jobs::{JobsState, compat_router};
use serde_json::{Value, json};

const KEY: &str = "123abc-secret";

async fn start(cidrs: &[&str], addr: &str) -> (String, JobsState, common::TestStore) {
    let t = sqlite_store(quick_cfg).await;
    let mut cfg = common::pcap_compat(KEY, "sensoroni");
    cfg.compat.anonymous_cidrs = cidrs.iter().map(|c| c.parse().unwrap()).collect();
    let state = JobsState::new(t.store.clone(), cfg).unwrap();
    let bound = serve(compat_router(state.clone()), addr).await;
    (format!("http://{bound}"), state, t)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// A Sensoroni agent or UI: every request presents the static key.
struct Api {
    c: reqwest::Client,
    base: String,
}

impl Api {
    /// `method path` with `body` (JSON, or raw bytes), answered.
    async fn send(&self, method: &str, path: &str, body: Body) -> reqwest::Response {
        let r = self
            .c
            .request(method.parse().unwrap(), format!("{}{path}", self.base))
            .header("Authorization", KEY);
        let r = match body {
            Body::None => r,
            Body::Json(v) => r.json(&v),
            Body::Bytes(b) => r.header("Content-Type", "application/octet-stream").body(b),
            Body::Text(t) => r.body(t),
        };
        r.send().await.unwrap()
    }

    /// [`Api::send`], checking the status; the body as JSON (`null` when empty).
    async fn expect(&self, method: &str, path: &str, body: Body, status: u16) -> Value {
        let r = self.send(method, path, body).await;
        assert_eq!(r.status(), status, "{method} {path}");
        let bytes = r.bytes().await.unwrap();
        serde_json::from_slice(&bytes).unwrap_or(Value::Null)
    }
}

enum Body {
    None,
    Json(Value),
    Bytes(Vec<u8>),
    /// As sent, without a content type.
    Text(String),
}

/// Builds a minimal pcap with one TCP packet.
fn tiny_pcap() -> Vec<u8> {
    let b = etherparse::PacketBuilder::ethernet2([1; 6], [2; 6])
        .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .tcp(1234, 80, 1, 512)
        .syn();
    let mut data = Vec::new();
    b.write(&mut data, b"").unwrap();
    let f = outpost_jobs::pcapio::Frame {
        ts: Duration::from_secs(1_700_000_000),
        linktype: 1,
        orig_len: data.len() as u32,
        data,
    };
    outpost_jobs::pcapio::write_pcap(1, &[f]).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sensoroni_agent_and_ui_flow() {
    let (base, state, _t) = start(&[], "127.0.0.1:0").await;
    let api = Api { c: client(), base };
    let node = json!({"id": "sensor-1", "role": "sensor", "description": "lab", "address": "10.0.0.5", "version": "2.4.0", "model": "x", "epochTime": "2024-01-01T00:00:00Z"});
    let checkin = || Body::Json(node.clone());

    // Agent check-in with nothing queued: 204, no body (Sensoroni sent `null`).
    let r = api.send("POST", "/api/node", checkin()).await;
    assert_eq!(r.status(), 204);
    assert!(r.bytes().await.unwrap().is_empty());

    // UI creates a job the Sensoroni way (Go zero times, string ports, sensorId alias), with
    // the key as a bearer token.
    let r = api
        .c
        .post(format!("{}/api/job/", api.base))
        .header("Authorization", format!("Bearer {KEY}"))
        .json(&json!({"sensorId": "sensor-1", "filter": {"importId": "", "beginTime": "2024-01-01T00:00:00Z", "endTime": "2024-01-01T01:00:00Z", "srcIp": "10.0.0.1", "srcPort": 1234, "dstIp": "10.0.0.2", "dstPort": "80", "parameters": {"case": {"id": "c-1"}}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["status"], 0);
    assert_eq!(created["kind"], "pcap");
    assert_eq!(created["nodeId"], "sensor-1");
    assert_eq!(created["filter"]["dstPort"], 80);

    let case_c1 = "parameters=%7B%22case%22%3A%7B%22id%22%3A%22c-1%22%7D%7D";
    let case_other = "parameters=%7B%22case%22%3A%7B%22id%22%3A%22other%22%7D%7D";
    let kill = json!({"nodeId": "sensor-1", "kind": "process.kill"});
    let steps = [
        // Kinds other than pcap are refused on the compat API by default.
        ("POST", "/api/job/".to_string(), Body::Json(kill), 403),
        ("GET", format!("/api/job/?jobId={id}"), Body::None, 200),
        ("GET", "/api/job/?jobId=999999".to_string(), Body::None, 404),
        // /api/jobs/ with the recursive parameters filter.
        (
            "GET",
            format!("/api/jobs/?kind=pcap&{case_c1}"),
            Body::None,
            200,
        ),
        ("GET", format!("/api/jobs/?{case_other}"), Body::None, 200),
    ];
    let mut answers = Vec::new();
    for (m, path, body, status) in steps {
        answers.push(api.expect(m, &path, body, status).await);
    }
    assert_eq!(answers[2]["error"]["code"], "not_found");
    assert_eq!(answers[3].as_array().unwrap().len(), 1);
    assert!(answers[4].as_array().unwrap().is_empty());

    // A second agent process with the same node id checks in at the same time: only one
    // gets the job (Sensoroni gave it to both).
    let (r1, r2) = tokio::join!(
        api.send("POST", "/api/node", checkin()),
        api.send("POST", "/api/node", checkin())
    );
    let statuses = [r1.status().as_u16(), r2.status().as_u16()];
    assert!(
        statuses.contains(&200) && statuses.contains(&204),
        "{statuses:?}"
    );
    let got: Value = if statuses[0] == 200 { r1 } else { r2 }
        .json()
        .await
        .unwrap();
    assert_eq!(got["id"].as_i64(), Some(id));

    // Agent uploads the stream and marks the job complete (PUT with status 1); completed
    // jobs cannot be updated again.
    let pcap = tiny_pcap();
    let mut done = got.clone();
    done["status"] = json!(1);
    done["fileExtension"] = json!("pcap");
    let stream = format!("/api/stream?jobId={id}");
    api.expect("POST", &stream, Body::Bytes(pcap.clone()), 200)
        .await;
    let v = api
        .expect("PUT", "/api/job/", Body::Json(done.clone()), 200)
        .await;
    assert_eq!(v["status"], 1);
    assert!(v["completeTime"].is_string());
    api.expect("PUT", "/api/job/", Body::Json(done), 409).await;

    // UI downloads the stream and reads packets.
    let r = api
        .send(
            "GET",
            &format!("/api/stream?jobId={id}&ext=pcap"),
            Body::None,
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/vnd.tcpdump.pcap");
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(&format!("outpost_sensor-1_{id}.pcap"))
    );
    assert_eq!(r.bytes().await.unwrap().to_vec(), pcap);
    let unwrap = format!("/api/stream?jobId={id}&unwrap=true");
    api.expect("GET", &unwrap, Body::None, 501).await;
    let packets = format!("/api/packets?jobId={id}&offset=0&count=10");
    let pk = api.expect("GET", &packets, Body::None, 200).await;
    assert_eq!(pk.as_array().unwrap().len(), 1);
    assert_eq!(pk[0]["type"], "TCP");
    assert_eq!(pk[0]["srcIp"], "10.0.0.1");
    assert_eq!(pk[0]["dstPort"], 80);
    assert_eq!(pk[0]["flags"], json!(["SYN"]));
    let too_many = format!("/api/packets?jobId={id}&count=999999");
    api.expect("GET", &too_many, Body::None, 400).await;

    // Grid and info.
    let grid = api.expect("GET", "/api/grid", Body::None, 200).await;
    assert_eq!(grid.as_array().unwrap().len(), 1);
    assert_eq!(grid[0]["id"], "sensor-1");
    assert_eq!(grid[0]["version"], "2.4.0");
    assert_eq!(grid[0]["connectionStatus"], "ok");
    let info = api.expect("GET", "/api/info", Body::None, 200).await;
    assert!(info["version"].is_string());

    // A failing job: PUT status 2 → Incomplete, retried later.
    let second = Body::Json(json!({"nodeId": "sensor-1"}));
    let id2 = api.expect("POST", "/api/job/", second, 201).await["id"]
        .as_i64()
        .unwrap();
    let j = api.expect("POST", "/api/node", checkin(), 200).await;
    assert_eq!(j["id"].as_i64(), Some(id2));
    let mut failed = j.clone();
    failed["status"] = json!(2);
    failed["failure"] = json!("No data available for the requested dates");
    let v = api
        .expect("PUT", "/api/job/", Body::Json(failed), 200)
        .await;
    assert_eq!(v["status"], 2);
    assert_eq!(v["failCount"], 1);
    assert_eq!(v["failure"], "No data available for the requested dates");
    // Retried after the backoff (50 ms in this test configuration).
    tokio::time::sleep(Duration::from_millis(120)).await;
    let j = api.expect("POST", "/api/node", checkin(), 200).await;
    assert_eq!(j["id"].as_i64(), Some(id2));

    // DELETE /api/job/{id}: Deleted, file removed.
    let v = api
        .expect("DELETE", &format!("/api/job/{id}"), Body::None, 200)
        .await;
    assert_eq!(v["status"], 3);
    assert!(!state.store().result_path(id).exists());
    api.expect("GET", &stream, Body::None, 404).await;

    // Everything above was audited.
    let log = state.store().audit_log(None, 1000).await.unwrap();
    for action in [
        "job.create",
        "job.claim",
        "job.update",
        "job.result.upload",
        "job.result.download",
        "job.delete",
        "job.list",
    ] {
        assert!(
            log.iter().any(|a| a.action == action && a.actor == "agent"),
            "missing {action}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn static_key_auth() {
    let (base, state, _t) = start(&[], "127.0.0.1:0").await;
    let c = client();
    for auth in [
        None,
        Some("wrong"),
        Some("Bearer wrong"),
        Some("Bearer"),
        Some(&KEY[..5]),
    ] {
        let mut r = c.get(format!("{base}/api/info"));
        if let Some(a) = auth {
            r = r.header("Authorization", a);
        }
        let r = r.send().await.unwrap();
        assert_eq!(r.status(), 401, "{auth:?}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"]["code"], "unauthorized");
    }
    for auth in [
        KEY.to_string(),
        format!("Bearer {KEY}"),
        format!("bearer  {KEY}"),
    ] {
        let r = c
            .get(format!("{base}/api/info"))
            .header("Authorization", auth.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{auth}");
    }
    let log = state.store().audit_log(None, 100).await.unwrap();
    assert!(
        log.iter()
            .any(|a| a.action == "compat.auth" && a.outcome == "denied")
    );
}

/// Without a key, a peer in `allowed` reads `/api/info` as `anonymous@<peer>`; with only
/// `other` ranges configured it is refused.
async fn anonymous_cidr(bind: &str, allowed: &[&str], other: &[&str], user: &str) {
    let info = |base: String| async move {
        client()
            .get(format!("{base}/api/info"))
            .send()
            .await
            .unwrap()
    };
    let (base, _s, _t) = start(allowed, bind).await;
    let r = info(base).await;
    assert_eq!(r.status(), 200, "{bind} {allowed:?}");
    assert_eq!(r.json::<Value>().await.unwrap()["userId"], user);
    let (base, _s, _t) = start(other, bind).await;
    assert_eq!(info(base).await.status(), 401, "{bind} {other:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_cidr_ipv4() {
    anonymous_cidr(
        "127.0.0.1:0",
        &["127.0.0.0/8"],
        &["10.0.0.0/8", "::1/128"],
        "anonymous@127.0.0.1",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_cidr_ipv6() {
    if !outpost_testkit::ipv6_loopback("anonymous_cidr_ipv6") {
        return;
    }
    anonymous_cidr(
        "[::1]:0",
        &["::1/128"],
        &["127.0.0.0/8", "fd00::/8"],
        "anonymous@::1",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_get_documented_errors() {
    let (base, _s, _t) = start(&[], "127.0.0.1:0").await;
    let api = Api { c: client(), base };
    let cases = [
        ("POST", "/api/node", "not json"),
        ("POST", "/api/node", "{\"id\":\"\"}"),
        ("POST", "/api/job/", "[1,2]"),
        ("POST", "/api/job/", "{\"nodeId\":\"\"}"),
        (
            "POST",
            "/api/job/",
            "{\"nodeId\":\"n\",\"filter\":{\"srcPort\":-1}}",
        ),
        ("PUT", "/api/job/", "{\"id\":1,\"status\":1}"),
        ("GET", "/api/job/?jobId=abc", ""),
        ("GET", "/api/job/", ""),
        ("GET", "/api/jobs/?parameters=%7Bbroken", ""),
        ("POST", "/api/stream?jobId=-1", "x"),
        ("GET", "/api/packets?jobId=1&offset=x", ""),
        ("DELETE", "/api/job/xyz", ""),
    ];
    for (m, path, body) in cases {
        let r = api.send(m, path, Body::Text(body.into())).await;
        let status = r.status().as_u16();
        assert!(matches!(status, 400 | 404), "{m} {path}: {status}");
        let v: Value = r.json().await.unwrap();
        assert!(
            v["error"]["code"].is_string() && v["error"]["message"].is_string(),
            "{m} {path}: {v}"
        );
    }
}
