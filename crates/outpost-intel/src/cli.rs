//! `outpost intel …`: import feeds, build, sign and verify bundles, look values up, make keys.
//!
//! Keys are files holding 64 hex digits: the ed25519 secret seed (`keygen --secret`) or the
//! public key (`keygen --public`), which agents pin.
//!
//! Without the `cli-admin` feature (the slim agent) only `verify` and `lookup` are built.

#![cfg_attr(not(feature = "cli-admin"), allow(unused_imports, dead_code))]

#[cfg(feature = "cli-admin")]
use crate::bundle::BundleSpec;
use crate::bundle::{self, VerifyPolicy};
#[cfg(feature = "cli-admin")]
use crate::distribute::{generate_signing_key, signing_key_to_hex, verifying_key_to_hex};
use crate::distribute::{signing_key_from_hex, verifying_key_from_hex};
use crate::feed::{self, CsvMapping, FeedFormat, FeedLocation, FeedOptions, FeedState, Fetched};
use crate::indicator::{IndicatorValue, IntelSet, private_ranges};
use crate::{IpVerdict, SigningKey, VerifyingKey};
use anyhow::{Context, Result, anyhow, bail};
use chrono::{DateTime, Utc};
use ipnet::IpNet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Input format of a feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InputFormat {
    /// By extension (`.jsonl` intel file, `.json` STIX, `.csv` CSV) or content.
    Auto,
    /// One indicator a line (IPs, CIDRs; other kinds are guessed).
    Plain,
    /// IPsum (`ip count`).
    Ipsum,
    /// CSV (needs `--csv-mapping`).
    Csv,
    /// STIX 2.1 bundle.
    Stix,
    /// JSON Lines intel file written by `import`.
    Intel,
}

/// Feed inputs shared by `import` and `build`.
#[derive(Debug, Clone, clap::Args)]
pub struct InputArgs {
    /// Feed files or http(s) URLs.
    #[arg(required = true)]
    pub inputs: Vec<String>,
    /// Input format (applies to every input).
    #[arg(long, value_enum, default_value = "auto")]
    pub format: InputFormat,
    /// IPsum: drop entries listed by fewer blocklists.
    #[arg(long)]
    pub min_score: Option<u32>,
    /// CSV column mapping, e.g. `value=indicator,kind=type,score=score,tags=labels`.
    #[arg(long)]
    pub csv_mapping: Option<String>,
    /// Fail on the first malformed line instead of skipping it.
    #[arg(long)]
    pub strict: bool,
    /// Networks to subtract (repeatable), in addition to the private ranges.
    #[arg(long = "allow", value_name = "CIDR")]
    pub allow: Vec<IpNet>,
    /// Do not subtract the private/reserved ranges.
    #[arg(long)]
    pub no_private_allowlist: bool,
    /// HTTP timeout in seconds.
    #[arg(long, default_value_t = 60)]
    pub timeout_secs: u64,
}

/// How `build` and `sign` sign a bundle.
#[cfg(feature = "cli-admin")]
#[derive(Debug, Clone, clap::Args)]
pub struct SigningArgs {
    /// Secret key file (hex).
    #[arg(long)]
    pub key: PathBuf,
    /// Bundle version.
    #[arg(long = "bundle-version")]
    pub bundle_version: String,
    /// Validity in seconds.
    #[arg(long, default_value_t = 86_400)]
    pub ttl_secs: u64,
    /// Creation time (RFC 3339; default now).
    #[arg(long)]
    pub created: Option<String>,
}

#[cfg(feature = "cli-admin")]
impl SigningArgs {
    /// The signing key and the bundle's header (creation time defaults to `now`).
    fn spec(
        self,
        filter_mode: bool,
        source: String,
        now: DateTime<Utc>,
    ) -> Result<(SigningKey, BundleSpec)> {
        let key = read_signing_key(&self.key)?;
        let spec = BundleSpec {
            version: self.bundle_version,
            created: time_arg(self.created.as_deref(), now)?,
            ttl: Duration::from_secs(self.ttl_secs),
            filter_mode,
            source,
        };
        Ok((key, spec))
    }
}

/// `outpost intel` subcommands.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum IntelCommand {
    #[cfg(feature = "cli-admin")]
    /// Parse feeds, print a report per feed and write the merged set as JSON Lines.
    Import {
        /// Feeds.
        #[command(flatten)]
        input: InputArgs,
        /// Output intel file (JSON Lines); omitted: only the report.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    #[cfg(feature = "cli-admin")]
    /// Build and sign a bundle from feeds or intel files.
    Build {
        /// Feeds.
        #[command(flatten)]
        input: InputArgs,
        /// Key, version and validity.
        #[command(flatten)]
        signing: SigningArgs,
        /// Filter mode: host addresses in a BinaryFuse8 filter (hits need server confirmation).
        #[arg(long)]
        filter: bool,
        /// Output bundle file.
        #[arg(long)]
        out: PathBuf,
    },
    #[cfg(feature = "cli-admin")]
    /// Re-sign an existing bundle with a (new) key, version and TTL.
    Sign {
        /// Bundle to re-sign.
        bundle: PathBuf,
        /// The new key, version and validity.
        #[command(flatten)]
        signing: SigningArgs,
        /// Output bundle file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Verify a bundle against a public key and print its header.
    Verify {
        /// Bundle file.
        bundle: PathBuf,
        /// Public key file (hex).
        #[arg(long)]
        pubkey: PathBuf,
        /// Check at this time (RFC 3339; default now).
        #[arg(long)]
        at: Option<String>,
        /// Accept an expired bundle (reported as stale).
        #[arg(long)]
        allow_expired: bool,
    },
    /// Look values up (IPs, domains, hashes, process names or paths) in a bundle or feed.
    Lookup {
        /// Bundle, hotlist or feed file.
        #[arg(long = "in")]
        input: PathBuf,
        /// Verify a bundle with this public key (without it only its integrity is checked).
        #[arg(long)]
        pubkey: Option<PathBuf>,
        /// Values to look up.
        #[arg(required = true)]
        values: Vec<String>,
    },
    #[cfg(feature = "cli-admin")]
    /// Generate an ed25519 key pair.
    Keygen {
        /// Secret key output file (created with mode 0600).
        #[arg(long)]
        secret: PathBuf,
        /// Public key output file.
        #[arg(long)]
        public: PathBuf,
        /// Overwrite existing files.
        #[arg(long)]
        force: bool,
    },
}

#[derive(clap::Parser)]
#[command(name = "intel", no_binary_name = true)]
struct Wrapper {
    #[command(subcommand)]
    cmd: IntelCommand,
}

/// Parses arguments (without the program and `intel` words), e.g. `["verify", "b.bin", …]`.
pub fn parse_args<I, T>(args: I) -> Result<IntelCommand, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    use clap::Parser;
    Wrapper::try_parse_from(args).map(|w| w.cmd)
}

/// Runs a command, printing to standard output.
pub fn run(cmd: IntelCommand) -> Result<()> {
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    run_to(cmd, &mut lock, Utc::now())
}

/// Runs a command, printing to `out`, with `now` as the current time.
pub fn run_to(cmd: IntelCommand, out: &mut dyn Write, now: DateTime<Utc>) -> Result<()> {
    match cmd {
        #[cfg(feature = "cli-admin")]
        IntelCommand::Import { input, out: path } => {
            let set = load_inputs(&input, out, now)?;
            if let Some(p) = path {
                std::fs::write(&p, set.to_json_lines())
                    .with_context(|| format!("writing {}", p.display()))?;
                writeln!(out, "wrote {} indicators to {}", set.len(), p.display())?;
            }
        }
        #[cfg(feature = "cli-admin")]
        IntelCommand::Build {
            input,
            signing,
            filter,
            out: path,
        } => {
            let (key, spec) = signing.spec(filter, "outpost-intel".into(), now)?;
            let set = load_inputs(&input, out, now)?;
            let bytes = bundle::build_bundle(&set, &spec, &key)?;
            std::fs::write(&path, &bytes).with_context(|| format!("writing {}", path.display()))?;
            writeln!(
                out,
                "bundle {} ({} bytes, etag {}) written to {}",
                spec.version,
                bytes.len(),
                bundle::bundle_etag(&bytes),
                path.display()
            )?;
        }
        #[cfg(feature = "cli-admin")]
        IntelCommand::Sign {
            bundle: input,
            signing,
            out: path,
        } => {
            let (key, spec) = signing.spec(false, String::new(), now)?;
            let bytes = read(&input)?;
            let signed = bundle::resign(&bytes, &spec, &key)
                .with_context(|| format!("{}", input.display()))?;
            std::fs::write(&path, &signed)
                .with_context(|| format!("writing {}", path.display()))?;
            writeln!(
                out,
                "bundle {} signed by key {} written to {}",
                spec.version,
                hex::encode(bundle::key_id(&key.verifying_key())),
                path.display()
            )?;
        }
        IntelCommand::Verify {
            bundle: path,
            pubkey,
            at,
            allow_expired,
        } => {
            let key = read_verifying_key(&pubkey)?;
            let at = time_arg(at.as_deref(), now)?;
            let bytes = read(&path)?;
            let b = bundle::verify_with(&bytes, &key, at, VerifyPolicy { allow_expired })
                .with_context(|| format!("{} refused", path.display()))?;
            let i = b.info();
            writeln!(out, "OK {}", path.display())?;
            writeln!(out, "version: {}", i.version)?;
            writeln!(out, "created: {}", i.created.to_rfc3339())?;
            writeln!(out, "expires: {}", i.expires().to_rfc3339())?;
            writeln!(out, "stale: {}", i.is_expired(at))?;
            writeln!(out, "key id: {}", hex::encode(i.key_id))?;
            writeln!(out, "filter mode: {}", i.filter_mode)?;
            writeln!(out, "ip entries: {}", b.hotlist().len())?;
            if let Some(f) = b.filter() {
                writeln!(out, "filtered addresses: {}", f.len())?;
            }
            writeln!(out, "other indicators: {}", b.iocs().len())?;
            writeln!(out, "etag: {}", bundle::bundle_etag(&bytes))?;
        }
        IntelCommand::Lookup {
            input,
            pubkey,
            values,
        } => lookup(&input, pubkey.as_deref(), &values, out, now)?,
        #[cfg(feature = "cli-admin")]
        IntelCommand::Keygen {
            secret,
            public,
            force,
        } => {
            for p in [&secret, &public] {
                if p.exists() && !force {
                    bail!("{} exists (use --force to overwrite)", p.display());
                }
            }
            let k = generate_signing_key();
            write_secret(&secret, &signing_key_to_hex(&k))?;
            std::fs::write(&public, verifying_key_to_hex(&k.verifying_key()) + "\n")
                .with_context(|| format!("writing {}", public.display()))?;
            writeln!(
                out,
                "key id {}: secret {}, public {}",
                hex::encode(bundle::key_id(&k.verifying_key())),
                secret.display(),
                public.display()
            )?;
        }
    }
    Ok(())
}

fn read(p: &Path) -> Result<Vec<u8>> {
    std::fs::read(p).with_context(|| format!("reading {}", p.display()))
}

#[cfg(feature = "cli-admin")]
fn read_signing_key(p: &Path) -> Result<SigningKey> {
    let s = String::from_utf8(read(p)?).context("key file is not text")?;
    signing_key_from_hex(&s).with_context(|| format!("{}", p.display()))
}

fn read_verifying_key(p: &Path) -> Result<VerifyingKey> {
    let s = String::from_utf8(read(p)?).context("key file is not text")?;
    verifying_key_from_hex(&s).with_context(|| format!("{}", p.display()))
}

#[cfg(feature = "cli-admin")]
fn write_secret(p: &Path, hex_key: &str) -> Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(p)
        .with_context(|| format!("writing {}", p.display()))?;
    f.write_all(hex_key.as_bytes())?;
    f.write_all(b"\n")?;
    Ok(())
}

fn time_arg(s: Option<&str>, now: DateTime<Utc>) -> Result<DateTime<Utc>> {
    match s {
        None => Ok(now),
        Some(s) => feed::parse_time(s).map_err(|e| anyhow!(e)),
    }
}

fn detect_format(name: &str, text: &str, input: &InputArgs) -> Result<FeedFormat> {
    let lower = name.to_ascii_lowercase();
    let fmt = match input.format {
        InputFormat::Auto if lower.ends_with(".jsonl") => InputFormat::Intel,
        InputFormat::Auto if lower.ends_with(".json") => InputFormat::Stix,
        InputFormat::Auto if lower.ends_with(".csv") => InputFormat::Csv,
        InputFormat::Auto if text.trim_start().starts_with('{') => InputFormat::Stix,
        InputFormat::Auto if input.min_score.is_some() => InputFormat::Ipsum,
        InputFormat::Auto => InputFormat::Plain,
        f => f,
    };
    Ok(match fmt {
        InputFormat::Plain | InputFormat::Auto => FeedFormat::Plain,
        InputFormat::Ipsum => FeedFormat::Ipsum {
            min_score: input.min_score,
        },
        InputFormat::Csv => {
            let spec = input
                .csv_mapping
                .as_deref()
                .ok_or_else(|| anyhow!("{name}: CSV input needs --csv-mapping"))?;
            FeedFormat::Csv(CsvMapping::parse_spec(spec).map_err(|e| anyhow!(e))?)
        }
        InputFormat::Stix => FeedFormat::Stix,
        // Handled by the caller.
        InputFormat::Intel => FeedFormat::Plain,
    })
}

#[cfg(feature = "cli-admin")]
fn is_intel_file(name: &str, input: &InputArgs) -> bool {
    input.format == InputFormat::Intel
        || (input.format == InputFormat::Auto && name.to_ascii_lowercase().ends_with(".jsonl"))
}

#[cfg(feature = "cli-admin")]
fn source_name(input: &str) -> String {
    match FeedLocation::parse(input) {
        FeedLocation::Url(u) => u,
        FeedLocation::File(p) => p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| input.to_string()),
    }
}

/// Loads and merges every input, prints a report line per input, prunes expired indicators and
/// subtracts the allowlist.
#[cfg(feature = "cli-admin")]
fn load_inputs(input: &InputArgs, out: &mut dyn Write, now: DateTime<Utc>) -> Result<IntelSet> {
    let mut set = IntelSet::new();
    let timeout = Duration::from_secs(input.timeout_secs);
    for name in &input.inputs {
        let loc = FeedLocation::parse(name);
        let text = match feed::fetch(&loc, &FeedState::default(), timeout)? {
            Fetched::Body { text, .. } => text,
            Fetched::NotModified => bail!("{name}: unexpected 304 Not Modified"),
        };
        let source = source_name(name);
        if is_intel_file(name, input) {
            let s = IntelSet::from_json_lines(&text, &source)?;
            writeln!(
                out,
                "{name}: {} indicators, {} pattern indicators",
                s.len(),
                s.pattern_indicators().len()
            )?;
            set.extend(s);
            continue;
        }
        let format = detect_format(name, &text, input)?;
        let opts = FeedOptions {
            strict: input.strict,
            guess_kinds: true,
            ..FeedOptions::default()
        };
        let (s, r) = feed::parse_feed(&text, &source, &format, &opts, now)?;
        writeln!(
            out,
            "{name}: {} records, {} accepted, {} below min score, {} expired, {} malformed, {} pattern indicators",
            r.records, r.accepted, r.below_min_score, r.expired, r.malformed, r.pattern_indicators
        )?;
        for p in &r.first_malformed {
            writeln!(out, "  {name}:{}: {}", p.at, p.reason)?;
        }
        set.extend(s);
    }
    set.prune_expired(now);
    let mut allow = if input.no_private_allowlist {
        Vec::new()
    } else {
        private_ranges()
    };
    allow.extend(input.allow.iter().copied());
    let changed = set.subtract_allowlist(&allow);
    let counts: Vec<String> = set
        .counts()
        .iter()
        .map(|(k, n)| format!("{k}={n}"))
        .collect();
    writeln!(
        out,
        "total: {} indicators ({}), {} pattern indicators, {} touched by the allowlist",
        set.len(),
        counts.join(" "),
        set.pattern_indicators().len(),
        changed
    )?;
    Ok(set)
}

fn lookup(
    input: &Path,
    pubkey: Option<&Path>,
    values: &[String],
    out: &mut dyn Write,
    now: DateTime<Utc>,
) -> Result<()> {
    let bytes = read(input)?;
    if bundle::looks_like_bundle(&bytes) {
        let b = match pubkey {
            Some(k) => bundle::verify_with(
                &bytes,
                &read_verifying_key(k)?,
                now,
                VerifyPolicy {
                    allow_expired: true,
                },
            )?,
            None => {
                writeln!(out, "note: signature not checked (no --pubkey)")?;
                bundle::decode_unauthenticated(&bytes)?
            }
        };
        if b.is_expired(now) {
            writeln!(out, "note: bundle {} is expired (stale)", b.version())?;
        }
        let all = b.all_indicators();
        for v in values {
            let line = match IndicatorValue::guess(v) {
                Ok(IndicatorValue::Net(n)) => match b.check_ip(n.addr()) {
                    IpVerdict::Listed(e) => format!(
                        "{v}: listed as {} score {}",
                        e.net,
                        e.score.map_or("-".into(), |s| s.to_string())
                    ),
                    IpVerdict::MaybeListed => {
                        format!("{v}: maybe listed (filter hit; confirm with the server)")
                    }
                    IpVerdict::NotListed => format!("{v}: not listed"),
                },
                _ => describe(v, &all),
            };
            writeln!(out, "{line}")?;
        }
        return Ok(());
    }
    let text =
        String::from_utf8(bytes).with_context(|| format!("{} is not text", input.display()))?;
    let name = input.display().to_string();
    let set = if name.ends_with(".jsonl") {
        IntelSet::from_json_lines(&text, &name)?
    } else {
        let args = InputArgs {
            inputs: vec![name.clone()],
            format: InputFormat::Auto,
            min_score: None,
            csv_mapping: None,
            strict: false,
            allow: Vec::new(),
            no_private_allowlist: true,
            timeout_secs: 60,
        };
        let format = detect_format(&name, &text, &args)?;
        let opts = FeedOptions {
            guess_kinds: true,
            ..FeedOptions::default()
        };
        feed::parse_feed(&text, &name, &format, &opts, now)?.0
    };
    for v in values {
        writeln!(out, "{}", describe(v, &set))?;
    }
    Ok(())
}

fn describe(v: &str, set: &IntelSet) -> String {
    let hit = match IndicatorValue::guess(v) {
        Ok(IndicatorValue::Net(n)) => set.lookup_ip(n.addr()),
        Ok(IndicatorValue::Hash(_)) => set.lookup_hash(v),
        Ok(IndicatorValue::Domain { .. }) => set.lookup_domain(v.trim_start_matches("*.")),
        Ok(IndicatorValue::ProcessPath(_)) => set.lookup_process("", Some(v)),
        Ok(IndicatorValue::ProcessName(_)) => set.lookup_process(v, None),
        Err(e) => return format!("{v}: {e}"),
    };
    match hit {
        Some(i) => format!(
            "{v}: listed as {} ({}) from {} score {}",
            i.value,
            i.value.kind(),
            i.source,
            i.effective_score().map_or("-".into(), |s| s.to_string())
        ),
        None => format!("{v}: not listed"),
    }
}

#[cfg(all(test, feature = "cli-admin"))]
mod tests {
    use super::*;

    fn run_args(args: &[&str], now: &str) -> Result<String> {
        let cmd = parse_args(args.iter().copied())?;
        let mut out = Vec::new();
        run_to(cmd, &mut out, now.parse()?)?;
        Ok(String::from_utf8(out)?)
    }

    #[test]
    fn keygen_build_verify_lookup_sign_import() {
        let dir = tempfile::tempdir().unwrap();
        let d = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
        let now = "2026-11-23T00:00:00Z";
        let o = run_args(
            &["keygen", "--secret", &d("k.sec"), "--public", &d("k.pub")],
            now,
        )
        .unwrap();
        assert!(o.contains("key id"));
        assert!(
            run_args(
                &["keygen", "--secret", &d("k.sec"), "--public", &d("k.pub")],
                now
            )
            .is_err()
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(d("k.sec")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(
            d("ipsum.txt"),
            "# c\n203.0.113.9\t7\n198.51.100.1\t1\n10.0.0.1\t9\n",
        )
        .unwrap();
        std::fs::write(d("extra.txt"), "evil.test\n*.bad.test\n").unwrap();
        let o = run_args(
            &[
                "build",
                &d("ipsum.txt"),
                &d("extra.txt"),
                "--min-score",
                "2",
                "--key",
                &d("k.sec"),
                "--bundle-version",
                "b-1",
                "--ttl-secs",
                "3600",
                "--out",
                &d("b.bin"),
            ],
            now,
        )
        .unwrap();
        assert!(o.contains("1 below min score"), "{o}");
        assert!(o.contains("bundle b-1"), "{o}");
        let o = run_args(&["verify", &d("b.bin"), "--pubkey", &d("k.pub")], now).unwrap();
        assert!(
            o.contains("version: b-1") && o.contains("ip entries: 1"),
            "{o}"
        );
        let (bundle, public) = (d("b.bin"), d("k.pub"));
        let after_expiry = [
            "verify",
            &bundle,
            "--pubkey",
            &public,
            "--at",
            "2026-11-23T02:00:00Z",
        ];
        let e = run_args(&after_expiry, now).unwrap_err();
        assert!(format!("{e:#}").contains("expired"), "{e:#}");
        let o = run_args(&[&after_expiry[..], &["--allow-expired"]].concat(), now).unwrap();
        assert!(o.contains("stale: true"));
        let o = run_args(
            &[
                "lookup",
                "--in",
                &d("b.bin"),
                "--pubkey",
                &d("k.pub"),
                "203.0.113.9",
                "10.0.0.1",
                "x.bad.test",
                "good.test",
            ],
            now,
        )
        .unwrap();
        assert!(
            o.contains("203.0.113.9: listed as 203.0.113.9/32 score 7"),
            "{o}"
        );
        assert!(
            o.contains("10.0.0.1: not listed"),
            "private ranges are allowlisted: {o}"
        );
        assert!(o.contains("x.bad.test: listed as *.bad.test"), "{o}");
        assert!(o.contains("good.test: not listed"), "{o}");
        // Re-sign with another key and version.
        run_args(
            &["keygen", "--secret", &d("k2.sec"), "--public", &d("k2.pub")],
            now,
        )
        .unwrap();
        run_args(
            &[
                "sign",
                &d("b.bin"),
                "--key",
                &d("k2.sec"),
                "--bundle-version",
                "b-2",
                "--out",
                &d("b2.bin"),
            ],
            now,
        )
        .unwrap();
        let o = run_args(&["verify", &d("b2.bin"), "--pubkey", &d("k2.pub")], now).unwrap();
        assert!(
            o.contains("version: b-2") && o.contains("ip entries: 1"),
            "{o}"
        );
        let e = run_args(&["verify", &d("b2.bin"), "--pubkey", &d("k.pub")], now).unwrap_err();
        assert!(format!("{e:#}").contains("wrong signing key"), "{e:#}");
        // Import to JSON Lines, then build from that.
        let o = run_args(
            &[
                "import",
                &d("ipsum.txt"),
                "--allow",
                "203.0.113.0/24",
                "--out",
                &d("set.jsonl"),
            ],
            now,
        )
        .unwrap();
        assert!(o.contains("total: 1 indicators"), "{o}");
        let o = run_args(
            &[
                "lookup",
                "--in",
                &d("set.jsonl"),
                "198.51.100.1",
                "203.0.113.9",
            ],
            now,
        )
        .unwrap();
        assert!(
            o.contains("198.51.100.1: listed") && o.contains("203.0.113.9: not listed"),
            "{o}"
        );
        run_args(
            &[
                "build",
                &d("set.jsonl"),
                "--key",
                &d("k.sec"),
                "--bundle-version",
                "b-3",
                "--filter",
                "--out",
                &d("b3.bin"),
            ],
            now,
        )
        .unwrap();
        let o = run_args(&["lookup", "--in", &d("b3.bin"), "198.51.100.1"], now).unwrap();
        assert!(
            o.contains("maybe listed") && o.contains("signature not checked"),
            "{o}"
        );
        // A CSV input without a mapping is refused with a clear message.
        std::fs::write(d("x.csv"), "a\n1.2.3.4\n").unwrap();
        let e = run_args(&["import", &d("x.csv")], now).unwrap_err();
        assert!(e.to_string().contains("--csv-mapping"));
        let o = run_args(&["import", &d("x.csv"), "--csv-mapping", "value=a"], now).unwrap();
        assert!(o.contains("1 accepted"), "{o}");
    }

    #[test]
    fn bad_arguments_are_rejected() {
        assert!(parse_args(["build", "x"]).is_err());
        assert!(parse_args(["frobnicate"]).is_err());
        assert!(parse_args(["import", "a", "--allow", "not-a-cidr"]).is_err());
        assert!(matches!(
            parse_args(["verify", "b", "--pubkey", "k"]),
            Ok(IntelCommand::Verify { .. })
        ));
    }
}
