//! Glue between the server and the job subsystem (`outpost-jobs`): the device directory the
//! jobs crate uses to resolve `/joblookup`'s `observer.name` to an enrolled device.

use outpost_jobs::{DeviceResolver, ResolveError, ResolveFuture, ResolvedDevice};
use outpost_store::Store;

/// Resolves hostnames to enrolled, non-revoked devices through the server's store.
///
/// Within one tenant the most recently active device of that hostname wins (a re-enrolled
/// machine leaves its old device behind until it is revoked). Without a tenant (staff who did
/// not name one), devices of several tenants with that hostname are ambiguous.
#[derive(Debug, Clone)]
pub struct StoreDeviceResolver {
    store: Store,
}

impl StoreDeviceResolver {
    pub fn new(store: Store) -> Self {
        StoreDeviceResolver { store }
    }
}

impl DeviceResolver for StoreDeviceResolver {
    fn resolve<'a>(&'a self, tenant: Option<&'a str>, hostname: &'a str) -> ResolveFuture<'a> {
        Box::pin(async move {
            let found = self
                .store
                .find_devices_by_hostname(tenant, hostname)
                .await
                .map_err(|e| ResolveError::Backend(e.to_string()))?;
            let Some(first) = found.first() else {
                return Ok(None);
            };
            if found.iter().any(|d| d.tenant_id != first.tenant_id) {
                return Err(ResolveError::Ambiguous {
                    hostname: hostname.to_string(),
                });
            }
            Ok(Some(ResolvedDevice {
                tenant_id: first.tenant_id.clone(),
                device_id: first.id.clone(),
            }))
        })
    }
}
