//! The OpenAPI 3.1 document of `/api/v1`, served at `/api/v1/openapi.json` and, rendered as a
//! readable page, at `/api/v1/docs`. A test checks that it documents exactly the routes
//! [`crate::api_routes`] mounts (and the job API's); `docs/guide/src/reference/api.md` is
//! [`markdown`] of it (a drift test in `crates/outpost/tests/it/docs.rs` checks that).

use axum::http::header;
use axum::response::IntoResponse;
use serde_json::Value;

/// The document (JSON).
pub const DOCUMENT: &str = include_str!("../openapi.json");

pub async fn document() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT)
}

/// `GET /api/v1/docs`: the document as one HTML page.
pub async fn page() -> impl IntoResponse {
    static PAGE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        PAGE.get_or_init(html).as_str(),
    )
}

/// One block of the rendered reference.
enum Block {
    Heading(u8, String),
    /// Text with `code` spans (markdown-ish: backticks only).
    Para(String),
    Table(Vec<&'static str>, Vec<Vec<String>>),
}

fn model() -> Vec<Block> {
    let doc: Value = serde_json::from_str(DOCUMENT).unwrap_or(Value::Null);
    let mut out = Vec::new();
    let info = &doc["info"];
    out.push(Block::Para(text(&info["description"])));
    out.push(Block::Para(
        "Each operation: its method and path, who may call it, its parameters, the request body \
         and the responses. The schemas follow the operations. The machine-readable document is \
         `GET /api/v1/openapi.json`; a running server shows this page at `GET /api/v1/docs`."
            .into(),
    ));
    // Operations grouped by their first tag, in path order.
    let mut by_tag: std::collections::BTreeMap<String, Vec<(String, String, &Value)>> =
        Default::default();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, ops) in paths {
            let Some(ops) = ops.as_object() else { continue };
            for (method, op) in ops {
                let tag = op["tags"][0].as_str().unwrap_or("other").to_string();
                by_tag
                    .entry(tag)
                    .or_default()
                    .push((method.to_uppercase(), path.clone(), op));
            }
        }
    }
    out.push(Block::Heading(2, "Operations".into()));
    for (tag, ops) in &by_tag {
        out.push(Block::Heading(3, tag.clone()));
        for (method, path, op) in ops {
            out.push(Block::Heading(4, format!("`{method} {path}`")));
            let mut p = text(&op["summary"]);
            let d = text(&op["description"]);
            if !d.is_empty() {
                if !p.is_empty() {
                    p.push_str(". ");
                }
                p.push_str(&d);
            }
            if op["security"].as_array().is_some_and(|a| a.is_empty()) {
                p.push_str(" No credentials needed.");
            }
            out.push(Block::Para(p.trim().to_string()));
            if let Some(params) = op["parameters"].as_array().filter(|a| !a.is_empty()) {
                let rows = params
                    .iter()
                    .map(|q| {
                        vec![
                            format!("`{}`", text(&q["name"])),
                            text(&q["in"]),
                            if q["required"].as_bool() == Some(true) {
                                "yes".into()
                            } else {
                                "no".into()
                            },
                            type_of(&q["schema"]),
                            text(&q["description"]),
                        ]
                    })
                    .collect();
                out.push(Block::Table(
                    vec!["Parameter", "In", "Required", "Type", "Description"],
                    rows,
                ));
            }
            if let Some(content) = op["requestBody"]["content"].as_object() {
                for (mime, c) in content {
                    out.push(Block::Para(format!(
                        "Request body (`{mime}`): {}",
                        type_of(&c["schema"])
                    )));
                }
            }
            if let Some(responses) = op["responses"].as_object() {
                let rows = responses
                    .iter()
                    .map(|(code, r)| {
                        let body = r["content"]
                            .as_object()
                            .map(|c| {
                                c.iter()
                                    .map(|(mime, c)| {
                                        if c["schema"].is_null() {
                                            format!("`{mime}`")
                                        } else {
                                            format!("`{mime}` {}", type_of(&c["schema"]))
                                        }
                                    })
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            })
                            .unwrap_or_default();
                        vec![format!("`{code}`"), text(&r["description"]), body]
                    })
                    .collect();
                out.push(Block::Table(vec!["Status", "Meaning", "Body"], rows));
            }
        }
    }
    out.push(Block::Heading(2, "Schemas".into()));
    if let Some(schemas) = doc["components"]["schemas"].as_object() {
        for (name, s) in schemas {
            out.push(Block::Heading(3, name.clone()));
            let d = text(&s["description"]);
            if !d.is_empty() {
                out.push(Block::Para(d));
            }
            match s["properties"].as_object() {
                Some(props) => {
                    let required: Vec<&str> = s["required"]
                        .as_array()
                        .map(|a| a.iter().filter_map(Value::as_str).collect())
                        .unwrap_or_default();
                    let rows = props
                        .iter()
                        .map(|(k, v)| {
                            vec![
                                format!("`{k}`"),
                                type_of(v),
                                if required.contains(&k.as_str()) {
                                    "yes".into()
                                } else {
                                    "no".into()
                                },
                                text(&v["description"]),
                            ]
                        })
                        .collect();
                    out.push(Block::Table(
                        vec!["Field", "Type", "Required", "Description"],
                        rows,
                    ));
                }
                None => out.push(Block::Para(format!("Type: {}", type_of(s)))),
            }
        }
    }
    out
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().replace('\n', " ")
}

/// A short name of a schema's type: a `$ref`'s name, `array of X`, `string (date-time)`,
/// `one of A, B`, an enum's values.
fn type_of(s: &Value) -> String {
    if let Some(r) = s["$ref"].as_str() {
        return r.rsplit('/').next().unwrap_or(r).to_string();
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(a) = s[key].as_array() {
            let parts: Vec<String> = a.iter().map(type_of).collect();
            let word = if key == "allOf" { "all of" } else { "one of" };
            return format!("{word} {}", parts.join(", "));
        }
    }
    if let Some(e) = s["enum"].as_array() {
        let vals: Vec<String> = e.iter().map(|v| format!("`{v}`")).collect();
        return vals.join(" \\| ");
    }
    let ty = match &s["type"] {
        Value::String(t) => t.clone(),
        Value::Array(a) => a
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" or "),
        _ if s.get("properties").is_some() => "object".into(),
        _ => "any".into(),
    };
    let ty = if ty.starts_with("array") {
        ty.replacen("array", &format!("array of {}", type_of(&s["items"])), 1)
    } else {
        ty
    };
    match s["format"].as_str() {
        Some(f) => format!("{ty} ({f})"),
        None => ty,
    }
}

/// The reference as Markdown (`docs/guide/src/reference/api.md`).
pub fn markdown() -> String {
    let mut out = String::from(
        "<!-- Generated from crates/outpost-server/openapi.json, do not edit: run\n     \
         OUTPOST_BLESS=1 cargo nextest run --locked -p outpost --test it docs:: -->\n\n\
         # HTTP API reference\n\n",
    );
    for b in model() {
        match b {
            Block::Heading(n, t) => {
                out.push_str(&"#".repeat(usize::from(n)));
                out.push(' ');
                out.push_str(&t);
                out.push_str("\n\n");
            }
            Block::Para(t) => {
                out.push_str(&t);
                out.push_str("\n\n");
            }
            Block::Table(head, rows) => {
                out.push_str(&format!("| {} |\n", head.join(" | ")));
                out.push_str(&format!("|{}\n", " --- |".repeat(head.len())));
                for r in rows {
                    let cells: Vec<String> = r.iter().map(|c| c.replace('|', "\\|")).collect();
                    let cells: Vec<String> =
                        cells.iter().map(|c| c.replace("\\\\|", "\\|")).collect();
                    out.push_str(&format!("| {} |\n", cells.join(" | ")));
                }
                out.push('\n');
            }
        }
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// Escapes HTML and turns `code` spans into `<code>`.
fn inline_html(s: &str) -> String {
    let esc = s
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace("\\|", "|");
    let mut out = String::new();
    for (i, part) in esc.split('`').enumerate() {
        if i % 2 == 1 {
            out.push_str("<code>");
            out.push_str(part);
            out.push_str("</code>");
        } else {
            out.push_str(part);
        }
    }
    out
}

/// The reference as one HTML page (`GET /api/v1/docs`).
pub fn html() -> String {
    let mut out = String::from(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Outpost API reference</title><style>\
         body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;line-height:1.45;color:#1d2330}\
         table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{border:1px solid #ccd;padding:.25rem .5rem;text-align:left;vertical-align:top}\
         th{background:#eef}code{background:#f3f3f7;padding:0 .2rem}h4{margin-bottom:.2rem}\
         </style></head><body>\n<h1>Outpost API reference</h1>\n\
         <p><a href=\"/api/v1/openapi.json\">openapi.json</a></p>\n",
    );
    for b in model() {
        match b {
            Block::Heading(n, t) => {
                let id: String = t
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                    .collect();
                out.push_str(&format!(
                    "<h{n} id=\"{}\">{}</h{n}>\n",
                    id.trim_matches('-'),
                    inline_html(&t)
                ));
            }
            Block::Para(t) => out.push_str(&format!("<p>{}</p>\n", inline_html(&t))),
            Block::Table(head, rows) => {
                out.push_str("<table><tr>");
                for h in head {
                    out.push_str(&format!("<th>{h}</th>"));
                }
                out.push_str("</tr>\n");
                for r in rows {
                    out.push_str("<tr>");
                    for c in r {
                        out.push_str(&format!("<td>{}</td>", inline_html(&c)));
                    }
                    out.push_str("</tr>\n");
                }
                out.push_str("</table>\n");
            }
        }
    }
    out.push_str("</body></html>\n");
    out
}
