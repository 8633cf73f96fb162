//! TCP/TLS stream transport without application acknowledgements (Logstash `json_lines`,
//! syslog over TCP/TLS), made at-least-once with a replay window.
//!
//! A plain TCP write succeeds as soon as the bytes are in the local kernel, so a receiver that
//! dies right after can lose them silently. Every written batch is therefore kept in a replay
//! buffer until a liveness check made at least `confirm_window` after the write finds the
//! connection still open (no EOF, no reset). When a check or a write fails, the sink reconnects
//! and first re-sends everything still in the buffer. The price is possible duplicates after a
//! reconnect; the buffer is capped at `MAX_REPLAY_BYTES` (oldest entries are confirmed early).

use crate::error::SinkError;
use crate::sinks::{Encoded, Sink};
use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::pki_types::ServerName;

/// Cap of the replay buffer.
pub(crate) const MAX_REPLAY_BYTES: usize = 32 * 1024 * 1024;

/// How records are delimited on the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// `doc\n` (json_lines, RFC 6587 non-transparent framing).
    Newline,
    /// `LEN SP doc` (RFC 6587 octet counting, RFC 5425).
    OctetCounting,
}

enum Conn {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl Conn {
    async fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        match self {
            Conn::Plain(s) => {
                s.write_all(buf).await?;
                s.flush().await
            }
            Conn::Tls(s) => {
                s.write_all(buf).await?;
                s.flush().await
            }
        }
    }

    /// Non-blocking check: false when the peer closed or reset the connection. Data the peer
    /// sent (none is expected) is read and discarded.
    fn alive(&mut self) -> bool {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let mut buf = [0u8; 4096];
        for _ in 0..64 {
            let mut rb = ReadBuf::new(&mut buf);
            let r = match self {
                Conn::Plain(s) => Pin::new(s).poll_read(&mut cx, &mut rb),
                Conn::Tls(s) => Pin::new(s.as_mut()).poll_read(&mut cx, &mut rb),
            };
            match r {
                Poll::Pending => return true,
                Poll::Ready(Ok(())) if rb.filled().is_empty() => return false,
                Poll::Ready(Ok(())) => continue,
                Poll::Ready(Err(_)) => return false,
            }
        }
        true
    }

    /// Graceful close: send our FIN (and TLS close_notify), then read until the peer closes.
    /// Dropping a socket that still has unread incoming bytes (a TLS session ticket, say)
    /// makes the kernel send a reset and discard data not yet transmitted, so the read side is
    /// drained first.
    async fn close(&mut self, timeout: Duration) {
        use tokio::io::AsyncReadExt;
        let _ = tokio::time::timeout(timeout, async {
            let _ = match self {
                Conn::Plain(s) => s.shutdown().await,
                Conn::Tls(s) => s.shutdown().await,
            };
            let mut buf = [0u8; 4096];
            loop {
                let r = match self {
                    Conn::Plain(s) => s.read(&mut buf).await,
                    Conn::Tls(s) => s.read(&mut buf).await,
                };
                if !matches!(r, Ok(n) if n > 0) {
                    break;
                }
            }
        })
        .await;
    }
}

/// A reconnecting stream sink with a replay window.
pub(crate) struct StreamSink {
    address: String,
    tls: Option<(TlsConnector, ServerName<'static>)>,
    framing: Framing,
    timeout: Duration,
    window: Duration,
    conn: Option<Conn>,
    unconfirmed: VecDeque<(Instant, Vec<u8>)>,
    unconfirmed_bytes: usize,
}

impl StreamSink {
    pub(crate) fn new(
        address: String,
        tls: Option<(Arc<tokio_rustls::rustls::ClientConfig>, String)>,
        framing: Framing,
        timeout: Duration,
        window: Duration,
    ) -> Result<Self, crate::error::OutputError> {
        let tls = match tls {
            Some((cfg, name)) => {
                let sn = ServerName::try_from(name.clone()).map_err(|e| {
                    crate::error::OutputError::Config(format!("TLS server name {name:?}: {e}"))
                })?;
                Some((TlsConnector::from(cfg), sn))
            }
            None => None,
        };
        Ok(StreamSink {
            address,
            tls,
            framing,
            timeout,
            window,
            conn: None,
            unconfirmed: VecDeque::new(),
            unconfirmed_bytes: 0,
        })
    }

    async fn connect(&self) -> Result<Conn, SinkError> {
        let tcp = tokio::time::timeout(self.timeout, TcpStream::connect(&self.address))
            .await
            .map_err(|_| SinkError::Transport(format!("connect to {} timed out", self.address)))?
            .map_err(|e| SinkError::Transport(format!("connect to {}: {e}", self.address)))?;
        let _ = tcp.set_nodelay(true);
        match &self.tls {
            None => Ok(Conn::Plain(tcp)),
            Some((connector, name)) => {
                let s = tokio::time::timeout(self.timeout, connector.connect(name.clone(), tcp))
                    .await
                    .map_err(|_| SinkError::Transport("TLS handshake timed out".into()))?
                    .map_err(|e| SinkError::Transport(format!("TLS handshake: {e}")))?;
                Ok(Conn::Tls(Box::new(s)))
            }
        }
    }

    async fn write(conn: &mut Conn, buf: &[u8], timeout: Duration) -> Result<(), SinkError> {
        tokio::time::timeout(timeout, conn.write_all(buf))
            .await
            .map_err(|_| SinkError::Transport("write timed out".into()))?
            .map_err(|e| SinkError::Transport(format!("write: {e}")))
    }

    fn frame(&self, batch: &[Encoded]) -> Vec<u8> {
        let mut buf = Vec::with_capacity(batch.iter().map(|e| e.doc.len() + 8).sum());
        for e in batch {
            match self.framing {
                Framing::Newline => {
                    buf.extend_from_slice(&e.doc);
                    buf.push(b'\n');
                }
                Framing::OctetCounting => {
                    buf.extend_from_slice(e.doc.len().to_string().as_bytes());
                    buf.push(b' ');
                    buf.extend_from_slice(&e.doc);
                }
            }
        }
        buf
    }

    /// Sends raw framed bytes with the replay logic.
    pub(crate) async fn send_bytes(&mut self, buf: Vec<u8>) -> Result<(), SinkError> {
        if let Some(c) = self.conn.as_mut() {
            if c.alive() {
                // Everything written at least `window` ago survived: confirm it.
                while let Some((t, _)) = self.unconfirmed.front() {
                    if t.elapsed() < self.window {
                        break;
                    }
                    if let Some((_, b)) = self.unconfirmed.pop_front() {
                        self.unconfirmed_bytes -= b.len();
                    }
                }
            } else {
                tracing::debug!(address = %self.address, "stream peer closed the connection");
                self.conn = None;
            }
        }
        if self.conn.is_none() {
            let mut conn = self.connect().await?;
            tracing::debug!(address = %self.address, replay = self.unconfirmed.len(), "stream connected");
            let replay = self.unconfirmed.len();
            for (t, b) in self.unconfirmed.iter_mut() {
                Self::write(&mut conn, b, self.timeout).await?;
                *t = Instant::now();
            }
            if replay > 0 {
                tracing::info!(address = %self.address, batches = replay, "reconnected; replayed unconfirmed batches");
            }
            self.conn = Some(conn);
        }
        let Some(conn) = self.conn.as_mut() else {
            return Err(SinkError::Transport("not connected".into()));
        };
        if let Err(e) = Self::write(conn, &buf, self.timeout).await {
            self.conn = None;
            return Err(e);
        }
        tracing::trace!(address = %self.address, bytes = buf.len(), "stream batch written");
        self.unconfirmed_bytes += buf.len();
        self.unconfirmed.push_back((Instant::now(), buf));
        while self.unconfirmed_bytes > MAX_REPLAY_BYTES {
            match self.unconfirmed.pop_front() {
                Some((_, b)) => self.unconfirmed_bytes -= b.len(),
                None => break,
            }
        }
        Ok(())
    }
}

impl Sink for StreamSink {
    async fn send(&mut self, batch: &[Encoded]) -> Result<(), SinkError> {
        let buf = self.frame(batch);
        self.send_bytes(buf).await
    }

    async fn close(&mut self) {
        if let Some(mut c) = self.conn.take() {
            c.close(self.timeout).await;
        }
    }
}
