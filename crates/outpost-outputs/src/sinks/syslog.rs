//! Syslog: RFC 5424 messages over UDP (RFC 5426), TCP (RFC 6587 octet counting) or TLS
//! (RFC 5425). TCP and TLS use [`StreamSink`]'s replay window.
//!
//! UDP has no delivery feedback except ICMP "port unreachable", which Linux reports as
//! `ECONNREFUSED` on the next send of a connected socket. The UDP sink keeps datagrams for a
//! replay window like the stream sink and re-sends them after such an error; datagrams lost in
//! the network without an error are not detected (UDP is best effort).

use crate::config::{SyslogConfig, SyslogTransport};
use crate::error::{OutputError, SinkError};
use crate::sinks::stream::{Framing, StreamSink};
use crate::sinks::{Encoded, Sink};
use std::collections::VecDeque;
use std::time::{Duration, Instant};
use tokio::net::UdpSocket;

/// Largest datagram sent; longer messages are truncated (RFC 5426 recommends ≤ 2048 for
/// IPv4 receivers; 65 000 fits loopback and most collectors).
const MAX_DATAGRAM: usize = 65_000;

pub(crate) enum SyslogSink {
    Udp(UdpSink),
    Stream(StreamSink),
}

impl SyslogSink {
    pub(crate) fn new(cfg: &SyslogConfig) -> Result<Self, OutputError> {
        let timeout = Duration::from_secs(cfg.timeout_secs.max(1));
        let window = Duration::from_millis(cfg.confirm_window_ms);
        match cfg.transport {
            SyslogTransport::Udp => Ok(SyslogSink::Udp(UdpSink {
                address: cfg.address.clone(),
                socket: None,
                dirty: false,
                window,
                unconfirmed: VecDeque::new(),
            })),
            SyslogTransport::Tcp => Ok(SyslogSink::Stream(StreamSink::new(
                cfg.address.clone(),
                None,
                Framing::OctetCounting,
                timeout,
                window,
            )?)),
            SyslogTransport::Tls => {
                let tls = cfg.tls.clone().unwrap_or_default();
                let client = crate::sinks::tls_client_config(tls.ca_file.as_deref())?;
                let name = tls
                    .server_name
                    .unwrap_or_else(|| crate::sinks::host_of(&cfg.address).to_string());
                Ok(SyslogSink::Stream(StreamSink::new(
                    cfg.address.clone(),
                    Some((client, name)),
                    Framing::OctetCounting,
                    timeout,
                    window,
                )?))
            }
        }
    }
}

impl Sink for SyslogSink {
    async fn send(&mut self, batch: &[Encoded]) -> Result<(), SinkError> {
        match self {
            SyslogSink::Udp(u) => u.send(batch).await,
            SyslogSink::Stream(s) => s.send(batch).await,
        }
    }

    async fn close(&mut self) {
        if let SyslogSink::Stream(s) = self {
            s.close().await;
        }
    }
}

pub(crate) struct UdpSink {
    address: String,
    socket: Option<UdpSocket>,
    /// A send failed since the last replay.
    dirty: bool,
    window: Duration,
    unconfirmed: VecDeque<(Instant, Vec<Vec<u8>>)>,
}

impl UdpSink {
    async fn ensure_socket(&mut self) -> Result<(), SinkError> {
        if self.socket.is_none() {
            let target = tokio::net::lookup_host(&self.address)
                .await
                .map_err(|e| SinkError::Transport(format!("resolve {}: {e}", self.address)))?
                .next()
                .ok_or_else(|| SinkError::Transport(format!("{} did not resolve", self.address)))?;
            let bind = if target.is_ipv6() {
                "[::]:0"
            } else {
                "0.0.0.0:0"
            };
            let s = UdpSocket::bind(bind)
                .await
                .map_err(|e| SinkError::Transport(format!("bind: {e}")))?;
            s.connect(target)
                .await
                .map_err(|e| SinkError::Transport(format!("connect {target}: {e}")))?;
            self.socket = Some(s);
        }
        Ok(())
    }

    async fn send_all(s: &UdpSocket, datagrams: &[Vec<u8>]) -> Result<(), SinkError> {
        for (i, d) in datagrams.iter().enumerate() {
            s.send(d)
                .await
                .map_err(|e| SinkError::Transport(format!("send: {e}")))?;
            if i % 32 == 31 {
                // Pace bursts (replays) a little so a local receiver can keep up.
                tokio::task::yield_now().await;
            }
        }
        Ok(())
    }

    async fn send(&mut self, batch: &[Encoded]) -> Result<(), SinkError> {
        let datagrams: Vec<Vec<u8>> = batch
            .iter()
            .map(|e| e.doc[..e.doc.len().min(MAX_DATAGRAM)].to_vec())
            .collect();
        let window = self.window;
        let dirty = self.dirty;
        self.dirty = true;
        self.ensure_socket().await?;
        let Some(s) = self.socket.as_ref() else {
            return Err(SinkError::Transport("no socket".into()));
        };
        let errored = dirty || matches!(s.take_error(), Ok(Some(_)) | Err(_));
        if errored {
            // An ICMP error arrived or a send failed since the last check: the receiver was
            // unreachable for some of the unconfirmed datagrams. Re-send them all.
            for (t, d) in self.unconfirmed.iter_mut() {
                Self::send_all(s, d).await?;
                *t = Instant::now();
            }
        } else {
            while let Some((t, _)) = self.unconfirmed.front() {
                if t.elapsed() < window {
                    break;
                }
                self.unconfirmed.pop_front();
            }
        }
        Self::send_all(s, &datagrams).await?;
        self.dirty = false;
        self.unconfirmed.push_back((Instant::now(), datagrams));
        while self.unconfirmed.len() > 10_000 {
            self.unconfirmed.pop_front();
        }
        Ok(())
    }
}
