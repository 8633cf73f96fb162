//! HTTPS for real: `serve_on` with a `[tls]` configuration on a loopback socket, driven by a
//! rustls client. Certificates are made for the test (a CA, the server's certificate for
//! 127.0.0.1, agents' client certificates from that CA and from a foreign CA).

use crate::common::World;
use outpost_server::tls::TlsConfig;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use std::path::Path;

struct Ca {
    issuer: Issuer<'static, KeyPair>,
    pem: String,
}

fn ca(name: &str) -> Ca {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.distinguished_name
        .push(rcgen::DnType::CommonName, name.to_string());
    let key = KeyPair::generate().unwrap();
    let cert = p.self_signed(&key).unwrap();
    Ca {
        pem: cert.pem(),
        issuer: Issuer::new(p, key),
    }
}

/// A certificate for `names` signed by `ca`: (cert PEM, key PEM).
fn leaf(ca: &Ca, names: &[&str]) -> (String, String) {
    let p =
        CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = p.signed_by(&key, &ca.issuer).unwrap();
    (cert.pem(), key.serialize_pem())
}

struct Running {
    url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
    /// Tenant acme's world; the certificates' directory.
    w: World,
    _certs: tempfile::TempDir,
}

async fn start(tls: TlsConfig, certs: tempfile::TempDir) -> Running {
    let w = World::builder()
        .tenant("acme", &[])
        .config(|c, _| c.tls = Some(tls))
        .build()
        .await;
    let state = w.state.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        outpost_server::serve_on(listener, state, async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    Running {
        url: format!("https://127.0.0.1:{port}"),
        stop: Some(tx),
        task,
        w,
        _certs: certs,
    }
}

/// `GET /healthz` of `srv` with client `c`.
async fn healthz(c: &reqwest::Client, srv: &Running) -> reqwest::Result<reqwest::Response> {
    c.get(format!("{}/healthz", srv.url)).send().await
}

/// A server with a certificate for 127.0.0.1 and localhost from `root`, no client certificates.
async fn start_https(root: &Ca) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = leaf(root, &["127.0.0.1", "localhost"]);
    let tls = TlsConfig {
        cert: write(dir.path(), "server.pem", &cert),
        key: write(dir.path(), "server.key", &key),
        client_ca: None,
        require_client_cert: false,
    };
    start(tls, dir).await
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn client(ca_pem: &str, identity: Option<(&str, &str)>) -> reqwest::Client {
    let mut b = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap()])
        .timeout(std::time::Duration::from_secs(10));
    if let Some((cert, key)) = identity {
        b = b.identity(reqwest::Identity::from_pem(format!("{cert}{key}").as_bytes()).unwrap());
    }
    b.build().unwrap()
}

#[tokio::test]
async fn https_serves_the_api_and_plain_http_is_refused() {
    let root = ca("Outpost test CA");
    let mut srv = start_https(&root).await;
    let c = client(&root.pem, None);

    let r = healthz(&c, &srv).await.unwrap();
    assert_eq!(r.status(), 200);
    // An agent enrolls and the admin reads devices, over TLS.
    let r = c
        .post(format!("{}/api/v1/enroll", srv.url))
        .json(&serde_json::json!({"enrollment_key": srv.w.a().enroll, "hostname": "tls-host"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = c
        .get(format!("{}/api/v1/devices", srv.url))
        .bearer_auth(&srv.w.admin)
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["items"][0]["hostname"], "tls-host");

    // A client that does not trust the server's CA refuses it; plain HTTP gets no answer.
    let other = ca("Someone else");
    let e = healthz(&client(&other.pem, None), &srv).await;
    assert!(
        e.is_err(),
        "an untrusted certificate must fail the handshake"
    );
    let plain = srv.url.replace("https://", "http://");
    let e = reqwest::Client::new()
        .get(format!("{plain}/healthz"))
        .timeout(std::time::Duration::from_secs(5))
        .send()
        .await;
    assert!(e.is_err(), "plain HTTP on the TLS port must not be served");

    // The server still works after the failed handshakes.
    let r = healthz(&c, &srv).await.unwrap();
    assert_eq!(r.status(), 200);
    let _ = srv.stop.take().unwrap().send(());
    srv.task.await.unwrap();
}

#[tokio::test]
async fn required_client_certificates_admit_only_agents_of_the_ca() {
    let dir = tempfile::tempdir().unwrap();
    let root = ca("Outpost test CA");
    let agents = ca("Outpost agents CA");
    let (cert, key) = leaf(&root, &["127.0.0.1"]);
    let tls = TlsConfig {
        cert: write(dir.path(), "server.pem", &cert),
        key: write(dir.path(), "server.key", &key),
        client_ca: Some(write(dir.path(), "agents-ca.pem", &agents.pem)),
        require_client_cert: true,
    };
    let mut srv = start(tls, dir).await;

    let (acert, akey) = leaf(&agents, &["agent-1"]);
    let ok = client(&root.pem, Some((&acert, &akey)));
    let r = healthz(&ok, &srv).await.unwrap();
    assert_eq!(r.status(), 200);

    // No certificate, or one from a foreign CA: the handshake fails.
    let none = healthz(&client(&root.pem, None), &srv).await;
    assert!(
        none.is_err(),
        "a client without a certificate must be refused"
    );
    let rogue = ca("Rogue CA");
    let (rcert, rkey) = leaf(&rogue, &["agent-x"]);
    let bad = healthz(&client(&root.pem, Some((&rcert, &rkey))), &srv).await;
    assert!(
        bad.is_err(),
        "a certificate from another CA must be refused"
    );

    let r = healthz(&ok, &srv).await.unwrap();
    assert_eq!(r.status(), 200);
    let _ = srv.stop.take().unwrap().send(());
    srv.task.await.unwrap();
}

#[test]
fn unreadable_or_empty_certificate_files_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let empty = write(dir.path(), "empty.pem", "");
    let cfg = TlsConfig {
        cert: empty.clone(),
        key: empty.clone(),
        client_ca: None,
        require_client_cert: false,
    };
    let e = outpost_server::tls::acceptor(&cfg)
        .err()
        .expect("must fail")
        .to_string();
    assert!(e.contains("empty.pem"), "{e}");
    let cfg = TlsConfig {
        cert: dir.path().join("missing.pem"),
        ..cfg
    };
    let e = outpost_server::tls::acceptor(&cfg)
        .err()
        .expect("must fail")
        .to_string();
    assert!(e.contains("missing.pem"), "{e}");
}

/// Regression: the server offered `h2` in ALPN but serves HTTP/1.1 only, so every client that
/// prefers HTTP/2 (curl, browsers on the web UI) negotiated h2 and got a broken stream. A
/// client offering both must be given HTTP/1.1 and a response.
#[tokio::test]
async fn a_client_offering_http2_is_answered_over_http1() {
    use rustls_pki_types::pem::PemObject;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let root = ca("Outpost test CA");
    let mut srv = start_https(&root).await;
    let mut roots = tokio_rustls::rustls::RootCertStore::empty();
    roots
        .add(rustls_pki_types::CertificateDer::from_pem_slice(root.pem.as_bytes()).unwrap())
        .unwrap();
    // An explicit provider: the workspace's rustls has two (aws-lc-rs here, ring in the agent's
    // HTTP client), so there is no process default.
    let provider = std::sync::Arc::new(tokio_rustls::rustls::crypto::aws_lc_rs::default_provider());
    let mut cc = tokio_rustls::rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    cc.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(cc));
    let addr = srv.url.trim_start_matches("https://").to_string();
    let tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = connector.connect(name, tcp).await.unwrap();
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
    tls.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut resp = Vec::new();
    let _ = tls.read_to_end(&mut resp).await;
    let resp = String::from_utf8_lossy(&resp);
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    assert!(resp.ends_with("ok"), "{resp}");
    let _ = srv.stop.take().unwrap().send(());
    srv.task.await.unwrap();
}
