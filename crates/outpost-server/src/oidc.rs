//! Sign-in through OpenID Providers (`[[auth.oidc]]`): the authorization code flow with
//! PKCE, using the `openidconnect` crate for discovery, keys and ID token verification, and
//! the workspace's `reqwest` for every request (the crate's own HTTP clients are off).
//!
//! * **Start** (`GET /api/v1/auth/oidc/{name}/login`): a random `state`, `nonce` and PKCE
//!   verifier; the state's SHA-256 is stored with the nonce and verifier (`oidc_logins`, ten
//!   minutes, one use), and the state also goes into an `HttpOnly; SameSite=Lax` cookie, so
//!   the callback must come back to the browser that started it (no login CSRF).
//! * **Callback**: the cookie must equal the `state`; the stored login is taken (deleted);
//!   the code is redeemed with the verifier; the ID token is checked — signature against the
//!   provider's JWKS (an unknown `kid` refetches the JWKS once, at most every
//!   [`JWKS_MIN_REFETCH`]), issuer, audience (our client id; other audiences refused), `azp`,
//!   expiry and issue time with the configured clock skew, and the stored nonce.
//! * **Mapping** ([`map_claims`]): the rules of the provider, in order; only the claims a
//!   rule names are read, and the tenant is the rule's, never a claim's. No rule: refused,
//!   and a user created earlier is disabled. Every login applies the mapping again.

use crate::config::{OidcProviderConfig, OidcRule};
use crate::metrics::{ResultLabel, metrics};
use openidconnect::core::{
    CoreAuthDisplay, CoreClaimName, CoreClaimType, CoreClientAuthMethod, CoreGrantType,
    CoreIdToken, CoreIdTokenVerifier, CoreJsonWebKey, CoreJsonWebKeySet,
    CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm, CoreJwsSigningAlgorithm,
    CoreResponseMode, CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::{
    AdditionalProviderMetadata, ClaimsVerificationError, ClientId, ClientSecret, IssuerUrl, Nonce,
    PkceCodeChallenge, ProviderMetadata, SignatureVerificationError,
};
use outpost_core::auth::Role;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A JWKS is fetched again for an unknown key id at most this often per provider.
pub const JWKS_MIN_REFETCH: Duration = Duration::from_secs(5);
/// How long a started login may take (state, nonce and verifier are kept this long).
pub const LOGIN_TTL: Duration = Duration::from_secs(600);
/// Largest response read from a provider (discovery, JWKS, token).
const MAX_RESPONSE_BYTES: usize = 1 << 20;
/// Time limit of one request to a provider.
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);
/// Name of the cookie that binds a login in progress to its browser.
pub const STATE_COOKIE: &str = "outpost_oidc_state";

/// `end_session_endpoint` of the discovery document (RP-initiated logout).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct LogoutMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_session_endpoint: Option<String>,
}
impl AdditionalProviderMetadata for LogoutMetadata {}

/// The discovery document with the logout endpoint.
pub type Metadata = ProviderMetadata<
    LogoutMetadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

/// Errors of the OIDC flow. The messages are shown to the person signing in: they never
/// carry a secret or a token.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("no identity provider named {0:?}")]
    UnknownProvider(String),
    #[error("the identity provider cannot be reached or answered badly: {0}")]
    Provider(String),
    #[error("the sign-in expired or was started in another browser; please sign in again")]
    State,
    #[error("the identity provider refused the sign-in: {0}")]
    Refused(String),
    #[error("the identity provider's ID token was refused: {0}")]
    InvalidToken(String),
    #[error("{0}")]
    Unmapped(String),
    #[error("client secret of provider {provider}: {message}")]
    Secret { provider: String, message: String },
}

impl OidcError {
    /// The `result` label of `outpost_oidc_logins`.
    pub fn metric(&self) -> &'static str {
        match self {
            OidcError::UnknownProvider(_) | OidcError::State => "state",
            OidcError::Provider(_) | OidcError::Refused(_) | OidcError::Secret { .. } => {
                "provider_error"
            }
            OidcError::InvalidToken(_) => "invalid_token",
            OidcError::Unmapped(_) => "unmapped",
        }
    }
}

/// A client secret, never shown by `Debug`.
#[derive(Clone)]
struct Secret(String);
impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// What was discovered about a provider.
struct Discovered {
    metadata: Metadata,
    jwks: CoreJsonWebKeySet,
}

/// One configured provider.
pub struct Provider {
    pub config: OidcProviderConfig,
    secret: Option<Secret>,
    redirect_url: String,
    discovered: tokio::sync::Mutex<Option<Arc<Discovered>>>,
    /// When the JWKS was last fetched because of an unknown key (for the refetch bound).
    last_refetch: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider")
            .field("name", &self.config.name)
            .field("issuer", &self.config.issuer)
            .finish_non_exhaustive()
    }
}

/// A login started by [`OidcService::start`]: where to send the browser, and what to keep.
pub struct Started {
    pub authorize_url: String,
    pub state: String,
    pub pending: outpost_store::PendingOidcLogin,
}

/// The verified identity of a callback.
#[derive(Debug, Clone)]
pub struct Identity {
    pub subject: String,
    /// The verified ID token itself (kept with the session as the logout's
    /// `id_token_hint`).
    pub id_token: String,
    /// The verified ID token's claims (for the mapping).
    pub claims: serde_json::Map<String, serde_json::Value>,
}

/// What the mapping decided for an identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapped {
    pub role: Role,
    /// The rule's tenant (name or id, resolved by the caller).
    pub tenant: Option<String>,
    /// Which rule (1-based) matched.
    pub rule: usize,
}

/// The providers of `[[auth.oidc]]`.
pub struct OidcService {
    providers: Vec<Arc<Provider>>,
    http: reqwest::Client,
}

impl std::fmt::Debug for OidcService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(&self.providers).finish()
    }
}

/// Errors of the HTTP client handed to `openidconnect`.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("{0}")]
    Request(#[from] reqwest::Error),
    #[error("response larger than {MAX_RESPONSE_BYTES} bytes")]
    TooLarge,
    #[error("{0}")]
    Http(#[from] openidconnect::http::Error),
}

async fn http_call(
    client: reqwest::Client,
    req: openidconnect::HttpRequest,
) -> Result<openidconnect::HttpResponse, HttpError> {
    let (parts, body) = req.into_parts();
    let mut rb = client
        .request(parts.method, parts.uri.to_string())
        .body(body);
    for (k, v) in &parts.headers {
        rb = rb.header(k, v);
    }
    let mut resp = rb.send().await?;
    let mut out = openidconnect::http::Response::builder().status(resp.status());
    for (k, v) in resp.headers() {
        out = out.header(k, v);
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(HttpError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(out.body(body)?)
}

fn read_secret(p: &OidcProviderConfig) -> Result<Option<Secret>, OidcError> {
    let err = |message: String| OidcError::Secret {
        provider: p.name.clone(),
        message,
    };
    if let Some(var) = &p.client_secret_env {
        let v = std::env::var(var)
            .map_err(|_| err(format!("environment variable {var} is not set")))?;
        if v.trim().is_empty() {
            return Err(err(format!("environment variable {var} is empty")));
        }
        return Ok(Some(Secret(v.trim().to_string())));
    }
    if let Some(path) = &p.client_secret_file {
        let v = std::fs::read_to_string(path)
            .map_err(|e| err(format!("cannot read {}: {e}", path.display())))?;
        if v.trim().is_empty() {
            return Err(err(format!("{} is empty", path.display())));
        }
        return Ok(Some(Secret(v.trim_end().to_string())));
    }
    Ok(None)
}

impl OidcService {
    /// No providers.
    pub fn empty() -> Self {
        OidcService {
            providers: Vec::new(),
            http: reqwest::Client::new(),
        }
    }

    /// The configured providers, their secrets read (an unreadable secret stops the
    /// start-up). Discovery happens at the first login and is kept.
    pub fn new(
        providers: &[OidcProviderConfig],
        public_url: Option<&str>,
    ) -> Result<Self, OidcError> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(HTTP_TIMEOUT)
            .build()
            .map_err(|e| OidcError::Provider(e.to_string()))?;
        let base = public_url.unwrap_or("").trim_end_matches('/');
        let providers = providers
            .iter()
            .map(|p| {
                Ok(Arc::new(Provider {
                    secret: read_secret(p)?,
                    redirect_url: format!("{base}/api/v1/auth/oidc/{}/callback", p.name),
                    config: p.clone(),
                    discovered: tokio::sync::Mutex::new(None),
                    last_refetch: Mutex::new(None),
                }))
            })
            .collect::<Result<Vec<_>, OidcError>>()?;
        Ok(OidcService { providers, http })
    }

    pub fn providers(&self) -> &[Arc<Provider>] {
        &self.providers
    }

    pub fn provider(&self, name: &str) -> Result<&Arc<Provider>, OidcError> {
        self.providers
            .iter()
            .find(|p| p.config.name == name)
            .ok_or_else(|| OidcError::UnknownProvider(name.to_string()))
    }

    /// The provider's discovery document and keys, fetched at the first use.
    async fn discovered(&self, p: &Provider) -> Result<Arc<Discovered>, OidcError> {
        let mut slot = p.discovered.lock().await;
        if let Some(d) = slot.as_ref() {
            return Ok(d.clone());
        }
        let issuer = IssuerUrl::new(p.config.issuer.clone())
            .map_err(|e| OidcError::Provider(format!("issuer: {e}")))?;
        let client = self.http.clone();
        let http = move |r| http_call(client.clone(), r);
        let metadata = Metadata::discover_async(issuer, &http)
            .await
            .map_err(|e| OidcError::Provider(format!("discovery: {}", chain(&e))))?;
        let jwks = metadata.jwks().clone();
        let d = Arc::new(Discovered { metadata, jwks });
        tracing::info!(provider = %p.config.name, keys = d.jwks.keys().len(), "OIDC provider discovered");
        *slot = Some(d.clone());
        Ok(d)
    }

    /// The JWKS fetched again (an ID token named a key we do not have): at most once per
    /// [`JWKS_MIN_REFETCH`] per provider. `None` when throttled or failed.
    async fn refetch_jwks(&self, p: &Provider, d: &Discovered) -> Option<Arc<Discovered>> {
        {
            let mut last = p.last_refetch.lock().unwrap_or_else(|e| e.into_inner());
            if last.is_some_and(|t| t.elapsed() < JWKS_MIN_REFETCH) {
                metrics()
                    .oidc_jwks_refetches
                    .get_or_create(&ResultLabel {
                        result: "throttled",
                    })
                    .inc();
                return None;
            }
            *last = Some(Instant::now());
        }
        let client = self.http.clone();
        let http = move |r| http_call(client.clone(), r);
        match CoreJsonWebKeySet::fetch_async(d.metadata.jwks_uri(), &http).await {
            Ok(jwks) => {
                metrics()
                    .oidc_jwks_refetches
                    .get_or_create(&ResultLabel { result: "ok" })
                    .inc();
                tracing::info!(provider = %p.config.name, keys = jwks.keys().len(), "OIDC provider keys refetched (unknown key id)");
                let fresh = Arc::new(Discovered {
                    metadata: d.metadata.clone(),
                    jwks,
                });
                *p.discovered.lock().await = Some(fresh.clone());
                Some(fresh)
            }
            Err(e) => {
                metrics()
                    .oidc_jwks_refetches
                    .get_or_create(&ResultLabel { result: "error" })
                    .inc();
                tracing::warn!(provider = %p.config.name, error = %chain(&e), "OIDC keys could not be refetched");
                None
            }
        }
    }

    /// Whether `iss` (RFC 9207's parameter of the redirect back) names this provider's
    /// issuer (a mix-up defence; providers that do not send it are not asked to).
    pub async fn issuer_matches(&self, p: &Provider, iss: &str) -> bool {
        match self.discovered(p).await {
            Ok(d) => {
                d.metadata.issuer().as_str().trim_end_matches('/') == iss.trim_end_matches('/')
            }
            Err(_) => false,
        }
    }

    /// Starts a login: the provider's authorization URL with state, nonce and PKCE.
    pub async fn start(&self, p: &Provider) -> Result<Started, OidcError> {
        let d = self.discovered(p).await?;
        let state = crate::random_token();
        let nonce = crate::random_token();
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut url = d.metadata.authorization_endpoint().url().clone();
        let mut scopes = vec!["openid".to_string()];
        scopes.extend(p.config.scopes.iter().filter(|s| *s != "openid").cloned());
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &p.config.client_id)
            .append_pair("redirect_uri", &p.redirect_url)
            .append_pair("scope", &scopes.join(" "))
            .append_pair("state", &state)
            .append_pair("nonce", &nonce)
            .append_pair("code_challenge", challenge.as_str())
            .append_pair("code_challenge_method", challenge.method().as_str());
        Ok(Started {
            authorize_url: url.to_string(),
            state,
            pending: outpost_store::PendingOidcLogin {
                provider: p.config.name.clone(),
                nonce,
                pkce_verifier: verifier.secret().clone(),
            },
        })
    }

    /// Redeems `code` and verifies the ID token against `pending`'s nonce.
    pub async fn finish(
        &self,
        p: &Provider,
        code: &str,
        pending: &outpost_store::PendingOidcLogin,
    ) -> Result<Identity, OidcError> {
        let d = self.discovered(p).await?;
        let token_url = d
            .metadata
            .token_endpoint()
            .ok_or_else(|| OidcError::Provider("the provider has no token endpoint".into()))?
            .url()
            .clone();
        let basic = d
            .metadata
            .token_endpoint_auth_methods_supported()
            .is_none_or(|m| m.is_empty() || m.contains(&CoreClientAuthMethod::ClientSecretBasic));
        let mut req = self
            .http
            .post(token_url)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json");
        // (The serializer is not `Send`: the body is finished before any await.)
        let body = {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            form.append_pair("grant_type", "authorization_code")
                .append_pair("code", code)
                .append_pair("redirect_uri", &p.redirect_url)
                .append_pair("code_verifier", &pending.pkce_verifier);
            match &p.secret {
                Some(s) if basic => {
                    use base64::Engine;
                    let enc = |v: &str| {
                        url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()
                    };
                    let cred = base64::engine::general_purpose::STANDARD.encode(format!(
                        "{}:{}",
                        enc(&p.config.client_id),
                        enc(&s.0)
                    ));
                    req = req.header("authorization", format!("Basic {cred}"));
                }
                Some(s) => {
                    form.append_pair("client_id", &p.config.client_id)
                        .append_pair("client_secret", &s.0);
                }
                None => {
                    form.append_pair("client_id", &p.config.client_id);
                }
            }
            form.finish()
        };
        let resp = req
            .body(body)
            .send()
            .await
            .map_err(|e| OidcError::Provider(format!("token request: {}", chain(&e))))?;
        let status = resp.status();
        let body = read_bounded(resp)
            .await
            .map_err(|e| OidcError::Provider(format!("token response: {e}")))?;
        #[derive(Deserialize)]
        struct TokenResponse {
            id_token: Option<String>,
            error: Option<String>,
            error_description: Option<String>,
        }
        let t: TokenResponse = serde_json::from_slice(&body).map_err(|_| {
            OidcError::Provider(format!("token endpoint answered {status} without JSON"))
        })?;
        if let Some(e) = t.error {
            return Err(OidcError::Refused(match t.error_description {
                Some(d) => format!("{e}: {d}"),
                None => e,
            }));
        }
        let raw = t
            .id_token
            .ok_or_else(|| OidcError::Provider("the token response has no id_token".into()))?;
        self.verify_id_token(p, &raw, &pending.nonce).await
    }

    /// Verifies an ID token (signature, issuer, audience, expiry with skew, nonce); an
    /// unknown key id refetches the provider's keys once (bounded).
    pub async fn verify_id_token(
        &self,
        p: &Provider,
        raw: &str,
        nonce: &str,
    ) -> Result<Identity, OidcError> {
        let token: CoreIdToken = raw
            .parse()
            .map_err(|e| OidcError::InvalidToken(format!("malformed: {e}")))?;
        let d = self.discovered(p).await?;
        match self.verify_with(p, &d, &token, nonce) {
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => match self.refetch_jwks(p, &d).await {
                Some(fresh) => self.verify_with(p, &fresh, &token, nonce),
                None => Err(ClaimsVerificationError::SignatureVerification(
                    SignatureVerificationError::NoMatchingKey,
                )),
            },
            other => other,
        }
        .map_err(|e| OidcError::InvalidToken(chain(&e)))?;
        // The signature holds: the payload can be read for the claims the mapping names.
        let payload = raw
            .split('.')
            .nth(1)
            .ok_or_else(|| OidcError::InvalidToken("malformed".into()))?;
        use base64::Engine;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .map_err(|e| OidcError::InvalidToken(format!("payload: {e}")))?;
        let claims: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&bytes)
            .map_err(|e| OidcError::InvalidToken(format!("payload: {e}")))?;
        let subject = claims
            .get("sub")
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty() && s.len() <= 255)
            .ok_or_else(|| OidcError::InvalidToken("no usable sub claim".into()))?
            .to_string();
        Ok(Identity {
            subject,
            id_token: raw.to_string(),
            claims,
        })
    }

    fn verify_with(
        &self,
        p: &Provider,
        d: &Discovered,
        token: &CoreIdToken,
        nonce: &str,
    ) -> Result<(), ClaimsVerificationError> {
        let client_id = ClientId::new(p.config.client_id.clone());
        let issuer = d.metadata.issuer().clone();
        let verifier = match &p.secret {
            Some(s) => CoreIdTokenVerifier::new_confidential_client(
                client_id,
                ClientSecret::new(s.0.clone()),
                issuer,
                d.jwks.clone(),
            ),
            None => CoreIdTokenVerifier::new_public_client(client_id, issuer, d.jwks.clone()),
        };
        let skew = chrono::Duration::seconds(i64::try_from(p.config.clock_skew_s).unwrap_or(60));
        let verifier = verifier
            .set_allowed_algs([
                CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
                CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
                CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
                CoreJwsSigningAlgorithm::RsaSsaPssSha256,
                CoreJwsSigningAlgorithm::RsaSsaPssSha384,
                CoreJwsSigningAlgorithm::RsaSsaPssSha512,
                CoreJwsSigningAlgorithm::EcdsaP256Sha256,
                CoreJwsSigningAlgorithm::EcdsaP384Sha384,
                CoreJwsSigningAlgorithm::EdDsa,
            ])
            // `exp` may be up to the skew in the past…
            .set_time_fn(move || chrono::Utc::now() - skew)
            // …and `iat` up to the skew in the future.
            .set_issue_time_verifier_fn(move |iat| {
                if iat > chrono::Utc::now() + skew {
                    Err(format!("issued in the future ({iat})"))
                } else {
                    Ok(())
                }
            });
        token
            .claims(&verifier, &Nonce::new(nonce.to_string()))
            .map(|_| ())
    }

    /// The provider's RP-initiated logout URL (its discovery's `end_session_endpoint`),
    /// sending the browser back to `after`, with the session's ID token as `id_token_hint`
    /// when there is one — when the provider has such an endpoint.
    pub async fn logout_url(
        &self,
        name: &str,
        after: &str,
        id_token_hint: Option<&str>,
    ) -> Option<String> {
        let p = self.provider(name).ok()?;
        let d = self.discovered(p).await.ok()?;
        let end = d
            .metadata
            .additional_metadata()
            .end_session_endpoint
            .as_ref()?;
        let mut url = url::Url::parse(end).ok()?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("client_id", &p.config.client_id)
                .append_pair("post_logout_redirect_uri", after);
            if let Some(h) = id_token_hint {
                q.append_pair("id_token_hint", h);
            }
        }
        Some(url.to_string())
    }
}

async fn read_bounded(mut resp: reqwest::Response) -> Result<Vec<u8>, HttpError> {
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(HttpError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// An error with its sources, for messages and logs.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    s
}

/// The strings of a claim: a list of strings, or one string.
fn claim_strings<'a>(
    claims: &'a serde_json::Map<String, serde_json::Value>,
    name: &str,
) -> Vec<&'a str> {
    match claims.get(name) {
        Some(serde_json::Value::Array(a)) => a.iter().filter_map(|v| v.as_str()).collect(),
        Some(serde_json::Value::String(s)) => vec![s.as_str()],
        _ => Vec::new(),
    }
}

/// The domain of the identity's email, when the provider says it is verified (or the
/// provider is configured to trust unverified addresses).
fn email_domain(
    cfg: &OidcProviderConfig,
    claims: &serde_json::Map<String, serde_json::Value>,
) -> Option<String> {
    let email = claims.get("email")?.as_str()?;
    let verified = matches!(
        claims.get("email_verified"),
        Some(serde_json::Value::Bool(true))
    ) || claims.get("email_verified").and_then(|v| v.as_str()) == Some("true");
    if !verified && !cfg.trust_unverified_email {
        return None;
    }
    let (_, domain) = email.rsplit_once('@')?;
    (!domain.is_empty()).then(|| domain.to_ascii_lowercase())
}

fn rule_matches(
    cfg: &OidcProviderConfig,
    r: &OidcRule,
    claims: &serde_json::Map<String, serde_json::Value>,
) -> bool {
    if r.groups.is_empty() && r.roles.is_empty() && r.email_domains.is_empty() {
        return false;
    }
    let any = |wanted: &[String], have: &[&str]| wanted.iter().any(|w| have.contains(&w.as_str()));
    (r.groups.is_empty() || any(&r.groups, &claim_strings(claims, &cfg.groups_claim)))
        && (r.roles.is_empty() || any(&r.roles, &claim_strings(claims, &cfg.roles_claim)))
        && (r.email_domains.is_empty()
            || email_domain(cfg, claims)
                .is_some_and(|d| r.email_domains.iter().any(|w| w.eq_ignore_ascii_case(&d))))
}

/// The first rule that maps the claims, or `None` (the user is refused).
pub fn map_claims(
    cfg: &OidcProviderConfig,
    claims: &serde_json::Map<String, serde_json::Value>,
) -> Option<Mapped> {
    cfg.rules
        .iter()
        .enumerate()
        .find(|(_, r)| rule_matches(cfg, r, claims))
        .map(|(i, r)| Mapped {
            role: r.role,
            tenant: r.tenant.clone(),
            rule: i + 1,
        })
}

/// The Outpost user name of an identity: `{provider}:{username_claim}`, or
/// `{provider}:{sub}` when that claim is absent or not a valid user name.
pub fn username(cfg: &OidcProviderConfig, id: &Identity) -> String {
    let claim = id
        .claims
        .get(&cfg.username_claim)
        .and_then(|v| v.as_str())
        .map(|v| format!("{}:{v}", cfg.name));
    match claim {
        Some(u) if outpost_store::validate_username(&u).is_ok() => u,
        _ => {
            let u = format!("{}:{}", cfg.name, id.subject);
            if outpost_store::validate_username(&u).is_ok() {
                u
            } else {
                // A subject with spaces or over-long: its digest.
                use sha2::Digest;
                format!(
                    "{}:{}",
                    cfg.name,
                    hex::encode(&sha2::Sha256::digest(id.subject.as_bytes())[..16])
                )
            }
        }
    }
}

/// `Set-Cookie` of the state cookie (`SameSite=Lax`: the provider's redirect back is a
/// cross-site top-level navigation, which a `Strict` cookie would not accompany).
pub fn state_cookie(value: &str, max_age_s: u64, secure: bool) -> String {
    format!(
        "{STATE_COOKIE}={value}; Path=/api/v1/auth/oidc/; HttpOnly; SameSite=Lax; Max-Age={max_age_s}{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The state cookie's value.
pub fn state_from_cookie(headers: &axum::http::HeaderMap) -> Option<&str> {
    crate::extract::cookie(headers, STATE_COOKIE, 128)
}

/// Provider names and labels for the login page.
pub fn buttons(s: &OidcService) -> Vec<(String, String)> {
    s.providers
        .iter()
        .map(|p| {
            (
                p.config.name.clone(),
                p.config
                    .display_name
                    .clone()
                    .unwrap_or_else(|| p.config.name.clone()),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cfg(rules: Vec<OidcRule>) -> OidcProviderConfig {
        OidcProviderConfig::new("corp", "https://idp.example", "outpost", rules)
    }

    fn rule(groups: &[&str], domains: &[&str], role: Role, tenant: Option<&str>) -> OidcRule {
        OidcRule {
            groups: groups.iter().map(|s| s.to_string()).collect(),
            roles: vec![],
            email_domains: domains.iter().map(|s| s.to_string()).collect(),
            role,
            tenant: tenant.map(str::to_string),
        }
    }

    fn claims(v: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
        v.as_object().unwrap().clone()
    }

    /// Only named claims map; a claim the mapping does not name (here a `tenant` claim and
    /// an unknown group) neither maps a user nor changes a customer's tenant; an unverified
    /// email's domain does not count.
    #[test]
    fn mapping_reads_only_named_claims_and_never_widens_a_customer() {
        let c = cfg(vec![
            rule(&["msp-techs"], &[], Role::Technician, None),
            rule(&[], &["acme.example"], Role::Customer, Some("acme")),
        ]);
        let tech = claims(json!({"sub": "1", "groups": ["msp-techs"]}));
        assert_eq!(map_claims(&c, &tech).unwrap().role, Role::Technician);
        let cust = claims(
            json!({"sub": "2", "email": "a@ACME.example", "email_verified": true,
            "tenant": "globex", "groups": ["globex-admins", "msp-techs-not"]}),
        );
        let m = map_claims(&c, &cust).unwrap();
        assert_eq!(
            (m.role, m.tenant.as_deref(), m.rule),
            (Role::Customer, Some("acme"), 2)
        );
        let unverified =
            claims(json!({"sub": "3", "email": "a@acme.example", "email_verified": false}));
        assert_eq!(map_claims(&c, &unverified), None);
        let nobody = claims(
            json!({"sub": "4", "email": "x@else.example", "email_verified": true, "groups": ["admins"]}),
        );
        assert_eq!(map_claims(&c, &nobody), None);
        // A single string works as a one-element list.
        let one = claims(json!({"sub": "5", "groups": "msp-techs"}));
        assert_eq!(map_claims(&c, &one).unwrap().role, Role::Technician);
    }

    /// The client secret is read from its file (trailing newline dropped) and never shows in
    /// debug output; a missing one stops the start.
    #[test]
    fn secrets_are_read_and_never_printed() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("secret");
        std::fs::write(&f, "s3cret-value-9\n").unwrap();
        let mut c = cfg(vec![]);
        c.client_secret_file = Some(f);
        let svc = OidcService::new(std::slice::from_ref(&c), Some("https://o.example")).unwrap();
        let p = svc.provider("corp").unwrap();
        assert_eq!(p.secret.as_ref().unwrap().0, "s3cret-value-9");
        let shown = format!("{svc:?} {p:?} {:?}", p.secret);
        assert!(!shown.contains("s3cret"), "{shown}");
        assert_eq!(
            p.redirect_url,
            "https://o.example/api/v1/auth/oidc/corp/callback"
        );
        c.client_secret_file = None;
        c.client_secret_env = Some("OUTPOST_TEST_SURELY_UNSET_SECRET_VAR".into());
        let e = OidcService::new(&[c], Some("https://o.example")).unwrap_err();
        assert!(e.to_string().contains("is not set"), "{e}");
    }

    #[test]
    fn usernames_fall_back_to_the_subject() {
        let c = cfg(vec![]);
        let id = |v: serde_json::Value| Identity {
            subject: "sub 1".into(),
            id_token: String::new(),
            claims: claims(v),
        };
        assert_eq!(
            username(&c, &id(json!({"email": "a@b.example"}))),
            "corp:a@b.example"
        );
        let u = username(&c, &id(json!({"email": "has space@b"})));
        assert!(u.starts_with("corp:") && !u.contains(' '), "{u}");
    }
}
