//! `outpost hunt`: arguments, progress bar and output wiring; the work is `outpost-hunt`'s.

use anyhow::{Context, Result, bail};
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use clap::Args;
use outpost_hunt::{HuntOptions, Level, Progress, RuleFilter};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Exit status when the hunt ran but some input files could not be read.
pub const EXIT_PARTIAL: u8 = 3;

const NO_RULES: &str = "no rules given: `outpost hunt` needs --rules DIR (Sigma rules in the \
SigmaHQ layout, Outpost YAML rules, or both). Get the SigmaHQ rules with\n  \
git clone --depth 1 https://github.com/SigmaHQ/sigma\nand run\n  \
outpost hunt --rules sigma/rules PATH...";

#[derive(Args)]
#[command(
    after_help = "Exit status: 0 the hunt read every input (with or without detections); \
1 error (no rule loaded, unreadable --rules, no input found, output failed); 2 usage error \
(including no --rules); 3 the hunt finished but some input files could not be read (listed in \
the summary)."
)]
pub struct HuntArgs {
    /// Rule directory (or file): Sigma rules (SigmaHQ layout) and Outpost YAML rules, walked
    /// recursively. Repeatable.
    #[arg(long = "rules", value_name = "DIR")]
    rules: Vec<PathBuf>,
    /// Log files or directories (walked recursively): EVTX, auditd logs, Outpost JSON lines
    /// (the agent's buffer files); formats are detected from content.
    #[arg(value_name = "PATH", required = true)]
    paths: Vec<PathBuf>,
    /// One JSON object per detection (JSON lines) on stdout.
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// CSV with a header line on stdout.
    #[arg(long)]
    csv: bool,
    /// Minimum rule level: informational, low, medium, high, critical.
    #[arg(long, value_parser = parse_level)]
    level: Option<Level>,
    /// Only events at or after this time (RFC 3339, `YYYY-MM-DD[ HH:MM:SS]`, UTC).
    #[arg(long, value_parser = parse_from)]
    from: Option<DateTime<Utc>>,
    /// Only events at or before this time (a bare date means the end of that day).
    #[arg(long, value_parser = parse_to)]
    to: Option<DateTime<Utc>>,
    /// Only rules whose id is this, or whose title contains it (ignoring case); `*` and `?`
    /// make it a glob over the whole id or title. Repeatable (any of them).
    #[arg(long = "rule", value_name = "ID|TITLE|GLOB")]
    rule: Vec<String>,
    /// Worker threads (default: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// No progress bar even on a terminal.
    #[arg(long)]
    no_progress: bool,
    /// Values of Sigma `%name%` placeholders (the `expand` modifier): a YAML map from name to
    /// a value or a list of values. Rules using a placeholder without values are not loaded
    /// (listed in the summary with the reason).
    #[arg(long, value_name = "FILE")]
    placeholders: Option<PathBuf>,
    /// WFP device path → drive letter, e.g. '\Device\HarddiskVolume3=C:'. Repeatable.
    #[arg(long = "drive", value_name = "DEVICE=DRIVE")]
    drives: Vec<String>,
}

fn parse_level(s: &str) -> Result<Level, String> {
    Level::parse(s)
        .ok_or_else(|| format!("unknown level {s:?} (informational, low, medium, high, critical)"))
}

fn parse_time(s: &str, end_of_day: bool) -> Result<DateTime<Utc>, String> {
    let t = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Ok(d.with_timezone(&Utc));
    }
    for f in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(d) = NaiveDateTime::parse_from_str(t, f) {
            return Ok(Utc.from_utc_datetime(&d));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        let dt = if end_of_day {
            d.and_hms_milli_opt(23, 59, 59, 999)
        } else {
            d.and_hms_opt(0, 0, 0)
        };
        if let Some(dt) = dt {
            return Ok(Utc.from_utc_datetime(&dt));
        }
    }
    Err(format!(
        "invalid time {s:?} (RFC 3339 like 2024-05-01T12:00:00Z, or 2024-05-01[ 12:00:00] UTC)"
    ))
}

fn parse_from(s: &str) -> Result<DateTime<Utc>, String> {
    parse_time(s, false)
}

fn parse_to(s: &str) -> Result<DateTime<Utc>, String> {
    parse_time(s, true)
}

fn progress_line(p: &Progress, files: usize) -> String {
    const WIDTH: usize = 24;
    let done = p.bytes_done.load(Ordering::Relaxed);
    let total = p.bytes_total.load(Ordering::Relaxed);
    let pct = done
        .saturating_mul(100)
        .checked_div(total)
        .unwrap_or(0)
        .min(100) as usize;
    let filled = pct * WIDTH / 100;
    format!(
        "[{}{}] {pct:>3}%  {}/{files} files  {} records  {} detections",
        "#".repeat(filled),
        " ".repeat(WIDTH - filled),
        p.files_done.load(Ordering::Relaxed),
        p.records.load(Ordering::Relaxed),
        p.detections.load(Ordering::Relaxed),
    )
}

/// The table width on a terminal: `COLUMNS` when set (a user's override), else the
/// terminal's own columns, else 160.
fn table_width() -> usize {
    if let Some(c) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|c| *c > 0)
    {
        return c;
    }
    terminal_columns().unwrap_or(160)
}

/// The columns of the terminal on stdout (or stderr), if either is one.
#[cfg(unix)]
fn terminal_columns() -> Option<usize> {
    for fd in [libc::STDOUT_FILENO, libc::STDERR_FILENO] {
        let mut ws = libc::winsize {
            ws_row: 0,
            ws_col: 0,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: TIOCGWINSZ writes a `winsize` into the pointer we pass, which points to a
        // live, properly aligned `winsize` on our stack; the fd is one of the standard ones.
        let r = unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, &mut ws) };
        if r == 0 && ws.ws_col > 0 {
            return Some(usize::from(ws.ws_col));
        }
    }
    None
}

#[cfg(not(unix))]
fn terminal_columns() -> Option<usize> {
    None
}

pub fn run(a: HuntArgs) -> Result<ExitCode> {
    if a.rules.is_empty() {
        eprintln!("error: {NO_RULES}");
        return Ok(ExitCode::from(2));
    }
    let ingest = crate::agent_cmd::ingest_options(&a.drives)?;
    let filter = RuleFilter {
        min_level: a.level,
        patterns: a.rule.clone(),
    };
    let mut sigma_opts = outpost_hunt::SigmaOptions::default();
    if let Some(p) = &a.placeholders {
        let text = std::fs::read_to_string(p)
            .with_context(|| format!("reading --placeholders {}", p.display()))?;
        sigma_opts.placeholders = outpost_hunt::parse_placeholders(&text)
            .map_err(|e| anyhow::anyhow!("--placeholders {}: {e}", p.display()))?;
    }
    let rules =
        outpost_hunt::load_rules(&a.rules, &sigma_opts, &filter).context("loading rules")?;
    if rules.loaded() == 0 {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(
            err,
            "error: no rule loaded from {} ({} rule files, {} left out by --level/--rule, {} not loaded)",
            a.rules
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            rules.files,
            rules.filtered_out,
            rules.not_loaded.len()
        );
        for (reason, n) in rules.not_loaded_by_reason().iter().take(10) {
            let _ = writeln!(err, "  not loaded: {n:>5}  {reason}");
        }
        if rules.files == 0 {
            let _ = writeln!(err, "{NO_RULES}");
        }
        return Ok(ExitCode::FAILURE);
    }
    let (files, problems) = outpost_hunt::collect_inputs(&a.paths);
    if files.is_empty() {
        for p in &problems {
            eprintln!("error: {}: {}", p.path, p.reason);
        }
        bail!("no input file found");
    }
    let opts = HuntOptions {
        from: a.from,
        to: a.to,
        threads: a.threads,
        ingest,
        emit: Some(rules.emit.clone()),
    };
    let progress = Progress::default();
    let bar = !a.no_progress && std::io::stderr().is_terminal();
    let stop = AtomicBool::new(false);
    let result = std::thread::scope(|s| {
        if bar {
            s.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    eprint!("\r{}", progress_line(&progress, files.len()));
                    let _ = std::io::stderr().flush();
                    std::thread::sleep(Duration::from_millis(200));
                }
                eprintln!("\r{}", progress_line(&progress, files.len()));
            });
        }
        let r = outpost_hunt::hunt(&files, &rules.set, &opts, &progress);
        stop.store(true, Ordering::Relaxed);
        r
    });
    let stdout = std::io::stdout();
    let tty = stdout.is_terminal();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written = if a.json {
        outpost_hunt::output::write_json(&mut out, &result.detections)
    } else if a.csv {
        outpost_hunt::output::write_csv(&mut out, &result.detections)
    } else {
        let width = tty.then(table_width);
        outpost_hunt::output::write_table(&mut out, &result.detections, width)
    };
    written
        .and_then(|()| out.flush())
        .context("writing the detections")?;
    outpost_hunt::output::write_summary(
        &mut std::io::stderr().lock(),
        &rules,
        &result.stats,
        &problems,
    )
    .context("writing the summary")?;
    if !result.stats.files_failed.is_empty() || !problems.is_empty() {
        return Ok(ExitCode::from(EXIT_PARTIAL));
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse() {
        assert_eq!(
            parse_from("2024-05-01").unwrap().to_rfc3339(),
            "2024-05-01T00:00:00+00:00"
        );
        assert_eq!(
            parse_to("2024-05-01").unwrap().timestamp_millis() % 86_400_000,
            86_399_999
        );
        assert_eq!(
            parse_from("2024-05-01T02:00:00+02:00")
                .unwrap()
                .to_rfc3339(),
            "2024-05-01T00:00:00+00:00"
        );
        assert!(parse_from("yesterday").is_err());
    }
}
