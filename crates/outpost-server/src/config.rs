//! Server configuration: a TOML file, then environment overrides (`OUTPOST_*`).

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Errors reading the configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("config file {path} is invalid: {source}")]
    Parse {
        path: String,
        source: toml::de::Error,
    },
    #[error("environment variable {var} is invalid: {message}")]
    Env { var: &'static str, message: String },
    #[error("configuration key {key} is invalid: {message}")]
    Invalid { key: &'static str, message: String },
}

/// Everything `outpost server` needs.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Where the embedded database and other server state live.
    pub data_dir: PathBuf,
    /// `postgres://…` to use PostgreSQL instead of the embedded SQLite database.
    pub database_url: Option<String>,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// The URL users reach the server at (for links in tickets and messages).
    pub public_url: Option<String>,
    /// The Sensoroni/Threatsensor-compatible job API (`/api/node`, `/api/job/`, …).
    pub sensoroni: SensoroniConfig,
    /// Elasticsearch/OpenSearch used by `/joblookup` to build PCAP jobs from documents.
    pub elastic_url: Option<String>,
    /// Index pattern searched by `/joblookup`.
    pub elastic_index: String,
    /// Hits received longer ago than this are deleted (0 keeps them forever).
    pub retention_days: u32,
    /// How long a UI session lasts after login.
    pub session_hours: u32,
    /// The check-in interval the server asks agents for.
    pub checkin_interval_s: u32,
    /// Check-ins and uploads update their device rows in one transaction per this many
    /// milliseconds for all devices (write-behind, see `reports.rs`); 0 writes each at once.
    pub checkin_flush_ms: u32,
    /// Requests per second allowed per device token, API key or user (burst: 5x); 0 = off.
    pub rate_limit_per_s: u32,
    /// Login attempts per minute allowed per client address (burst 10); 0 = off. IPv6
    /// clients are counted per /64 (one host usually owns a whole /64).
    pub login_rate_per_min: u32,
    /// Reverse proxies (addresses or CIDRs) whose `X-Forwarded-For` is believed: for a
    /// connection from one of them the client is the right-most address of the header that
    /// is not itself a trusted proxy. From any other peer the header is ignored. Empty (the
    /// default): the connection's address is the client, whatever the headers say.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Serve HTTPS (`[tls] cert`, `key`, optional `client_ca`, `require_client_cert`).
    pub tls: Option<crate::tls::TlsConfig>,
    /// The job queue: lease, attempts, result cap, and which kinds each role and tenant may
    /// create.
    pub jobs: JobsSettings,
    /// Threat intel: the bundle signing key, global feeds, bundle lifetime (`[intel]`).
    pub intel: IntelConfig,
    /// Detection at ingest: rules and Sigma directory, static lists, alert thresholds
    /// (`[detect]`).
    pub detect: DetectConfig,
    /// Where stored hits and alerts are forwarded (`[[outputs]]`: Elasticsearch/OpenSearch,
    /// Kafka, Redis, NATS, Logstash, syslog, file, stdout, webhook, Syncro, Slack, Teams).
    pub outputs: Vec<outpost_outputs::OutputConfig>,
    /// Telemetry of other sensors read from Kafka topics or NATS subjects (`[[inputs]]`:
    /// Tetragon, Falco or Outpost events), scored like agent telemetry.
    pub inputs: Vec<crate::inputs::InputConfig>,
    /// Sign-in: local passwords and OpenID Providers (`[auth]`, `[[auth.oidc]]`).
    pub auth: AuthConfig,
    /// Agent self-update (`[releases]`): the public release key and upload size cap.
    pub releases: ReleasesConfig,
}

/// `[releases]`: agent self-update (signed releases and staged rollouts).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ReleasesConfig {
    /// The public half of the release signing key (ed25519, 64 hex digits, from `outpost
    /// release keygen`), separate from the intel key. Uploads must be signed with its private
    /// half, which stays with staff; enrollment hands it to agents, which pin it. Without it
    /// releases cannot be uploaded and agents never update themselves
    /// (`OUTPOST_RELEASE_PUBLIC_KEY`).
    pub public_key: Option<String>,
    /// Largest accepted release file, in bytes (default 256 MiB).
    pub max_bytes: usize,
}

impl Default for ReleasesConfig {
    fn default() -> Self {
        ReleasesConfig {
            public_key: None,
            max_bytes: 256 * 1024 * 1024,
        }
    }
}

/// `[auth]`: how people sign in to the UI.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// Username and password logins (`/login`, `POST /api/v1/auth/login`). `false` leaves
    /// only the OpenID Providers (`OUTPOST_AUTH_LOCAL_LOGIN`).
    pub local_login: bool,
    /// OpenID Providers (`[[auth.oidc]]`).
    pub oidc: Vec<OidcProviderConfig>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            local_login: true,
            oidc: Vec::new(),
        }
    }
}

/// `[[auth.oidc]]`: one OpenID Provider (authorization code flow with PKCE).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OidcProviderConfig {
    /// Short name in URLs and user names (`[a-z0-9_-]`, 1-32 characters).
    pub name: String,
    /// The button's label; defaults to the name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// The issuer URL; `{issuer}/.well-known/openid-configuration` is read at start-up.
    /// `https` unless the host is a loopback address.
    pub issuer: String,
    /// The client id Outpost is registered under at the provider.
    pub client_id: String,
    /// The name of an environment variable holding the client secret…
    #[serde(default)]
    pub client_secret_env: Option<String>,
    /// …or a file holding it (trailing whitespace dropped). Neither: a public client (PKCE
    /// only). The secret is never logged.
    #[serde(default)]
    pub client_secret_file: Option<PathBuf>,
    /// Scopes asked for besides `openid` (default `email`, `profile`).
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// Claim naming the Outpost user (default `email`; `preferred_username`, …); the user is
    /// `{name}:{value}`. Users are linked to the provider's `sub`, not to this name.
    #[serde(default = "default_username_claim")]
    pub username_claim: String,
    /// Claim with the user's groups (a list of strings; default `groups`).
    #[serde(default = "default_groups_claim")]
    pub groups_claim: String,
    /// Claim with the user's app roles (a list of strings; default `roles`).
    #[serde(default = "default_roles_claim")]
    pub roles_claim: String,
    /// Accept an `email` whose `email_verified` is not `true` for `email_domains` rules
    /// (default false; Entra ID sends no `email_verified`: set it for Entra only).
    #[serde(default)]
    pub trust_unverified_email: bool,
    /// Clock skew allowed on `iat`/`exp`, in seconds (default 60).
    #[serde(default = "default_skew")]
    pub clock_skew_s: u64,
    /// Mapping of claims to an Outpost role and tenant, tried in order; the first rule whose
    /// every condition holds decides. A user no rule maps is refused (and a user created
    /// earlier is disabled).
    #[serde(default)]
    pub rules: Vec<OidcRule>,
}

impl OidcProviderConfig {
    /// The provider `name` at `issuer` with these `rules`, a public client registered as
    /// `client_id`, every other key at its default (as `[[auth.oidc]]` with only these keys).
    pub fn new(name: &str, issuer: &str, client_id: &str, rules: Vec<OidcRule>) -> Self {
        OidcProviderConfig {
            name: name.into(),
            display_name: None,
            issuer: issuer.into(),
            client_id: client_id.into(),
            client_secret_env: None,
            client_secret_file: None,
            scopes: default_scopes(),
            username_claim: default_username_claim(),
            groups_claim: default_groups_claim(),
            roles_claim: default_roles_claim(),
            trust_unverified_email: false,
            clock_skew_s: default_skew(),
            rules,
        }
    }
}

/// One mapping rule of `[[auth.oidc.rules]]`. Each condition given must hold (any of its
/// values); a rule needs at least one. The tenant is the rule's, never a claim's.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OidcRule {
    /// Any of these in the groups claim.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Any of these in the roles claim.
    #[serde(default)]
    pub roles: Vec<String>,
    /// The (verified) email's domain is one of these (exact, ASCII case ignored).
    #[serde(default)]
    pub email_domains: Vec<String>,
    /// `admin`, `technician` or `customer`.
    pub role: outpost_core::auth::Role,
    /// The tenant (name or id) of a customer rule; staff rules have none.
    #[serde(default)]
    pub tenant: Option<String>,
}

fn default_scopes() -> Vec<String> {
    vec!["email".into(), "profile".into()]
}
fn default_username_claim() -> String {
    "email".into()
}
fn default_groups_claim() -> String {
    "groups".into()
}
fn default_roles_claim() -> String {
    "roles".into()
}
fn default_skew() -> u64 {
    60
}

impl AuthConfig {
    /// Checks names, URLs, rules and secrets' sources (start-up refuses a bad `[auth]`).
    pub fn validate(&self, public_url: Option<&str>) -> Result<(), ConfigError> {
        let bad = |message: String| ConfigError::Invalid {
            key: "[[auth.oidc]]",
            message,
        };
        if !self.local_login && self.oidc.is_empty() {
            return Err(ConfigError::Invalid {
                key: "[auth] local_login",
                message: "false with no [[auth.oidc]] provider would leave no way to sign in"
                    .into(),
            });
        }
        if !self.oidc.is_empty() && public_url.is_none() {
            return Err(bad(
                "public_url must be set: the provider redirects browsers to {public_url}/api/v1/auth/oidc/{name}/callback".into(),
            ));
        }
        let mut names = std::collections::HashSet::new();
        for p in &self.oidc {
            if p.name.is_empty()
                || p.name.len() > 32
                || !p
                    .name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
            {
                return Err(bad(format!("name {:?}: 1-32 of a-z, 0-9, - and _", p.name)));
            }
            if !names.insert(p.name.as_str()) {
                return Err(bad(format!("name {:?} is used twice", p.name)));
            }
            let u = url::Url::parse(&p.issuer)
                .map_err(|e| bad(format!("{}: issuer {:?}: {e}", p.name, p.issuer)))?;
            let loopback = match u.host() {
                Some(url::Host::Ipv4(a)) => a.is_loopback(),
                Some(url::Host::Ipv6(a)) => a.is_loopback(),
                Some(url::Host::Domain(d)) => d == "localhost",
                None => false,
            };
            if u.scheme() != "https" && !(u.scheme() == "http" && loopback) {
                return Err(bad(format!(
                    "{}: issuer {:?} must be https (http only on a loopback address)",
                    p.name, p.issuer
                )));
            }
            if p.client_id.is_empty() {
                return Err(bad(format!("{}: client_id is empty", p.name)));
            }
            if p.client_secret_env.is_some() && p.client_secret_file.is_some() {
                return Err(bad(format!(
                    "{}: give client_secret_env or client_secret_file, not both",
                    p.name
                )));
            }
            if p.rules.is_empty() {
                return Err(bad(format!(
                    "{}: no [[auth.oidc.rules]]: nobody could sign in",
                    p.name
                )));
            }
            for (i, r) in p.rules.iter().enumerate() {
                if r.groups.is_empty() && r.roles.is_empty() && r.email_domains.is_empty() {
                    return Err(bad(format!(
                        "{} rule {}: needs a condition (groups, roles or email_domains); a rule matching everyone is not allowed",
                        p.name,
                        i + 1
                    )));
                }
                match (r.role, &r.tenant) {
                    (outpost_core::auth::Role::Customer, None) => {
                        return Err(bad(format!(
                            "{} rule {}: a customer rule needs a tenant",
                            p.name,
                            i + 1
                        )));
                    }
                    (
                        outpost_core::auth::Role::Admin | outpost_core::auth::Role::Technician,
                        Some(_),
                    ) => {
                        return Err(bad(format!(
                            "{} rule {}: staff see every tenant; remove tenant",
                            p.name,
                            i + 1
                        )));
                    }
                    (outpost_core::auth::Role::Device, _) => {
                        return Err(bad(format!(
                            "{} rule {}: role must be admin, technician or customer",
                            p.name,
                            i + 1
                        )));
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }
}

/// `[detect]`: how the server scores hits at ingest (see `scoring.rs`).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DetectConfig {
    /// Score hits at all (default true).
    pub enabled: bool,
    /// A directory of YAML rules and SigmaHQ rules (`*.yml`, `*.yaml`, recursive), reloaded
    /// when it changes. Without it only the static engine runs.
    pub rules_dir: Option<PathBuf>,
    /// How often the rules directory is checked for changes.
    pub reload_secs: u64,
    /// Risky processes, watched paths, black- and whitelists (`[detect.static]`).
    #[serde(rename = "static")]
    pub static_engine: outpost_detect::static_engine::StaticConfig,
    /// Score of the hit itself (the agent's intel match) when its feed gave no score.
    pub hit_score: i32,
    /// A hit whose risk score reaches this becomes an alert.
    pub alert_threshold: i64,
    /// Per-tenant thresholds, by tenant name or id.
    pub tenant_thresholds: std::collections::BTreeMap<String, i64>,
    /// A directory of STIX 2.1 bundles (`*.json`, recursive) whose indicator patterns are
    /// evaluated on every event (with their attack models: intrusion-set → attack-pattern →
    /// indicator), reloaded when it changes. Pattern indicators of the `[intel]` STIX feeds
    /// are evaluated too.
    pub stix_dir: Option<PathBuf>,
    /// Score of a STIX pattern match.
    pub stix_score: i32,
    /// Learned behaviour profiles (`[detect.profiles]`).
    pub profiles: ProfileSettings,
}

/// `[detect.profiles]`: per tenant, the profile engine learns each container image's (or,
/// outside containers, each executable's) command lines, child processes, outbound
/// destinations and file paths from full telemetry during a learning window; afterwards a
/// deviation scores `abnormal_score`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ProfileSettings {
    /// Learn and score at all (default true).
    pub enabled: bool,
    /// Learning window per subject, from its first event.
    pub learning_secs: i64,
    /// Score of a deviation after learning.
    pub abnormal_score: i32,
    /// Score of a known command line after learning (0: no indicator; negative lowers).
    pub normal_score: i32,
    /// Items kept per dimension of one profile.
    pub max_items: usize,
    /// Subjects per tenant.
    pub max_subjects: usize,
    /// How often a replica merges its learning into the database and reads the others'.
    pub sync_secs: u64,
}

impl Default for ProfileSettings {
    fn default() -> Self {
        let d = outpost_detect::profile::ProfileConfig::default();
        ProfileSettings {
            enabled: true,
            learning_secs: d.learning_secs,
            abnormal_score: d.abnormal_score,
            normal_score: 0,
            max_items: 1_000,
            max_subjects: d.max_subjects,
            sync_secs: 5,
        }
    }
}

impl ProfileSettings {
    /// The engine settings.
    pub fn engine_config(&self) -> outpost_detect::profile::ProfileConfig {
        outpost_detect::profile::ProfileConfig {
            learning_secs: self.learning_secs,
            abnormal_score: self.abnormal_score,
            normal_score: self.normal_score,
            max_items: self.max_items,
            max_subjects: self.max_subjects,
        }
    }
}

impl Default for DetectConfig {
    fn default() -> Self {
        DetectConfig {
            enabled: true,
            rules_dir: None,
            reload_secs: 5,
            static_engine: outpost_detect::static_engine::StaticConfig::default(),
            hit_score: 50,
            alert_threshold: 100,
            tenant_thresholds: std::collections::BTreeMap::new(),
            stix_dir: None,
            stix_score: 70,
            profiles: ProfileSettings::default(),
        }
    }
}

/// `[jobs]`: queue tuning and the job-kind policy.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct JobsSettings {
    /// Seconds a claim (and each renewal while the job runs) holds a job for its agent.
    /// Env: `OUTPOST_JOBS_LEASE_SECS`.
    pub lease_secs: u64,
    /// Attempts before a failing job stays failed (1..=20; a job may ask for fewer or more
    /// within that range). Env: `OUTPOST_JOBS_MAX_ATTEMPTS`.
    pub max_attempts: i64,
    /// Largest result an agent may upload, in bytes. Env: `OUTPOST_JOBS_MAX_RESULT_BYTES`.
    pub max_result_bytes: u64,
    /// Which kinds each role, and each tenant, may create.
    pub kinds: KindSettings,
}

/// `[jobs.kinds]`: allowed job kinds per role (a role left out keeps its default) and an
/// optional restriction per tenant. `"*"` allows every kind; `[]` none.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct KindSettings {
    /// Default `["*"]`. Env: `OUTPOST_JOBS_KINDS_ADMIN` (comma-separated).
    pub admin: Option<Vec<String>>,
    /// Default `["*"]`. Env: `OUTPOST_JOBS_KINDS_TECHNICIAN`.
    pub technician: Option<Vec<String>>,
    /// Default `["pcap", "file.hash", "process.list"]`. Env: `OUTPOST_JOBS_KINDS_CUSTOMER`.
    pub customer: Option<Vec<String>>,
    /// `[jobs.kinds.tenants] <tenant name or id> = [kinds]`: in that tenant a kind must be
    /// allowed for the role *and* listed here. Names are resolved to ids at start-up.
    pub tenants: std::collections::BTreeMap<String, Vec<String>>,
}

impl Default for JobsSettings {
    fn default() -> Self {
        JobsSettings {
            lease_secs: 300,
            max_attempts: 3,
            max_result_bytes: 256 * 1024 * 1024,
            kinds: KindSettings::default(),
        }
    }
}

impl JobsSettings {
    /// Checks ranges and that every kind named is a known one (a typo would otherwise
    /// silently allow or deny nothing).
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(1..=86_400).contains(&self.lease_secs) {
            return Err(ConfigError::Invalid {
                key: "jobs.lease_secs",
                message: format!("{} is not 1..=86400", self.lease_secs),
            });
        }
        if !(1..=20).contains(&self.max_attempts) {
            return Err(ConfigError::Invalid {
                key: "jobs.max_attempts",
                message: format!("{} is not 1..=20", self.max_attempts),
            });
        }
        if self.max_result_bytes == 0 {
            return Err(ConfigError::Invalid {
                key: "jobs.max_result_bytes",
                message: "must be at least 1".into(),
            });
        }
        let k = &self.kinds;
        let lists = [
            ("jobs.kinds.admin", k.admin.as_ref()),
            ("jobs.kinds.technician", k.technician.as_ref()),
            ("jobs.kinds.customer", k.customer.as_ref()),
        ]
        .into_iter()
        .filter_map(|(key, v)| v.map(|v| (key, v)))
        .chain(k.tenants.values().map(|v| ("jobs.kinds.tenants", v)));
        for (key, list) in lists {
            for kind in list {
                if kind != "*" && !outpost_jobs::KNOWN_KINDS.contains(&kind.as_str()) {
                    return Err(ConfigError::Invalid {
                        key,
                        message: format!(
                            "unknown job kind {kind:?}; known: {}",
                            outpost_jobs::KNOWN_KINDS.join(", ")
                        ),
                    });
                }
            }
        }
        Ok(())
    }

    /// The kind policy, with tenant keys mapped through `tenant_id` (name or id → id).
    pub fn policy(&self, tenant_id: impl Fn(&str) -> String) -> outpost_jobs::KindPolicy {
        use outpost_core::auth::Role;
        let mut p = outpost_jobs::KindPolicy::default();
        for (role, list) in [
            (Role::Admin, &self.kinds.admin),
            (Role::Technician, &self.kinds.technician),
            (Role::Customer, &self.kinds.customer),
        ] {
            if let Some(l) = list {
                p.roles.insert(role, l.iter().cloned().collect());
            }
        }
        for (t, l) in &self.kinds.tenants {
            p.tenants.insert(tenant_id(t), l.iter().cloned().collect());
        }
        p
    }
}

/// `[intel]`: what every tenant's signed bundle is built from.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct IntelConfig {
    /// File holding the ed25519 signing key's seed (64 hex digits). Default
    /// `DATA_DIR/intel-signing.key`, generated on first start (mode 0600) with the public key
    /// beside it in `intel-signing.pub`. Replicas sharing a database must share this file.
    /// Env: `OUTPOST_INTEL_SIGNING_KEY_FILE`.
    pub signing_key_file: Option<PathBuf>,
    /// Plain or IPsum hotlist files that are global intel (what `outpost up --hotlist` sets).
    pub hotlists: Vec<PathBuf>,
    /// Global feeds (`[[intel.feeds]]`: name, location, format, interval, options).
    pub feeds: Vec<outpost_intel::feed::Feed>,
    /// How long a bundle is valid after it was built; agents treat an older one as stale and
    /// ask the server to confirm its hits.
    pub bundle_ttl_s: u64,
    /// Build bundles in filter mode (host addresses in a BinaryFuse8 filter; every filter hit
    /// is confirmed by the server), for lists beyond the agents' memory budget.
    pub filter_mode: bool,
    /// Seconds between checks whether a feed is due (each feed has its own `interval`).
    pub refresh_check_s: u64,
    /// Most tenants whose built bundle a server keeps in memory; beyond that the least
    /// recently requested one is evicted (and rebuilt at its next request). Env:
    /// `OUTPOST_INTEL_BUNDLE_CACHE_TENANTS`.
    pub bundle_cache_tenants: usize,
    /// A cached bundle not requested for this many seconds is evicted. Env:
    /// `OUTPOST_INTEL_BUNDLE_CACHE_IDLE_S`.
    pub bundle_cache_idle_s: u64,
}

impl Default for IntelConfig {
    fn default() -> Self {
        IntelConfig {
            signing_key_file: None,
            hotlists: Vec::new(),
            feeds: Vec::new(),
            bundle_ttl_s: 24 * 3600,
            filter_mode: false,
            refresh_check_s: 60,
            bundle_cache_tenants: 1000,
            bundle_cache_idle_s: 6 * 3600,
        }
    }
}

/// Settings of the Sensoroni-compatible API. Without a key and without anonymous networks
/// the API refuses every request.
#[derive(Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SensoroniConfig {
    /// The shared static key (`Authorization: <key>` or `Bearer <key>`). Env: `OUTPOST_SENSORONI_KEY`.
    pub api_key: Option<String>,
    /// Networks (IPv4 or IPv6 CIDRs) allowed without the key.
    pub anonymous_cidrs: Vec<ipnet::IpNet>,
    /// Tenant (name or id) that owns jobs created through this API; default `default`.
    pub tenant: Option<String>,
}

impl std::fmt::Debug for SensoroniConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SensoroniConfig")
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("anonymous_cidrs", &self.anonymous_cidrs)
            .field("tenant", &self.tenant)
            .finish()
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8470)),
            data_dir: PathBuf::from("outpost-data"),
            database_url: None,
            max_body_bytes: 8 * 1024 * 1024,
            public_url: None,
            sensoroni: SensoroniConfig::default(),
            elastic_url: None,
            elastic_index: "*".to_string(),
            retention_days: 90,
            session_hours: 12,
            checkin_interval_s: 60,
            checkin_flush_ms: 1000,
            rate_limit_per_s: 50,
            login_rate_per_min: 20,
            trusted_proxies: Vec::new(),
            tls: None,
            jobs: JobsSettings::default(),
            intel: IntelConfig::default(),
            detect: DetectConfig::default(),
            outputs: Vec::new(),
            inputs: Vec::new(),
            auth: AuthConfig::default(),
            releases: ReleasesConfig::default(),
        }
    }
}

/// The environment variables [`ServerConfig::apply_env`] reads, with the key each overrides
/// (the configuration reference shows them; a unit test checks the list is complete).
pub const ENV_VARS: &[(&str, &str)] = &[
    ("listen", "OUTPOST_LISTEN"),
    ("data_dir", "OUTPOST_DATA_DIR"),
    ("database_url", "OUTPOST_DATABASE_URL"),
    ("max_body_bytes", "OUTPOST_MAX_BODY_BYTES"),
    ("public_url", "OUTPOST_PUBLIC_URL"),
    ("sensoroni.api_key", "OUTPOST_SENSORONI_KEY"),
    ("intel.signing_key_file", "OUTPOST_INTEL_SIGNING_KEY_FILE"),
    ("trusted_proxies", "OUTPOST_TRUSTED_PROXIES"),
    ("auth.local_login", "OUTPOST_AUTH_LOCAL_LOGIN"),
    ("elastic_url", "OUTPOST_ELASTIC_URL"),
    ("retention_days", "OUTPOST_RETENTION_DAYS"),
    ("session_hours", "OUTPOST_SESSION_HOURS"),
    ("checkin_interval_s", "OUTPOST_CHECKIN_INTERVAL_S"),
    ("checkin_flush_ms", "OUTPOST_CHECKIN_FLUSH_MS"),
    ("rate_limit_per_s", "OUTPOST_RATE_LIMIT_PER_S"),
    ("login_rate_per_min", "OUTPOST_LOGIN_RATE_PER_MIN"),
    (
        "intel.bundle_cache_tenants",
        "OUTPOST_INTEL_BUNDLE_CACHE_TENANTS",
    ),
    (
        "intel.bundle_cache_idle_s",
        "OUTPOST_INTEL_BUNDLE_CACHE_IDLE_S",
    ),
    ("jobs.lease_secs", "OUTPOST_JOBS_LEASE_SECS"),
    ("jobs.max_attempts", "OUTPOST_JOBS_MAX_ATTEMPTS"),
    ("jobs.max_result_bytes", "OUTPOST_JOBS_MAX_RESULT_BYTES"),
    ("jobs.kinds.admin", "OUTPOST_JOBS_KINDS_ADMIN"),
    ("jobs.kinds.technician", "OUTPOST_JOBS_KINDS_TECHNICIAN"),
    ("jobs.kinds.customer", "OUTPOST_JOBS_KINDS_CUSTOMER"),
    ("releases.public_key", "OUTPOST_RELEASE_PUBLIC_KEY"),
];

impl ServerConfig {
    /// Reads `path` (if given) and applies `OUTPOST_LISTEN`, `OUTPOST_DATA_DIR`,
    /// `OUTPOST_DATABASE_URL`, `OUTPOST_MAX_BODY_BYTES` and `OUTPOST_PUBLIC_URL`.
    pub fn load(path: Option<&Path>) -> Result<ServerConfig, ConfigError> {
        let mut cfg = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|source| ConfigError::Read {
                    path: p.display().to_string(),
                    source,
                })?;
                toml::from_str(&text).map_err(|source| ConfigError::Parse {
                    path: p.display().to_string(),
                    source,
                })?
            }
            None => ServerConfig::default(),
        };
        cfg.apply_env(|k| std::env::var(k).ok())?;
        cfg.jobs.validate()?;
        cfg.auth.validate(cfg.public_url.as_deref())?;
        crate::inputs::validate(&cfg.inputs).map_err(|message| ConfigError::Invalid {
            key: "inputs",
            message,
        })?;
        Ok(cfg)
    }

    /// Applies environment overrides read through `get` (injectable for tests).
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        parse_env(&get, "OUTPOST_LISTEN", &mut self.listen)?;
        if let Some(v) = get("OUTPOST_DATA_DIR") {
            self.data_dir = PathBuf::from(v);
        }
        if let Some(v) = get("OUTPOST_DATABASE_URL") {
            self.database_url = Some(v).filter(|s| !s.is_empty());
        }
        parse_env(&get, "OUTPOST_MAX_BODY_BYTES", &mut self.max_body_bytes)?;
        if let Some(v) = get("OUTPOST_PUBLIC_URL") {
            self.public_url = Some(v);
        }
        if let Some(v) = get("OUTPOST_SENSORONI_KEY") {
            self.sensoroni.api_key = Some(v).filter(|s| !s.is_empty());
        }
        if let Some(v) = get("OUTPOST_RELEASE_PUBLIC_KEY") {
            self.releases.public_key = Some(v.trim().to_string()).filter(|s| !s.is_empty());
        }
        if let Some(v) = get("OUTPOST_INTEL_SIGNING_KEY_FILE") {
            self.intel.signing_key_file =
                Some(PathBuf::from(v)).filter(|p| !p.as_os_str().is_empty());
        }
        if let Some(v) = get("OUTPOST_TRUSTED_PROXIES") {
            self.trusted_proxies = v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| {
                    s.parse::<ipnet::IpNet>()
                        .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                        .map_err(|e| ConfigError::Env {
                            var: "OUTPOST_TRUSTED_PROXIES",
                            message: format!("{s:?}: {e}"),
                        })
                })
                .collect::<Result<_, _>>()?;
        }
        if let Some(v) = get("OUTPOST_AUTH_LOCAL_LOGIN") {
            self.auth.local_login = match v.as_str() {
                "1" | "true" => true,
                "0" | "false" => false,
                _ => {
                    return Err(ConfigError::Env {
                        var: "OUTPOST_AUTH_LOCAL_LOGIN",
                        message: format!("{v:?}: expected true or false"),
                    });
                }
            };
        }
        if let Some(v) = get("OUTPOST_ELASTIC_URL") {
            self.elastic_url = Some(v).filter(|s| !s.is_empty());
        }
        for (var, slot) in [
            ("OUTPOST_RETENTION_DAYS", &mut self.retention_days),
            ("OUTPOST_SESSION_HOURS", &mut self.session_hours),
            ("OUTPOST_CHECKIN_INTERVAL_S", &mut self.checkin_interval_s),
            ("OUTPOST_CHECKIN_FLUSH_MS", &mut self.checkin_flush_ms),
            ("OUTPOST_RATE_LIMIT_PER_S", &mut self.rate_limit_per_s),
            ("OUTPOST_LOGIN_RATE_PER_MIN", &mut self.login_rate_per_min),
        ] {
            parse_env(&get, var, slot)?;
        }
        for (var, slot) in [
            (
                "OUTPOST_INTEL_BUNDLE_CACHE_IDLE_S",
                &mut self.intel.bundle_cache_idle_s,
            ),
            ("OUTPOST_JOBS_LEASE_SECS", &mut self.jobs.lease_secs),
            (
                "OUTPOST_JOBS_MAX_RESULT_BYTES",
                &mut self.jobs.max_result_bytes,
            ),
        ] {
            parse_env(&get, var, slot)?;
        }
        parse_env(
            &get,
            "OUTPOST_INTEL_BUNDLE_CACHE_TENANTS",
            &mut self.intel.bundle_cache_tenants,
        )?;
        parse_env(
            &get,
            "OUTPOST_JOBS_MAX_ATTEMPTS",
            &mut self.jobs.max_attempts,
        )?;
        for (var, slot) in [
            ("OUTPOST_JOBS_KINDS_ADMIN", &mut self.jobs.kinds.admin),
            (
                "OUTPOST_JOBS_KINDS_TECHNICIAN",
                &mut self.jobs.kinds.technician,
            ),
            ("OUTPOST_JOBS_KINDS_CUSTOMER", &mut self.jobs.kinds.customer),
        ] {
            if let Some(v) = get(var) {
                *slot = Some(
                    v.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect(),
                );
            }
        }
        Ok(())
    }
}

/// Parses the environment variable `var` (read through `get`) into `slot` when it is set.
fn parse_env<T: std::str::FromStr>(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    slot: &mut T,
) -> Result<(), ConfigError>
where
    T::Err: std::fmt::Display,
{
    if let Some(v) = get(var) {
        *slot = v.parse().map_err(|e| ConfigError::Env {
            var,
            message: format!("{v:?}: {e}"),
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_env() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("outpost.toml");
        std::fs::write(&p, "listen = \"0.0.0.0:9000\"\nmax_body_bytes = 1024\n").unwrap();
        let mut c = ServerConfig::load(Some(&p)).unwrap();
        assert_eq!(c.listen.port(), 9000);
        c.apply_env(|k| (k == "OUTPOST_MAX_BODY_BYTES").then(|| "2048".to_string()))
            .unwrap();
        assert_eq!(c.max_body_bytes, 2048);
        assert!(
            c.apply_env(|k| (k == "OUTPOST_LISTEN").then(|| "nope".to_string()))
                .is_err()
        );
    }

    /// `[auth]` from TOML and env; start-up refuses a rule matching everyone, a
    /// customer rule without a tenant, a staff rule with one, a plain-http issuer off the
    /// loopback, providers without `public_url`, and no way at all to sign in.
    #[test]
    fn auth_section_is_validated() {
        let base = r#"public_url = "https://outpost.example.com"
[auth]
local_login = false
[[auth.oidc]]
name = "corp"
issuer = "https://idp.example.com/realms/msp"
client_id = "outpost"
client_secret_env = "X_SECRET"
"#;
        let parse =
            |extra: &str| -> ServerConfig { toml::from_str(&format!("{base}{extra}")).unwrap() };
        let ok = parse(
            "[[auth.oidc.rules]]\ngroups = [\"techs\"]\nrole = \"technician\"\n[[auth.oidc.rules]]\nemail_domains = [\"acme.example\"]\nrole = \"customer\"\ntenant = \"acme\"\n",
        );
        ok.auth.validate(ok.public_url.as_deref()).unwrap();
        assert!(!ok.auth.local_login);
        assert_eq!(ok.auth.oidc[0].scopes, ["email", "profile"]);
        let refused = |extra: &str, what: &str| {
            let c = parse(extra);
            let e = c
                .auth
                .validate(c.public_url.as_deref())
                .unwrap_err()
                .to_string();
            assert!(e.contains(what), "{extra}: {e}");
        };
        refused(
            "[[auth.oidc.rules]]\nrole = \"technician\"\n",
            "matching everyone",
        );
        refused(
            "[[auth.oidc.rules]]\ngroups = [\"c\"]\nrole = \"customer\"\n",
            "needs a tenant",
        );
        refused(
            "[[auth.oidc.rules]]\ngroups = [\"c\"]\nrole = \"admin\"\ntenant = \"acme\"\n",
            "remove tenant",
        );
        refused("", "nobody could sign in");
        let mut c = ok.clone();
        c.auth.oidc[0].issuer = "http://idp.example.com".into();
        assert!(
            c.auth
                .validate(c.public_url.as_deref())
                .unwrap_err()
                .to_string()
                .contains("must be https")
        );
        c.auth.oidc[0].issuer = "http://127.0.0.1:8080".into();
        c.auth.validate(c.public_url.as_deref()).unwrap();
        assert!(
            ok.auth
                .validate(None)
                .unwrap_err()
                .to_string()
                .contains("public_url")
        );
        let mut none = ServerConfig::default();
        none.auth.local_login = false;
        assert!(none.auth.validate(None).is_err(), "no way to sign in");
        let mut env = ServerConfig::default();
        env.apply_env(|k| (k == "OUTPOST_AUTH_LOCAL_LOGIN").then(|| "false".to_string()))
            .unwrap();
        assert!(!env.auth.local_login);
        assert!(
            env.apply_env(|k| (k == "OUTPOST_AUTH_LOCAL_LOGIN").then(|| "nah".to_string()))
                .is_err()
        );
    }

    #[test]
    fn jobs_section_from_toml_and_env() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("outpost.toml");
        std::fs::write(
            &p,
            "[jobs]\nlease_secs = 120\nmax_attempts = 5\nmax_result_bytes = 1000\n\
             [jobs.kinds]\ncustomer = [\"pcap\"]\n[jobs.kinds.tenants]\nacme = [\"process.list\", \"pcap\"]\n",
        )
        .unwrap();
        let mut c = ServerConfig::load(Some(&p)).unwrap();
        assert_eq!(
            (
                c.jobs.lease_secs,
                c.jobs.max_attempts,
                c.jobs.max_result_bytes
            ),
            (120, 5, 1000)
        );
        let pol = c.jobs.policy(|t| format!("id-{t}"));
        use outpost_core::auth::Role;
        assert!(pol.allows(Role::Customer, "other", "pcap"));
        assert!(!pol.allows(Role::Customer, "other", "file.hash"));
        assert!(
            pol.allows(Role::Admin, "other", "process.kill"),
            "admin keeps its default"
        );
        assert!(pol.allows(Role::Admin, "id-acme", "process.list"));
        assert!(!pol.allows(Role::Admin, "id-acme", "file.get"));
        c.apply_env(|k| match k {
            "OUTPOST_JOBS_LEASE_SECS" => Some("60".into()),
            "OUTPOST_JOBS_KINDS_TECHNICIAN" => Some("pcap, file.hash".into()),
            "OUTPOST_JOBS_KINDS_CUSTOMER" => Some(String::new()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.jobs.lease_secs, 60);
        let pol = c.jobs.policy(|t| t.to_string());
        assert!(pol.allows(Role::Technician, "x", "file.hash"));
        assert!(!pol.allows(Role::Technician, "x", "process.kill"));
        assert!(
            !pol.allows(Role::Customer, "x", "pcap"),
            "empty list allows nothing"
        );
        // Typos and ranges are refused with the key.
        for (text, key) in [
            (
                "[jobs.kinds]\ncustomer = [\"pcaps\"]\n",
                "jobs.kinds.customer",
            ),
            (
                "[jobs.kinds.tenants]\nacme = [\"kill\"]\n",
                "jobs.kinds.tenants",
            ),
            ("[jobs]\nmax_attempts = 0\n", "jobs.max_attempts"),
            ("[jobs]\nlease_secs = 0\n", "jobs.lease_secs"),
            ("[jobs]\nleases = 3\n", "leases"),
        ] {
            std::fs::write(&p, text).unwrap();
            let e = ServerConfig::load(Some(&p)).unwrap_err().to_string();
            assert!(e.contains(key), "{text}: {e}");
        }
        let mut c = ServerConfig::default();
        assert!(
            c.apply_env(|k| (k == "OUTPOST_JOBS_MAX_ATTEMPTS").then(|| "many".into()))
                .is_err()
        );
    }

    /// `ENV_VARS` (the configuration reference's environment column) names every
    /// variable `apply_env` reads, and nothing else.
    #[test]
    fn env_vars_table_is_complete() {
        let read = std::sync::Mutex::new(std::collections::BTreeSet::new());
        ServerConfig::default()
            .apply_env(|k| {
                read.lock().unwrap().insert(k.to_string());
                None
            })
            .unwrap();
        let listed: std::collections::BTreeSet<String> =
            ENV_VARS.iter().map(|(_, v)| v.to_string()).collect();
        assert_eq!(read.into_inner().unwrap(), listed);
    }

    #[test]
    fn unknown_keys_are_rejected_with_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bad.toml");
        std::fs::write(&p, "listn = \"x\"\n").unwrap();
        let e = ServerConfig::load(Some(&p)).unwrap_err().to_string();
        assert!(e.contains("bad.toml") && e.contains("listn"), "{e}");
    }
}
