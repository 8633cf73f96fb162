//! Server-side distribution: per-tenant bundles, ETags, key handling and hit confirmation.

use crate::bundle::{BundleError, BundleSpec, build_bundle};
use crate::indicator::{IntelSet, private_ranges};
use chrono::{DateTime, Utc};
use ed25519_dalek::{SigningKey, VerifyingKey};
use ipnet::IpNet;
use outpost_core::IntelMatch;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use std::time::Duration;

pub use crate::bundle::{bundle_etag, etag_matches};

/// The allowlist for a tenant: the private/reserved ranges plus the tenant's own networks.
pub fn tenant_allowlist(tenant_networks: &[IpNet]) -> Vec<IpNet> {
    let mut v = private_ranges();
    v.extend_from_slice(tenant_networks);
    v
}

/// Builds and signs a tenant's bundle: global intel plus tenant intel, minus the allowlist
/// (pass [`tenant_allowlist`]), without indicators expired at `created`.
///
/// Deterministic: the same inputs give the same bytes, so [`bundle_etag`] of the result is a
/// stable ETag as long as the server reuses `created` for an unchanged version.
pub fn build_tenant_bundle(
    global: &IntelSet,
    tenant: &IntelSet,
    allowlist: &[IpNet],
    version: &str,
    created: DateTime<Utc>,
    ttl: Duration,
    key: &SigningKey,
) -> Result<Vec<u8>, BundleError> {
    let spec = BundleSpec {
        version: version.to_string(),
        created,
        ttl,
        filter_mode: false,
        source: "outpost".to_string(),
    };
    build_tenant_bundle_with(global, tenant, allowlist, &spec, key)
}

/// [`build_tenant_bundle`] with a full spec (e.g. `filter_mode` for very large lists).
pub fn build_tenant_bundle_with(
    global: &IntelSet,
    tenant: &IntelSet,
    allowlist: &[IpNet],
    spec: &BundleSpec,
    key: &SigningKey,
) -> Result<Vec<u8>, BundleError> {
    let merged = merge_for_tenant(global, tenant, allowlist, spec.created);
    build_bundle(&merged, spec, key)
}

/// Global plus tenant intel minus the allowlist, without indicators expired at `now`. The
/// server confirms hits against this set.
pub fn merge_for_tenant(
    global: &IntelSet,
    tenant: &IntelSet,
    allowlist: &[IpNet],
    now: DateTime<Utc>,
) -> IntelSet {
    let mut merged = global.clone();
    merged.extend(tenant.clone());
    merged.prune_expired(now);
    merged.subtract_allowlist(allowlist);
    merged
}

/// Server side of hit confirmation: the indicator `ip` matches in the tenant's full intel
/// (see [`merge_for_tenant`]), as it goes into a hit payload.
pub fn confirm(set: &IntelSet, ip: IpAddr) -> Option<IntelMatch> {
    set.lookup_ip_at(ip, chrono::Utc::now())
        .map(|i| i.to_intel_match())
}

/// An agent's request to confirm addresses (its bundle is stale, or in filter mode).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmRequest {
    /// Addresses to check.
    pub ips: Vec<IpAddr>,
    /// The agent's bundle version, if it has one.
    #[serde(default)]
    pub bundle_version: Option<String>,
}

/// One address's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    /// The address asked about.
    pub ip: IpAddr,
    /// The matching indicator, if listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intel: Option<IntelMatch>,
}

/// The server's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmResponse {
    /// One entry per requested address, in order.
    pub results: Vec<Confirmation>,
}

/// Answers a confirmation request against the tenant's full intel.
pub fn confirm_batch(set: &IntelSet, req: &ConfirmRequest) -> ConfirmResponse {
    ConfirmResponse {
        results: req
            .ips
            .iter()
            .map(|&ip| Confirmation {
                ip,
                intel: confirm(set, ip),
            })
            .collect(),
    }
}

/// Why a key could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not 64 hex digits.
    #[error("a key must be 64 hex digits (32 bytes)")]
    BadEncoding,
    /// Not a valid ed25519 public key.
    #[error("not a valid ed25519 public key")]
    BadPublicKey,
}

fn key_bytes(s: &str) -> Result<[u8; 32], KeyError> {
    let v = hex::decode(s.trim()).map_err(|_| KeyError::BadEncoding)?;
    v.try_into().map_err(|_| KeyError::BadEncoding)
}

/// A new random signing key.
pub fn generate_signing_key() -> SigningKey {
    let seed: [u8; 32] = rand::random();
    SigningKey::from_bytes(&seed)
}

/// A signing key from 64 hex digits (the secret seed).
pub fn signing_key_from_hex(s: &str) -> Result<SigningKey, KeyError> {
    key_bytes(s).map(|b| SigningKey::from_bytes(&b))
}

/// A public key from 64 hex digits.
pub fn verifying_key_from_hex(s: &str) -> Result<VerifyingKey, KeyError> {
    VerifyingKey::from_bytes(&key_bytes(s)?).map_err(|_| KeyError::BadPublicKey)
}

/// The hex form of a signing key's secret seed.
pub fn signing_key_to_hex(k: &SigningKey) -> String {
    hex::encode(k.to_bytes())
}

/// The hex form of a public key.
pub fn verifying_key_to_hex(k: &VerifyingKey) -> String {
    hex::encode(k.as_bytes())
}
