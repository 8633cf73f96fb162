//! The intel bundle decoder (`outpost_intel::bundle`): envelope, signature check and payload
//! sections. The first byte picks the mode:
//! * even: the bytes as received, through `verify` (pinned key, time checks) and
//!   `decode_unauthenticated` (the path of the agent's cached bundle);
//! * odd: the harness first writes the payload's true length and SHA-256 into the header, so
//!   the mutated payload gets past the digest check and reaches every section decoder (a
//!   signed bundle from a compromised key, or a cache file changed on disk after it was
//!   verified, is decoded the same way).
//!
//! A decoded bundle is then used the way the agent uses it: IP look-ups and indicator access.
use outpost_intel::bundle::{self, IpVerdict};
use sha2::{Digest, Sha256};
use std::net::IpAddr;

const FIXED_HEADER: usize = 78;
const SIG_LEN: usize = 64;

fn fix_digest(b: &mut [u8]) {
    if b.len() < FIXED_HEADER {
        return;
    }
    let vlen = u16::from_le_bytes([b[76], b[77]]) as usize;
    let start = FIXED_HEADER + vlen + SIG_LEN;
    if b.len() < start {
        return;
    }
    let len = (b.len() - start) as u64;
    b[28..36].copy_from_slice(&len.to_le_bytes());
    let digest: [u8; 32] = Sha256::digest(&b[start..]).into();
    b[36..68].copy_from_slice(&digest);
}

fn main() {
    let key = outpost_intel::SigningKey::from_bytes(&[7u8; 32]).verifying_key();
    let now = chrono::DateTime::from_timestamp(1_780_000_000, 0).unwrap_or_default();
    let probes: Vec<IpAddr> = [
        "1.2.3.4",
        "45.148.10.1",
        "185.220.101.5",
        "0.0.0.0",
        "255.255.255.255",
        "::1",
        "2001:db8::1",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    ]
    .iter()
    .filter_map(|s| s.parse().ok())
    .collect();
    afl::fuzz!(|data: &[u8]| {
        let Some((&mode, rest)) = data.split_first() else {
            return;
        };
        let mut bytes = rest.to_vec();
        if mode & 1 == 1 {
            fix_digest(&mut bytes);
        } else {
            let _ = bundle::verify(&bytes, &key, now);
        }
        if let Ok(b) = bundle::decode_unauthenticated(&bytes) {
            let _ = b.info().expires();
            let _ = b.is_expired(now);
            for ip in &probes {
                if let IpVerdict::Listed(e) = b.check_ip(*ip) {
                    let _ = e;
                }
                let _ = b.ip_indicator_at(*ip, now);
                if let Some(f) = b.filter() {
                    let _ = f.may_contain(*ip);
                }
            }
            let _ = b.indicators().indicators().len();
        }
    });
}
