//! TLS termination (rustls) with optional client certificates for agents.
//!
//! Handshakes run in their own tasks with a timeout, so a slow or silent client never holds
//! up other connections; completed connections are handed to axum through [`TlsListener`].

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use tokio_rustls::server::TlsStream;

/// `[tls]` in the server configuration.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM certificate chain of the server.
    pub cert: PathBuf,
    /// PEM private key of the server.
    pub key: PathBuf,
    /// PEM CA certificates that sign agents' client certificates; when set, a presented
    /// client certificate must chain to one of them.
    #[serde(default)]
    pub client_ca: Option<PathBuf>,
    /// Refuse connections without a valid client certificate (needs `client_ca`).
    #[serde(default)]
    pub require_client_cert: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error("{0}")]
    Config(String),
}

fn file_err(p: &std::path::Path, e: impl std::fmt::Display) -> TlsError {
    TlsError::File {
        path: p.display().to_string(),
        message: e.to_string(),
    }
}

/// Builds the acceptor for `cfg`.
pub fn acceptor(cfg: &TlsConfig) -> Result<TlsAcceptor, TlsError> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&cfg.cert)
        .map_err(|e| file_err(&cfg.cert, e))?
        .collect::<Result<_, _>>()
        .map_err(|e| file_err(&cfg.cert, e))?;
    if certs.is_empty() {
        return Err(file_err(&cfg.cert, "no certificate in the file"));
    }
    let key = PrivateKeyDer::from_pem_file(&cfg.key).map_err(|e| file_err(&cfg.key, e))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?;
    let builder = match &cfg.client_ca {
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            for c in CertificateDer::pem_file_iter(ca).map_err(|e| file_err(ca, e))? {
                roots
                    .add(c.map_err(|e| file_err(ca, e))?)
                    .map_err(|e| file_err(ca, e))?;
            }
            let v = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            );
            let v = if cfg.require_client_cert {
                v
            } else {
                v.allow_unauthenticated()
            };
            builder.with_client_cert_verifier(v.build().map_err(|e| file_err(ca, e))?)
        }
        None if cfg.require_client_cert => {
            return Err(TlsError::Config(
                "require_client_cert needs client_ca".into(),
            ));
        }
        None => builder.with_no_client_auth(),
    };
    let mut sc = builder
        .with_single_cert(certs, key)
        .map_err(|e| TlsError::Config(format!("certificate and key: {e}")))?;
    // HTTP/1.1 only: the server (axum without its `http2` feature) speaks nothing else, and
    // offering h2 made clients that prefer it (browsers, curl) fail.
    sc.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(sc)))
}

/// Longest a client may take to complete its handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A listener that yields TLS connections whose handshake has completed.
pub struct TlsListener {
    rx: tokio::sync::mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: std::io::Result<SocketAddr>,
}

impl TlsListener {
    pub fn new(tcp: TcpListener, acceptor: TlsAcceptor) -> Self {
        let local = tcp.local_addr();
        let (tx, rx) = tokio::sync::mpsc::channel(256);
        tokio::spawn(async move {
            loop {
                let (stream, peer) = match tcp.accept().await {
                    Ok(v) => v,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                if tx.is_closed() {
                    return;
                }
                let acc = acceptor.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acc.accept(stream)).await {
                        Ok(Ok(tls)) => {
                            let _ = tx.send((tls, peer)).await;
                        }
                        Ok(Err(e)) => {
                            crate::metrics::metrics().tls_handshake_failures.inc();
                            tracing::debug!(client = %peer, error = %e, "TLS handshake failed");
                        }
                        Err(_) => {
                            crate::metrics::metrics().tls_handshake_failures.inc();
                            tracing::debug!(client = %peer, "TLS handshake timed out");
                        }
                    }
                });
            }
        });
        TlsListener { rx, local }
    }
}

impl Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            if let Some(c) = self.rx.recv().await {
                return c;
            }
            // The accept task ended (it never does while the listener lives).
            std::future::pending::<()>().await;
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        match &self.local {
            Ok(a) => Ok(*a),
            Err(e) => Err(std::io::Error::new(e.kind(), e.to_string())),
        }
    }
}

/// The client's address, for both plain and TLS connections (handlers read it as
/// `ConnectInfo<SocketAddr>`, which [`crate::router`] derives from this).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub SocketAddr);

impl Connected<IncomingStream<'_, TcpListener>> for ClientAddr {
    fn connect_info(s: IncomingStream<'_, TcpListener>) -> Self {
        ClientAddr(*s.remote_addr())
    }
}

impl Connected<IncomingStream<'_, TlsListener>> for ClientAddr {
    fn connect_info(s: IncomingStream<'_, TlsListener>) -> Self {
        ClientAddr(*s.remote_addr())
    }
}

/// Middleware: exposes [`ClientAddr`] as `ConnectInfo<SocketAddr>`.
pub async fn client_addr_as_socket_addr(
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if let Some(axum::extract::ConnectInfo(ClientAddr(a))) = req
        .extensions()
        .get::<axum::extract::ConnectInfo<ClientAddr>>()
        .copied()
    {
        req.extensions_mut().insert(axum::extract::ConnectInfo(a));
    }
    next.run(req).await
}
