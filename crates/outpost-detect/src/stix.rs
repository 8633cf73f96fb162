//! The STIX engine: indicator patterns evaluated on events through `outpost-stix`.
//!
//! Each event is mapped to a STIX observation (`outpost_stix::observation_from_event`: process,
//! file, network-traffic, ipv4/ipv6-addr, domain-name, user-account…) and every compiled
//! indicator pattern is matched against it. A match becomes an indicator of engine `stix` and a
//! STIX `sighting` (JSON) linked to the indicator and, where the bundle has one, to its attack
//! model (intrusion-set → attack-pattern → indicator).
//!
//! Patterns are evaluated per event (one observation); patterns that need several observations
//! (`FOLLOWEDBY`, `REPEATS`, `WITHIN` across events) only match when a single event satisfies
//! them.

use crate::indicator::{Finding, Scored};
use crate::pipeline::Engine;
use crate::rules::Unsupported;
use chrono::Utc;
use outpost_core::Event;
use outpost_stix::model::Bundle;
use outpost_stix::{Pattern, StixObject};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

/// A sighting produced by the STIX engine, and its attack links (typed from here to the store).
pub use outpost_core::sighting::{AttackLink, StixSighting};

struct Compiled {
    /// The tenant whose events it matches (an attack model uploaded for one tenant); `None`
    /// for every tenant.
    tenant: Option<String>,
    /// Event sections (bit 0 process, 1 network, 2 file) that can yield an object the pattern
    /// refers to; `u8::MAX` when unknown (always evaluated).
    needs: u8,
    /// A condition every match needs, checked on the event before it is converted.
    pre: Prefilter,
    indicator: outpost_stix::Indicator,
    pattern: Pattern,
    attack_patterns: Vec<AttackLink>,
    intrusion_sets: Vec<AttackLink>,
}

/// STIX engine settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StixConfig {
    /// Indicator score of a match.
    pub score: i32,
    /// Skip indicators whose pattern is only simple IOCs (those belong in the IOC hotlists of
    /// the static engine).
    pub skip_simple_iocs: bool,
    /// Identity ids put in `where_sighted_refs`.
    pub where_sighted_refs: Vec<String>,
}

impl Default for StixConfig {
    fn default() -> Self {
        StixConfig {
            score: 70,
            skip_simple_iocs: false,
            where_sighted_refs: Vec::new(),
        }
    }
}

/// Compiled STIX indicators.
pub struct StixEngine {
    cfg: StixConfig,
    compiled: Vec<Compiled>,
}

impl std::fmt::Debug for StixEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StixEngine")
            .field("indicators", &self.compiled.len())
            .finish()
    }
}

impl StixEngine {
    /// Compiles every STIX indicator of a bundle. Indicators that cannot be used (not a STIX
    /// pattern, invalid pattern, revoked, skipped simple IOCs) are returned with the reason.
    pub fn from_bundle(bundle: &Bundle, cfg: StixConfig) -> (StixEngine, Vec<Unsupported>) {
        let mut engine = StixEngine {
            cfg,
            compiled: Vec::new(),
        };
        let skipped = engine.add_bundle(bundle, None);
        (engine, skipped)
    }

    /// Compiles the STIX indicators of another bundle into this engine; with `tenant` they
    /// match only that tenant's events (see [`StixEngine::sightings_for`]). Returns the
    /// indicators not used, with the reason.
    pub fn add_bundle(&mut self, bundle: &Bundle, tenant: Option<&str>) -> Vec<Unsupported> {
        let mut skipped = Vec::new();
        let now = Utc::now();
        let graph = outpost_stix::attack::attack_graph(bundle);
        let cfg = &self.cfg;
        for ind in bundle.indicators() {
            let un = |reason: String| Unsupported {
                file: "bundle".into(),
                rule_id: ind.common.id.clone(),
                reason,
            };
            if ind.common.revoked == Some(true) || ind.valid_until.is_some_and(|u| u <= now) {
                skipped.push(un("indicator is revoked or expired".into()));
                continue;
            }
            let pattern = match ind.compiled_pattern() {
                Ok(p) => p,
                Err(e) => {
                    skipped.push(un(format!("pattern not usable: {}", e.message)));
                    continue;
                }
            };
            if cfg.skip_simple_iocs && pattern.simple_iocs().is_some() {
                skipped.push(un(
                    "simple IOC pattern: evaluated by the static engine's IOC lookup".into(),
                ));
                continue;
            }
            let model = bundle.attack_model_in(&graph, &ind.common.id);
            let attack_patterns = model
                .attack_patterns
                .iter()
                .map(|a| attack_link(&a.common, &a.name, a.mitre_id()))
                .collect();
            let intrusion_sets = model
                .intrusion_sets
                .iter()
                .map(|i| attack_link(&i.common, &i.name, None))
                .collect();
            self.compiled.push(Compiled {
                tenant: tenant.map(str::to_string),
                needs: sections_needed(&ind.pattern),
                pre: Prefilter::of(&pattern),
                indicator: ind.clone(),
                pattern,
                attack_patterns,
                intrusion_sets,
            });
        }
        skipped
    }

    /// Number of compiled indicators.
    pub fn len(&self) -> usize {
        self.compiled.len()
    }

    /// True when no indicator is compiled.
    pub fn is_empty(&self) -> bool {
        self.compiled.is_empty()
    }

    /// Evaluates every indicator for every tenant on the event and returns the sightings.
    pub fn sightings(&self, e: &Event) -> Vec<StixSighting> {
        self.sightings_for(None, e)
    }

    /// Evaluates the indicators that apply to `tenant`'s events (every tenant's and its own;
    /// with `None`, only those of every tenant) and returns the sightings.
    pub fn sightings_for(&self, tenant: Option<&str>, e: &Event) -> Vec<StixSighting> {
        if self.compiled.is_empty() {
            return Vec::new();
        }
        let applies = |c: &Compiled| c.tenant.is_none() || c.tenant.as_deref() == tenant;
        let has = u8::from(e.process.is_some())
            | (u8::from(e.network.is_some()) << 1)
            | (u8::from(e.file.is_some()) << 2);
        if !self
            .compiled
            .iter()
            .any(|c| applies(c) && c.needs & has != 0 && c.pre.may_match(e))
        {
            return Vec::new();
        }
        let obs = [outpost_stix::observation_from_event(e)];
        let now = Utc::now();
        let mut out = Vec::new();
        for c in &self.compiled {
            if !applies(c)
                || c.needs & has == 0
                || !c.pre.may_match(e)
                || !c.indicator.is_valid_at(e.ts)
            {
                continue;
            }
            let Ok(Some(m)) = c.pattern.matches(&obs) else {
                continue;
            };
            let s = outpost_stix::sighting::sighting_for_match(
                &c.indicator,
                &obs,
                &m,
                &self.cfg.where_sighted_refs,
                now,
            );
            let observed = outpost_stix::sighting::observed_data_objects(&obs[0], now)
                .iter()
                .map(StixObject::to_json)
                .collect();
            out.push(StixSighting {
                indicator_id: c.indicator.common.id.clone(),
                indicator_name: c.indicator.name.clone().unwrap_or_default(),
                attack_patterns: c.attack_patterns.clone(),
                intrusion_sets: c.intrusion_sets.clone(),
                sighting: StixObject::Sighting(s).to_json(),
                observed,
            });
        }
        out
    }
}

/// A necessary condition of a single-observation pattern, read from its comparisons: a
/// `process:name` equality (any process object of the observation, so the event's process or
/// its parent) or a `network-traffic:dst_port` equality that every match requires. Converting
/// an event to a STIX observation is the engine's main cost; most events fail this check
/// first. Patterns without such a test (or with non-ASCII names) are always evaluated.
#[derive(Debug, Clone, Default)]
enum Prefilter {
    #[default]
    None,
    ProcessName(std::collections::HashSet<String>),
    DstPort(i64),
}

impl Prefilter {
    fn of(p: &Pattern) -> Prefilter {
        use outpost_stix::pattern::ast::{CompExpr, Literal, ObsExpr, PathStep, TestOp};
        let ObsExpr::Simple(c) = p.expr() else {
            return Prefilter::None;
        };
        let tests: Vec<&outpost_stix::pattern::ast::PropTest> = match c {
            CompExpr::Test(t) => vec![t],
            CompExpr::And(v) => v
                .iter()
                .filter_map(|x| match x {
                    CompExpr::Test(t) => Some(t),
                    _ => None,
                })
                .collect(),
            CompExpr::Or(_) => Vec::new(),
        };
        for t in tests {
            if t.negated || t.path.steps.len() != 1 {
                continue;
            }
            let PathStep::Key(k) = &t.path.steps[0] else {
                continue;
            };
            match (t.path.object_type.as_str(), k.as_str(), &t.op) {
                ("process", "name", TestOp::Eq(Literal::Str(v))) if v.is_ascii() => {
                    return Prefilter::ProcessName([v.clone()].into_iter().collect());
                }
                ("process", "name", TestOp::StrSet(set))
                    if set.values.iter().all(|v| v.is_ascii()) =>
                {
                    return Prefilter::ProcessName(set.values.iter().cloned().collect());
                }
                ("network-traffic", "dst_port", TestOp::Eq(Literal::Int(n))) => {
                    return Prefilter::DstPort(*n);
                }
                _ => {}
            }
        }
        Prefilter::None
    }

    fn may_match(&self, e: &Event) -> bool {
        match self {
            Prefilter::None => true,
            Prefilter::ProcessName(names) => {
                let own = e.process_name();
                let parent = e
                    .process
                    .as_ref()
                    .and_then(|p| p.parent.as_ref())
                    .and_then(|par| {
                        par.name.as_deref().or_else(|| {
                            par.exe
                                .as_deref()
                                .map(|x| x.rsplit(['/', '\\']).next().unwrap_or(x))
                        })
                    });
                [own, parent]
                    .into_iter()
                    .flatten()
                    .any(|n| !n.is_ascii() || names.contains(n))
            }
            Prefilter::DstPort(port) => e.network.as_ref().is_some_and(|n| {
                let dst = match n.direction {
                    outpost_core::Direction::Inbound => n.local_port,
                    _ => n.remote_port,
                };
                dst.map(i64::from) == Some(*port)
            }),
        }
    }
}

/// The link to the ATT&CK object `name` with the STIX id of `common`.
fn attack_link(
    common: &outpost_stix::model::Common,
    name: &str,
    mitre_id: Option<&str>,
) -> AttackLink {
    AttackLink {
        id: common.id.clone(),
        name: name.to_string(),
        mitre_id: mitre_id.map(String::from),
    }
}

/// Which event sections can produce the object types a pattern names. A comparison on an
/// object type absent from the observation is false, so an event without any of them cannot
/// match; unknown types make the pattern always evaluated.
fn sections_needed(pattern: &str) -> u8 {
    let mut needs = 0u8;
    let b = pattern.as_bytes();
    let mut in_str = false;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'\'' {
            in_str = !in_str;
        } else if !in_str && (c == b'[' || c == b'(' || c == b' ') {
            let start = i + 1;
            let mut j = start;
            while j < b.len()
                && (b[j].is_ascii_lowercase() || b[j].is_ascii_digit() || b[j] == b'-')
            {
                j += 1;
            }
            if j > start && j < b.len() && b[j] == b':' {
                needs |= match &pattern[start..j] {
                    "process" | "user-account" => 1,
                    "network-traffic" | "ipv4-addr" | "ipv6-addr" | "domain-name" | "mac-addr" => 2,
                    "file" | "directory" => 1 | 4,
                    _ => u8::MAX,
                };
            }
        }
        i += 1;
    }
    if needs == 0 { u8::MAX } else { needs }
}

impl Engine for StixEngine {
    fn eval_into(&self, e: &Event, out: &mut Scored) {
        self.eval_tenant_into(None, e, out);
    }
}

impl StixEngine {
    /// [`Engine::eval_into`] for one tenant's event (see [`StixEngine::sightings_for`]).
    pub fn eval_tenant_into(&self, tenant: Option<&str>, e: &Event, out: &mut Scored) {
        for s in self.sightings_for(tenant, e) {
            let mut extra: Vec<String> = s
                .attack_patterns
                .iter()
                .map(|a| match &a.mitre_id {
                    Some(m) => format!("{m} {}", a.name),
                    None => a.name.clone(),
                })
                .collect();
            extra.extend(
                s.intrusion_sets
                    .iter()
                    .map(|i| format!("intrusion-set {}", i.name)),
            );
            out.push(Finding {
                engine: "stix".into(),
                rule_name: s.indicator_id.clone(),
                indicator_type: "stix_pattern".into(),
                description: if s.indicator_name.is_empty() {
                    "STIX indicator pattern matched".into()
                } else {
                    format!("STIX indicator '{}' matched", s.indicator_name)
                },
                extra_info: extra.join("; "),
                score: self.cfg.score,
            });
            out.sightings.push(s);
        }
    }
}

/// The bundle files (path, modification time, length) and the digest of the other indicators
/// a STIX engine was built from.
/// A bundle file with its modification time and length.
type StixFile = (PathBuf, std::time::SystemTime, u64);
type StixSignature = (Vec<StixFile>, String);

/// The engine in use and what it was built from (to notice changes).
#[derive(Default)]
struct PatternsState {
    engine: Option<Arc<StixEngine>>,
    signature: Option<StixSignature>,
    /// Indicators not used, with the reason.
    skipped: Vec<Unsupported>,
    /// The bundles of the files (path, bundle JSON) as last loaded.
    file_bundles: Vec<(PathBuf, serde_json::Value)>,
    /// Rebuilds so far.
    generation: u64,
}

/// The STIX indicator patterns of a pipeline, rebuilt when their sources change: the bundle
/// files of a directory (every `*.json` below it) and indicators given by the caller (the
/// server's global intel feeds). Evaluating it evaluates the engine in use.
pub struct StixPatterns {
    dir: Option<PathBuf>,
    score: i32,
    state: RwLock<PatternsState>,
    /// Serializes reloads.
    reload: Mutex<()>,
}

impl std::fmt::Debug for StixPatterns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StixPatterns")
            .field("dir", &self.dir)
            .field("patterns", &self.engine().map(|e| e.len()))
            .finish()
    }
}

impl StixPatterns {
    /// No patterns yet; `dir` holds bundle files, a match scores `score`.
    pub fn new(dir: Option<PathBuf>, score: i32) -> StixPatterns {
        StixPatterns {
            dir,
            score,
            state: RwLock::new(PatternsState::default()),
            reload: Mutex::new(()),
        }
    }

    /// The compiled indicators in use, if any.
    pub fn engine(&self) -> Option<Arc<StixEngine>> {
        self.state
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .engine
            .clone()
    }

    /// The bundles of `dir`'s files as last loaded (path, bundle JSON): the server stores
    /// those holding an attack model as global models.
    pub fn file_bundles(&self) -> Vec<(PathBuf, serde_json::Value)> {
        self.state
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .file_bundles
            .clone()
    }

    /// How many times the engine was rebuilt (0: never loaded).
    pub fn generation(&self) -> u64 {
        self.state
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .generation
    }

    /// Indicators not used, with the reason.
    pub fn skipped(&self) -> Vec<Unsupported> {
        self.state
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .skipped
            .clone()
    }

    /// Rebuilds the engine when the bundle files or the other indicators changed (`digest`
    /// names the version of the latter; `objects` makes their STIX `indicator` objects, called
    /// only when rebuilding). Returns whether it rebuilt. On a broken bundle the engine in use
    /// stays and the error names the file.
    pub fn reload(
        &self,
        digest: &str,
        objects: impl FnOnce() -> Vec<serde_json::Value>,
    ) -> Result<bool, String> {
        self.reload_with(digest, objects, Vec::new)
    }

    /// Whether the engine in use was built from the bundle files there are now and from the
    /// other indicators of version `digest`: a caller whose indicators are costly to read (the
    /// server's stored attack models) asks this first and reads them only when it is not.
    pub fn is_current(&self, digest: &str) -> Result<bool, String> {
        let files = self.files()?;
        let st = self.state.read().unwrap_or_else(|p| p.into_inner());
        Ok(st
            .signature
            .as_ref()
            .is_some_and(|(f, d)| *f == files && d == digest))
    }

    /// The bundle files of `dir`, each with what tells a changed one.
    fn files(&self) -> Result<Vec<StixFile>, String> {
        match &self.dir {
            Some(d) => stix_files(d),
            None => Ok(Vec::new()),
        }
    }

    /// [`StixPatterns::reload`] with the attack models of the store as well (`digest` then
    /// names their version too; `models` is called only when rebuilding). A stored model that
    /// no longer reads is skipped (listed with the reason), never fatal: it was checked when
    /// it was stored.
    pub fn reload_with(
        &self,
        digest: &str,
        objects: impl FnOnce() -> Vec<serde_json::Value>,
        models: impl FnOnce() -> Vec<ModelBundle>,
    ) -> Result<bool, String> {
        let _one = self.reload.lock().unwrap_or_else(|p| p.into_inner());
        let signature = (self.files()?, digest.to_string());
        if self
            .state
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .signature
            .as_ref()
            == Some(&signature)
        {
            return Ok(false);
        }
        let (mut all, file_bundles) = bundle_objects(&signature.0)?;
        all.extend(objects());
        let n = all.len();
        let (bundle, _) = Bundle::from_json_lenient(&serde_json::json!({
            "type": "bundle",
            "id": "bundle--00000000-0000-4000-8000-000000000000",
            "objects": all,
        }))
        .map_err(|e| format!("combined STIX indicators: {e}"))?;
        let (mut engine, mut skipped) = StixEngine::from_bundle(
            &bundle,
            StixConfig {
                score: self.score,
                skip_simple_iocs: false,
                where_sighted_refs: Vec::new(),
            },
        );
        for m in models() {
            match Bundle::from_json_lenient(&m.bundle) {
                Ok((b, _)) => skipped.extend(engine.add_bundle(&b, m.tenant.as_deref())),
                Err(e) => skipped.push(Unsupported {
                    file: format!("attack model {}", m.name),
                    rule_id: String::new(),
                    reason: e.to_string(),
                }),
            }
        }
        for u in &skipped {
            tracing::warn!(indicator = %u.rule_id, reason = %u.reason, "STIX indicator not used");
        }
        tracing::info!(
            objects = n,
            patterns = engine.len(),
            skipped = skipped.len(),
            "STIX indicator patterns loaded"
        );
        let mut st = self.state.write().unwrap_or_else(|p| p.into_inner());
        st.engine = (!engine.is_empty()).then(|| Arc::new(engine));
        st.skipped = skipped;
        st.signature = Some(signature);
        st.file_bundles = file_bundles;
        st.generation += 1;
        Ok(true)
    }
}

impl Engine for StixPatterns {
    fn eval_into(&self, e: &Event, out: &mut Scored) {
        self.eval_tenant_into(None, e, out);
    }
}

impl StixPatterns {
    /// Evaluates the engine in use on one tenant's event (the indicators of every tenant and
    /// of the attack models stored for that tenant).
    pub fn eval_tenant_into(&self, tenant: Option<&str>, e: &Event, out: &mut Scored) {
        if let Some(engine) = self.engine() {
            engine.eval_tenant_into(tenant, e, out);
        }
    }
}

/// An attack model's bundle from the store, compiled beside the files and feeds: its
/// indicators match only `tenant`'s events, or every tenant's when `None`.
#[derive(Debug, Clone)]
pub struct ModelBundle {
    pub tenant: Option<String>,
    /// The model's name in logs and in the skipped list.
    pub name: String,
    pub bundle: serde_json::Value,
}

/// Objects and bundles of the files.
type FileObjects = (Vec<serde_json::Value>, Vec<(PathBuf, serde_json::Value)>);

/// The objects of bundle files, and each file's bundle; each must be a valid bundle on its
/// own, so that errors name it. Ids need not be UUIDs ([`outpost_stix::IdPolicy::Lenient`]):
/// each one that is not is logged as a warning naming the file.
fn bundle_objects(files: &[(PathBuf, std::time::SystemTime, u64)]) -> Result<FileObjects, String> {
    let mut objects = Vec::new();
    let mut bundles = Vec::new();
    for (path, _, _) in files {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let v: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| format!("{}: not JSON: {e}", path.display()))?;
        let (_, warnings) =
            Bundle::from_json_lenient(&v).map_err(|e| format!("{}: {e}", path.display()))?;
        for w in &warnings {
            tracing::warn!(file = %path.display(), "STIX id: {w}");
        }
        match v.get("objects").and_then(|o| o.as_array()) {
            Some(list) => objects.extend(list.iter().cloned()),
            None => objects.push(v.clone()),
        }
        bundles.push((path.clone(), v));
    }
    Ok((objects, bundles))
}

/// The STIX bundle files of a directory (recursive, `*.json`), sorted, with their
/// modification time and length.
fn stix_files(dir: &Path) -> Result<Vec<StixFile>, String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let rd = std::fs::read_dir(&d).map_err(|e| format!("{}: {e}", d.display()))?;
        for entry in rd {
            let entry = entry.map_err(|e| format!("{}: {e}", d.display()))?;
            let path = entry.path();
            let meta = entry
                .metadata()
                .map_err(|e| format!("{}: {e}", path.display()))?;
            if meta.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "json") {
                let mtime = meta.modified().unwrap_or(std::time::UNIX_EPOCH);
                out.push((path, mtime, meta.len()));
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use outpost_core::{EventKind, ProcessInfo};

    const BUNDLE: &str = r#"{
      "type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
      "objects": [
        {"type": "indicator", "spec_version": "2.1", "id": "indicator--1a2b3c4d-0000-4000-8000-000000000001",
         "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z",
         "name": "DNS tool with a long random label", "pattern_type": "stix",
         "pattern": "[process:name = 'dig' AND process:command_line MATCHES '[a-z0-9]{16,}\\\\.']",
         "valid_from": "2020-01-01T00:00:00Z"},
        {"type": "indicator", "spec_version": "2.1", "id": "indicator--1a2b3c4d-0000-4000-8000-000000000002",
         "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z",
         "name": "a sigma rule", "pattern_type": "sigma", "pattern": "title: x",
         "valid_from": "2020-01-01T00:00:00Z"},
        {"type": "attack-pattern", "spec_version": "2.1", "id": "attack-pattern--1a2b3c4d-0000-4000-8000-000000000003",
         "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "name": "DNS exfiltration",
         "external_references": [{"source_name": "mitre-attack", "external_id": "T1048.003"}]},
        {"type": "intrusion-set", "spec_version": "2.1", "id": "intrusion-set--1a2b3c4d-0000-4000-8000-000000000004",
         "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "name": "Blind RCE crew"},
        {"type": "relationship", "spec_version": "2.1", "id": "relationship--1a2b3c4d-0000-4000-8000-000000000005",
         "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "relationship_type": "indicates",
         "source_ref": "indicator--1a2b3c4d-0000-4000-8000-000000000001", "target_ref": "attack-pattern--1a2b3c4d-0000-4000-8000-000000000003"},
        {"type": "relationship", "spec_version": "2.1", "id": "relationship--1a2b3c4d-0000-4000-8000-000000000006",
         "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "relationship_type": "uses",
         "source_ref": "intrusion-set--1a2b3c4d-0000-4000-8000-000000000004", "target_ref": "attack-pattern--1a2b3c4d-0000-4000-8000-000000000003"}
      ]}"#;

    fn dig(arg: &str) -> Event {
        let mut e = Event::new(Utc::now(), EventKind::ProcessExec, "test");
        e.process = Some(std::sync::Arc::new(ProcessInfo {
            pid: 42,
            name: Some("dig".into()),
            exe: Some("/usr/bin/dig".into()),
            args: vec!["dig".into(), "+short".into(), arg.into()],
            ..Default::default()
        }));
        e
    }

    #[test]
    fn section_prefilter() {
        assert_eq!(sections_needed("[process:name = 'dig']"), 1);
        assert_eq!(
            sections_needed("[ipv4-addr:value = '1.2.3.4'] OR [file:name = 'a:b']"),
            2 | 1 | 4
        );
        assert_eq!(sections_needed("[x-custom:value = 1]"), u8::MAX);
        assert_eq!(
            sections_needed("[process:name = 'process:x' AND windows-registry-key:key = 'k']"),
            u8::MAX
        );
    }

    #[test]
    fn pattern_match_becomes_linked_sighting() {
        let bundle = Bundle::from_json_str(BUNDLE).expect("bundle");
        let (eng, skipped) = StixEngine::from_bundle(&bundle, StixConfig::default());
        assert_eq!(eng.len(), 1);
        assert_eq!(skipped.len(), 1);
        assert!(
            skipped[0].reason.contains("pattern not usable"),
            "{skipped:?}"
        );
        let hits = eng.sightings(&dig("ifjeow0234f90iwefo2odj.wat.lol"));
        assert_eq!(hits.len(), 1);
        let h = &hits[0];
        assert_eq!(h.sighting["type"], "sighting");
        assert_eq!(
            h.sighting["sighting_of_ref"],
            "indicator--1a2b3c4d-0000-4000-8000-000000000001"
        );
        assert_eq!(h.attack_patterns[0].mitre_id.as_deref(), Some("T1048.003"));
        assert_eq!(h.intrusion_sets[0].name, "Blind RCE crew");
        assert!(!h.observed.is_empty());
        assert!(eng.sightings(&dig("example.com")).is_empty());
        // The name prefilter: another process is not converted at all, and a parent named
        // dig still matches (any process object of the observation).
        let mut other = dig("ifjeow0234f90iwefo2odj.wat.lol");
        std::sync::Arc::make_mut(other.process.as_mut().unwrap()).name = Some("curl".into());
        assert!(eng.sightings(&other).is_empty());
        let c = &eng.compiled[0];
        assert!(!c.pre.may_match(&other));
        std::sync::Arc::make_mut(other.process.as_mut().unwrap()).parent =
            Some(outpost_core::ParentInfo {
                pid: 1,
                exe: Some("/usr/bin/dig".into()),
                ..Default::default()
            });
        assert!(c.pre.may_match(&other), "a parent named dig may match");
        let mut out = Scored::default();
        eng.eval_into(&dig("ifjeow0234f90iwefo2odj.wat.lol"), &mut out);
        assert_eq!(out.risk_score, 70);
        assert_eq!(out.sightings.len(), 1);
        assert!(out.indicators[0].extra_info.contains("T1048.003"));
    }
}
