//! Glue between the server and the job subsystem (`outpost-jobs`): the device directory the
//! jobs crate uses to resolve `/joblookup`'s `observer.name` to an enrolled device.

use outpost_jobs::{DeviceResolver, ResolveError, ResolveFuture, ResolvedDevice};
use outpost_store::Store;

/// Resolves hostnames to enrolled, non-revoked devices through the server's store.
///
/// A name matches a device's hostname when they are equal ignoring ASCII case (and a trailing
/// dot), or when one is a full name and the other its first label (`web01.corp.example` ↔
/// `web01`); two different full names (`web01.corp.example`, `web01.dmz.example`) never
/// match. Exact matches win over short/full ones. Then:
/// * several tenants among the matches → [`ResolveError::Ambiguous`] (staff who did not name
///   a tenant must);
/// * different hostnames among the matches of one tenant → [`ResolveError::AmbiguousName`]
///   naming them — never a guess;
/// * several devices of the one matching hostname (a re-enrolled machine leaves its old device
///   behind until it is revoked) → the most recently active.
#[derive(Debug, Clone)]
pub struct StoreDeviceResolver {
    store: Store,
}

impl StoreDeviceResolver {
    pub fn new(store: Store) -> Self {
        StoreDeviceResolver { store }
    }
}

fn normalize(h: &str) -> String {
    h.trim().trim_end_matches('.').to_ascii_lowercase()
}

fn first_label(h: &str) -> &str {
    h.split('.').next().unwrap_or(h)
}

/// Whether the (normalized) name `q` may denote the (normalized) hostname `h`.
fn names_match(q: &str, h: &str) -> bool {
    q == h || (first_label(q) == first_label(h) && (!q.contains('.') || !h.contains('.')))
}

/// Picks the device `name` denotes among `candidates` (most recently active first), by the
/// rules of [`StoreDeviceResolver`].
pub fn pick_device(
    name: &str,
    candidates: &[outpost_core::api::Device],
) -> Result<Option<ResolvedDevice>, ResolveError> {
    type Match<'a> = (&'a outpost_core::api::Device, String);
    let q = normalize(name);
    if q.is_empty() {
        return Ok(None);
    }
    // Matches by tenant, in the candidates' order (most recently active first); within a
    // tenant, exact names win over short/full ones.
    let mut by_tenant: Vec<(&str, Vec<Match<'_>>)> = Vec::new();
    for d in candidates {
        let h = normalize(&d.hostname);
        if !names_match(&q, &h) {
            continue;
        }
        match by_tenant.iter_mut().find(|(t, _)| *t == d.tenant_id) {
            Some((_, v)) => v.push((d, h)),
            None => by_tenant.push((&d.tenant_id, vec![(d, h)])),
        }
    }
    let mut pools = by_tenant.into_iter().map(|(_, v)| {
        if v.iter().any(|(_, h)| *h == q) {
            v.into_iter().filter(|(_, h)| *h == q).collect()
        } else {
            v
        }
    });
    let Some(pool) = pools.next() else {
        return Ok(None);
    };
    if pools.next().is_some() {
        return Err(ResolveError::Ambiguous {
            hostname: name.to_string(),
        });
    }
    let Some((first, first_name)) = pool.first() else {
        return Ok(None);
    };
    if pool.iter().any(|(_, h)| h != first_name) {
        let mut candidates: Vec<String> = pool
            .iter()
            .map(|(d, _)| format!("{} (device {})", d.hostname, d.id))
            .collect();
        candidates.sort();
        return Err(ResolveError::AmbiguousName {
            hostname: name.to_string(),
            candidates,
        });
    }
    Ok(Some(ResolvedDevice {
        tenant_id: first.tenant_id.clone(),
        device_id: first.id.clone(),
    }))
}

impl DeviceResolver for StoreDeviceResolver {
    fn resolve<'a>(&'a self, tenant: Option<&'a str>, hostname: &'a str) -> ResolveFuture<'a> {
        Box::pin(async move {
            let found = self
                .store
                .find_devices_for_host(tenant, hostname)
                .await
                .map_err(|e| ResolveError::Backend(e.to_string()))?;
            pick_device(hostname, &found)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev(id: &str, tenant: &str, host: &str) -> outpost_core::api::Device {
        serde_json::from_value(serde_json::json!({
            "id": id, "tenant_id": tenant, "hostname": host,
            "enrolled_at": "2026-01-01T00:00:00Z",
        }))
        .unwrap()
    }

    fn pick(name: &str, c: &[outpost_core::api::Device]) -> Result<Option<String>, String> {
        pick_device(name, c)
            .map(|d| d.map(|d| d.device_id))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn names_match_case_insensitively_and_by_short_or_full_name() {
        let short = [dev("d1", "t", "web01")];
        let full = [dev("d2", "t", "Web01.Corp.Example")];
        assert_eq!(pick("WEB01", &short), Ok(Some("d1".into())));
        assert_eq!(pick("web01.corp.example", &short), Ok(Some("d1".into())));
        assert_eq!(pick("web01.corp.example.", &short), Ok(Some("d1".into())));
        assert_eq!(pick("web01", &full), Ok(Some("d2".into())));
        assert_eq!(pick("WEB01.corp.example", &full), Ok(Some("d2".into())));
        // Another domain's full name is another host.
        assert_eq!(pick("web01.dmz.example", &full), Ok(None));
        assert_eq!(pick("web011", &short), Ok(None));
        assert_eq!(pick("web", &full), Ok(None));
        assert_eq!(pick("", &short), Ok(None));
    }

    #[test]
    fn exact_wins_and_different_matching_names_are_an_error_naming_them() {
        let both = [
            dev("d1", "t", "web01"),
            dev("d2", "t", "web01.corp.example"),
        ];
        assert_eq!(pick("web01", &both), Ok(Some("d1".into())));
        assert_eq!(pick("web01.corp.example", &both), Ok(Some("d2".into())));
        let two_full = [
            dev("d2", "t", "web01.corp.example"),
            dev("d3", "t", "web01.dmz.example"),
        ];
        let e = pick("web01", &two_full).unwrap_err();
        assert!(
            e.contains("web01.corp.example (device d2")
                && e.contains("web01.dmz.example (device d3"),
            "{e}"
        );
        assert!(matches!(
            pick_device("web01", &two_full),
            Err(ResolveError::AmbiguousName { .. })
        ));
        // A full name still finds its own device among them.
        assert_eq!(pick("web01.dmz.example", &two_full), Ok(Some("d3".into())));
        // Re-enrolled machine: the same name twice → the first (most recently active).
        let again = [
            dev("new", "t", "WEB01.corp.example"),
            dev("old", "t", "web01.corp.example"),
        ];
        assert_eq!(pick("web01", &again), Ok(Some("new".into())));
        // Several tenants: the caller must name one (an exact name in one tenant does not
        // hide a full name in another).
        let tenants = [
            dev("a", "ta", "web01"),
            dev("b", "tb", "web01.corp.example"),
        ];
        assert!(matches!(
            pick_device("web01", &tenants),
            Err(ResolveError::Ambiguous { .. })
        ));
    }
}
