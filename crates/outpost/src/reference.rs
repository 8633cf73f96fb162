//! `outpost reference KIND` (hidden): prints the generated reference pages of the user guide
//! (`docs/guide/src/reference/`): the configuration keys from the configuration types' JSON
//! Schemas (doc comments are the descriptions), the CLI from clap, the HTTP API from the
//! OpenAPI document, the event schema with examples the real EVTX normalizer produced. The
//! drift tests (`crates/outpost/tests/it/docs.rs`) compare the committed pages with this
//! output; `OUTPOST_BLESS=1` makes them rewrite the pages.

use anyhow::{Context, Result, bail};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct ReferenceArgs {
    /// Which page: config, cli, api, events.
    pub kind: String,
    /// The EVTX samples the event examples are taken from (`events`).
    #[arg(long)]
    pub samples: Option<PathBuf>,
}

const REGENERATE: &str = "OUTPOST_BLESS=1 cargo nextest run --locked -p outpost --test it docs::";

fn header(title: &str, from: &str) -> String {
    format!("<!-- Generated from {from}, do not edit: run\n     {REGENERATE} -->\n\n# {title}\n\n")
}

pub fn run(a: ReferenceArgs, cli: clap::Command) -> Result<()> {
    let text = match a.kind.as_str() {
        "config" => config()?,
        "cli" => cli_reference(cli),
        "api" => outpost_server::openapi::markdown(),
        "events" => events(a.samples.as_deref().context("events needs --samples DIR")?)?,
        other => bail!("unknown reference {other:?}: config, cli, api or events"),
    };
    print!("{}", text.trim_end());
    println!();
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Configuration

fn config() -> Result<String> {
    let mut out = header(
        "Configuration reference",
        "the configuration types (crates/outpost-server/src/config.rs, crates/outpost-agent/src/config.rs and the types they use)",
    );
    out.push_str(
        "Every key of the server's `outpost.toml` (`outpost server --config FILE`) and the agent's \
         `agent.toml` (in its data directory), with its type, default and, where one exists, the \
         environment variable that overrides it (environment wins over the file). A key left \
         out keeps its default; an unknown key is an error that names it.\n\n",
    );
    let server = serde_json::to_value(schemars::schema_for!(outpost_server::config::ServerConfig))?;
    let env: BTreeMap<&str, &str> = outpost_server::config::ENV_VARS.iter().copied().collect();
    let mut w = Walk::new(&server, env.clone(), true);
    out.push_str("## Server: `outpost.toml`\n\n");
    w.section(&mut out, &[], &server, false, 0);
    let missing_env: Vec<&str> = env
        .keys()
        .filter(|k| !w.used_env.contains(**k as &str))
        .copied()
        .collect();
    let mut missing = w.missing;
    if !missing_env.is_empty() {
        bail!("ENV_VARS names keys that do not exist: {missing_env:?}");
    }
    let agent = serde_json::to_value(schemars::schema_for!(outpost_agent::config::AgentConfig))?;
    let mut w = Walk::new(&agent, BTreeMap::new(), true);
    out.push_str(
        "## Agent: `agent.toml`\n\n`outpost agent enroll` writes the identity keys; edit the \
         others by hand (the daemon reads the file at start). The agent has no environment \
         overrides of these keys; its data directory is `--data-dir` or `OUTPOST_AGENT_DIR` \
         (see the CLI reference).\n\n",
    );
    w.section(&mut out, &[], &agent, false, 0);
    missing.extend(w.missing);
    documented("configuration keys", &missing)?;
    Ok(out)
}

/// An error naming the `missing` ones of `what` (keys, fields) when a doc comment is missing.
fn documented(what: &str, missing: &[String]) -> Result<()> {
    if !missing.is_empty() {
        bail!(
            "{what} without a doc comment (add one to the field): {}",
            missing.join(", ")
        );
    }
    Ok(())
}

/// Walks a JSON Schema (schemars' draft 2020-12 output) into tables, one per TOML table.
struct Walk<'a> {
    defs: &'a Value,
    env: BTreeMap<&'static str, &'static str>,
    used_env: BTreeSet<String>,
    /// Keys without a description.
    missing: Vec<String>,
    /// Config (key, type, default, env) or schema (field, type) tables.
    config: bool,
}

impl<'a> Walk<'a> {
    fn new(root: &'a Value, env: BTreeMap<&'static str, &'static str>, config: bool) -> Self {
        Walk {
            defs: &root["$defs"],
            env,
            used_env: BTreeSet::new(),
            missing: Vec::new(),
            config,
        }
    }

    fn resolve<'b>(&self, s: &'b Value) -> &'b Value
    where
        'a: 'b,
    {
        let defs: &'a Value = self.defs;
        match s["$ref"].as_str() {
            Some(r) => &defs[r.rsplit('/').next().unwrap_or(r)],
            None => s,
        }
    }

    /// `Option<T>`: `anyOf [T, null]` or `type: [t, "null"]` → T.
    fn unwrap_option<'b>(&self, s: &'b Value) -> &'b Value
    where
        'a: 'b,
    {
        if let Some(a) = s["anyOf"].as_array()
            && a.len() == 2
            && let Some(other) = a.iter().find(|v| v["type"] != "null")
            && a.iter().any(|v| v["type"] == "null")
        {
            return other;
        }
        s
    }

    /// The properties of an object schema, its own and those of its `$ref` and `allOf`
    /// parts.
    fn properties(&self, s: &'a Value) -> Vec<(String, &'a Value)> {
        let mut out = Vec::new();
        if let Some(p) = s["properties"].as_object() {
            out.extend(p.iter().map(|(k, v)| (k.clone(), v)));
        }
        if s.get("$ref").is_some() {
            out.extend(self.properties(self.resolve(s)));
        }
        if let Some(all) = s["allOf"].as_array() {
            for part in all {
                out.extend(self.properties(part));
            }
        }
        out
    }

    fn is_table(&self, s: &'a Value) -> bool {
        let s = self.resolve(self.unwrap_option(s));
        s["properties"].is_object()
            || s["oneOf"]
                .as_array()
                .is_some_and(|v| self.object_variants(v))
    }

    fn object_variants(&self, v: &'a [Value]) -> bool {
        v.iter()
            .all(|x| !self.properties(x).is_empty() && x.get("const").is_none())
    }

    fn type_name(&self, s: &'a Value) -> String {
        let opt = self.unwrap_option(s);
        let s = self.resolve(opt);
        if let Some(vals) = s["enum"].as_array() {
            return vals
                .iter()
                .map(|v| format!("`{v}`"))
                .collect::<Vec<_>>()
                .join(" \\| ");
        }
        if let Some(c) = s.get("const") {
            return format!("`{c}`");
        }
        for k in ["oneOf", "anyOf"] {
            if let Some(v) = s[k].as_array() {
                let mut names: Vec<String> = Vec::new();
                for x in v {
                    let n = self.type_name(x);
                    if !names.contains(&n) {
                        names.push(n);
                    }
                }
                return names.join(" \\| ");
            }
        }
        let ty: Vec<&str> = match &s["type"] {
            Value::String(t) => vec![t.as_str()],
            Value::Array(a) => a
                .iter()
                .filter_map(Value::as_str)
                .filter(|t| *t != "null")
                .collect(),
            _ => vec![],
        };
        match ty.first().copied() {
            Some("array") => format!("array of {}", self.type_name(&s["items"])),
            Some("object") if s["additionalProperties"].is_object() => {
                format!("map of {}", self.type_name(&s["additionalProperties"]))
            }
            Some("object") => "table".into(),
            Some("integer") => match s["format"].as_str() {
                Some(f) if f.starts_with('u') => "integer (≥ 0)".into(),
                _ => "integer".into(),
            },
            Some("number") => "number".into(),
            Some(t) => match s["format"].as_str() {
                Some(f) => format!("{t} ({f})"),
                None => t.to_string(),
            },
            None => "any".into(),
        }
    }

    fn description(&self, s: &'a Value) -> String {
        let d = s["description"]
            .as_str()
            .or_else(|| self.unwrap_option(s)["description"].as_str())
            .unwrap_or_default();
        d.split("\n\n")
            .map(|p| p.replace('\n', " "))
            .collect::<Vec<_>>()
            .join(" ")
            .replace('|', "\\|")
    }

    fn default(s: &Value) -> String {
        match s.get("default") {
            None | Some(Value::Null) => String::new(),
            Some(Value::Object(_)) => String::new(),
            Some(Value::Array(a)) if a.iter().any(Value::is_object) => "(built in)".into(),
            Some(v) => format!("`{v}`").replace('|', "\\|"),
        }
    }

    /// One table: `path` is the TOML path of the table (empty: top level).
    fn section(
        &mut self,
        out: &mut String,
        path: &[String],
        s: &'a Value,
        array: bool,
        depth: usize,
    ) {
        let s = self.resolve(self.unwrap_option(s));
        let props = self.properties(s);
        let name = path.join(".");
        if !path.is_empty() {
            let head = if !self.config {
                format!("`{name}`")
            } else if array {
                format!("`[[{name}]]`")
            } else {
                format!("`[{name}]`")
            };
            let _ = writeln!(out, "{} {head}\n", "#".repeat((3 + depth).min(6)));
            let d = self.description(s);
            if !d.is_empty() {
                let _ = writeln!(out, "{d}\n");
            }
        }
        let mut subs: Vec<(Vec<String>, &'a Value, bool)> = Vec::new();
        if !props.is_empty() {
            if self.config {
                out.push_str("| Key | Type | Default | Environment | Description |\n| --- | --- | --- | --- | --- |\n");
            } else {
                out.push_str("| Field | Type | Description |\n| --- | --- | --- |\n");
            }
        }
        for (key, p) in &props {
            let mut kp = path.to_vec();
            kp.push(key.clone());
            let full = kp.join(".");
            let desc = self.description(p);
            if desc.is_empty() && !(key == "type" && p.get("const").is_some()) {
                self.missing.push(full.clone());
            }
            let inner = self.resolve(self.unwrap_option(p));
            let item = self.resolve(self.unwrap_option(&inner["items"]));
            let (ty, sub) = if self.is_table(p) {
                let t = if self.config {
                    format!("table, see [`[{full}]`](#{})", anchor(&format!("[{full}]")))
                } else {
                    format!("object, see [`{full}`](#{})", anchor(&full))
                };
                (t, Some((kp.clone(), inner, false)))
            } else if inner["type"] == "array" && self.is_table(&inner["items"]) {
                let t = if self.config {
                    format!(
                        "array of tables, see [`[[{full}]]`](#{})",
                        anchor(&format!("[[{full}]]"))
                    )
                } else {
                    format!("array of objects, see [`{full}`](#{})", anchor(&full))
                };
                (t, Some((kp.clone(), item, true)))
            } else {
                (self.type_name(p), None)
            };
            if let Some(sub) = sub {
                subs.push(sub);
            }
            if self.config {
                let env = match self.env.get(full.as_str()) {
                    Some(v) => {
                        self.used_env.insert(full.clone());
                        format!("`{v}`")
                    }
                    None => String::new(),
                };
                let _ = writeln!(
                    out,
                    "| `{key}` | {ty} | {} | {env} | {desc} |",
                    Self::default(p)
                );
            } else {
                let _ = writeln!(out, "| `{key}` | {ty} | {desc} |");
            }
        }
        if !props.is_empty() {
            out.push('\n');
        }
        // A flattened internally tagged enum (`[[outputs]]`' `type`): one table per variant.
        if let Some(vs) = s["oneOf"].as_array().filter(|v| self.object_variants(v)) {
            for v in vs {
                let vprops = self.properties(v);
                // Internally tagged (`type = "kafka"`) or externally tagged (one key).
                let tag = vprops
                    .iter()
                    .find_map(|(k, p)| p.get("const").map(|c| format!("{k} = {c}")))
                    .unwrap_or_else(|| {
                        let keys: Vec<&str> = vprops.iter().map(|(k, _)| k.as_str()).collect();
                        format!("{name}.{}", keys.join(", "))
                    });
                let _ = writeln!(out, "{} `{tag}`\n", "#".repeat((4 + depth).min(6)));
                let d = self.description(v);
                if !d.is_empty() {
                    let _ = writeln!(out, "{d}\n");
                }
                // The variant's keys, in the same TOML table.
                self.section_rows(out, path, &vprops, &mut subs, &d);
            }
        }
        if depth > 8 {
            return;
        }
        for (p, s, array) in subs {
            self.section(
                out,
                &p,
                s,
                array,
                depth + usize::from(!path.is_empty()).min(1),
            );
        }
    }

    /// The rows of a variant's keys (no sub-sections of their own beyond `subs`).
    fn section_rows(
        &mut self,
        out: &mut String,
        path: &[String],
        props: &[(String, &'a Value)],
        subs: &mut Vec<(Vec<String>, &'a Value, bool)>,
        variant_description: &str,
    ) {
        out.push_str("| Key | Type | Default | Environment | Description |\n| --- | --- | --- | --- | --- |\n");
        for (key, p) in props {
            let mut kp = path.to_vec();
            kp.push(key.clone());
            let full = kp.join(".");
            let mut desc = self.description(p);
            if desc.is_empty() && props.len() == 1 {
                desc = variant_description.to_string();
            }
            if desc.is_empty()
                && let Some(c) = p.get("const")
            {
                desc = format!("`{key} = {c}` selects this kind.");
            }
            if desc.is_empty() && p.get("const").is_none() {
                self.missing.push(full.clone());
            }
            let inner = self.resolve(self.unwrap_option(p));
            let ty = if self.is_table(p) {
                subs.push((kp.clone(), inner, false));
                format!("table, see [`[{full}]`](#{})", anchor(&format!("[{full}]")))
            } else if inner["type"] == "array" && self.is_table(&inner["items"]) {
                subs.push((
                    kp.clone(),
                    self.resolve(self.unwrap_option(&inner["items"])),
                    true,
                ));
                format!(
                    "array of tables, see [`[[{full}]]`](#{})",
                    anchor(&format!("[[{full}]]"))
                )
            } else {
                self.type_name(p)
            };
            let _ = writeln!(out, "| `{key}` | {ty} | {} |  | {desc} |", Self::default(p));
        }
        out.push('\n');
    }
}

/// mdBook's heading id of a heading whose text is `` `text` ``.
fn anchor(text: &str) -> String {
    text.chars()
        .filter_map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                Some(c.to_ascii_lowercase())
            } else if c == ' ' {
                Some('-')
            } else {
                None
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// CLI

/// Top-level commands (and `intel stix-match`) that only the full build has; the slim agent
/// (`--no-default-features`) has `agent` and `intel` without it.
const FULL_ONLY: &[&str] = &[
    "outpost server",
    "outpost up",
    "outpost tenant",
    "outpost key",
    "outpost user",
    "outpost hunt",
    "outpost job",
    "outpost intel stix-match",
];

fn cli_reference(mut root: clap::Command) -> String {
    root.build();
    let mut out = header(
        "CLI reference",
        "the `outpost` binary's clap definitions (crates/outpost/src)",
    );
    out.push_str(
        "Every command of the full `outpost` binary (Linux build). Commands marked *full build* \
         are not in the slim agent (`cargo build --no-default-features --features native-tls`). \
         Each option's environment variable, where it has one, is read when the option is not \
         given. `OUTPOST_LOG` sets the log filter (`tracing` EnvFilter syntax, e.g. \
         `debug` or `info,outpost_server=debug`; default `info`). `outpost COMMAND --help` \
         prints the same.\n\n",
    );
    let mut cmds = Vec::new();
    collect(&root, &mut cmds);
    // Contents.
    for c in &cmds {
        let name = c.get_bin_name().unwrap_or(c.get_name()).to_string();
        let depth = name.matches(' ').count();
        let _ = writeln!(
            out,
            "{}- [`{name}`](#{})",
            "  ".repeat(depth.saturating_sub(0)),
            anchor(&name)
        );
    }
    out.push('\n');
    for c in cmds {
        let name = c.get_bin_name().unwrap_or(c.get_name()).to_string();
        let full = FULL_ONLY
            .iter()
            .any(|f| name == *f || name.starts_with(&format!("{f} ")));
        let _ = writeln!(out, "## `{name}`\n");
        if full {
            out.push_str("*Full build.*\n\n");
        }
        if let Some(about) = c.get_long_about().or(c.get_about()) {
            let _ = writeln!(out, "{}\n", about.to_string().trim());
        }
        let mut c = c.clone();
        let usage = c.render_usage().to_string();
        let usage = usage.trim_start_matches("Usage: ").trim();
        let _ = writeln!(out, "```text\n{usage}\n```\n");
        let args: Vec<&clap::Arg> = c
            .get_arguments()
            .filter(|a| !a.is_hide_set())
            .filter(|a| !matches!(a.get_id().as_str(), "help" | "version"))
            .filter(|a| name == "outpost" || !a.is_global_set())
            .collect();
        if !args.is_empty() {
            out.push_str(
                "| Argument | Environment | Default | Description |\n| --- | --- | --- | --- |\n",
            );
            for a in args {
                let mut arg = String::new();
                if a.is_positional() {
                    let v = a
                        .get_value_names()
                        .and_then(|v| v.first().map(|s| s.to_string()))
                        .unwrap_or_else(|| a.get_id().to_string().to_uppercase());
                    arg = format!("<{v}>");
                } else {
                    if let Some(s) = a.get_short() {
                        let _ = write!(arg, "-{s}, ");
                    }
                    if let Some(l) = a.get_long() {
                        let _ = write!(arg, "--{l}");
                    }
                    if a.get_action().takes_values() {
                        let v = a
                            .get_value_names()
                            .map(|v| {
                                v.iter()
                                    .map(|s| s.to_string())
                                    .collect::<Vec<_>>()
                                    .join(" ")
                            })
                            .unwrap_or_else(|| a.get_id().to_string().to_uppercase());
                        let _ = write!(arg, " <{v}>");
                    }
                }
                let env = a
                    .get_env()
                    .map(|e| format!("`{}`", e.to_string_lossy()))
                    .unwrap_or_default();
                let default = a
                    .get_default_values()
                    .iter()
                    .map(|v| format!("`{}`", v.to_string_lossy()))
                    .collect::<Vec<_>>()
                    .join(", ");
                let help = a
                    .get_long_help()
                    .or(a.get_help())
                    .map(|h| h.to_string())
                    .unwrap_or_default()
                    .replace("\n\n", " ")
                    .replace('\n', " ");
                let values: Vec<String> = a
                    .get_possible_values()
                    .iter()
                    .filter(|v| !v.is_hide_set())
                    .map(|v| format!("`{}`", v.get_name()))
                    .collect();
                let mut help = help.trim().to_string();
                if !help.is_empty() && !help.ends_with(['.', ')', ':']) {
                    help.push('.');
                }
                if !values.is_empty() && a.get_action().takes_values() {
                    let _ = write!(help, " One of: {}.", values.join(", "));
                }
                if a.is_required_set() {
                    help.insert_str(0, "Required. ");
                }
                let _ = writeln!(
                    out,
                    "| `{}` | {env} | {default} | {} |",
                    arg.replace('|', "\\|"),
                    help.trim().replace('|', "\\|")
                );
            }
            out.push('\n');
        }
    }
    out
}

fn collect<'c>(c: &'c clap::Command, out: &mut Vec<&'c clap::Command>) {
    out.push(c);
    for s in c.get_subcommands() {
        if s.is_hide_set() || s.get_name() == "help" {
            continue;
        }
        collect(s, out);
    }
}

// ---------------------------------------------------------------------------------------
// Events

/// The examples: (title, channel, event id), each the first such record of the samples (in
/// path order) as the agent's normalizer turned it into an event.
const EXAMPLES: &[(&str, &str, u32)] = &[
    ("Process creation: Security 4688", "Security", 4688),
    (
        "Process creation: Sysmon 1",
        "Microsoft-Windows-Sysmon/Operational",
        1,
    ),
    ("Network connection: Security 5156 (WFP)", "Security", 5156),
    (
        "Network connection: Sysmon 3",
        "Microsoft-Windows-Sysmon/Operational",
        3,
    ),
    (
        "DNS query: Sysmon 22",
        "Microsoft-Windows-Sysmon/Operational",
        22,
    ),
];

fn evtx_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            evtx_files(&p, out)?;
        } else if p
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("evtx"))
        {
            out.push(p);
        }
    }
    Ok(())
}

fn events(samples: &Path) -> Result<String> {
    let mut out = header(
        "Event schema",
        "the `Event` and `HitRecord` types (crates/outpost-core) and the EVTX samples",
    );
    out.push_str(
        "Every collector and log reader turns what it sees into one normalized `Event`; \
         detection, correlation, telemetry (`POST /api/v1/events`) and the outputs all work on \
         it. A hit is an event (or several) that matched an indicator; the server stores it as \
         a hit record (`GET /api/v1/hits`, outputs of kind `hit`). Fields that are empty are \
         left out of the JSON.\n\n## Event\n\n",
    );
    let ev = serde_json::to_value(schemars::schema_for!(outpost_core::Event))?;
    let mut w = Walk::new(&ev, BTreeMap::new(), false);
    w.section(&mut out, &[], &ev, false, 0);
    out.push_str("## Hit record\n\n");
    let hit = serde_json::to_value(schemars::schema_for!(outpost_core::api::HitRecord))?;
    let mut w2 = Walk::new(&hit, BTreeMap::new(), false);
    w2.section(&mut out, &[], &hit, false, 0);
    out.push_str(
        "## Examples\n\nReal records of the EVTX samples (the \
         [EVTX-ATTACK-SAMPLES](https://github.com/sbousseaden/EVTX-ATTACK-SAMPLES) collection), as \
         `outpost agent ingest` normalizes them.\n\n",
    );
    let mut files = Vec::new();
    evtx_files(samples, &mut files)?;
    let mut found: BTreeMap<usize, (PathBuf, outpost_core::Event)> = BTreeMap::new();
    for f in &files {
        if found.len() == EXAMPLES.len() {
            break;
        }
        let mut sink = |e: outpost_core::Event| -> Result<(), outpost_oslog::SinkError> {
            if let Some(l) = &e.log {
                for (i, (_, ch, id)) in EXAMPLES.iter().enumerate() {
                    if l.channel == *ch && l.event_id == Some(*id) && !found.contains_key(&i) {
                        found.insert(i, (f.clone(), e.clone()));
                    }
                }
            }
            Ok(())
        };
        outpost_oslog::ingest_file(f, &Default::default(), &mut sink)
            .with_context(|| format!("reading {}", f.display()))?;
    }
    for (i, (title, _, _)) in EXAMPLES.iter().enumerate() {
        let Some((file, e)) = found.get(&i) else {
            bail!("no {title} record in {}", samples.display());
        };
        let rel = file.strip_prefix(samples).unwrap_or(file);
        let _ = writeln!(
            out,
            "### {title}\n\nFrom `{}`:\n\n```json\n{}\n```\n",
            rel.display(),
            serde_json::to_string_pretty(e)?
        );
    }
    let mut missing = w.missing;
    missing.extend(w2.missing);
    documented("event and hit fields", &missing)?;
    Ok(out)
}
