//! Syslog (UDP, TCP, TLS with octet counting) and Logstash (TCP json_lines, TLS) outputs
//! against in-test receivers that are stopped mid-stream (listener and connections dropped,
//! unread data discarded) and started again on the same port.

use crate::common;

use common::*;
use outpost_outputs::config::{LogstashConfig, SyslogConfig, SyslogTransport, TlsConfig};
use outpost_outputs::{OutputConfig, SinkConfig};
use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, UdpSocket};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

#[derive(Clone, Copy, PartialEq)]
enum Framing {
    Octet,
    Lines,
}

/// Parses complete frames out of `buf`, leaving a partial tail.
fn parse_frames(buf: &mut Vec<u8>, framing: Framing, out: &mut Vec<String>) {
    loop {
        match framing {
            Framing::Lines => {
                let Some(nl) = buf.iter().position(|&b| b == b'\n') else {
                    return;
                };
                let line: Vec<u8> = buf.drain(..=nl).collect();
                out.push(String::from_utf8_lossy(&line[..line.len() - 1]).into_owned());
            }
            Framing::Octet => {
                let Some(sp) = buf.iter().position(|&b| b == b' ') else {
                    return;
                };
                let len: usize = std::str::from_utf8(&buf[..sp])
                    .unwrap()
                    .parse()
                    .expect("octet count");
                if buf.len() < sp + 1 + len {
                    return;
                }
                let msg: Vec<u8> = buf.drain(..sp + 1 + len).skip(sp + 1).collect();
                out.push(String::from_utf8(msg).unwrap());
            }
        }
    }
}

/// A stoppable TCP (optionally TLS) receiver.
struct Receiver {
    addr: SocketAddr,
    framing: Framing,
    tls: Option<TlsAcceptor>,
    got: Arc<Mutex<Vec<String>>>,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Receiver {
    async fn start(framing: Framing, tls: Option<TlsAcceptor>) -> Receiver {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let r = Receiver {
            addr: l.local_addr().unwrap(),
            framing,
            tls,
            got: Arc::new(Mutex::new(Vec::new())),
            tasks: Arc::new(Mutex::new(Vec::new())),
        };
        r.serve(l);
        r
    }
}

impl Restartable for Receiver {
    fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn serve(&self, l: TcpListener) {
        let (framing, tls, got, tasks) = (
            self.framing,
            self.tls.clone(),
            self.got.clone(),
            self.tasks.clone(),
        );
        let h = tokio::spawn(async move {
            loop {
                let (s, peer) = match l.accept().await {
                    Ok(x) => x,
                    Err(e) => {
                        eprintln!("receiver accept error: {e}");
                        return;
                    }
                };
                eprintln!("receiver: accepted {peer}");
                let (tls, got) = (tls.clone(), got.clone());
                let conn = tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = vec![0u8; 65536];
                    let mut stream: Box<dyn tokio::io::AsyncRead + Unpin + Send> = match tls {
                        Some(a) => match a.accept(s).await {
                            Ok(t) => {
                                eprintln!("receiver: TLS handshake with {peer} done");
                                Box::new(t)
                            }
                            Err(e) => {
                                eprintln!("receiver: TLS accept from {peer} failed: {e}");
                                return;
                            }
                        },
                        None => Box::new(s),
                    };
                    loop {
                        let n = match stream.read(&mut chunk).await {
                            Ok(0) => {
                                eprintln!("receiver: EOF from {peer}");
                                return;
                            }
                            Err(e) => {
                                eprintln!("receiver: read error from {peer}: {e}");
                                return;
                            }
                            Ok(n) => n,
                        };
                        buf.extend_from_slice(&chunk[..n]);
                        let mut msgs = Vec::new();
                        parse_frames(&mut buf, framing, &mut msgs);
                        if std::env::var("RX_DEBUG").is_ok() {
                            eprintln!(
                                "receiver: {peer}: read {n}, {} msgs, {} pending, head {:?}",
                                msgs.len(),
                                buf.len(),
                                String::from_utf8_lossy(&buf[..buf.len().min(40)])
                            );
                        }
                        got.lock().unwrap().extend(msgs);
                    }
                });
                tasks.lock().unwrap().push(conn);
            }
        });
        self.tasks.lock().unwrap().push(h);
    }

    fn stop(&self) {
        for t in self.tasks.lock().unwrap().drain(..) {
            t.abort();
        }
    }
}

/// Waits until the receiver has stopped receiving (no new message for 300 ms, at most 10 s).
async fn settle(got: &Arc<Mutex<Vec<String>>>) -> Vec<String> {
    let mut last = usize::MAX;
    for _ in 0..33 {
        let n = got.lock().unwrap().len();
        if n == last {
            break;
        }
        last = n;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    got.lock().unwrap().clone()
}

fn syslog_id(msg: &str) -> String {
    let start = msg.find("id=\"").expect("SD id") + 4;
    let end = msg[start..].find('"').unwrap() + start;
    msg[start..end].to_string()
}

fn json_id(line: &str) -> String {
    serde_json::from_str::<serde_json::Value>(line).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// TLS to the name `localhost`, trusting the CA certificate file `ca` (the Mozilla roots
/// without one).
fn localhost_tls(ca: Option<&std::path::Path>) -> TlsConfig {
    TlsConfig {
        ca_file: ca.map(|p| p.to_path_buf()),
        server_name: Some("localhost".into()),
    }
}

fn tls_pair() -> (TlsAcceptor, tempfile::NamedTempFile) {
    use tokio_rustls::rustls;
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert_der = ck.cert.der().clone();
    let key_der = rustls::pki_types::PrivateKeyDer::Pkcs8(ck.signing_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert_der], key_der)
        .unwrap();
    let ca = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(ca.path(), ck.cert.pem()).unwrap();
    (TlsAcceptor::from(Arc::new(cfg)), ca)
}

fn syslog_cfg(
    addr: SocketAddr,
    transport: SyslogTransport,
    tls: Option<TlsConfig>,
) -> OutputConfig {
    let mut cfg = OutputConfig::new(
        "syslog",
        SinkConfig::Syslog(SyslogConfig {
            address: addr.to_string(),
            transport,
            tls,
            facility: 4,
            app_name: "outpost".into(),
            hostname: None,
            confirm_window_ms: 2000,
            timeout_secs: 2,
        }),
    );
    cfg.batch_size = 50;
    fast_retry(&mut cfg);
    cfg
}

async fn stream_outage(
    cfg: OutputConfig,
    rx: Receiver,
    id_of: fn(&str) -> String,
    check: fn(&str),
) {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let name = cfg.name.clone();
    let published = publish_through_outage(cfg, &rx).await;
    let got = settle(&rx.got).await;
    check(&got[0]);
    let ids: HashSet<String> = got.iter().map(|m| id_of(m)).collect();
    assert_all_delivered_counting(&name, &published, &ids, got.len());
}

fn check_5424(m: &str) {
    // <PRI>1 TIMESTAMP HOST APP - MSGID [SD] MSG
    assert!(m.starts_with("<36>1 2026-11-23T10:"), "{m}");
    let parts: Vec<&str> = m.splitn(7, ' ').collect();
    assert_eq!(parts[3], "outpost");
    assert_eq!(parts[4], "-");
    assert_eq!(parts[5], "hit");
    assert!(parts[6].starts_with("[outpost@32473 id=\"hit-"));
}

fn check_json(l: &str) {
    let v: serde_json::Value = serde_json::from_str(l).unwrap();
    assert!(v["@timestamp"].is_string());
    assert!(v["event"].is_object());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn syslog_tcp_octet_counting_with_outage() {
    let rx = Receiver::start(Framing::Octet, None).await;
    let cfg = syslog_cfg(rx.addr, SyslogTransport::Tcp, None);
    stream_outage(cfg, rx, syslog_id, check_5424).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn syslog_tls_with_outage() {
    let (acceptor, ca) = tls_pair();
    let rx = Receiver::start(Framing::Octet, Some(acceptor)).await;
    let tls = localhost_tls(Some(ca.path()));
    let cfg = syslog_cfg(rx.addr, SyslogTransport::Tls, Some(tls));
    stream_outage(cfg, rx, syslog_id, check_5424).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logstash_json_lines_with_outage() {
    logstash_outage(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logstash_tls_with_outage() {
    logstash_outage(true).await;
}

async fn logstash_outage(tls: bool) {
    let (acceptor, ca) = match tls {
        true => {
            let (a, ca) = tls_pair();
            (Some(a), Some(ca))
        }
        false => (None, None),
    };
    let rx = Receiver::start(Framing::Lines, acceptor).await;
    let mut cfg = OutputConfig::new(
        "logstash",
        SinkConfig::Logstash(LogstashConfig {
            address: rx.addr.to_string(),
            tls: ca.as_ref().map(|ca| localhost_tls(Some(ca.path()))),
            confirm_window_ms: 2000,
            timeout_secs: 2,
        }),
    );
    cfg.batch_size = 50;
    fast_retry(&mut cfg);
    stream_outage(cfg, rx, json_id, check_json).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_rejects_untrusted_certificate() {
    let (acceptor, _ca) = tls_pair();
    let rx = Receiver::start(Framing::Octet, Some(acceptor)).await;
    // Trust the Mozilla roots only: the self-signed certificate must be refused.
    let cfg = syslog_cfg(rx.addr, SyslogTransport::Tls, Some(localhost_tls(None)));
    let data = tempfile::tempdir().unwrap();
    let mgr = start(cfg, data.path());
    mgr.publish(&record(1, "t1"));
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert_eq!(mgr.queue_depth("syslog"), Some(1));
    assert!(retried(&mgr, "syslog") > 0);
    mgr.shutdown().await;
    assert!(rx.got.lock().unwrap().is_empty());
}

/// A stoppable UDP receiver. Stopping it reads what is already in its socket buffer, then
/// closes the socket and waits until it is closed, so from then on the sender gets ICMP
/// port-unreachable (ECONNREFUSED on its connected socket) and replays its window. (An
/// aborted task would drop its socket at some later poll, taking unread datagrams with it —
/// a loss of the test's making, not the sender's.)
struct UdpReceiver {
    task: JoinHandle<()>,
    stop: tokio::sync::oneshot::Sender<()>,
}

/// Gives the receiver an 8 MiB socket buffer (SO_RCVBUFFORCE as root, else SO_RCVBUF up to
/// the system maximum), as a syslog collector is configured: the sender's replay after an
/// outage is a burst of the whole confirmation window, and UDP drops what a small default
/// buffer cannot hold, which would test the receiver's capacity rather than the sender.
fn big_receive_buffer(s: &UdpSocket) {
    use std::os::fd::AsRawFd;
    let size: libc::c_int = 8 << 20;
    for opt in [libc::SO_RCVBUFFORCE, libc::SO_RCVBUF] {
        // SAFETY: setsockopt on a socket we own, with a pointer to a live c_int and its size.
        let rc = unsafe {
            libc::setsockopt(
                s.as_raw_fd(),
                libc::SOL_SOCKET,
                opt,
                (&size as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if rc == 0 {
            return;
        }
    }
}

impl UdpReceiver {
    fn spawn(s: UdpSocket, got: Arc<Mutex<Vec<String>>>) -> Self {
        big_receive_buffer(&s);
        let (stop, mut stop_rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let mut buf = vec![0u8; 65536];
            let push = |n: usize, buf: &[u8]| {
                got.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&buf[..n]).into_owned());
            };
            loop {
                tokio::select! {
                    r = s.recv(&mut buf) => match r {
                        Ok(n) => push(n, &buf),
                        Err(_) => return,
                    },
                    _ = &mut stop_rx => {
                        while let Ok(n) = s.try_recv(&mut buf) {
                            push(n, &buf);
                        }
                        return; // drops (closes) the socket
                    }
                }
            }
        });
        UdpReceiver { task, stop }
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn syslog_udp_with_outage() {
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = sock.local_addr().unwrap();
    let got = Arc::new(Mutex::new(Vec::<String>::new()));
    let rx = Arc::new(tokio::sync::Mutex::new(Some(UdpReceiver::spawn(
        sock,
        got.clone(),
    ))));
    let mut cfg = syslog_cfg(addr, SyslogTransport::Udp, None);
    cfg.batch_size = 10;
    let (r1, r2, g2) = (rx.clone(), rx.clone(), got.clone());
    let published = publish_with_outage(
        cfg,
        600,
        async move || {
            let current = r1.lock().await.take();
            if let Some(r) = current {
                r.stop().await;
            }
        },
        async move || {
            let s = UdpSocket::bind(addr).await.unwrap();
            *r2.lock().await = Some(UdpReceiver::spawn(s, g2));
        },
    )
    .await;
    let got = settle(&got).await;
    check_5424(&got[0]);
    let ids: HashSet<String> = got.iter().map(|m| syslog_id(m)).collect();
    // The receiver read everything that reached it before it closed; every datagram sent
    // while it was away drew an ICMP error and was replayed from the sender's window.
    let missing: Vec<u64> = published
        .iter()
        .filter(|r| !ids.contains(&r.id))
        .map(|r| r.id.trim_start_matches("hit-").parse().unwrap())
        .collect();
    eprintln!(
        "syslog_udp_with_outage: {} published, {} lost at the outage: {missing:?}",
        published.len(),
        missing.len()
    );
    assert!(missing.is_empty(), "lost {missing:?}");
}
