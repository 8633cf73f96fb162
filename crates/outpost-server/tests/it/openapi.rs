//! The OpenAPI document lists exactly the routes the server mounts, and each documented
//! operation exists (answers something other than the router's "no such route").

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use std::collections::BTreeSet;
use tower::ServiceExt;

fn documented() -> BTreeSet<(String, String)> {
    let doc: serde_json::Value = serde_json::from_str(outpost_server::openapi::DOCUMENT).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut out = BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            out.insert((method.to_uppercase(), path.clone()));
        }
    }
    out
}

/// The job crate's `/api/v1` routes, mounted beside ours (from the table its router is built
/// from; its `/joblookup` and Sensoroni-compatible routes are outside `/api/v1` and not in the
/// document).
fn job_routes() -> BTreeSet<(String, String)> {
    outpost_jobs::v1_routes()
        .into_iter()
        .filter(|(_, p)| p.starts_with("/api/v1/"))
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect()
}

#[test]
fn document_matches_the_router() {
    let mounted: BTreeSet<(String, String)> = outpost_server::api_routes()
        .into_iter()
        .map(|(m, p)| (m.to_string(), p))
        .chain(job_routes())
        .collect();
    let doc = documented();
    let undocumented: Vec<_> = mounted.difference(&doc).collect();
    let unmounted: Vec<_> = doc.difference(&mounted).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from openapi.json: {undocumented:?}"
    );
    assert!(
        unmounted.is_empty(),
        "documented but not mounted: {unmounted:?}"
    );
    // Every referenced schema exists.
    let text = outpost_server::openapi::DOCUMENT;
    let doc: serde_json::Value = serde_json::from_str(text).unwrap();
    for part in text.split("\"#/components/schemas/").skip(1) {
        let name = &part[..part.find('"').unwrap()];
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "missing schema {name}"
        );
    }
}

#[tokio::test]
async fn every_documented_operation_is_routed_and_served() {
    let w = crate::common::World::builder().build().await;
    let app = &w.app;
    for (method, path) in documented() {
        let uri = path.replace("{id}", "1");
        let req = Request::builder()
            .method(method.as_str())
            .uri(&uri)
            .body(Body::empty())
            .unwrap();
        let resp = app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&body);
        assert_ne!(status.as_u16(), 405, "{method} {uri}: method not allowed");
        assert!(
            !text.contains("no such route"),
            "{method} {uri}: not routed"
        );
    }
    // And the document is served.
    let resp = app
        .clone()
        .oneshot(
            Request::get("/api/v1/openapi.json")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["info"]["title"], "Outpost API");
    // ... and as a readable page, every operation and schema on it.
    let resp = app
        .clone()
        .oneshot(Request::get("/api/v1/docs").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    let page = String::from_utf8_lossy(&body);
    let doc: serde_json::Value = serde_json::from_str(outpost_server::openapi::DOCUMENT).unwrap();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            let op = format!("<code>{} {path}</code>", method.to_uppercase());
            assert!(page.contains(&op), "{op} is not on /api/v1/docs");
        }
    }
    for name in doc["components"]["schemas"].as_object().unwrap().keys() {
        assert!(page.contains(&format!(">{name}</h3>")), "schema {name}");
    }
}
