//! The agent's bundle cache (`current.bundle` with its last-good fallback, verified once per
//! file) and fetching a bundle over HTTP.

use super::*;

/// Deterministic HTTP entity tag of a bundle: `"sha256-<first 32 hex of its SHA-256>"`,
/// quoted as HTTP requires.
pub fn bundle_etag(bytes: &[u8]) -> String {
    format!("\"sha256-{}\"", &hex::encode(Sha256::digest(bytes))[..32])
}

/// Largest bundle accepted over HTTP.
pub const MAX_BUNDLE_BYTES: u64 = 512 * 1024 * 1024;

/// GETs a bundle at `path` through an API client (`outpost_http::ApiClient`); `Ok(None)`
/// when the server answers 304 Not Modified to `etag`.
fn fetch_bundle(
    client: &outpost_http::ApiClient,
    path: &str,
    etag: Option<&str>,
) -> Result<Option<Vec<u8>>, BundleError> {
    let url = || client.url(path);
    let fetched = client
        .get_if_none_match(path, etag, MAX_BUNDLE_BYTES + 1)
        .map_err(|e| BundleError::Fetch {
            url: url(),
            reason: e.to_string(),
        })?;
    match fetched {
        Some(b) if b.len() as u64 > MAX_BUNDLE_BYTES => Err(BundleError::Fetch {
            url: url(),
            reason: format!("larger than {MAX_BUNDLE_BYTES} bytes"),
        }),
        b => Ok(b),
    }
}

/// Server side of conditional GETs: whether an `If-None-Match` header value matches `etag`
/// (a comma-separated list, `*`, weak `W/` tags compared weakly as RFC 9110 asks for GET).
pub fn etag_matches(if_none_match: &str, etag: &str) -> bool {
    let strip = |t: &str| t.trim().trim_start_matches("W/").to_string();
    let want = strip(etag);
    if_none_match
        .split(',')
        .any(|t| t.trim() == "*" || strip(t) == want)
}

/// What the agent's bundle cache reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheStatus {
    /// Version of the bundle in use, if any.
    pub current_version: Option<String>,
    /// Its creation time.
    pub created: Option<DateTime<Utc>>,
    /// Its expiry.
    pub expires: Option<DateTime<Utc>>,
    /// Whether there is no bundle or it has expired (hits then need server confirmation).
    pub stale: bool,
    /// The last refused bundle's error, until a later install succeeds.
    pub last_error: Option<String>,
    /// When that error happened.
    pub last_error_at: Option<DateTime<Utc>>,
    /// When the bundle in use was installed (or loaded at start).
    pub installed_at: Option<DateTime<Utc>>,
}

/// What [`BundleCache::install`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstallOutcome {
    /// The bundle was verified, written and is now in use.
    Installed {
        /// Its version.
        version: String,
    },
    /// The same bytes are already installed.
    Unchanged,
}

/// The agent's directory of verified bundles. A new bundle replaces the current one only if it
/// verifies (and is not older); otherwise the last good bundle stays in use and the error is
/// reported in [`BundleCache::status`].
#[derive(Debug)]
pub struct BundleCache {
    dir: PathBuf,
    key: VerifyingKey,
    /// The bundle in use, decoded (not with [`BundleCache::open_header`]).
    current: Option<Arc<Bundle>>,
    /// Its signed header facts (with either way of opening).
    current_info: Option<BundleInfo>,
    current_etag: Option<String>,
    installed_at: Option<DateTime<Utc>>,
    last_error: Option<(String, DateTime<Utc>)>,
}

/// File name of the installed bundle inside the cache directory.
pub const CURRENT_FILE: &str = "current.bundle";

/// A file's identity for [`VERIFIED`]: size, modification time and inode (the key the agent's
/// hash cache trusts too). Taken from the open handle the bytes are read from, or the temporary
/// file they were written to before the rename that installs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileMark {
    size: u64,
    mtime_ns: i64,
    identity: u64,
}

impl FileMark {
    fn of(meta: &std::fs::Metadata) -> FileMark {
        FileMark {
            size: meta.len(),
            mtime_ns: outpost_platform::mtime_ns(meta),
            identity: outpost_platform::file_identity(meta),
        }
    }
}

/// An installed bundle file this process verified, or wrote after verifying.
#[derive(Debug, Clone)]
struct Verified {
    path: PathBuf,
    mark: FileMark,
    key_id: [u8; 8],
    etag: String,
}

/// Installed bundle files this process has verified, newest last (at most [`VERIFIED_MAX`]).
/// Reopening a file whose identity has not changed since skips its two SHA-256 digests (the
/// payload's and the ETag's) and the signature check: the agent reopens its bundle every
/// minute in the correlation pass and at each check-in, and for a bundle of 100k hashes and
/// domains (8 MB) those digests were most of the cost. A modified file (new size, mtime or
/// inode — an install renames a new file into place) is verified again. Nothing here is
/// written to disk: a new process verifies everything once.
static VERIFIED: std::sync::Mutex<Vec<Verified>> = std::sync::Mutex::new(Vec::new());
const VERIFIED_MAX: usize = 16;

fn recall_verified(path: &Path, mark: FileMark, key_id: [u8; 8]) -> Option<String> {
    let v = VERIFIED.lock().ok()?;
    v.iter()
        .rev()
        .find(|v| v.path == path && v.mark == mark && v.key_id == key_id)
        .map(|v| v.etag.clone())
}

fn remember_verified(path: &Path, mark: FileMark, key_id: [u8; 8], etag: &str) {
    if let Ok(mut v) = VERIFIED.lock() {
        v.retain(|v| v.path != path);
        if v.len() >= VERIFIED_MAX {
            v.remove(0);
        }
        v.push(Verified {
            path: path.to_path_buf(),
            mark,
            key_id,
            etag: etag.to_string(),
        });
    }
}

/// Opens a file and takes the identity of what will be read (from the handle before reading:
/// a change while reading gives the file a newer identity than the one recorded).
fn open_marked(path: &Path) -> std::io::Result<(std::fs::File, FileMark)> {
    let f = std::fs::File::open(path)?;
    let mark = FileMark::of(&f.metadata()?);
    Ok((f, mark))
}

/// The rest of an open file.
fn read_all(mut f: std::fs::File, mark: FileMark) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::with_capacity(usize::try_from(mark.size).unwrap_or(0));
    f.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The first bytes of an open bundle file that hold its header, version and signature (see
/// [`head_len`]), or the whole file when it is shorter: a few hundred bytes instead of the
/// megabytes of its payload.
fn read_head(f: std::fs::File) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut head = Vec::with_capacity(FIXED_HEADER + 256 + SIG_LEN);
    let mut f = f.take(FIXED_HEADER as u64);
    f.read_to_end(&mut head)?;
    if let Some(want) = head_len(&head) {
        f.set_limit((want - head.len()) as u64);
        f.read_to_end(&mut head)?;
    }
    Ok(head)
}

/// How [`BundleCache`] loads the installed bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Load {
    /// Decoded, for matching.
    Decoded,
    /// Its header facts and ETag only (status reports and conditional fetches).
    Header,
}

impl BundleCache {
    /// Opens (creating) the cache directory and loads the installed bundle, if any. The installed
    /// bundle is re-verified with the pinned key (unless this process verified the same
    /// unchanged file before: see [`VERIFIED`]); an expired one is still used (and reported
    /// stale). A bundle that no longer verifies is ignored and reported as `last_error`.
    pub fn open(
        dir: &Path,
        key: VerifyingKey,
        now: DateTime<Utc>,
    ) -> Result<BundleCache, BundleError> {
        Self::open_as(dir, key, now, Load::Decoded)
    }

    /// [`BundleCache::open`] without decoding the installed bundle: [`BundleCache::current`] is
    /// `None`, while the status, the ETag for conditional fetches and installs work as with
    /// `open`. For a check-in, which needs no lookups: a bundle this process verified before is
    /// not read beyond its header.
    pub fn open_header(
        dir: &Path,
        key: VerifyingKey,
        now: DateTime<Utc>,
    ) -> Result<BundleCache, BundleError> {
        Self::open_as(dir, key, now, Load::Header)
    }

    fn open_as(
        dir: &Path,
        key: VerifyingKey,
        now: DateTime<Utc>,
        load: Load,
    ) -> Result<BundleCache, BundleError> {
        std::fs::create_dir_all(dir).map_err(|source| BundleError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut cache = BundleCache {
            dir: dir.to_path_buf(),
            key,
            current: None,
            current_info: None,
            current_etag: None,
            installed_at: None,
            last_error: None,
        };
        let path = cache.current_path();
        let key_id = key_id(&cache.key);
        let opened = open_marked(&path).and_then(|(f, mark)| {
            let memo = recall_verified(&path, mark, key_id);
            // Verified by this process as it is and only its header wanted: the header only.
            let bytes = match (&memo, load) {
                (Some(_), Load::Header) => read_head(f)?,
                _ => read_all(f, mark)?,
            };
            Ok((bytes, mark, memo))
        });
        match opened {
            Ok((bytes, mark, memo)) => {
                let loaded = match memo {
                    // Verified by this process as it is: structure only.
                    Some(etag) => match load {
                        Load::Decoded => parse_envelope(&bytes).and_then(|p| {
                            let info = p.info.clone();
                            Ok((info, Some(decode_payload(p)?), etag))
                        }),
                        Load::Header => parse_head(&bytes, mark.size).map(|p| (p.info, None, etag)),
                    },
                    None => {
                        let policy = VerifyPolicy {
                            allow_expired: true,
                        };
                        verify_with(&bytes, &cache.key, now, policy).map(|b| {
                            let etag = bundle_etag(&bytes);
                            remember_verified(&path, mark, key_id, &etag);
                            let info = b.info.clone();
                            (info, (load == Load::Decoded).then_some(b), etag)
                        })
                    }
                };
                match loaded {
                    Ok((info, decoded, etag)) => {
                        cache.current = decoded.map(Arc::new);
                        cache.current_info = Some(info);
                        cache.current_etag = Some(etag);
                        cache.installed_at = Some(now);
                    }
                    Err(e) => cache.last_error = Some((format!("installed bundle: {e}"), now)),
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(BundleError::Io { path, source }),
        }
        Ok(cache)
    }

    /// Path of the installed bundle file (loadable with [`Hotlist::from_path`]).
    pub fn current_path(&self) -> PathBuf {
        self.dir.join(CURRENT_FILE)
    }

    /// The bundle in use.
    pub fn current(&self) -> Option<Arc<Bundle>> {
        self.current.clone()
    }

    /// ETag of the bundle in use, for `If-None-Match` on the next fetch.
    pub fn etag(&self) -> Option<&str> {
        self.current_etag.as_deref()
    }

    /// Verifies and installs a bundle. On any error the current bundle stays in use and the
    /// error is recorded for [`BundleCache::status`].
    pub fn install(
        &mut self,
        bytes: &[u8],
        now: DateTime<Utc>,
    ) -> Result<InstallOutcome, BundleError> {
        let result = self.try_install(bytes, now);
        match &result {
            Ok(_) => self.last_error = None,
            Err(e) => self.last_error = Some((e.to_string(), now)),
        }
        result
    }

    fn try_install(
        &mut self,
        bytes: &[u8],
        now: DateTime<Utc>,
    ) -> Result<InstallOutcome, BundleError> {
        let etag = bundle_etag(bytes);
        if self.current_etag.as_deref() == Some(etag.as_str()) {
            // Already verified when installed; an expired copy is not "new" either.
            return Ok(InstallOutcome::Unchanged);
        }
        let bundle = verify(bytes, &self.key, now)?;
        if let Some(cur) = &self.current_info
            && bundle.info.created < cur.created
        {
            return Err(BundleError::Older {
                offered: bundle.info.version.clone(),
                offered_created: bundle.info.created,
                current: cur.version.clone(),
                current_created: cur.created,
            });
        }
        let path = self.current_path();
        let tmp = self.dir.join(format!("{CURRENT_FILE}.tmp"));
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| BundleError::Io { path, source }
        };
        let mark = {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp).map_err(io(&tmp))?;
            f.write_all(bytes).map_err(io(&tmp))?;
            f.sync_all().map_err(io(&tmp))?;
            f.metadata().map(|m| FileMark::of(&m)).map_err(io(&tmp))?
        };
        std::fs::rename(&tmp, &path).map_err(io(&path))?;
        // A rename keeps the inode and the mtime: the installed file is the one written.
        remember_verified(&path, mark, bundle.info.key_id, &etag);
        let version = bundle.info.version.clone();
        self.current_info = Some(bundle.info.clone());
        self.current = Some(Arc::new(bundle));
        self.current_etag = Some(etag);
        self.installed_at = Some(now);
        Ok(InstallOutcome::Installed { version })
    }

    /// Fetches the tenant's bundle from `url` with `If-None-Match` (the installed bundle's ETag)
    /// and installs it if it changed and verifies. `headers` are added to the request (e.g.
    /// the agent's `Authorization`). A 304 answer is [`InstallOutcome::Unchanged`]; network
    /// and HTTP errors, like refused bundles, leave the current bundle in use and are recorded
    /// in [`BundleCache::status`].
    pub fn refresh_from_url(
        &mut self,
        url: &str,
        headers: &[(&str, &str)],
        timeout: Duration,
        now: DateTime<Utc>,
    ) -> Result<InstallOutcome, BundleError> {
        let options = outpost_http::ClientOptions {
            timeout,
            user_agent: None,
        };
        let mut client = outpost_http::ApiClient::with_options(url, &options);
        for (k, v) in headers {
            client = client.with_header(k, v);
        }
        self.refresh_with(&client, "", now)
    }

    /// [`BundleCache::refresh_from_url`] through a client the caller keeps (its base URL, headers
    /// and connection pool), for the bundle at `path` under its base URL.
    pub fn refresh_with(
        &mut self,
        client: &outpost_http::ApiClient,
        path: &str,
        now: DateTime<Utc>,
    ) -> Result<InstallOutcome, BundleError> {
        match fetch_bundle(client, path, self.current_etag.as_deref()) {
            Ok(None) => {
                self.last_error = None;
                Ok(InstallOutcome::Unchanged)
            }
            Ok(Some(bytes)) => self.install(&bytes, now),
            Err(e) => {
                self.last_error = Some((e.to_string(), now));
                Err(e)
            }
        }
    }

    /// Checks an address against the bundle in use, for the agent's matching loop: a listed
    /// address becomes [`IpVerdict::MaybeListed`] (ask the server to confirm) when the bundle is
    /// stale, and without any bundle nothing is listed.
    pub fn check_ip(&self, ip: IpAddr, now: DateTime<Utc>) -> IpVerdict {
        let Some(b) = &self.current else {
            return IpVerdict::NotListed;
        };
        match b.check_ip(ip) {
            IpVerdict::Listed(_) if b.is_expired(now) => IpVerdict::MaybeListed,
            v => v,
        }
    }

    /// Whether there is no bundle or the current one has expired.
    pub fn is_stale(&self, now: DateTime<Utc>) -> bool {
        self.current_info.as_ref().is_none_or(|i| i.is_expired(now))
    }

    /// Current version, last error and staleness.
    pub fn status(&self, now: DateTime<Utc>) -> CacheStatus {
        let info = self.current_info.as_ref();
        CacheStatus {
            current_version: info.map(|i| i.version.clone()),
            created: info.map(|i| i.created),
            expires: info.map(|i| i.expires()),
            stale: self.is_stale(now),
            last_error: self.last_error.as_ref().map(|(e, _)| e.clone()),
            last_error_at: self.last_error.as_ref().map(|(_, t)| *t),
            installed_at: self.installed_at,
        }
    }
}
