//! `/joblookup?esid=ID` / `?ncid=COMMUNITY_ID`: pivot from an Elasticsearch/OpenSearch
//! document to a PCAP job. `GET` shows what would be created (a confirmation page, or JSON);
//! only `POST` creates the job, then redirects to the job's page — a GET link on another
//! site (cookie sessions need no CSRF header for GET) cannot create jobs.
//!
//! The id is sent as a JSON value inside an `ids` / `term` query built with `serde_json`; it is
//! never spliced into query text (Sensoroni's elastic module interpolated it into a string).

use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::{Extension, Json};
use chrono::{DateTime, Utc};
use outpost_core::auth::{Principal, Role};
use serde_json::{Value, json};

use super::v1::{actor, principal, target_tenant};
use super::{ApiError, Candidate, JobsState, QueryMap, ResolveError, query_map};
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

/// Where a lookup leads.
#[derive(Debug, Clone)]
enum Target {
    /// An enrolled Outpost device.
    Device { tenant: String, device_id: String },
    /// A Sensoroni-style sensor of the compatible API's tenant.
    Sensor { tenant: String, name: String },
    /// Several enrolled devices of one tenant match: the technician chooses.
    Choose {
        tenant: String,
        candidates: Vec<Candidate>,
    },
}

impl Target {
    fn tenant(&self) -> &str {
        match self {
            Target::Device { tenant, .. }
            | Target::Sensor { tenant, .. }
            | Target::Choose { tenant, .. } => tenant,
        }
    }
}

/// The job's target: where a pivot's `observer.name` leads for this caller.
///
/// * An enrolled Outpost device of that hostname (ASCII case ignored, full and short names
///   matched as [`crate::DeviceResolver::resolve`] says) → the job goes to its
///   device id in its tenant: the caller's tenant for customers, and for staff the `tenant_id`
///   they passed, or the one tenant that has such a device when they passed none. Several
///   active devices matching in that tenant (the same hostname enrolled twice, or different
///   full names for a short one) → [`Target::Choose`]: the caller must pick one.
/// * No such device → the name is a Sensoroni-style sensor. Sensors check in through the
///   compatible API, whose jobs all live in its one tenant (`compat.tenant_id`), so the job is
///   created there — if the caller may create jobs in that tenant (staff, or a customer of
///   that tenant) and did not ask for another one; otherwise `422 unknown_device`, rather
///   than a job nobody will ever claim. The message names the document's `observer.name`
///   to staff only: a customer may have looked up another tenant's document.
async fn resolve_target(
    st: &JobsState,
    p: &Principal,
    caller_tenant: Option<&str>,
    node: &str,
) -> Result<Target, ApiError> {
    if let Some(r) = &st.config().device_resolver {
        match r.resolve(caller_tenant, node).await {
            Ok(Some(d)) => {
                return Ok(Target::Device {
                    tenant: d.tenant_id,
                    device_id: d.device_id,
                });
            }
            Ok(None) => {}
            Err(ResolveError::AmbiguousName { candidates, .. })
                if candidates
                    .first()
                    .is_some_and(|c| candidates.iter().all(|o| o.tenant_id == c.tenant_id)) =>
            {
                let tenant = candidates
                    .first()
                    .map(|c| c.tenant_id.clone())
                    .unwrap_or_default();
                return Ok(Target::Choose { tenant, candidates });
            }
            Err(e @ (ResolveError::Ambiguous { .. } | ResolveError::AmbiguousName { .. })) => {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "ambiguous_device",
                    e.to_string(),
                ));
            }
            Err(e @ ResolveError::Backend(_)) => {
                tracing::error!(error = %e, "device resolution for /joblookup failed");
                return Err(ApiError::internal());
            }
        }
    }
    let compat = &st.config().compat.tenant_id;
    let may_use_compat = match caller_tenant {
        Some(t) => t == compat,
        None => p.is_staff(),
    };
    if may_use_compat {
        Ok(Target::Sensor {
            tenant: compat.clone(),
            name: node.to_string(),
        })
    } else if p.is_staff() {
        Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_device",
            format!(
                "observer.name {node:?} is not an enrolled device of this tenant, and Sensoroni \
                 sensors' jobs belong to another tenant"
            ),
        ))
    } else {
        Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_device",
            "the document's observer.name is not an enrolled device of your tenant",
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

/// What a lookup found: the document's flow and where its job would go.
struct Plan {
    node: String,
    filter: Filter,
    target: Target,
    /// The lookup's own parameters, URL-encoded (for the confirmation's POST).
    query: String,
}

/// Percent-encodes a query value (RFC 3986 unreserved characters stay).
fn encode(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Escapes text for HTML content and attribute values.
fn esc(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Where both `/joblookup` handlers start: the caller, the query and the lookup's [`plan`].
/// Extracting it authenticates, reads the query and plans, in that order (each failure
/// answers the request).
pub(super) struct Planned {
    p: Principal,
    q: QueryMap,
    plan: Plan,
}

impl FromRequestParts<JobsState> for Planned {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &JobsState) -> Result<Self, ApiError> {
        let p = principal(parts.extensions.get::<Principal>().cloned().map(Extension))?;
        let q = query_map(Query::<QueryMap>::from_request_parts(parts, st).await)?;
        let plan = plan(st, &p, &q).await?;
        Ok(Planned { p, q, plan })
    }
}

/// Everything a lookup does before creating anything: authorize, search the document, build
/// the filter, resolve the target (rejections audited).
async fn plan(st: &JobsState, p: &Principal, q: &QueryMap) -> Result<Plan, ApiError> {
    let requested = q
        .get("tenant_id")
        .map(String::as_str)
        .filter(|t| !t.is_empty());
    // Customers work in their own tenant; staff in the one they name, or (without one) in
    // the tenant of the device the document names.
    let caller_tenant = match p.role {
        Role::Device => return Err(ApiError::forbidden("devices cannot create jobs")),
        Role::Customer => Some(target_tenant(p, requested)?),
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
    let Some(http) = st.0.http.as_ref() else {
        // Built whenever `elastic` is configured (JobsState::new).
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "no Elasticsearch/OpenSearch client",
        ));
    };
    let mut req = http.post(&url).json(&body);
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
            &actor(p),
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
    let target = match resolve_target(st, p, caller_tenant.as_deref(), &pivot.node).await {
        Ok(t) => t,
        Err(e) => {
            // Customers' records leave out the name: the document may be another tenant's.
            let detail = if p.is_staff() {
                format!("observer.name={}: {}", pivot.node, e.code)
            } else {
                e.code.to_string()
            };
            st.audit(
                &actor(p),
                "job.lookup",
                caller_tenant.as_deref(),
                None,
                "rejected",
                Some(detail),
            )
            .await;
            return Err(e);
        }
    };
    if !policy.allows(p.role, target.tenant(), "pcap") {
        st.audit(
            &actor(p),
            "job.lookup",
            Some(target.tenant()),
            None,
            "denied",
            Some("kind=pcap".into()),
        )
        .await;
        return Err(kind_not_allowed());
    }
    let mut query = Vec::new();
    for k in ["esid", "ncid", "tenant_id", "time"] {
        if let Some(v) = q.get(k).filter(|v| !v.is_empty()) {
            query.push(format!("{k}={}", encode(v)));
        }
    }
    Ok(Plan {
        node: pivot.node,
        filter: pivot.filter,
        target,
        query: query.join("&"),
    })
}

fn wants_html(h: &HeaderMap) -> bool {
    h.get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

/// `GET /joblookup`: shows what the lookup found and the job it would create — an HTML
/// confirmation page for browsers (`Accept: text/html`), JSON otherwise. Creates nothing:
/// a GET is not protected against cross-site requests, so only `POST /joblookup` creates.
pub(super) async fn joblookup_preview(
    State(st): State<JobsState>,
    headers: HeaderMap,
    Planned { p, plan, .. }: Planned,
) -> Result<Response, ApiError> {
    st.audit(
        &actor(&p),
        "job.lookup",
        Some(plan.target.tenant()),
        None,
        "preview",
        None,
    )
    .await;
    let post = format!("/joblookup?{}", plan.query);
    if wants_html(&headers) {
        return Ok(Html(confirmation_page(&plan, &post)).into_response());
    }
    let target = match &plan.target {
        Target::Device { tenant, device_id } => {
            json!({"kind": "device", "tenant_id": tenant, "device_id": device_id})
        }
        Target::Sensor { tenant, name } => {
            json!({"kind": "sensor", "tenant_id": tenant, "name": name})
        }
        Target::Choose { tenant, candidates } => {
            json!({"kind": "choose", "tenant_id": tenant, "candidates": candidates})
        }
    };
    Ok(Json(json!({
        "observer_name": plan.node,
        "job_kind": "pcap",
        "filter": plan.filter,
        "target": target,
        "confirm": {"method": "POST", "url": post,
            "note": "POST this URL to create the job; with target kind \"choose\" add &device_id= one of the candidates"},
    }))
    .into_response())
}

fn confirmation_page(plan: &Plan, post: &str) -> String {
    let f = &plan.filter;
    let endpoint = |ip: &Option<String>, port: Option<u16>| {
        let ip = ip.as_deref().unwrap_or("any");
        match port {
            Some(p) => format!("{ip} port {p}"),
            None => ip.to_string(),
        }
    };
    let time = |t: Option<DateTime<Utc>>| t.map_or_else(|| "-".into(), |t| t.to_rfc3339());
    let mut body = format!(
        "<h1>Create a PCAP job?</h1>\n<dl class=\"kv\">\
         <dt>observer.name</dt><dd data-testid=\"observer\">{}</dd>\
         <dt>Flow</dt><dd>{} → {}</dd>\
         <dt>Window</dt><dd>{} – {}</dd>\
         <dt>Tenant</dt><dd>{}</dd>",
        esc(&plan.node),
        esc(&endpoint(&f.src_ip, f.src_port)),
        esc(&endpoint(&f.dst_ip, f.dst_port)),
        esc(&time(f.begin_time)),
        esc(&time(f.end_time)),
        esc(plan.target.tenant()),
    );
    match &plan.target {
        Target::Device { device_id, .. } => {
            body.push_str(&format!(
                "<dt>Device</dt><dd>{}</dd></dl>\n<button class=\"primary\" hx-post=\"{}\" \
                 data-testid=\"confirm\">Create PCAP job</button>\n",
                esc(device_id),
                esc(post)
            ));
        }
        Target::Sensor { name, .. } => {
            body.push_str(&format!(
                "<dt>Sensoroni sensor</dt><dd>{}</dd></dl>\n<p>No enrolled Outpost device has \
                 this name: the job goes to the Sensoroni sensor of that name.</p>\n\
                 <button class=\"primary\" hx-post=\"{}\" data-testid=\"confirm\">Create PCAP \
                 job</button>\n",
                esc(name),
                esc(post)
            ));
        }
        Target::Choose { candidates, .. } => {
            body.push_str(
                "</dl>\n<p role=\"alert\">Several enrolled devices carry this hostname. Outpost \
                 does not guess: choose the device the document's host is (and revoke the \
                 stale one).</p>\n<table><thead><tr><th>Hostname</th><th>Device</th>\
                 <th>Enrolled</th><th>Last seen</th><th></th></tr></thead><tbody>\n",
            );
            for c in candidates {
                let url = format!("{post}&device_id={}", encode(&c.device_id));
                body.push_str(&format!(
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><button \
                     hx-post=\"{}\" data-testid=\"choose\">Create PCAP job here</button></td></tr>\n",
                    esc(&c.hostname),
                    esc(&c.device_id),
                    esc(&c.enrolled_at.to_rfc3339()),
                    esc(&c.last_seen_at.map_or_else(|| "never".into(), |t| t.to_rfc3339())),
                    esc(&url),
                ));
            }
            body.push_str("</tbody></table>\n");
        }
    }
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>PCAP job from a document · Outpost</title>\
         <link rel=\"stylesheet\" href=\"/assets/app.css\">\
         <script src=\"/assets/htmx.min.js\" defer></script></head>\
         <body><main id=\"main\">\n{body}<p><a href=\"/ui/jobs\">Cancel</a></p></main></body></html>\n"
    )
}

/// `POST /joblookup`: creates the PCAP job the lookup describes and redirects to its page
/// (`303`, or `HX-Redirect` for htmx). When several devices match, `device_id` must name one
/// of them; a `device_id` that is not the target is refused.
pub(super) async fn joblookup_create(
    State(st): State<JobsState>,
    headers: HeaderMap,
    Planned { p, q, plan }: Planned,
) -> Result<Response, ApiError> {
    let chosen = q.get("device_id").filter(|d| !d.is_empty());
    let mismatch = |m: String| ApiError::new(StatusCode::CONFLICT, "ambiguous_device", m);
    let (tenant, device, sensor) = match (&plan.target, chosen) {
        (Target::Device { tenant, device_id }, None) => (tenant.clone(), device_id.clone(), false),
        (Target::Device { tenant, device_id }, Some(c)) if c == device_id => {
            (tenant.clone(), device_id.clone(), false)
        }
        (Target::Sensor { tenant, name }, None) => (tenant.clone(), name.clone(), true),
        (Target::Choose { tenant, candidates }, Some(c))
            if candidates.iter().any(|d| d.device_id == *c) =>
        {
            (tenant.clone(), c.clone(), false)
        }
        (Target::Choose { candidates, .. }, None) => {
            let e = ResolveError::AmbiguousName {
                hostname: plan.node.clone(),
                candidates: candidates.clone(),
            };
            st.audit(
                &actor(&p),
                "job.lookup",
                Some(plan.target.tenant()),
                None,
                "rejected",
                Some("ambiguous_device".into()),
            )
            .await;
            return Err(mismatch(e.to_string()));
        }
        (_, Some(_)) => {
            return Err(mismatch(
                "device_id is not a device this document's observer.name denotes".into(),
            ));
        }
    };
    let job = st
        .create_job_for(
            &actor(&p),
            &tenant,
            &device,
            "pcap",
            &plan.filter,
            None,
            sensor,
        )
        .await?;
    st.audit(
        &actor(&p),
        "job.lookup",
        Some(&tenant),
        Some(job.id),
        "ok",
        Some(format!(
            "observer.name={} {}={device}",
            plan.node,
            if sensor { "sensor" } else { "device" }
        )),
    )
    .await;
    let location = format!("{}{}", st.config().job_page_prefix, job.id);
    let loc = HeaderValue::from_str(&location).map_err(|_| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "bad job page prefix",
        )
    })?;
    let body = Json(json!({"job_id": job.id, "location": location}));
    let mut r = if headers.contains_key("hx-request") {
        let mut r = body.into_response();
        r.headers_mut().insert("hx-redirect", loc.clone());
        r
    } else {
        (StatusCode::SEE_OTHER, body).into_response()
    };
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
