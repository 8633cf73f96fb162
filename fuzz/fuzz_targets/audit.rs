//! Linux audit logs (`outpost_oslog::ingest_file`, the reader of `outpost ingest` and of the
//! agent's audit sources): line parsing (`type=… msg=audit(…)`, quoted and hex-encoded
//! values, `node=` prefixes, enriched fields after `\x1d`), grouping of interleaved records
//! by event serial and the normalization of SYSCALL/EXECVE/SOCKADDR/PROCTITLE groups into
//! events. The reader takes a path, so each input is written to one scratch file (in /dev/shm
//! when there is one) first.
use outpost_oslog::{IngestOptions, SinkError, ingest_file};

fn main() {
    let dir = if std::path::Path::new("/dev/shm").is_dir() {
        std::path::PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let path = dir.join(format!("outpost-fuzz-audit-{}.log", std::process::id()));
    let opts = IngestOptions::default();
    afl::fuzz!(|data: &[u8]| {
        // Line parser on its own too: every line, whatever the file's first line says.
        for line in String::from_utf8_lossy(data).lines() {
            if let Ok(r) = outpost_oslog::audit::parse::parse_line(line) {
                for f in &r.fields {
                    let _ = outpost_oslog::audit::parse::decode_field_value(f);
                }
            }
        }
        if std::fs::write(&path, data).is_err() {
            return;
        }
        let _ = ingest_file(&path, &opts, &mut |_e| Ok::<(), SinkError>(()));
    });
    let _ = std::fs::remove_file(&path);
}
