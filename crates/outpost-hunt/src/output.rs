//! Output of a hunt: a table, JSON lines, CSV, and the summary.

use crate::{Detection, HuntStats, Level, LoadedRules};
use serde_json::{Value as J, json};
use std::io::{self, Write};

/// The JSON object of one detection (one line of `--json`).
pub fn detection_json(d: &Detection) -> J {
    let matched: serde_json::Map<String, J> = d
        .matched
        .iter()
        .map(|(k, v)| (k.clone(), J::String(v.clone())))
        .collect();
    json!({
        "file": d.file,
        "record_id": d.record_id(),
        "time": d.time().to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        "channel": d.channel(),
        "event_id": d.event_id(),
        "computer": d.computer(),
        "rule_id": d.rule_id,
        "title": d.title,
        "level": d.level.as_str(),
        "attack": d.attack_tags(),
        "tags": d.tags,
        "matched": matched,
        "correlation": d.correlation,
        "event": &*d.event,
    })
}

/// Writes one JSON object per line.
pub fn write_json(w: &mut dyn Write, ds: &[Detection]) -> io::Result<()> {
    for d in ds {
        serde_json::to_writer(&mut *w, &detection_json(d))?;
        w.write_all(b"\n")?;
    }
    Ok(())
}

/// The CSV header.
pub const CSV_HEADER: &[&str] = &[
    "time",
    "level",
    "rule_id",
    "title",
    "computer",
    "channel",
    "event_id",
    "record_id",
    "file",
    "attack",
    "matched",
];

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn matched_text(d: &Detection) -> String {
    let mut s = d
        .matched
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    if let Some(c) = &d.correlation {
        let head = format!(
            "{} {} since {}",
            c.kind,
            c.count,
            c.first.format("%H:%M:%S")
        );
        s = if s.is_empty() {
            head
        } else {
            format!("{head}; {s}")
        };
    }
    s
}

/// Writes RFC 4180 CSV with a header line.
pub fn write_csv(w: &mut dyn Write, ds: &[Detection]) -> io::Result<()> {
    write!(w, "{}\r\n", CSV_HEADER.join(","))?;
    for d in ds {
        let row = [
            d.time()
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            d.level.as_str().to_string(),
            d.rule_id.clone(),
            d.title.clone(),
            d.computer().to_string(),
            d.channel().to_string(),
            d.event_id().map(|x| x.to_string()).unwrap_or_default(),
            d.record_id().map(|x| x.to_string()).unwrap_or_default(),
            d.file.clone(),
            d.attack_tags().join(" "),
            matched_text(d),
        ];
        let cells: Vec<String> = row.iter().map(|c| csv_field(c)).collect();
        write!(w, "{}\r\n", cells.join(","))?;
    }
    Ok(())
}

/// Cuts `s` to `max` characters (with `…`), replacing control characters by spaces.
fn cell(s: &str, max: usize) -> String {
    let clean: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if max == 0 || clean.chars().count() <= max {
        return clean;
    }
    let mut out: String = clean.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Writes the table: time, level, rule title, computer, matched fields. With `width` (a
/// terminal's columns) long cells are cut so each detection fits on one line.
pub fn write_table(w: &mut dyn Write, ds: &[Detection], width: Option<usize>) -> io::Result<()> {
    const TIME: usize = 19;
    const LEVEL: usize = 13;
    // On a terminal long titles and computer names are cut to share the width with the
    // matched fields (titles at most 48, computers 24 characters; narrower on a narrow
    // terminal); in a pipe nothing is.
    let (title_max, computer_max) = match width {
        Some(w) => {
            let room = w.saturating_sub(TIME + LEVEL + 8);
            (
                (room * 45 / 100).clamp(8, 48),
                (room * 20 / 100).clamp(8, 24),
            )
        }
        None => (0, 0),
    };
    let rows: Vec<[String; 5]> = ds
        .iter()
        .map(|d| {
            [
                d.time().format("%Y-%m-%d %H:%M:%S").to_string(),
                d.level.as_str().to_string(),
                cell(&d.title, title_max),
                cell(d.computer(), computer_max),
                cell(&matched_text(d), 0),
            ]
        })
        .collect();
    // The width of column `i`: its widest cell, at least `min`.
    let width_of = |i: usize, min: usize| {
        let widest = rows.iter().map(|r| r[i].chars().count()).max();
        widest.unwrap_or(0).max(min)
    };
    let (tw, cw) = (width_of(2, 4), width_of(3, 8));
    let fixed = TIME + LEVEL + tw + cw + 8;
    let mw = width.map(|w| w.saturating_sub(fixed).max(8));
    writeln!(
        w,
        "{:<TIME$}  {:<LEVEL$}  {:<tw$}  {:<cw$}  matched",
        "time (UTC)", "level", "rule", "computer"
    )?;
    for r in rows {
        let m = match mw {
            Some(mw) => cell(&r[4], mw),
            None => r[4].clone(),
        };
        writeln!(
            w,
            "{:<TIME$}  {:<LEVEL$}  {:<tw$}  {:<cw$}  {}",
            r[0], r[1], r[2], r[3], m
        )?;
    }
    Ok(())
}

/// Writes the end-of-hunt summary (for stderr).
pub fn write_summary(
    w: &mut dyn Write,
    rules: &LoadedRules,
    stats: &HuntStats,
    problems: &[crate::PathProblem],
) -> io::Result<()> {
    writeln!(w, "── hunt summary ──")?;
    let formats: Vec<String> = stats
        .files_read
        .iter()
        .map(|(k, v)| format!("{v} {k}"))
        .collect();
    writeln!(
        w,
        "files: {} read ({}), {} skipped (not a log), {} failed",
        stats.files_read_total(),
        if formats.is_empty() {
            "none".to_string()
        } else {
            formats.join(", ")
        },
        stats.files_skipped.len(),
        stats.files_failed.len() + problems.len()
    )?;
    for p in problems {
        writeln!(w, "  failed: {}: {}", p.path, p.reason)?;
    }
    for p in &stats.files_failed {
        writeln!(w, "  failed: {}: {}", p.path, p.reason)?;
    }
    writeln!(
        w,
        "records: {} read, {} events evaluated, {} outside --from/--to, {} malformed skipped",
        stats.records, stats.events, stats.events_out_of_range, stats.malformed
    )?;
    writeln!(
        w,
        "rules: {} loaded from {} files ({} correlation), {} left out by --level/--rule, {} not loaded",
        rules.loaded(),
        rules.files,
        rules.set.correlations().len(),
        rules.filtered_out,
        rules.not_loaded.len()
    )?;
    for (reason, n) in rules.not_loaded_by_reason() {
        writeln!(w, "  not loaded: {n:>5}  {reason}")?;
    }
    let per_level: Vec<String> = Level::ALL
        .iter()
        .rev()
        .map(|l| {
            format!(
                "{} {}",
                stats.detections.get(l).copied().unwrap_or(0),
                l.as_str()
            )
        })
        .collect();
    writeln!(
        w,
        "detections: {} ({})",
        stats.detections_total(),
        per_level.join(", ")
    )?;
    if stats.correlation_evictions > 0 {
        writeln!(
            w,
            "correlation groups evicted (memory bound; a correlation may have missed): {}",
            stats.correlation_evictions
        )?;
    }
    let rate = if stats.seconds > 0.0 {
        stats.records as f64 / stats.seconds
    } else {
        0.0
    };
    writeln!(
        w,
        "time: {:.2}s, {:.0} records/s on {} thread(s)",
        stats.seconds, rate, stats.threads
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_when_needed() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("l1\nl2"), "\"l1\nl2\"");
    }

    #[test]
    fn table_rows_fit_the_terminal() {
        let mut e =
            outpost_core::Event::new(chrono::Utc::now(), outpost_core::EventKind::Log, "evtx");
        e.log = Some(outpost_core::LogRecord {
            channel: "Security".into(),
            computer: Some("a-rather-long-computer-name.corp.example.com".into()),
            ..Default::default()
        });
        let d = Detection {
            file: "f.evtx".into(),
            event: std::sync::Arc::new(e),
            rule_id: "r".into(),
            title: "A very long rule title that goes on and on about what it detects".into(),
            level: Level::High,
            tags: Vec::new(),
            matched: vec![("CommandLine".into(), "x".repeat(300))],
            correlation: None,
        };
        for width in [80usize, 100, 160, 240] {
            let mut out = Vec::new();
            write_table(&mut out, std::slice::from_ref(&d), Some(width)).unwrap();
            for line in String::from_utf8(out).unwrap().lines() {
                assert!(
                    line.chars().count() <= width,
                    "{width}: {} > {width}: {line}",
                    line.chars().count()
                );
            }
        }
        // In a pipe nothing is cut.
        let mut out = Vec::new();
        write_table(&mut out, std::slice::from_ref(&d), None).unwrap();
        assert!(String::from_utf8(out).unwrap().contains(&"x".repeat(300)));
    }

    #[test]
    fn cells_are_cut_and_cleaned() {
        assert_eq!(cell("abcdef", 4), "abc…");
        assert_eq!(cell("a\tb", 10), "a b");
        assert_eq!(cell("abc", 0), "abc");
    }
}
