//! `outpost intel stix-match`: match a STIX pattern against observed data from a file.
//!
//! Exit codes: 0 match, 1 no match, 2 error (invalid pattern, unreadable or invalid data).
//!
//! With `--sighting`, a match prints the STIX 2.1 bundle it yields instead of the result line:
//! the indicator (the pattern, or `--indicator-id`), an `identity` for the device and/or tenant
//! it was sighted on, the `sighting` (`sighting_of_ref` the indicator, `observed_data_refs` the
//! bound observations, first/last seen, count, `where_sighted_refs` the identities) and the
//! observed-data with their observables. The bundle imports back with `Bundle::from_json`.

use crate::model::{Common, Indicator};
use crate::observation::{Observation, observations_from_json};
use crate::pattern::{Pattern, PatternMatch};
use crate::sighting::{sighting_bundle, stable_id, where_sighted_identity};
use anyhow::Context;
use chrono::{DateTime, SubsecRound, Utc};
use serde_json::{Value, json};
use std::io::Write;
use std::path::PathBuf;

/// Arguments of `stix-match`.
#[derive(Debug, Clone, clap::Args)]
pub struct StixMatchArgs {
    /// The STIX 2.1 pattern, e.g. "[ipv4-addr:value = '198.51.100.3']".
    #[arg(long, short = 'p')]
    pub pattern: String,
    /// JSON file: an observed-data object, a list of them, or a bundle (or a list of bundles).
    #[arg(long, short = 'o')]
    pub observed: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
    /// On a match, print the STIX 2.1 bundle with the sighting (see the module docs).
    #[arg(long)]
    pub sighting: bool,
    /// Id of the indicator the pattern belongs to (default: derived from the pattern).
    #[arg(long, value_name = "ID")]
    pub indicator_id: Option<String>,
    /// Name of the indicator in the sighting bundle.
    #[arg(long)]
    pub name: Option<String>,
    /// Device the observations come from (an `identity` of class `system`); default: this
    /// host's name when no `--tenant` is given either.
    #[arg(long)]
    pub device: Option<String>,
    /// Tenant the device belongs to (an `identity` of class `organization`).
    #[arg(long)]
    pub tenant: Option<String>,
}

/// This host's name, for `where_sighted_refs` when none is given.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// The sighting bundle of a match, as JSON.
fn sighting_json(
    args: &StixMatchArgs,
    observations: &[Observation],
    m: &PatternMatch,
    now: DateTime<Utc>,
) -> anyhow::Result<Value> {
    let id = match &args.indicator_id {
        Some(id) => {
            if !id.starts_with("indicator--") {
                anyhow::bail!("--indicator-id {id:?} is not an indicator id (indicator--<uuid>)");
            }
            id.clone()
        }
        None => stable_id("indicator", &[&args.pattern]),
    };
    let valid_from = m
        .observations
        .iter()
        .filter_map(|&i| observations.get(i))
        .map(|o| o.first_observed)
        .min()
        .unwrap_or(now);
    let indicator = Indicator {
        common: Common {
            id,
            spec_version: Some("2.1".into()),
            created: Some(now),
            modified: Some(now),
            ..Default::default()
        },
        name: args.name.clone(),
        description: None,
        indicator_types: Vec::new(),
        pattern: args.pattern.clone(),
        pattern_type: "stix".into(),
        pattern_version: Some("2.1".into()),
        valid_from,
        valid_until: None,
        kill_chain_phases: Vec::new(),
    };
    let mut where_sighted = Vec::new();
    let device = match (&args.device, &args.tenant) {
        (Some(d), _) => Some(d.clone()),
        (None, None) => Some(host_name()),
        (None, Some(_)) => None,
    };
    if let Some(d) = device {
        where_sighted.push(where_sighted_identity(&d, "system", now));
    }
    if let Some(t) = &args.tenant {
        where_sighted.push(where_sighted_identity(t, "organization", now));
    }
    Ok(sighting_bundle(&indicator, observations, m, &where_sighted, now).to_json())
}

/// Runs `stix-match`, printing the result to stdout. Returns the process exit code.
pub fn run_stix_match(args: &StixMatchArgs) -> anyhow::Result<i32> {
    let mut out = std::io::stdout().lock();
    run_to(args, &mut out)
}

/// [`run_stix_match`] writing to any output (for tests and embedding).
pub fn run_to(args: &StixMatchArgs, out: &mut dyn Write) -> anyhow::Result<i32> {
    let result = evaluate(args);
    match result {
        Ok((matched, observations, ids, Some(bundle))) if matched => {
            writeln!(out, "{}", serde_json::to_string_pretty(&bundle)?)?;
            let _ = (observations, ids);
            Ok(0)
        }
        Ok((matched, observations, ids, _)) => {
            if args.json {
                let v = json!({
                    "result": if matched { "match" } else { "no-match" },
                    "pattern": args.pattern,
                    "observations": observations,
                    "matched_observed_data": ids,
                });
                writeln!(out, "{v}")?;
            } else if matched {
                writeln!(
                    out,
                    "MATCH: {} ({} of {observations} observations: {})",
                    args.pattern,
                    ids.len(),
                    ids.iter()
                        .map(|v| v.as_str().unwrap_or_default().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )?;
            } else {
                writeln!(
                    out,
                    "NO MATCH: {} ({observations} observations)",
                    args.pattern
                )?;
            }
            Ok(if matched { 0 } else { 1 })
        }
        Err(e) => {
            if args.json {
                writeln!(
                    out,
                    "{}",
                    json!({ "result": "error", "pattern": args.pattern, "error": format!("{e:#}") })
                )?;
            } else {
                writeln!(out, "ERROR: {e:#}")?;
            }
            Ok(2)
        }
    }
}

type Evaluated = (bool, usize, Vec<Value>, Option<Value>);

fn evaluate(args: &StixMatchArgs) -> anyhow::Result<Evaluated> {
    let pattern = Pattern::parse(&args.pattern)?;
    let text = std::fs::read_to_string(&args.observed)
        .with_context(|| format!("cannot read {}", args.observed.display()))?;
    let json: Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not JSON", args.observed.display()))?;
    let observations =
        observations_from_json(&json).with_context(|| format!("in {}", args.observed.display()))?;
    let m = pattern.matches(&observations)?;
    let bundle = match (&m, args.sighting) {
        // STIX timestamps carry milliseconds; finer precision would not survive an export.
        (Some(m), true) => Some(sighting_json(
            args,
            &observations,
            m,
            Utc::now().trunc_subsecs(3),
        )?),
        _ => None,
    };
    let ids: Vec<Value> = m
        .map(|m| {
            m.observations
                .iter()
                .map(|&i| {
                    let o = &observations[i];
                    o.id.clone()
                        .map(Value::String)
                        .unwrap_or_else(|| json!(format!("#{i}")))
                })
                .collect()
        })
        .unwrap_or_default();
    Ok((!ids.is_empty(), observations.len(), ids, bundle))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(pattern: &str, data: &str, json: bool) -> (i32, String) {
        run_args(pattern, data, json, |_| {})
    }

    fn run_args(
        pattern: &str,
        data: &str,
        json: bool,
        more: impl FnOnce(&mut StixMatchArgs),
    ) -> (i32, String) {
        let dir = std::env::temp_dir().join(format!("outpost-stix-cli-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join(format!(
            "{}.json",
            pattern.len() + data.len() + usize::from(json)
        ));
        std::fs::write(&f, data).unwrap();
        let mut args = StixMatchArgs {
            pattern: pattern.into(),
            observed: f.clone(),
            json,
            sighting: false,
            indicator_id: None,
            name: None,
            device: None,
            tenant: None,
        };
        more(&mut args);
        let mut out = Vec::new();
        let code = run_to(&args, &mut out).unwrap();
        std::fs::remove_file(&f).ok();
        (code, String::from_utf8(out).unwrap())
    }

    const OD: &str = r#"{"type": "observed-data", "id": "observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf",
        "first_observed": "2015-12-21T19:00:00Z", "last_observed": "2015-12-21T19:00:00Z", "number_observed": 1,
        "objects": {"0": {"type": "ipv4-addr", "value": "198.51.100.3"}}}"#;

    #[test]
    fn exit_codes() {
        let (c, out) = run("[ipv4-addr:value = '198.51.100.3']", OD, false);
        assert_eq!(c, 0, "{out}");
        assert!(out.starts_with("MATCH"), "{out}");
        let (c, out) = run(
            "[ipv4-addr:value = '198.51.100.4']",
            &format!("[{OD}]"),
            true,
        );
        assert_eq!(c, 1, "{out}");
        assert!(out.contains("\"no-match\""), "{out}");
        let (c, out) = run("[ipv4-addr:value = ", OD, false);
        assert_eq!(c, 2);
        assert!(out.contains("position"), "{out}");
        let (c, _) = run("[ipv4-addr:value = '1.2.3.4']", "not json", true);
        assert_eq!(c, 2);
    }

    /// A match yields a STIX sighting, and the bundle round-trips through the
    /// STIX export.
    #[test]
    fn sighting_bundle_from_the_cli_round_trips() {
        let data = r#"{"type": "bundle", "id": "bundle--1a2b3c4d-0000-4000-8000-000000000001", "objects": [
            {"type": "observed-data", "id": "observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf", "spec_version": "2.1",
             "created": "2015-12-21T19:00:00Z", "modified": "2015-12-21T19:00:00Z",
             "first_observed": "2015-12-21T19:00:00Z", "last_observed": "2015-12-21T19:05:00Z", "number_observed": 3,
             "object_refs": ["ipv4-addr--9f0e4b52-6a0c-4d43-9d1e-1d1f1b2a0001"]},
            {"type": "ipv4-addr", "id": "ipv4-addr--9f0e4b52-6a0c-4d43-9d1e-1d1f1b2a0001", "value": "198.51.100.3"},
            {"type": "observed-data", "id": "observed-data--c67d30ff-02ac-498a-92f9-32f845f448cf", "spec_version": "2.1",
             "created": "2015-12-21T19:00:00Z", "modified": "2015-12-21T19:00:00Z",
             "first_observed": "2015-12-21T19:10:00Z", "last_observed": "2015-12-21T19:10:00Z", "number_observed": 1,
             "object_refs": ["ipv4-addr--9f0e4b52-6a0c-4d43-9d1e-1d1f1b2a0002"]},
            {"type": "ipv4-addr", "id": "ipv4-addr--9f0e4b52-6a0c-4d43-9d1e-1d1f1b2a0002", "value": "203.0.113.9"}
        ]}"#;
        let ind = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
        let (code, out) = run_args("[ipv4-addr:value = '198.51.100.3']", data, false, |a| {
            a.sighting = true;
            a.indicator_id = Some(ind.into());
            a.name = Some("C2".into());
            a.device = Some("web-01".into());
            a.tenant = Some("acme".into());
        });
        assert_eq!(code, 0, "{out}");
        let json: Value = serde_json::from_str(&out).unwrap();
        let bundle = crate::model::Bundle::from_json(&json).unwrap();
        // Round trip: importing and exporting again gives the same JSON.
        assert_eq!(bundle.to_json(), json);
        let sightings: Vec<_> = bundle
            .objects
            .iter()
            .filter_map(|o| match o {
                crate::model::StixObject::Sighting(s) => Some(s),
                _ => None,
            })
            .collect();
        assert_eq!(sightings.len(), 1);
        let s = sightings[0];
        assert_eq!(s.sighting_of_ref, ind);
        assert_eq!(
            s.observed_data_refs,
            vec!["observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf".to_string()]
        );
        assert_eq!(s.count, Some(3));
        assert_eq!(
            s.first_seen.map(|t| t.to_rfc3339()),
            Some("2015-12-21T19:00:00+00:00".into())
        );
        assert_eq!(
            s.last_seen.map(|t| t.to_rfc3339()),
            Some("2015-12-21T19:05:00+00:00".into())
        );
        assert_eq!(s.where_sighted_refs.len(), 2);
        for r in &s.where_sighted_refs {
            match bundle.get(r) {
                Some(crate::model::StixObject::Identity(i)) => {
                    assert!(["web-01", "acme"].contains(&i.name.as_str()), "{i:?}")
                }
                other => panic!("{r} is not an identity in the bundle: {other:?}"),
            }
        }
        // The indicator and the evidence travel with the sighting, and the evidence still
        // matches the indicator's pattern.
        let indicator = bundle.indicators().next().unwrap();
        assert_eq!(indicator.common.id, ind);
        let obs = bundle.observations().unwrap();
        assert_eq!(obs.len(), 1);
        assert!(
            indicator
                .compiled_pattern()
                .unwrap()
                .matches(&obs)
                .unwrap()
                .is_some()
        );
        // A STIX 2.0 embedded-objects observation keeps its observables embedded.
        let (code, out) = run_args("[ipv4-addr:value = '198.51.100.3']", OD, false, |a| {
            a.sighting = true
        });
        assert_eq!(code, 0, "{out}");
        let bundle = crate::model::Bundle::from_json_str(&out).unwrap();
        assert_eq!(bundle.observations().unwrap().len(), 1);
        assert!(out.contains("\"type\": \"sighting\""), "{out}");
        assert!(out.contains("\"identity_class\": \"system\""), "{out}");
        // No match: no sighting, exit code 1.
        let (code, out) = run_args("[ipv4-addr:value = '10.0.0.1']", data, false, |a| {
            a.sighting = true
        });
        assert_eq!(code, 1);
        assert!(out.starts_with("NO MATCH"), "{out}");
    }
}
