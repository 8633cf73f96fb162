//! Glue between the server and the job subsystem (`outpost-jobs`): the device directory the
//! jobs crate uses to resolve `/joblookup`'s `observer.name` to an enrolled device.

use outpost_jobs::{
    Candidate, DeviceResolver, IsDeviceFuture, ResolveError, ResolveFuture, ResolvedDevice,
};
use outpost_store::Store;

/// Resolves hostnames to enrolled, non-revoked devices through the server's store.
///
/// A name matches a device's hostname when they are equal ignoring ASCII case (and a trailing
/// dot), or when one is a full name and the other its first label (`web01.corp.example` ↔
/// `web01`); two different full names (`web01.corp.example`, `web01.dmz.example`) never
/// match. Exact matches win over short/full ones. Then:
/// * several tenants among the matches → [`ResolveError::Ambiguous`] (staff who did not name
///   a tenant must);
/// * several devices among the matches of one tenant — different hostnames, or the same
///   hostname enrolled more than once (a re-enrolled machine whose old device was not
///   revoked, or a second enrollment claiming an existing host's name) →
///   [`ResolveError::AmbiguousName`] naming them (hostname, device id, enrollment, last
///   activity) — never a guess: `/joblookup` lets the technician choose one.
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
    let Some((first, _)) = pool.first() else {
        return Ok(None);
    };
    if pool.len() > 1 {
        let mut candidates: Vec<Candidate> = pool
            .iter()
            .map(|(d, _)| Candidate {
                tenant_id: d.tenant_id.clone(),
                device_id: d.id.clone(),
                hostname: d.hostname.clone(),
                enrolled_at: d.enrolled_at,
                last_seen_at: d.last_checkin_at.max(d.last_seen_at),
            })
            .collect();
        candidates.sort_by(|a, b| {
            (a.hostname.to_ascii_lowercase(), a.enrolled_at)
                .cmp(&(b.hostname.to_ascii_lowercase(), b.enrolled_at))
        });
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

    fn is_device<'a>(&'a self, id: &'a str) -> IsDeviceFuture<'a> {
        Box::pin(async move {
            match self.store.get_device(id).await {
                Ok(_) => Ok(true),
                Err(outpost_store::StoreError::NotFound(_)) => Ok(false),
                Err(e) => Err(ResolveError::Backend(e.to_string())),
            }
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

    /// `name` among `c` is an error naming each of `named`.
    fn refused_naming(name: &str, c: &[outpost_core::api::Device], named: &[&str]) {
        let e = pick(name, c).unwrap_err();
        assert!(named.iter().all(|n| e.contains(n)), "{e}");
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
        refused_naming(
            "web01",
            &two_full,
            &[
                "web01.corp.example (device d2",
                "web01.dmz.example (device d3",
            ],
        );
        assert!(matches!(
            pick_device("web01", &two_full),
            Err(ResolveError::AmbiguousName { .. })
        ));
        // A full name still finds its own device among them.
        assert_eq!(pick("web01.dmz.example", &two_full), Ok(Some("d3".into())));
        // The same name enrolled twice (a re-enrolled machine, or a second enrollment
        // claiming the name): never a guess, whichever checked in last — both are named.
        let again = [
            dev("new", "t", "WEB01.corp.example"),
            dev("old", "t", "web01.corp.example"),
        ];
        refused_naming("web01", &again, &["(device new)", "(device old)"]);
        assert!(pick("web01.corp.example", &again).is_err());
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
