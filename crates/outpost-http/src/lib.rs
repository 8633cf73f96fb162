//! The blocking HTTP client settings shared by the agent side of Outpost (`outpost-agent`,
//! `outpost-intel`'s feed and bundle fetches, `outpost-jobs`' agent client): every
//! [`ureq::Agent`] starts from [`config_builder`], which picks the TLS backend this build was
//! compiled with.
//!
//! Library crates depend on this crate without default features, so the binary decides: the
//! full `outpost` binary enables `rustls` (Mozilla's roots compiled in), the slim agent
//! `native-tls` (the system's OpenSSL and certificate store, dynamically linked like libelf).
//!
//! [`ApiClient`] (`api.rs`) is the one client of the Outpost API built on it: base URL, device
//! token, timeout, and one [`ApiError`] for every answer that is not a success.

mod api;

pub use api::{ApiClient, ApiError, Backoff, ClientOptions, status_error};

use ureq::config::ConfigBuilder;
use ureq::typestate::AgentScope;

/// The TLS backend of this build, for logs and `--version` output.
pub const TLS_BACKEND: &str = if cfg!(feature = "rustls") {
    "rustls"
} else if cfg!(feature = "native-tls") {
    "native-tls (system OpenSSL)"
} else {
    "none (plain HTTP only)"
};

/// An agent configuration with this build's TLS backend and answers of every status returned
/// as responses (callers map error statuses themselves).
pub fn config_builder() -> ConfigBuilder<AgentScope> {
    with_tls(ureq::Agent::config_builder().http_status_as_error(false))
}

/// The build's TLS backend with its roots: rustls with Mozilla's roots compiled in, or the
/// system's OpenSSL with the host's store (OpenSSL's default paths, SSL_CERT_FILE).
#[cfg(any(feature = "rustls", feature = "native-tls"))]
fn with_tls(b: ConfigBuilder<AgentScope>) -> ConfigBuilder<AgentScope> {
    use ureq::tls::{RootCerts, TlsProvider};
    #[cfg(feature = "rustls")]
    let (provider, roots) = (TlsProvider::Rustls, RootCerts::WebPki);
    #[cfg(not(feature = "rustls"))]
    let (provider, roots) = (TlsProvider::NativeTls, RootCerts::PlatformVerifier);
    b.tls_config(
        ureq::tls::TlsConfig::builder()
            .provider(provider)
            .root_certs(roots)
            .build(),
    )
}

/// Without a backend (a library built on its own) an `https://` request fails with ureq's
/// error; plain `http://` works. The `outpost` binary refuses to build without one.
#[cfg(not(any(feature = "rustls", feature = "native-tls")))]
fn with_tls(b: ConfigBuilder<AgentScope>) -> ConfigBuilder<AgentScope> {
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "rustls")]
    #[test]
    fn the_default_build_speaks_tls_through_rustls() {
        assert_eq!(TLS_BACKEND, "rustls");
        let agent: ureq::Agent = config_builder().build().into();
        assert_eq!(
            agent.config().tls_config().provider(),
            ureq::tls::TlsProvider::Rustls
        );
        assert!(!agent.config().http_status_as_error());
    }
}
