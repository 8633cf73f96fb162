//! JSON-lines file with size/time rotation and gzip of rotated files; and stdout.

use crate::config::{FileConfig, RotateEvery};
use crate::error::SinkError;
use crate::sinks::{Encoded, Sink};
use chrono::{DateTime, Utc};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

pub(crate) struct FileSink {
    cfg: FileConfig,
    file: Option<File>,
    size: u64,
    period: i64,
}

fn period_of(every: RotateEvery, t: DateTime<Utc>) -> i64 {
    match every {
        RotateEvery::Never => 0,
        RotateEvery::Hour => t.timestamp().div_euclid(3600),
        RotateEvery::Day => t.timestamp().div_euclid(86_400),
    }
}

impl FileSink {
    pub(crate) fn new(cfg: FileConfig) -> Self {
        FileSink {
            cfg,
            file: None,
            size: 0,
            period: 0,
        }
    }

    fn open(&mut self) -> Result<(), SinkError> {
        if self.file.is_some() {
            return Ok(());
        }
        if let Some(dir) = self.cfg.path.parent()
            && !dir.as_os_str().is_empty()
        {
            fs::create_dir_all(dir)?;
        }
        let f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.cfg.path)?;
        let meta = f.metadata()?;
        self.size = meta.len();
        let mtime: DateTime<Utc> = meta
            .modified()
            .map(DateTime::from)
            .unwrap_or_else(|_| Utc::now());
        self.period = if self.size == 0 {
            period_of(self.cfg.rotate_every, Utc::now())
        } else {
            period_of(self.cfg.rotate_every, mtime)
        };
        self.file = Some(f);
        Ok(())
    }

    async fn rotate(&mut self) -> Result<(), SinkError> {
        if let Some(f) = self.file.take() {
            f.sync_all()?;
        }
        if self.size == 0 {
            return Ok(());
        }
        let stamp = Utc::now().format("%Y%m%dT%H%M%S%.3fZ").to_string();
        let base = self.cfg.path.clone();
        let mut rotated = PathBuf::from(format!("{}.{stamp}", base.display()));
        let mut n = 1;
        while rotated.exists() || PathBuf::from(format!("{}.gz", rotated.display())).exists() {
            rotated = PathBuf::from(format!("{}.{stamp}-{n}", base.display()));
            n += 1;
        }
        fs::rename(&base, &rotated)?;
        self.size = 0;
        let compress = self.cfg.compress;
        let keep = self.cfg.keep;
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            if compress {
                gzip_file(&rotated)?;
            }
            if keep > 0 {
                prune(&base, keep)?;
            }
            Ok(())
        })
        .await
        .map_err(|e| SinkError::Io(std::io::Error::other(e.to_string())))??;
        Ok(())
    }
}

/// Compresses `path` to `path.gz` and removes `path`.
fn gzip_file(path: &Path) -> std::io::Result<()> {
    let gz = PathBuf::from(format!("{}.gz", path.display()));
    let tmp = PathBuf::from(format!("{}.gz.tmp", path.display()));
    {
        let mut input = File::open(path)?;
        let out = File::create(&tmp)?;
        let mut enc = flate2::write::GzEncoder::new(out, flate2::Compression::default());
        std::io::copy(&mut input, &mut enc)?;
        let out = enc.finish()?;
        out.sync_all()?;
    }
    fs::rename(&tmp, &gz)?;
    fs::remove_file(path)
}

/// Keeps the newest `keep` rotated files of `base`.
fn prune(base: &Path, keep: usize) -> std::io::Result<()> {
    let Some(dir) = base.parent() else {
        return Ok(());
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let Some(name) = base.file_name().and_then(|n| n.to_str()) else {
        return Ok(());
    };
    let prefix = format!("{name}.");
    let mut rotated: Vec<PathBuf> = fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| n.starts_with(&prefix) && !n.ends_with(".tmp"))
        })
        .map(|e| e.path())
        .collect();
    rotated.sort();
    while rotated.len() > keep {
        let p = rotated.remove(0);
        fs::remove_file(p)?;
    }
    Ok(())
}

impl Sink for FileSink {
    async fn send(&mut self, batch: &[Encoded]) -> Result<(), SinkError> {
        self.open()?;
        if self.cfg.rotate_every != RotateEvery::Never
            && period_of(self.cfg.rotate_every, Utc::now()) != self.period
        {
            self.rotate().await?;
            self.open()?;
        }
        let mut buf = Vec::with_capacity(batch.iter().map(|e| e.doc.len() + 1).sum());
        for e in batch {
            buf.extend_from_slice(&e.doc);
            buf.push(b'\n');
        }
        let Some(f) = self.file.as_mut() else {
            return Err(SinkError::Io(std::io::Error::other("file not open")));
        };
        if let Err(e) = f.write_all(&buf) {
            // Drop the handle; the next attempt reopens (and may append a partial batch again:
            // at-least-once).
            self.file = None;
            return Err(e.into());
        }
        if self.cfg.fsync {
            f.sync_data()?;
        }
        self.size += buf.len() as u64;
        if self.cfg.rotate_bytes > 0 && self.size >= self.cfg.rotate_bytes {
            self.rotate().await?;
        }
        Ok(())
    }

    async fn close(&mut self) {
        if let Some(f) = self.file.take() {
            let _ = f.sync_all();
        }
    }
}

/// Standard output, one document per line.
pub(crate) struct StdoutSink;

impl Sink for StdoutSink {
    async fn send(&mut self, batch: &[Encoded]) -> Result<(), SinkError> {
        use tokio::io::AsyncWriteExt;
        let mut buf = Vec::with_capacity(batch.iter().map(|e| e.doc.len() + 1).sum());
        for e in batch {
            buf.extend_from_slice(&e.doc);
            buf.push(b'\n');
        }
        let mut out = tokio::io::stdout();
        out.write_all(&buf).await?;
        out.flush().await?;
        Ok(())
    }
}
