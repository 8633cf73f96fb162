//! Property test of every request body: each `/api/v1` route that takes a body (taken from
//! `api_routes()`, so a new route is covered without editing this file) receives arbitrary
//! bytes and arbitrary JSON built from the API's own field names, from a staff key and from
//! a device token. Whatever arrives, the answer is never a 5xx and never a panic; every
//! refusal has the documented shape `{"error":{"code","message"}}`.

use crate::common;
use crate::common::World;

use outpost_testkit::json::JsonShape;
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
    outpost_testkit::json::json_value(JsonShape {
        text: ".{0,40}",
        strings: &[
            "acknowledged",
            "new",
            "false_positive",
            "suppressed",
            "admin",
            "technician",
            "customer",
            "enrollment",
            "10.0.0.1",
            "::1",
            "2026-12-01T00:00:00Z",
            "tcp",
            "",
        ],
        keys: FIELDS,
        key_pattern: None,
        depth: 3,
        size: 48,
        width: 10,
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

/// Ids to put into `{id}`, by the path's first segment.
type Ids = Vec<(&'static str, String)>;

/// Tenant acme with devices h1 and h2, one stored hit (so `/hits/{id}/…` reaches its body
/// checks) and a spare user; the ids of what the routes may address.
async fn world() -> (World, Ids) {
    let w = World::builder()
        .tenant("acme", &["h1", "h2"])
        .no_rate_limits()
        .build()
        .await;
    let (t, dev) = (w.a(), w.a().device());
    let upload = json!({
        "batch_id": "b1", "tenant_id": t.id, "device_id": dev.id, "hostname": "h1",
        "agent_version": "t", "hotlist_version": "v",
        "hits": [{"remote_ip": "192.0.2.1", "remote_port": 443, "protocol": "tcp",
                  "process_name": "curl", "pid": 1, "exe_path": null, "sha256": null,
                  "first_seen_utc": "2026-12-01T00:00:00Z", "last_seen_utc": "2026-12-01T00:00:01Z",
                  "hit_count": 1, "sample_events": []}]
    });
    let r = w
        .call("POST", "/api/v1/hits", Some(&dev.token), Some(upload))
        .await;
    assert_eq!(r.status, 200);
    let hits = w.call("GET", "/api/v1/hits", Some(&w.admin), None).await;
    let hit_id = hits.json()["items"][0]["id"].to_string();
    let user = w
        .store
        .create_user(
            "spare-user",
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
            outpost_core::auth::Role::Technician,
            None,
        )
        .await
        .unwrap();
    let ids = vec![
        ("hits", hit_id),
        ("devices", t.devices[1].id.clone()),
        ("keys", t.enroll_id.clone()),
        ("users", user.id.to_string()),
        ("suppressions", "1".into()),
    ];
    (w, ids)
}

fn concrete(ids: &Ids, path: &str) -> String {
    let seg = path
        .trim_start_matches("/api/v1/")
        .split('/')
        .next()
        .unwrap_or("");
    let id = ids
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
            let (w, ids) = world().await;
            let mut checked = 0;
            for (method, path) in &outpost_server::api_routes() {
                if !matches!(*method, "POST" | "PUT" | "PATCH") {
                    continue;
                }
                let uri = concrete(&ids, path);
                let device = w.a().device().token.as_str();
                for token in [Some(w.admin.as_str()), Some(device), None] {
                    // Always a JSON content type, whatever the bytes.
                    let r = common::request(&w.app, method, &uri, token, &[], Some(b.clone())).await;
                    let s = r.status.as_u16();
                    let v: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
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
