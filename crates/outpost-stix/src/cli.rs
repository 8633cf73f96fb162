//! `outpost intel stix-match`: match a STIX pattern against observed data from a file.
//!
//! Exit codes: 0 match, 1 no match, 2 error (invalid pattern, unreadable or invalid data).

use crate::observation::observations_from_json;
use crate::pattern::Pattern;
use anyhow::Context;
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
        Ok((matched, observations, ids)) => {
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

fn evaluate(args: &StixMatchArgs) -> anyhow::Result<(bool, usize, Vec<Value>)> {
    let pattern = Pattern::parse(&args.pattern)?;
    let text = std::fs::read_to_string(&args.observed)
        .with_context(|| format!("cannot read {}", args.observed.display()))?;
    let json: Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not JSON", args.observed.display()))?;
    let observations =
        observations_from_json(&json).with_context(|| format!("in {}", args.observed.display()))?;
    let m = pattern.matches(&observations)?;
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
    Ok((!ids.is_empty(), observations.len(), ids))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(pattern: &str, data: &str, json: bool) -> (i32, String) {
        let dir = std::env::temp_dir().join(format!("outpost-stix-cli-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join(format!(
            "{}.json",
            pattern.len() + data.len() + usize::from(json)
        ));
        std::fs::write(&f, data).unwrap();
        let args = StixMatchArgs {
            pattern: pattern.into(),
            observed: f.clone(),
            json,
        };
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
}
