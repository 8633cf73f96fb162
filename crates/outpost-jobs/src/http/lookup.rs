//! `GET /joblookup?esid=ID` / `?ncid=COMMUNITY_ID`: pivot from an Elasticsearch/OpenSearch
//! document to a PCAP job, then redirect to the job's page.
//!
//! The id is sent as a JSON value inside an `ids` / `term` query built with `serde_json`; it is
//! never spliced into query text (Sensoroni's elastic module interpolated it into a string).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use outpost_core::auth::{Principal, Role};
use serde_json::{Value, json};

use super::v1::{actor, principal, target_tenant};
use super::{ApiError, JobsState, QueryMap, ResolveError, query_map};
use crate::model::Filter;

/// A field by dotted path, either nested (`{"source":{"ip":…}}`) or flat (`{"source.ip":…}`).
fn field<'a>(doc: &'a Value, path: &str) -> Option<&'a Value> {
    if let Some(v) = doc.get(path) {
        return Some(v);
    }
    let mut cur = doc;
    for part in path.split('.') {
        cur = cur.get(part)?;
    }
    Some(cur)
}

fn field_str(doc: &Value, path: &str) -> Option<String> {
    match field(doc, path)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Array(a) => a.first().and_then(|v| v.as_str()).map(str::to_string),
        _ => None,
    }
}

fn field_port(doc: &Value, path: &str) -> Option<u16> {
    match field(doc, path)? {
        Value::Number(n) => n.as_u64().and_then(|v| u16::try_from(v).ok()),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// What a looked-up document yields.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Pivot {
    pub node: String,
    pub filter: Filter,
}

/// Builds the job's device and filter from an ECS document.
pub(crate) fn pivot_from_doc(
    doc: &Value,
    cfg: &super::ElasticConfig,
    default_time: Option<DateTime<Utc>>,
) -> Result<Pivot, String> {
    let node = field_str(doc, "observer.name").ok_or("document has no observer.name")?;
    let ts = field_str(doc, "@timestamp")
        .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
        .map(|t| t.with_timezone(&Utc))
        .or(default_time)
        .ok_or("document has no usable @timestamp")?;
    let src_ip = field_str(doc, "source.ip").ok_or("document has no source.ip")?;
    let dst_ip = field_str(doc, "destination.ip").ok_or("document has no destination.ip")?;
    // ECS event.duration is in nanoseconds.
    let duration = field(doc, "event.duration")
        .and_then(Value::as_u64)
        .map(std::time::Duration::from_nanos)
        .unwrap_or(cfg.default_duration);
    let widen = chrono::Duration::from_std(duration + cfg.time_shift)
        .map_err(|_| "duration out of range")?;
    let filter = Filter {
        begin_time: Some(ts - widen),
        end_time: Some(ts + widen),
        src_ip: Some(src_ip),
        src_port: field_port(doc, "source.port"),
        dst_ip: Some(dst_ip),
        dst_port: field_port(doc, "destination.port"),
        ..Filter::default()
    };
    filter.validate()?;
    Ok(Pivot { node, filter })
}

/// The search body for an `esid` or `ncid` lookup; values travel as JSON values.
pub(crate) fn search_body(esid: Option<&str>, ncid: Option<&str>) -> Option<Value> {
    if let Some(id) = esid {
        Some(
            json!({ "size": 1, "query": { "bool": { "filter": [ { "ids": { "values": [id] } } ] } } }),
        )
    } else {
        // `network.community_id` is a keyword in ECS templates; with dynamic mapping it is
        // text with a `.keyword` sub-field. Match either, exactly.
        ncid.map(|c| {
            json!({ "size": 1, "query": { "bool": { "filter": [ { "bool": {
                "should": [
                    { "term": { "network.community_id": c } },
                    { "term": { "network.community_id.keyword": c } }
                ],
                "minimum_should_match": 1
            } } ] } } })
        })
    }
}

/// The job's target: where a pivot's `observer.name` leads for this caller.
///
/// * An enrolled Outpost device of that hostname (ASCII case ignored, full and short names
///   matched as [`crate::DeviceResolver::resolve`] says) → the job goes to its
///   device id in its tenant: the caller's tenant for customers, and for staff the `tenant_id`
///   they passed, or the one tenant that has such a device when they passed none.
/// * No such device → the name is a Sensoroni-style sensor. Sensors check in through the
///   compatible API, whose jobs all live in its one tenant (`compat.tenant_id`), so the job is
///   created there — if the caller may create jobs in that tenant (staff, or a customer of
///   that tenant) and did not ask for another one; otherwise `422 unknown_device`, rather
///   than a job nobody will ever claim.
async fn resolve_target(
    st: &JobsState,
    p: &Principal,
    caller_tenant: Option<&str>,
    node: &str,
) -> Result<(String, String, &'static str), ApiError> {
    if let Some(r) = &st.config().device_resolver {
        match r.resolve(caller_tenant, node).await {
            Ok(Some(d)) => return Ok((d.tenant_id, d.device_id, "device")),
            Ok(None) => {}
            Err(e @ (ResolveError::Ambiguous { .. } | ResolveError::AmbiguousName { .. })) => {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "ambiguous_device",
                    e.to_string(),
                ));
            }
            Err(e @ ResolveError::Backend(_)) => {
                tracing::error!(error = %e, "device resolution for /joblookup failed");
                return Err(ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error",
                ));
            }
        }
    }
    let compat = &st.config().compat.tenant_id;
    let may_use_compat = match caller_tenant {
        Some(t) => t == compat,
        None => p.is_staff(),
    };
    if may_use_compat {
        Ok((compat.clone(), node.to_string(), "sensor"))
    } else {
        Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_device",
            format!(
                "observer.name {node:?} is not an enrolled device of this tenant, and Sensoroni \
                 sensors' jobs belong to another tenant"
            ),
        ))
    }
}

fn kind_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "kind_not_allowed",
        "pcap jobs are not allowed for this role/tenant",
    )
}

pub(super) async fn joblookup(
    State(st): State<JobsState>,
    p: Option<axum::Extension<Principal>>,
    q: Result<Query<QueryMap>, QueryRejection>,
) -> Result<Response, ApiError> {
    let p = principal(p)?;
    let q = query_map(q)?;
    let requested = q
        .get("tenant_id")
        .map(String::as_str)
        .filter(|t| !t.is_empty());
    // Customers work in their own tenant; staff in the one they name, or (without one) in
    // the tenant of the device the document names.
    let caller_tenant = match p.role {
        Role::Device => return Err(ApiError::forbidden("devices cannot create jobs")),
        Role::Customer => Some(target_tenant(&p, requested)?),
        Role::Admin | Role::Technician => requested.map(str::to_string),
    };
    let policy = &st.config().policy;
    if caller_tenant
        .as_deref()
        .is_some_and(|t| !policy.allows(p.role, t, "pcap"))
        || !policy.role_allows(p.role, "pcap")
    {
        return Err(kind_not_allowed());
    }
    let esid = q.get("esid").filter(|s| !s.is_empty());
    let ncid = q.get("ncid").filter(|s| !s.is_empty());
    for v in [esid, ncid].into_iter().flatten() {
        if v.len() > 512 {
            return Err(ApiError::bad_request("id too long"));
        }
    }
    let body = search_body(esid.map(String::as_str), ncid.map(String::as_str))
        .ok_or_else(|| ApiError::bad_request("esid or ncid is required"))?;
    let es = st.config().elastic.clone().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "no Elasticsearch/OpenSearch configured",
        )
    })?;
    let time = match q.get("time") {
        Some(t) => Some(
            DateTime::parse_from_rfc3339(t)
                .map_err(|_| ApiError::bad_request("time must be RFC 3339"))?
                .with_timezone(&Utc),
        ),
        None => None,
    };
    let index: String = es
        .index
        .chars()
        .filter(|c| !matches!(c, '/' | '?' | '#' | ' '))
        .collect();
    let url = format!("{}/{}/_search", es.url.trim_end_matches('/'), index);
    let mut req = st.0.http.post(&url).json(&body);
    if let Some(u) = &es.username {
        req = req.basic_auth(u, es.password.as_deref());
    }
    let bad_gateway = |m: String| ApiError::new(StatusCode::BAD_GATEWAY, "upstream_error", m);
    let resp = req
        .send()
        .await
        .map_err(|e| bad_gateway(format!("search request failed: {}", e.without_url())))?;
    if !resp.status().is_success() {
        return Err(bad_gateway(format!("search answered {}", resp.status())));
    }
    let v: Value = resp
        .json()
        .await
        .map_err(|e| bad_gateway(format!("search answer unreadable: {}", e.without_url())))?;
    let Some(doc) = v.pointer("/hits/hits/0/_source") else {
        st.audit(
            &actor(&p),
            "job.lookup",
            caller_tenant.as_deref(),
            None,
            "not_found",
            None,
        )
        .await;
        return Err(ApiError::not_found("no document matches"));
    };
    let pivot = pivot_from_doc(doc, &es, time)
        .map_err(|m| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "incomplete_document", m))?;
    let (tenant, device, target_kind) =
        match resolve_target(&st, &p, caller_tenant.as_deref(), &pivot.node).await {
            Ok(t) => t,
            Err(e) => {
                st.audit(
                    &actor(&p),
                    "job.lookup",
                    caller_tenant.as_deref(),
                    None,
                    "rejected",
                    Some(format!("observer.name={}: {}", pivot.node, e.code)),
                )
                .await;
                return Err(e);
            }
        };
    if !policy.allows(p.role, &tenant, "pcap") {
        st.audit(
            &actor(&p),
            "job.lookup",
            Some(&tenant),
            None,
            "denied",
            Some("kind=pcap".into()),
        )
        .await;
        return Err(kind_not_allowed());
    }
    let job = st
        .create_job(&actor(&p), &tenant, &device, "pcap", &pivot.filter, None)
        .await?;
    st.audit(
        &actor(&p),
        "job.lookup",
        Some(&tenant),
        Some(job.id),
        "ok",
        Some(format!(
            "observer.name={} {target_kind}={device}",
            pivot.node
        )),
    )
    .await;
    let location = format!("{}{}", st.config().job_page_prefix, job.id);
    let mut r = StatusCode::FOUND.into_response();
    let loc = HeaderValue::from_str(&location).map_err(|_| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "bad job page prefix",
        )
    })?;
    r.headers_mut().insert(header::LOCATION, loc);
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pivot_reads_nested_and_flat_ecs() {
        let cfg = crate::http::ElasticConfig::new("http://127.0.0.1:1", "x");
        let doc = json!({"@timestamp":"2026-01-01T00:00:00Z","observer":{"name":"sensor-1"},
            "source":{"ip":"10.0.0.1","port":1234},"destination.ip":"10.0.0.2","destination.port":"80"});
        let p = pivot_from_doc(&doc, &cfg, None).unwrap();
        assert_eq!(p.node, "sensor-1");
        assert_eq!(p.filter.src_port, Some(1234));
        assert_eq!(p.filter.dst_port, Some(80));
        assert_eq!(p.filter.dst_ip.as_deref(), Some("10.0.0.2"));
        let b = p.filter.begin_time.unwrap();
        assert_eq!(
            (p.filter.end_time.unwrap() - b).num_seconds(),
            2 * (1800 + 120)
        );
        assert!(pivot_from_doc(&json!({"observer":{"name":"x"}}), &cfg, None).is_err());
    }

    #[test]
    fn ids_travel_as_values() {
        let hostile = r#"x"}}],"must_not":[{"match_all":{}}]}}"#;
        let b = search_body(Some(hostile), None).unwrap();
        assert_eq!(
            b.pointer("/query/bool/filter/0/ids/values/0")
                .and_then(Value::as_str),
            Some(hostile)
        );
        let b = search_body(None, Some("1:abc")).unwrap();
        assert_eq!(
            b["query"]["bool"]["filter"][0]["bool"]["should"][1]["term"]["network.community_id.keyword"],
            "1:abc"
        );
    }
}
