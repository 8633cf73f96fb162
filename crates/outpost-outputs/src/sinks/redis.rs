//! Redis: `RPUSH` to a list, `PUBLISH` to a channel, or `XADD … MAXLEN ~ n` to a stream.
//! A batch is one pipeline; any error drops the connection and the batch is retried.
//! (Pub/sub reaches only the subscribers connected at that moment.)

use crate::config::{RedisConfig, RedisMode};
use crate::error::{OutputError, SinkError};
use crate::sinks::{Encoded, Sink};
use std::time::Duration;

pub(crate) struct RedisSink {
    cfg: RedisConfig,
    client: redis::Client,
    conn: Option<redis::aio::MultiplexedConnection>,
    timeout: Duration,
}

impl RedisSink {
    pub(crate) fn new(cfg: RedisConfig) -> Result<Self, OutputError> {
        // The URL may hold a password: never include it in messages.
        let client = redis::Client::open(cfg.url.expose())
            .map_err(|e| OutputError::Config(format!("redis url is invalid ({:?})", e.kind())))?;
        let timeout = Duration::from_secs(cfg.timeout_secs.max(1));
        Ok(RedisSink {
            cfg,
            client,
            conn: None,
            timeout,
        })
    }

    fn pipeline(&self, batch: &[Encoded]) -> redis::Pipeline {
        let mut p = redis::pipe();
        match &self.cfg.mode {
            RedisMode::List => {
                let docs: Vec<&[u8]> = batch.iter().map(|e| e.doc.as_slice()).collect();
                p.cmd("RPUSH").arg(&self.cfg.key).arg(docs).ignore();
            }
            RedisMode::Pubsub => {
                for e in batch {
                    p.cmd("PUBLISH")
                        .arg(&self.cfg.key)
                        .arg(e.doc.as_slice())
                        .ignore();
                }
            }
            RedisMode::Stream => {
                let maxlen = self.cfg.maxlen;
                for e in batch {
                    p.cmd("XADD")
                        .arg(&self.cfg.key)
                        .arg("MAXLEN")
                        .arg("~")
                        .arg(maxlen)
                        .arg("*")
                        .arg("id")
                        .arg(&e.record.id)
                        .arg("doc")
                        .arg(e.doc.as_slice())
                        .ignore();
                }
            }
        }
        p
    }
}

impl Sink for RedisSink {
    async fn send(&mut self, batch: &[Encoded]) -> Result<(), SinkError> {
        if self.conn.is_none() {
            let c =
                tokio::time::timeout(self.timeout, self.client.get_multiplexed_async_connection())
                    .await
                    .map_err(|_| SinkError::Transport("redis connect timed out".into()))?
                    .map_err(|e| {
                        SinkError::Transport(format!("redis connect: {}", e.kind_str()))
                    })?;
            self.conn = Some(c);
        }
        let pipe = self.pipeline(batch);
        let Some(conn) = self.conn.as_mut() else {
            return Err(SinkError::Transport("redis not connected".into()));
        };
        let r: Result<Result<(), redis::RedisError>, _> =
            tokio::time::timeout(self.timeout, pipe.query_async::<()>(conn)).await;
        match r {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => {
                self.conn = None;
                Err(SinkError::Server(format!("redis: {}", e.kind_str())))
            }
            Err(_) => {
                self.conn = None;
                Err(SinkError::Transport("redis command timed out".into()))
            }
        }
    }
}

trait KindStr {
    fn kind_str(&self) -> String;
}

impl KindStr for redis::RedisError {
    /// Error category and detail without the connection info (which can hold a password).
    fn kind_str(&self) -> String {
        match self.detail() {
            Some(d) => format!("{:?}: {d}", self.kind()),
            None => format!("{:?}", self.kind()),
        }
    }
}
