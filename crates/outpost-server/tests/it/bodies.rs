//! Property test of every request body: each `/api/v1` route that takes a body (taken from
//! `api_routes()`, so a new route is covered without editing this file) receives arbitrary
//! bytes and arbitrary JSON built from the API's own field names, from a staff key and from
//! a device token. Whatever arrives, the answer is never a 5xx and never a panic; every
//! refusal has the documented shape `{"error":{"code","message"}}`.

use crate::common;

use outpost_server::config::ServerConfig;
use outpost_store::{KeyKind, Store};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// Field names of the API's request bodies, so generated objects reach past the first check.
const FIELDS: &[&str] = &[
    "enrollment_key",
    "hostname",
    "os",
    "agent_version",
    "hotlist_version",
    "config_version",
    "counters",
    "interval_s",
    "wait_s",
    "batch_id",
    "tenant_id",
    "device_id",
    "hits",
    "remote_ip",
    "remote_port",
    "protocol",
    "process_name",
    "pid",
    "exe_path",
    "sha256",
    "first_seen_utc",
    "last_seen_utc",
    "hit_count",
    "sample_events",
    "state",
    "note",
    "expected_version",
    "rule_name",
    "subject",
    "on",
    "hours",
    "only",
    "expires_at",
    "reason",
    "username",
    "password",
    "role",
    "name",
    "kind",
    "config",
    "disabled",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,40}".prop_map(Value::String),
        prop_oneof![
            Just("acknowledged"),
            Just("new"),
            Just("false_positive"),
            Just("suppressed"),
            Just("admin"),
            Just("technician"),
            Just("customer"),
            Just("enrollment"),
            Just("10.0.0.1"),
            Just("::1"),
            Just("2026-12-01T00:00:00Z"),
            Just("tcp"),
            Just(""),
        ]
        .prop_map(|s| Value::String(s.to_string())),
    ];
    leaf.prop_recursive(3, 48, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((proptest::sample::select(FIELDS), inner), 0..10).prop_map(
                |kv| {
                    let mut m = Map::new();
                    for (k, v) in kv {
                        m.insert(k.to_string(), v);
                    }
                    Value::Object(m)
                }
            ),
        ]
    })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..512),
        json_value().prop_map(|v| serde_json::to_vec(&v).unwrap()),
        // Objects at the top level, as every body is.
        proptest::collection::vec((proptest::sample::select(FIELDS), json_value()), 0..12)
            .prop_map(|kv| {
                let m: Map<String, Value> =
                    kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
                serde_json::to_vec(&Value::Object(m)).unwrap()
            }),
    ]
}

struct World {
    app: axum::Router,
    admin: String,
    device_token: String,
    /// Ids to put into `{id}`, by the path's first segment.
    ids: Vec<(&'static str, String)>,
    routes: Vec<(&'static str, String)>,
    _dir: tempfile::TempDir,
}

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_sqlite_dir(dir.path()).await.unwrap();
    store.migrate().await.unwrap();
    let t = store.create_tenant("acme").await.unwrap();
    let (_, admin) = store.create_key(KeyKind::Admin, None, "").await.unwrap();
    let (spare_key, _) = store
        .create_key(KeyKind::Enrollment, Some(&t.id), "spare")
        .await
        .unwrap();
    let (dev, device_token) = store.create_device(&t.id, "h1", None, None).await.unwrap();
    let (spare_dev, _) = store.create_device(&t.id, "h2", None, None).await.unwrap();
    let cfg = ServerConfig {
        data_dir: dir.path().to_path_buf(),
        rate_limit_per_s: 0,
        login_rate_per_min: 0,
        ..Default::default()
    };
    let state = outpost_server::build_state(cfg, store.clone())
        .await
        .unwrap();
    let app = outpost_server::router(state);
    // One stored hit, so `/hits/{id}/…` reaches its body checks.
    let upload = json!({
        "batch_id": "b1", "tenant_id": t.id, "device_id": dev.id, "hostname": "h1",
        "agent_version": "t", "hotlist_version": "v",
        "hits": [{"remote_ip": "192.0.2.1", "remote_port": 443, "protocol": "tcp",
                  "process_name": "curl", "pid": 1, "exe_path": null, "sha256": null,
                  "first_seen_utc": "2026-12-01T00:00:00Z", "last_seen_utc": "2026-12-01T00:00:01Z",
                  "hit_count": 1, "sample_events": []}]
    });
    let (s, _) = send(
        &app,
        "POST",
        "/api/v1/hits",
        Some(&device_token),
        upload.to_string().into_bytes(),
    )
    .await;
    assert_eq!(s, 200);
    let (_, hits) = send(&app, "GET", "/api/v1/hits", Some(&admin), Vec::new()).await;
    let hit_id = hits["items"][0]["id"].to_string();
    let user = store
        .create_user(
            "spare-user",
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
            outpost_core::auth::Role::Technician,
            None,
        )
        .await
        .unwrap();
    World {
        app,
        admin,
        device_token,
        ids: vec![
            ("hits", hit_id),
            ("devices", spare_dev.id),
            ("keys", spare_key.id),
            ("users", user.id.to_string()),
            ("suppressions", "1".into()),
        ],
        routes: outpost_server::api_routes(),
        _dir: dir,
    }
}

async fn send(
    app: &axum::Router,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Vec<u8>,
) -> (u16, Value) {
    // Always a JSON content type, whatever the bytes.
    let r = common::request(app, method, uri, token, &[], Some(body)).await;
    let v = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
    (r.status.as_u16(), v)
}

fn concrete(w: &World, path: &str) -> String {
    let seg = path
        .trim_start_matches("/api/v1/")
        .split('/')
        .next()
        .unwrap_or("");
    let id = w
        .ids
        .iter()
        .find(|(s, _)| *s == seg)
        .map(|(_, id)| id.as_str())
        .unwrap_or("1");
    path.replace("{id}", id)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]
    #[test]
    fn every_body_route_answers_arbitrary_input_with_a_documented_error(b in body()) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let w = world().await;
            let mut checked = 0;
            for (method, path) in &w.routes {
                if !matches!(*method, "POST" | "PUT" | "PATCH") {
                    continue;
                }
                let uri = concrete(&w, path);
                for token in [Some(w.admin.as_str()), Some(w.device_token.as_str()), None] {
                    let (s, v) = send(&w.app, method, &uri, token, b.clone()).await;
                    assert!(s < 500, "{method} {uri}: {s} {v}");
                    if s >= 400 {
                        assert!(v["error"]["code"].is_string(), "{method} {uri}: {s} {v}");
                        assert!(
                            v["error"]["message"].as_str().is_some_and(|m| !m.is_empty()),
                            "{method} {uri}: {s} {v}"
                        );
                    }
                    checked += 1;
                }
            }
            // enroll, checkin, hits, state, suppressions, revoke, config, login, logout,
            // tenants, users, keys, rotate: every one of them was exercised.
            assert!(checked >= 13 * 3, "{checked}");
        });
    }
}
