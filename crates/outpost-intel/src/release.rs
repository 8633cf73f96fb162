//! Agent release signatures. A release is signed with the **release key**, an
//! ed25519 key separate from the intel bundle key, kept by staff (never by the server): the
//! signature covers a statement naming the platform, the version, the size and the SHA-256
//! of the file, so a signed build cannot be relabelled as another version or platform.
//! The server checks an upload against the configured public release key; the agent checks
//! size, digest and signature against the key it pinned at enrollment before it writes a
//! single executable byte.

use crate::distribute::{KeyError, verifying_key_from_hex};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier};
use sha2::{Digest, Sha256};

/// What a release signature covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseStatement<'a> {
    pub os: &'a str,
    pub arch: &'a str,
    pub version: &'a str,
    pub size: u64,
    /// SHA-256 of the file, 64 lowercase hex digits.
    pub sha256: &'a str,
}

/// Why a release is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReleaseError {
    #[error("release key: {0}")]
    Key(#[from] KeyError),
    #[error("size mismatch: {got} bytes, the release has {expected} (truncated or padded)")]
    Size { expected: u64, got: u64 },
    #[error("SHA-256 mismatch: the file is not the signed release (tampered)")]
    Digest,
    #[error("bad signature: not signed by the pinned release key")]
    Signature,
}

/// The bytes the release key signs.
pub fn statement(s: &ReleaseStatement) -> Vec<u8> {
    format!(
        "outpost-release-v1\nos={}\narch={}\nversion={}\nsize={}\nsha256={}\n",
        s.os,
        s.arch,
        s.version,
        s.size,
        s.sha256.to_ascii_lowercase()
    )
    .into_bytes()
}

/// The SHA-256 of `bytes`, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Signs `s` (hex signature).
pub fn sign(key: &SigningKey, s: &ReleaseStatement) -> String {
    hex::encode(key.sign(&statement(s)).to_bytes())
}

/// Checks that `signature_hex` is the release key's signature of `s`.
pub fn verify_signature(
    public_hex: &str,
    s: &ReleaseStatement,
    signature_hex: &str,
) -> Result<(), ReleaseError> {
    let key = verifying_key_from_hex(public_hex)?;
    let raw = hex::decode(signature_hex.trim()).map_err(|_| ReleaseError::Signature)?;
    let sig = Signature::from_slice(&raw).map_err(|_| ReleaseError::Signature)?;
    key.verify(&statement(s), &sig)
        .map_err(|_| ReleaseError::Signature)
}

/// Checks a downloaded file: its size, its SHA-256 and the signature of the statement.
pub fn verify_file(
    public_hex: &str,
    s: &ReleaseStatement,
    signature_hex: &str,
    bytes: &[u8],
) -> Result<(), ReleaseError> {
    let got = bytes.len() as u64;
    if got != s.size {
        return Err(ReleaseError::Size {
            expected: s.size,
            got,
        });
    }
    if !sha256_hex(bytes).eq_ignore_ascii_case(s.sha256) {
        return Err(ReleaseError::Digest);
    }
    verify_signature(public_hex, s, signature_hex)
}

/// Compares two version strings part by part (`.`, `-`, `+` separate parts; numeric parts
/// numerically, others as text; a missing part is smaller): `0.10.0 > 0.9.1`.
pub fn compare_versions(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let split = |v: &str| -> Vec<String> {
        v.split(['.', '-', '+'])
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let (pa, pb) = (split(a), split(b));
    for i in 0..pa.len().max(pb.len()) {
        let o = match (pa.get(i), pb.get(i)) {
            (Some(x), Some(y)) => match (x.parse::<u64>(), y.parse::<u64>()) {
                (Ok(m), Ok(n)) => m.cmp(&n),
                _ => x.cmp(y),
            },
            (Some(_), None) => Ordering::Greater,
            (None, Some(_)) => Ordering::Less,
            (None, None) => Ordering::Equal,
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distribute::{generate_signing_key, verifying_key_to_hex};

    #[test]
    fn a_signed_release_verifies_and_every_change_is_refused() {
        let key = generate_signing_key();
        let public = verifying_key_to_hex(&key.verifying_key());
        let file = b"\x7fELF fake agent".to_vec();
        let sha = sha256_hex(&file);
        let st = ReleaseStatement {
            os: "linux",
            arch: "x86_64",
            version: "1.2.3",
            size: file.len() as u64,
            sha256: &sha,
        };
        let sig = sign(&key, &st);
        assert_eq!(verify_file(&public, &st, &sig, &file), Ok(()));
        let mut flipped = file.clone();
        flipped[3] ^= 1;
        assert_eq!(
            verify_file(&public, &st, &sig, &flipped),
            Err(ReleaseError::Digest)
        );
        assert!(matches!(
            verify_file(&public, &st, &sig, &file[..5]),
            Err(ReleaseError::Size { .. })
        ));
        let other = generate_signing_key();
        let wrong = sign(&other, &st);
        assert_eq!(
            verify_file(&public, &st, &wrong, &file),
            Err(ReleaseError::Signature)
        );
        // Relabelled as another version: the statement differs, the signature does not fit.
        let relabelled = ReleaseStatement {
            version: "9.9.9",
            ..st.clone()
        };
        assert_eq!(
            verify_file(&public, &relabelled, &sig, &file),
            Err(ReleaseError::Signature)
        );
    }

    #[test]
    fn versions_compare_numerically() {
        use std::cmp::Ordering::*;
        assert_eq!(compare_versions("0.10.0", "0.9.1"), Greater);
        assert_eq!(compare_versions("1.0.0", "1.0.0"), Equal);
        assert_eq!(compare_versions("1.0.0", "1.0.0-1"), Less);
        assert_eq!(
            compare_versions("0.1.0-update.2", "0.1.0-update.1"),
            Greater
        );
    }
}
