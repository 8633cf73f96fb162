//! Property tests: arbitrary request bodies never panic the handlers and always get either
//! success or the documented error shape with a 4xx status (never a 5xx).

use crate::common;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use common::{inject_principal, quick_cfg, sqlite_store};
use outpost_jobs::{JobsState, compat_router, v1_router};
use outpost_testkit::json::JsonShape;
use proptest::prelude::*;
use serde_json::Value;
use tower::ServiceExt;

fn json_value() -> impl Strategy<Value = Value> {
    outpost_testkit::json::json_value(JsonShape {
        text: "[a-zA-Z0-9:./ -]{0,12}",
        strings: &["2024-01-01T00:00:00Z", "127.0.0.1", "pcap"],
        keys: &[
            "id",
            "kind",
            "device_id",
            "tenant_id",
            "filter",
            "beginTime",
            "endTime",
            "srcIp",
            "srcPort",
            "dstIp",
            "dstPort",
            "parameters",
            "status",
            "lease_id",
            "nodeId",
            "sensorId",
            "max_attempts",
            "failure",
            "permanent",
            "epochTime",
            "x",
        ],
        key_pattern: None,
        depth: 3,
        size: 24,
        width: 6,
    })
}

fn body_strategy() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        json_value().prop_map(|v| v.to_string().into_bytes()),
        prop::collection::vec(any::<u8>(), 0..64),
    ]
}

struct Apps {
    v1: Router,
    compat: Router,
    _t: common::TestStore,
    rt: tokio::runtime::Runtime,
}

fn apps() -> Apps {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let t = rt.block_on(sqlite_store(quick_cfg));
    let state = JobsState::new(t.store.clone(), common::pcap_compat("k", "s")).unwrap();
    let v1 = v1_router(state.clone()).layer(axum::middleware::from_fn(inject_principal));
    let compat = compat_router(state);
    Apps {
        v1,
        compat,
        _t: t,
        rt,
    }
}

fn check(
    app: &Router,
    rt: &tokio::runtime::Runtime,
    req: Request<Body>,
) -> Result<(), TestCaseError> {
    let resp = rt.block_on(app.clone().oneshot(req)).unwrap();
    let status = resp.status().as_u16();
    let bytes = rt
        .block_on(axum::body::to_bytes(resp.into_body(), 1 << 20))
        .unwrap();
    prop_assert!(
        status < 500,
        "server error {status}: {}",
        String::from_utf8_lossy(&bytes)
    );
    if status >= 400 {
        let v: Value = serde_json::from_slice(&bytes)
            .map_err(|e| TestCaseError::fail(format!("{status}: not JSON: {e}")))?;
        prop_assert!(
            v["error"]["code"].is_string() && v["error"]["message"].is_string(),
            "{v}"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn v1_bodies_never_panic(body in body_strategy(), who in 0usize..3) {
        let a = apps();
        let principal = ["admin:root:", "customer:alice:ta", "device:a1:ta"][who];
        for (m, uri) in [("POST", "/api/v1/jobs"), ("POST", "/api/v1/agent/jobs/1001")] {
            let req = Request::builder().method(m).uri(uri).header("x-test-principal", principal)
                .header("content-type", "application/json").body(Body::from(body.clone())).unwrap();
            check(&a.v1, &a.rt, req)?;
        }
    }

    #[test]
    fn compat_bodies_never_panic(body in body_strategy()) {
        let a = apps();
        for (m, uri) in [("POST", "/api/node"), ("POST", "/api/job/"), ("PUT", "/api/job/")] {
            let req = Request::builder().method(m).uri(uri).header("authorization", "k")
                .body(Body::from(body.clone())).unwrap();
            check(&a.compat, &a.rt, req)?;
        }
    }

    #[test]
    fn query_strings_never_panic(q in "[a-zA-Z0-9=&%._-]{0,40}") {
        let a = apps();
        for uri in [format!("/api/v1/jobs?{q}"), format!("/api/v1/agent/jobs/next?wait=0&{q}")] {
            let req = Request::builder().uri(uri).header("x-test-principal", "customer:alice:ta").body(Body::empty()).unwrap();
            check(&a.v1, &a.rt, req)?;
        }
        for uri in [format!("/api/job/?{q}"), format!("/api/jobs/?{q}"), format!("/api/packets?{q}"), format!("/api/stream?{q}")] {
            let req = Request::builder().uri(uri).header("authorization", "k").body(Body::empty()).unwrap();
            check(&a.compat, &a.rt, req)?;
        }
    }
}
