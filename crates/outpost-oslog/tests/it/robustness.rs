//! Property tests: the parsers never panic on arbitrary input.

use crate::common;

use outpost_oslog::audit::parse::{
    AuditField, decode_field_value, decode_hex, decode_proctitle, decode_sockaddr, parse_line,
};
use outpost_oslog::audit::{AuditGroup, normalize_group};
use outpost_oslog::{IngestOptions, ingest_file};
use proptest::prelude::*;
use std::convert::Infallible;
use std::path::Path;

fn ingest_bytes(dir: &Path, name: &str, bytes: &[u8]) -> Option<outpost_oslog::IngestStats> {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    // Errors are fine (unreadable file); panics are not.
    ingest_file(&p, &IngestOptions::default(), &mut |e| {
        // Every event must serialize.
        serde_json::to_string(&e).unwrap();
        Ok::<(), Infallible>(())
    })
    .ok()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn audit_line_parser_never_panics(s in "\\PC*") {
        let _ = parse_line(&s);
    }

    #[test]
    fn audit_record_bodies_never_panic(
        rtype in "(SYSCALL|EXECVE|CWD|PATH|SOCKADDR|PROCTITLE|USER_START|[A-Z_]{1,12})",
        body in "[ -~\\x1d]{0,200}",
    ) {
        let line = format!("type={rtype} msg=audit(1700000000.123:42): {body}");
        let rec = parse_line(&line).unwrap();
        prop_assert_eq!(rec.serial, 42);
        let g = AuditGroup { ts_ms: rec.ts_ms, serial: rec.serial, records: vec![rec.clone(), rec] };
        let e = normalize_group(&g);
        prop_assert_eq!(e.log.as_ref().and_then(|l| l.record_id), Some(42));
    }

    #[test]
    fn hex_decoding_never_panics_and_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..64), junk in "\\PC{0,40}") {
        let upper = hex::encode_upper(&bytes);
        if !bytes.is_empty() {
            prop_assert_eq!(decode_hex(&upper), Some(bytes.clone()));
        }
        let _ = decode_hex(&junk);
        let _ = decode_sockaddr(&junk);
        let _ = decode_sockaddr(&upper);
        let f = AuditField { name: "proctitle".into(), value: junk.clone(), quoted: false };
        let _ = decode_proctitle(&f);
        let f = AuditField { name: "a1".into(), value: upper.clone(), quoted: false };
        let _ = decode_field_value(&f);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn arbitrary_evtx_like_bytes_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..200_000)) {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = b"ElfFile\0".to_vec();
        bytes.extend_from_slice(&tail);
        let _ = ingest_bytes(dir.path(), "x.evtx", &bytes);
    }
}

/// A deterministic pseudo-random sequence (xorshift) from `state`.
fn xorshift(mut state: u64) -> impl FnMut() -> u64 {
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}

/// Truncated and corrupted copies of a real EVTX file: every record either parses or is counted
/// as malformed; never a panic.
#[test]
fn corrupted_real_evtx_never_panics() {
    let Some(dir) = common::attack_samples_dir() else {
        return;
    };
    let src = dir.join("Command_and_Control/DE_RDP_Tunnel_5156.evtx");
    let orig = std::fs::read(&src).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let full = ingest_bytes(tmp.path(), "full.evtx", &orig).expect("the original file reads");
    assert_eq!(full.malformed, 0);

    // Truncations: inside the header, inside the first chunk header, inside records.
    for len in [
        0usize,
        7,
        100,
        4096,
        4096 + 100,
        4096 + 600,
        4096 + 30_000,
        orig.len() - 1,
    ] {
        let len = len.min(orig.len());
        let _ = ingest_bytes(tmp.path(), "trunc.evtx", &orig[..len]);
    }

    // Deterministic pseudo-random corruption (xorshift), many rounds.
    let mut next = xorshift(0x9E37_79B9_7F4A_7C15);
    let mut malformed_seen = 0;
    for round in 0..60 {
        let mut bytes = orig.clone();
        let flips = 1 + (next() % 64) as usize;
        for _ in 0..flips {
            // Mostly inside the first chunk's record area, sometimes anywhere.
            let pos = if round % 4 == 0 {
                (next() as usize) % bytes.len()
            } else {
                4096 + 512 + (next() as usize) % (bytes.len() - 4096 - 512)
            };
            bytes[pos] = (next() & 0xff) as u8;
        }
        if let Some(s) = ingest_bytes(tmp.path(), "bad.evtx", &bytes) {
            malformed_seen += s.malformed;
        }
    }
    println!("corrupted EVTX: {malformed_seen} malformed records/chunks counted over 60 rounds");
    assert!(
        malformed_seen > 0,
        "corrupted records must be counted as malformed, not silently lost"
    );
}

/// Corrupted copies of real EVTX files (several record shapes: WFP, Sysmon, Security): the
/// reader (its own record walk and the fast path without the `evtx` crate's record build, the
/// crate for the rest) delivers exactly the events and counts the crate alone gives when every
/// record is rendered to JSON, so reading records without the crate's validation reads no
/// damaged record the crate would reject.
#[test]
fn corrupted_evtx_reads_like_the_crate_alone() {
    let Some(dir) = common::attack_samples_dir() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut next = xorshift(0x2545_F491_4F6C_DD1D);
    let mut mismatches = Vec::new();
    let mut files = common::evtx_files(&dir);
    files.sort_by_key(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0));
    // A spread of files (small to large), 40 corrupted copies each.
    for f in files.iter().step_by(files.len() / 12 + 1) {
        let orig = std::fs::read(f).unwrap();
        if orig.len() <= 4096 + 512 {
            continue;
        }
        for round in 0..40 {
            let mut bytes = orig.clone();
            // In chunks that hold records (a byte flipped in an empty chunk past its first
            // KiB is not read: see `empty_chunks_are_told_from_damaged_ones`).
            let mut flips = 1 + (next() % 16) as usize;
            while flips > 0 {
                let pos = 4096 + 512 + (next() as usize) % (bytes.len() - 4096 - 512);
                let chunk = 4096 + (pos - 4096) / 65536 * 65536;
                if bytes.get(chunk..chunk + 8) == Some(b"ElfChnk\0") {
                    bytes[pos] = (next() & 0xff) as u8;
                    flips -= 1;
                }
            }
            let p = tmp.path().join("bad.evtx");
            std::fs::write(&p, &bytes).unwrap();
            if let Ok(c) = outpost_oslog::evtx::check_fast_path(&p) {
                mismatches.extend(
                    c.mismatches
                        .into_iter()
                        .filter(|m| m.starts_with("reader"))
                        .map(|m| format!("{} round {round}: {m}", f.display())),
                );
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
