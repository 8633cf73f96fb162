//! Feeds: plain lists, IPsum, CSV with a column mapping and STIX 2.1 bundles, read from files or
//! HTTP(S) URLs on a schedule (conditional requests with `If-None-Match` / `If-Modified-Since`).

use crate::error::IntelError;
use crate::hotlist::{MAX_REPORTED_MALFORMED, MalformedLine, parse_list_line};
use crate::indicator::{Indicator, IndicatorKind, IndicatorValue, IntelSet, PatternIndicator};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Largest feed body accepted over HTTP.
pub const MAX_FEED_BYTES: u64 = 256 * 1024 * 1024;

/// A CSV column, by header name or 0-based index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum Column {
    /// 0-based index.
    Index(usize),
    /// Header name (case-insensitive).
    Name(String),
}

/// How a CSV record's kind is determined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum KindSource {
    /// Every record has this kind.
    Fixed(IndicatorKind),
    /// A column holds the kind name (see [`IndicatorKind::parse`]).
    Column(Column),
    /// Guess from the value (see [`IndicatorValue::guess`]).
    Guess,
}

/// Which CSV columns hold what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CsvMapping {
    /// The indicator value.
    pub value: Column,
    /// The kind.
    pub kind: KindSource,
    /// Score (non-negative integer).
    pub score: Option<Column>,
    /// Confidence 0–100.
    pub confidence: Option<Column>,
    /// First seen (RFC 3339 or `YYYY-MM-DD[ HH:MM:SS]`, UTC).
    pub first_seen: Option<Column>,
    /// Last seen.
    pub last_seen: Option<Column>,
    /// Expiry.
    pub expires: Option<Column>,
    /// Tags, separated by `;`, `|` or `,`.
    pub tags: Option<Column>,
    /// Whether the first record is a header (required for named columns).
    pub has_header: bool,
    /// Field delimiter.
    pub delimiter: u8,
}

impl CsvMapping {
    /// A mapping with only a value column whose kind is guessed.
    pub fn new(value: Column) -> CsvMapping {
        CsvMapping {
            value,
            kind: KindSource::Guess,
            score: None,
            confidence: None,
            first_seen: None,
            last_seen: None,
            expires: None,
            tags: None,
            has_header: true,
            delimiter: b',',
        }
    }

    /// Parses a compact mapping such as `value=ioc,kind=type,score=3,tags=labels` — keys
    /// `value`, `kind` (a column, or `fixed:<kind>`, or `guess`), `score`, `confidence`,
    /// `first_seen`, `last_seen`, `expires`, `tags`, `header` (`yes`/`no`), `delimiter`
    /// (`comma`, `tab`, `semicolon`, `pipe`). Columns that are numbers are indices.
    pub fn parse_spec(spec: &str) -> Result<CsvMapping, String> {
        let col = |v: &str| match v.parse::<usize>() {
            Ok(i) => Column::Index(i),
            Err(_) => Column::Name(v.to_string()),
        };
        let mut m = CsvMapping::new(Column::Index(0));
        let mut have_value = false;
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| format!("mapping item {part:?} is not key=value"))?;
            let v = v.trim();
            match k.trim() {
                "value" => {
                    m.value = col(v);
                    have_value = true;
                }
                "kind" => {
                    m.kind = if v == "guess" {
                        KindSource::Guess
                    } else if let Some(f) = v.strip_prefix("fixed:") {
                        KindSource::Fixed(
                            IndicatorKind::parse(f).ok_or_else(|| format!("unknown kind {f:?}"))?,
                        )
                    } else {
                        KindSource::Column(col(v))
                    }
                }
                "score" => m.score = Some(col(v)),
                "confidence" => m.confidence = Some(col(v)),
                "first_seen" => m.first_seen = Some(col(v)),
                "last_seen" => m.last_seen = Some(col(v)),
                "expires" => m.expires = Some(col(v)),
                "tags" => m.tags = Some(col(v)),
                "header" => m.has_header = matches!(v, "yes" | "true" | "1"),
                "delimiter" => {
                    m.delimiter = match v {
                        "comma" | "," => b',',
                        "tab" | "\\t" => b'\t',
                        "semicolon" | ";" => b';',
                        "pipe" | "|" => b'|',
                        _ => return Err(format!("unknown delimiter {v:?}")),
                    }
                }
                other => return Err(format!("unknown mapping key {other:?}")),
            }
        }
        if !have_value {
            return Err("the mapping needs value=<column>".into());
        }
        Ok(m)
    }
}

/// A feed's format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FeedFormat {
    /// One indicator a line (IP/CIDR, or any kind when `guess_kinds`), `#` comments.
    Plain,
    /// IPsum: address and count a line; entries below `min_score` are dropped.
    Ipsum {
        /// Minimum count.
        min_score: Option<u32>,
    },
    /// CSV with a column mapping.
    Csv(CsvMapping),
    /// A STIX 2.1 bundle (JSON).
    Stix,
}

/// Options common to all feed formats (each may be left out of a configuration).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct FeedOptions {
    /// Fail on the first malformed line/record instead of skipping and reporting it.
    pub strict: bool,
    /// Plain lists: accept every indicator kind (guessed per line), not only IPs and CIDRs.
    pub guess_kinds: bool,
    /// Expiry given to indicators that have none (relative to the import time).
    #[serde(default, with = "opt_secs")]
    #[schemars(with = "Option<u64>")]
    pub default_ttl: Option<Duration>,
    /// Tags added to every indicator.
    #[serde(default)]
    pub tags: Vec<String>,
}

mod opt_secs {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;
    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&d.as_secs()),
            None => s.serialize_none(),
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<u64>::deserialize(d)?.map(Duration::from_secs))
    }
}

/// What a feed import did; nothing is dropped silently.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FeedReport {
    /// Feed name.
    pub source: String,
    /// Lines (text formats), records (CSV) or objects (STIX) read.
    pub records: usize,
    /// Indicators accepted (before merging duplicates).
    pub accepted: usize,
    /// Entries dropped for a score below the minimum.
    pub below_min_score: usize,
    /// Entries skipped because they had already expired.
    pub expired: usize,
    /// Malformed lines/records/objects skipped.
    pub malformed: usize,
    /// The first few of them.
    pub first_malformed: Vec<ReportedProblem>,
    /// STIX indicators kept as pattern indicators.
    pub pattern_indicators: usize,
    /// STIX objects that are not indicators (ignored here).
    pub other_objects: usize,
}

/// A skipped line, record or object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReportedProblem {
    /// 1-based line / record number, or object index for STIX.
    pub at: usize,
    /// What was wrong.
    pub reason: String,
}

impl From<MalformedLine> for ReportedProblem {
    fn from(m: MalformedLine) -> Self {
        ReportedProblem {
            at: m.line,
            reason: m.reason,
        }
    }
}

struct Collector<'a> {
    set: IntelSet,
    report: FeedReport,
    opts: &'a FeedOptions,
    now: DateTime<Utc>,
}

impl Collector<'_> {
    fn problem(&mut self, at: usize, reason: String) -> Result<(), IntelError> {
        if self.opts.strict {
            return Err(IntelError::Parse {
                source_name: self.report.source.clone(),
                line: at,
                reason,
            });
        }
        self.report.malformed += 1;
        if self.report.first_malformed.len() < MAX_REPORTED_MALFORMED {
            self.report
                .first_malformed
                .push(ReportedProblem { at, reason });
        }
        Ok(())
    }

    fn add(&mut self, mut ind: Indicator) {
        if ind.expires.is_none()
            && let Some(ttl) = self.opts.default_ttl
        {
            ind.expires = chrono::Duration::from_std(ttl)
                .ok()
                .and_then(|d| self.now.checked_add_signed(d));
        }
        if ind.is_expired(self.now) {
            self.report.expired += 1;
            return;
        }
        for t in &self.opts.tags {
            if !ind.tags.contains(t) {
                ind.tags.push(t.clone());
            }
        }
        self.report.accepted += 1;
        self.set.insert(ind);
    }
}

/// Parses feed text into indicators. `now` decides what has already expired and anchors
/// `default_ttl`.
pub fn parse_feed(
    text: &str,
    source: &str,
    format: &FeedFormat,
    opts: &FeedOptions,
    now: DateTime<Utc>,
) -> Result<(IntelSet, FeedReport), IntelError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut c = Collector {
        set: IntelSet::new(),
        report: FeedReport {
            source: source.to_string(),
            ..FeedReport::default()
        },
        opts,
        now,
    };
    match format {
        FeedFormat::Plain | FeedFormat::Ipsum { .. } => {
            let min = match format {
                FeedFormat::Ipsum { min_score } => *min_score,
                _ => None,
            };
            parse_lines(text, min, &mut c)?
        }
        FeedFormat::Csv(m) => parse_csv(text, m, &mut c)?,
        FeedFormat::Stix => parse_stix(text, &mut c)?,
    }
    Ok((c.set, c.report))
}

/// A feed's new content replaces its last one unless not one of its records could be read:
/// a body whose every record is malformed (an error page served with `200 OK`, a feed that
/// changed its format) is refused with the first problem, so that the indicators in use stay.
/// An empty body, or one whose indicators all expired or fell below the minimum score, is
/// a real update.
fn usable(set: IntelSet, report: FeedReport) -> Result<(IntelSet, FeedReport), IntelError> {
    if report.malformed == 0 || report.accepted > 0 || report.pattern_indicators > 0 {
        return Ok((set, report));
    }
    let first = report.first_malformed.first();
    Err(IntelError::Parse {
        line: first.map_or(1, |p| p.at),
        reason: format!(
            "none of its {} records could be read ({} malformed{}): its last good content stays in use",
            report.records,
            report.malformed,
            first.map_or(String::new(), |p| format!("; the first: {}", p.reason)),
        ),
        source_name: report.source,
    })
}

fn parse_lines(text: &str, min: Option<u32>, c: &mut Collector<'_>) -> Result<(), IntelError> {
    for (i, line) in text.lines().enumerate() {
        c.report.records += 1;
        let parsed = match parse_list_line(line) {
            Ok(p) => p.map(|(n, s)| (IndicatorValue::Net(n), s)),
            Err(e) if c.opts.guess_kinds => {
                let body = line.split('#').next().unwrap_or("").trim();
                match IndicatorValue::guess(body) {
                    Ok(v) => Some((v, None)),
                    Err(_) => {
                        c.problem(i + 1, e)?;
                        continue;
                    }
                }
            }
            Err(e) => {
                c.problem(i + 1, e)?;
                continue;
            }
        };
        let Some((value, score)) = parsed else {
            continue;
        };
        if let (Some(m), Some(s)) = (min, score)
            && s < m
        {
            c.report.below_min_score += 1;
            continue;
        }
        let source = c.report.source.clone();
        c.add(Indicator::new(value, source).with_score(score));
    }
    Ok(())
}

/// Parses a timestamp: RFC 3339, `YYYY-MM-DD HH:MM:SS`, `YYYY-MM-DDTHH:MM:SS` (UTC) or a date.
pub fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    for f in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, f) {
            return Ok(t.and_utc());
        }
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        && let Some(t) = d.and_hms_opt(0, 0, 0)
    {
        return Ok(t.and_utc());
    }
    Err(format!(
        "{:?} is not a timestamp",
        s.chars().take(40).collect::<String>()
    ))
}

fn parse_csv(text: &str, m: &CsvMapping, c: &mut Collector<'_>) -> Result<(), IntelError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(m.has_header)
        .delimiter(m.delimiter)
        .flexible(true)
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = if m.has_header {
        match rdr.headers() {
            Ok(h) => h.iter().map(|x| x.to_ascii_lowercase()).collect(),
            Err(e) => {
                c.problem(1, format!("bad CSV header: {e}"))?;
                return Ok(());
            }
        }
    } else {
        Vec::new()
    };
    let resolve = |col: &Column| -> Result<usize, String> {
        match col {
            Column::Index(i) => Ok(*i),
            Column::Name(n) => headers
                .iter()
                .position(|h| h.eq_ignore_ascii_case(n))
                .ok_or_else(|| format!("CSV has no column {n:?}")),
        }
    };
    let source = c.report.source.clone();
    let fail = |e: String| IntelError::Parse {
        source_name: source.clone(),
        line: 1,
        reason: e,
    };
    let value_i = resolve(&m.value).map_err(fail)?;
    let kind_i = match &m.kind {
        KindSource::Column(col) => Some(resolve(col).map_err(fail)?),
        _ => None,
    };
    let opt = |col: &Option<Column>| col.as_ref().map(resolve).transpose().map_err(fail);
    let (score_i, conf_i, first_i, last_i, exp_i, tags_i) = (
        opt(&m.score)?,
        opt(&m.confidence)?,
        opt(&m.first_seen)?,
        opt(&m.last_seen)?,
        opt(&m.expires)?,
        opt(&m.tags)?,
    );
    for (n, rec) in rdr.records().enumerate() {
        c.report.records += 1;
        let at = rec
            .as_ref()
            .ok()
            .and_then(|r| r.position())
            .map_or(n + 1 + usize::from(m.has_header), |p| p.line() as usize);
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                c.problem(at, format!("bad CSV record: {e}"))?;
                continue;
            }
        };
        match csv_indicator(
            &rec,
            m,
            value_i,
            kind_i,
            [score_i, conf_i, first_i, last_i, exp_i, tags_i],
            &c.report.source,
        ) {
            Ok(ind) => c.add(ind),
            Err(e) => c.problem(at, e)?,
        }
    }
    Ok(())
}

fn csv_indicator(
    rec: &csv::StringRecord,
    m: &CsvMapping,
    value_i: usize,
    kind_i: Option<usize>,
    cols: [Option<usize>; 6],
    source: &str,
) -> Result<Indicator, String> {
    let field = |i: usize| rec.get(i).filter(|s| !s.is_empty());
    let value =
        field(value_i).ok_or_else(|| format!("value column {value_i} is empty or missing"))?;
    let v = match (&m.kind, kind_i) {
        (KindSource::Fixed(k), _) => IndicatorValue::parse(*k, value)?,
        (KindSource::Column(_), Some(ki)) => {
            let name = field(ki).ok_or_else(|| format!("kind column {ki} is empty"))?;
            let k = IndicatorKind::parse(name).ok_or_else(|| format!("unknown kind {name:?}"))?;
            IndicatorValue::parse(k, value)?
        }
        _ => IndicatorValue::guess(value)?,
    };
    let [score_i, conf_i, first_i, last_i, exp_i, tags_i] = cols;
    let mut ind = Indicator::new(v, source);
    if let Some(s) = score_i.and_then(field) {
        ind.score = Some(
            s.parse()
                .map_err(|_| format!("score {s:?} is not a non-negative integer"))?,
        );
    }
    if let Some(s) = conf_i.and_then(field) {
        let c: u8 = s
            .parse()
            .map_err(|_| format!("confidence {s:?} is not 0-100"))?;
        if c > 100 {
            return Err(format!("confidence {c} is above 100"));
        }
        ind.confidence = Some(c);
    }
    if let Some(s) = first_i.and_then(field) {
        ind.first_seen = Some(parse_time(s)?);
    }
    if let Some(s) = last_i.and_then(field) {
        ind.last_seen = Some(parse_time(s)?);
    }
    if let Some(s) = exp_i.and_then(field) {
        ind.expires = Some(parse_time(s)?);
    }
    if let Some(s) = tags_i.and_then(field) {
        ind.tags = s
            .split([';', '|', ','])
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect();
    }
    Ok(ind)
}

fn parse_stix(text: &str, c: &mut Collector<'_>) -> Result<(), IntelError> {
    // A document that is not JSON, or JSON that is no STIX bundle, object or array of objects,
    // has no record to keep: an error, strict or not (a truncated download or an HTML page must
    // not pass for an empty feed and replace its last good content).
    let whole = |line: usize, reason: String| IntelError::Parse {
        source_name: c.report.source.clone(),
        line,
        reason,
    };
    let doc: serde_json::Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => return Err(whole(e.line(), format!("not JSON: {e}"))),
    };
    let objects: Vec<serde_json::Value> = match doc {
        serde_json::Value::Object(ref o)
            if o.get("type").and_then(|t| t.as_str()) == Some("bundle") =>
        {
            o.get("objects")
                .and_then(|x| x.as_array())
                .cloned()
                .unwrap_or_default()
        }
        serde_json::Value::Object(_) => vec![doc],
        serde_json::Value::Array(a) => a,
        _ => return Err(whole(1, "not a STIX bundle or object".into())),
    };
    for (i, obj) in objects.iter().enumerate() {
        c.report.records += 1;
        if obj.get("type").and_then(|t| t.as_str()) != Some("indicator") {
            c.report.other_objects += 1;
            continue;
        }
        if let Err(e) = stix_indicator(obj, c) {
            c.problem(i + 1, e)?;
        }
    }
    Ok(())
}

fn stix_indicator(obj: &serde_json::Value, c: &mut Collector<'_>) -> Result<(), String> {
    let s = |k: &str| obj.get(k).and_then(|v| v.as_str());
    let id = s("id").unwrap_or("indicator--unknown").to_string();
    let pattern_type = s("pattern_type").unwrap_or("stix");
    if pattern_type != "stix" {
        return Err(format!(
            "{id}: pattern_type {pattern_type:?} is not supported"
        ));
    }
    let pattern = s("pattern").ok_or_else(|| format!("{id}: no pattern"))?;
    let time = |k: &str| -> Result<Option<DateTime<Utc>>, String> {
        s(k).map(|t| parse_time(t).map_err(|e| format!("{id}: {k}: {e}")))
            .transpose()
    };
    let valid_from = time("valid_from")?;
    let valid_until = time("valid_until")?;
    let modified = time("modified")?;
    let confidence = obj
        .get("confidence")
        .and_then(|v| v.as_u64())
        .map(|v| v.min(100) as u8);
    let mut labels: Vec<String> = Vec::new();
    for k in ["labels", "indicator_types"] {
        if let Some(a) = obj.get(k).and_then(|v| v.as_array()) {
            labels.extend(a.iter().filter_map(|x| x.as_str()).map(str::to_string));
        }
    }
    let parsed =
        outpost_stix::pattern::Pattern::parse(pattern).map_err(|e| format!("{id}: {e}"))?;
    let simple = parsed.simple_iocs().and_then(|iocs| {
        iocs.iter()
            .map(simple_value)
            .collect::<Option<Result<Vec<_>, String>>>()
    });
    match simple {
        Some(values) => {
            let values = values.map_err(|e| format!("{id}: {e}"))?;
            for v in values {
                let mut ind = Indicator::new(v, c.report.source.clone());
                ind.confidence = confidence;
                ind.first_seen = valid_from;
                ind.last_seen = modified;
                ind.expires = valid_until;
                ind.tags = labels.clone();
                c.add(ind);
            }
        }
        None => {
            if valid_until.is_some_and(|u| u <= c.now) {
                c.report.expired += 1;
                return Ok(());
            }
            c.report.pattern_indicators += 1;
            c.set.insert_pattern(PatternIndicator {
                id,
                name: s("name").map(str::to_string),
                pattern: pattern.to_string(),
                source: c.report.source.clone(),
                confidence,
                valid_from,
                valid_until,
                labels,
            });
        }
    }
    Ok(())
}

/// The set value of a simple STIX IOC; `None` for kinds the set does not hold (the whole
/// indicator then goes to the pattern engine).
fn simple_value(ioc: &outpost_stix::SimpleIoc) -> Option<Result<IndicatorValue, String>> {
    use outpost_stix::pattern::IocKind as K;
    let kind = match ioc.kind {
        K::Ipv4 | K::Ipv6 => IndicatorKind::Ip,
        K::Domain => IndicatorKind::Domain,
        K::Sha256 => IndicatorKind::Sha256,
        K::Sha1 => IndicatorKind::Sha1,
        K::Md5 => IndicatorKind::Md5,
        K::ProcessName => IndicatorKind::ProcessName,
        _ => return None,
    };
    Some(IndicatorValue::parse(kind, &ioc.value))
}

/// Where a feed comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FeedLocation {
    /// A local file.
    File(PathBuf),
    /// An `http://` or `https://` URL.
    Url(String),
}

impl FeedLocation {
    /// A URL when `s` starts with `http://` or `https://`, else a path.
    pub fn parse(s: &str) -> FeedLocation {
        let lower = s.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            FeedLocation::Url(s.to_string())
        } else {
            FeedLocation::File(PathBuf::from(s))
        }
    }
}

/// What is remembered about a feed between fetches (persist it as JSON).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FeedState {
    /// `ETag` of the last successful fetch.
    pub etag: Option<String>,
    /// `Last-Modified` of the last successful fetch (for files: the mtime as RFC 3339).
    pub last_modified: Option<String>,
    /// When the feed was last fetched successfully (including "not modified").
    pub fetched_at: Option<DateTime<Utc>>,
    /// The last fetch error, cleared by a success.
    pub last_error: Option<String>,
}

/// A configured feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Feed {
    /// Name used as the indicators' source.
    pub name: String,
    /// File or URL.
    pub location: FeedLocation,
    /// Format.
    pub format: FeedFormat,
    /// Fetch when the last fetch is older than this.
    #[serde(with = "secs")]
    #[schemars(with = "u64")]
    pub interval: Duration,
    /// Parse options.
    #[serde(default)]
    pub options: FeedOptions,
}

mod secs {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;
    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_secs())
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_secs)
    }
}

/// The raw result of a fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// New content.
    Body {
        /// The text.
        text: String,
        /// Its `ETag`.
        etag: Option<String>,
        /// Its `Last-Modified`.
        last_modified: Option<String>,
    },
    /// Unchanged since the state's validators.
    NotModified,
}

/// What [`Feed::refresh`] did.
#[derive(Debug)]
pub enum RefreshOutcome {
    /// The last fetch is younger than the interval; nothing fetched.
    NotDue,
    /// Fetched, but unchanged.
    NotModified,
    /// New content, parsed; with a `stix` feed, also its text (the bundle, which may hold an
    /// attack model the server keeps).
    Updated(Box<IntelSet>, FeedReport, Option<String>),
}

/// Fetches a location, conditionally on `state`'s validators.
pub fn fetch(
    location: &FeedLocation,
    state: &FeedState,
    timeout: Duration,
) -> Result<Fetched, IntelError> {
    match location {
        FeedLocation::File(path) => fetch_file(path, state),
        FeedLocation::Url(url) => fetch_url(url, state, timeout),
    }
}

fn fetch_file(path: &Path, state: &FeedState) -> Result<Fetched, IntelError> {
    let io = |source| IntelError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    let mtime = meta
        .modified()
        .ok()
        .map(|t| DateTime::<Utc>::from(t).to_rfc3339());
    if mtime.is_some() && mtime == state.last_modified {
        return Ok(Fetched::NotModified);
    }
    let bytes = std::fs::read(path).map_err(io)?;
    let text = String::from_utf8(bytes).map_err(|e| IntelError::NotUtf8 {
        source_name: path.display().to_string(),
        line: e.as_bytes()[..e.utf8_error().valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1,
    })?;
    Ok(Fetched::Body {
        text,
        etag: None,
        last_modified: mtime,
    })
}

fn fetch_url(url: &str, state: &FeedState, timeout: Duration) -> Result<Fetched, IntelError> {
    let err = |reason: String| IntelError::Fetch {
        url: url.to_string(),
        reason,
    };
    let agent: ureq::Agent = outpost_http::config_builder()
        .timeout_global(Some(timeout))
        .build()
        .into();
    let mut req = agent.get(url);
    if let Some(e) = &state.etag {
        req = req.header("If-None-Match", e);
    }
    if let Some(m) = &state.last_modified {
        req = req.header("If-Modified-Since", m);
    }
    let mut resp = req.call().map_err(|e| err(e.to_string()))?;
    let status = resp.status().as_u16();
    if status == 304 {
        return Ok(Fetched::NotModified);
    }
    if !(200..300).contains(&status) {
        return Err(err(format!("HTTP status {status}")));
    }
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let etag = header("etag");
    let last_modified = header("last-modified");
    let text = resp
        .body_mut()
        .with_config()
        .limit(MAX_FEED_BYTES)
        .read_to_string()
        .map_err(|e| err(e.to_string()))?;
    Ok(Fetched::Body {
        text,
        etag,
        last_modified,
    })
}

impl Feed {
    /// Whether the last successful fetch is older than the interval (or there was none).
    pub fn is_due(&self, state: &FeedState, now: DateTime<Utc>) -> bool {
        let interval = chrono::Duration::from_std(self.interval).unwrap_or(chrono::Duration::MAX);
        state
            .fetched_at
            .is_none_or(|t| now.signed_duration_since(t) >= interval)
    }

    /// Fetches and parses the feed if it is due (or `force`), updating `state`. Fetch errors,
    /// and a body of which no record could be read (see [`usable`]), are recorded in
    /// `state.last_error` and returned: the caller keeps the feed's last good content.
    pub fn refresh(
        &self,
        state: &mut FeedState,
        now: DateTime<Utc>,
        force: bool,
        timeout: Duration,
    ) -> Result<RefreshOutcome, IntelError> {
        if !force && !self.is_due(state, now) {
            return Ok(RefreshOutcome::NotDue);
        }
        let fetched = fetch(&self.location, state, timeout);
        let fetched = match fetched {
            Ok(f) => f,
            Err(e) => {
                state.last_error = Some(e.to_string());
                return Err(e);
            }
        };
        match fetched {
            Fetched::NotModified => {
                state.fetched_at = Some(now);
                state.last_error = None;
                Ok(RefreshOutcome::NotModified)
            }
            Fetched::Body {
                text,
                etag,
                last_modified,
            } => match parse_feed(&text, &self.name, &self.format, &self.options, now)
                .and_then(|(set, report)| usable(set, report))
            {
                Ok((set, report)) => {
                    state.etag = etag;
                    state.last_modified = last_modified;
                    state.fetched_at = Some(now);
                    state.last_error = None;
                    let bundle = matches!(self.format, FeedFormat::Stix).then_some(text);
                    Ok(RefreshOutcome::Updated(Box::new(set), report, bundle))
                }
                Err(e) => {
                    state.last_error = Some(e.to_string());
                    Err(e)
                }
            },
        }
    }
}
