//! Triage: what staff and customers do with hits and alerts, for the API and the UI alike.
//!
//! - **State changes** ([`Triage::set_state`], for every [`Lifecycle`]: hits, alerts): staff may
//!   set any state; a customer may only acknowledge, and only what their tenant owns (another
//!   tenant's record is "not found"); devices never triage. A change is compare-and-set on
//!   the record's version when the caller gives one, recorded in its history, counted
//!   (`outpost_hit_state_changes_total` for hits) and audited (`hit.state` / `alert.state`).
//! - **Suppressions** (staff): created from a request ([`Triage::create_suppression`]) or
//!   from a hit ([`Triage::suppress_hit`], which also marks the hit suppressed), deleted
//!   ([`Triage::delete_suppression`]); each audited.
//! - **Escalation** of a hit to the ticketing outputs ([`Triage::ticket_hit`]), audited.
//! - What a customer sees of a history ([`history_as_seen`]): who acted is "staff" unless it
//!   was a signed-in user.

use super::forward::Forwarder;
use super::{ServiceError, Via};
use crate::AppState;
use chrono::{DateTime, Utc};
use outpost_core::api::{
    AlertRecord, HitRecord, HitStateChange, NewSuppression, Suppression, TriageHistoryEntry,
    TriageState,
};
use outpost_core::auth::{Principal, Role};
use outpost_store::{StateChange, Store, StoreError, Triaged};

/// A requested state change.
#[derive(Debug, Clone, Copy)]
pub struct Change<'a> {
    pub state: TriageState,
    pub note: Option<&'a str>,
    /// Compare-and-set: the version the caller saw.
    pub expected_version: Option<i64>,
    pub via: Via,
}

impl<'a> Change<'a> {
    /// The change a `HitStateChange` request asks for.
    pub fn of(req: &'a HitStateChange, via: Via) -> Change<'a> {
        Change {
            state: req.state,
            note: req.note.as_deref(),
            expected_version: req.expected_version,
            via,
        }
    }
}

/// How a hit suppression from the UI is scoped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuppressScope {
    /// The remote address on every device of the tenant.
    Ip,
    /// The remote address on the hit's device.
    IpDevice,
    /// The remote address with the hit's process name.
    IpProcess,
}

impl SuppressScope {
    /// The form value (`ip`, `ip_device`, `ip_process`); anything else is `ip`.
    pub fn parse(s: Option<&str>) -> SuppressScope {
        match s {
            Some("ip_device") => SuppressScope::IpDevice,
            Some("ip_process") => SuppressScope::IpProcess,
            _ => SuppressScope::Ip,
        }
    }
}

/// What became of an escalation.
#[derive(Debug, PartialEq, Eq)]
pub enum Ticketed {
    /// No ticketing output is configured.
    NoTicketingOutput,
    /// Ticketing outputs exist, but none takes alerts of this tenant.
    NotTaken,
    /// Queued on these outputs.
    Sent(Vec<String>),
}

/// The rule of state changes: staff any state, customers only "acknowledged", devices none.
/// `what` names the records (`hits`, `alerts`) in the refusal.
pub fn may_set_state(who: &Principal, target: TriageState, what: &str) -> Result<(), ServiceError> {
    if !who.is_staff() && target != TriageState::Acknowledged {
        return Err(ServiceError::Forbidden(format!(
            "customers may only acknowledge {what}"
        )));
    }
    if who.role == Role::Device {
        return Err(ServiceError::Forbidden(format!(
            "devices cannot triage {what}"
        )));
    }
    Ok(())
}

/// A state history as `who` may see it: customers see what happened and when, not which key
/// or technician did it.
pub fn history_as_seen(
    who: &Principal,
    mut items: Vec<TriageHistoryEntry>,
) -> Vec<TriageHistoryEntry> {
    if !who.is_staff() {
        for e in &mut items {
            if !e.actor.starts_with("user:") {
                e.actor = "staff".to_string();
            }
        }
    }
    items
}

/// Triage over the store and the audit trail (see the module docs).
pub struct Triage<'a> {
    store: &'a Store,
    forward: &'a Forwarder,
}

impl AppState {
    /// The triage service over this state.
    pub fn triage(&self) -> Triage<'_> {
        Triage {
            store: &self.store,
            forward: &self.forward,
        }
    }
}

/// A record with the triage lifecycle (hits, alerts): how the store loads it and changes its
/// state ([`Triaged`]), and what the triage service adds: its plural and what a customer sees
/// of it.
pub trait Lifecycle: Triaged + serde::Serialize {
    /// The plural, for refusals (`customers may only acknowledge hits`).
    const PLURAL: &'static str;
    /// What a customer sees of it.
    type Customer: for<'a> From<&'a Self> + serde::Serialize + Send;
    /// Counts a state change (hits have a metric of their own).
    fn count_change() {}
}

impl Lifecycle for HitRecord {
    const PLURAL: &'static str = "hits";
    type Customer = outpost_core::api::CustomerHit;
    fn count_change() {
        crate::metrics::metrics().hit_state_changes.inc();
    }
}

impl Lifecycle for AlertRecord {
    const PLURAL: &'static str = "alerts";
    type Customer = outpost_core::api::CustomerAlert;
}

impl Triage<'_> {
    /// A record `who` may see; a missing one and another tenant's are both "not found".
    pub async fn visible<T: Lifecycle>(&self, who: &Principal, id: i64) -> Result<T, ServiceError> {
        let not_found = || ServiceError::NotFound(format!("{} {id} not found", T::WHAT));
        let r = match T::load(self.store, id).await {
            Ok(r) => r,
            Err(StoreError::NotFound(_)) => return Err(not_found()),
            Err(e) => return Err(e.into()),
        };
        if !who.can_access_tenant(r.tenant_id()) {
            return Err(not_found());
        }
        Ok(r)
    }

    /// Changes a record's state under the rule of [`may_set_state`]; counted and audited
    /// (`hit.state`, `alert.state`) when it changed. A stale `expected_version` answers the
    /// record as it is (`Conflict`).
    pub async fn set_state<T: Lifecycle>(
        &self,
        who: &Principal,
        id: i64,
        c: Change<'_>,
    ) -> Result<StateChange<T>, ServiceError> {
        self.visible::<T>(who, id).await?;
        may_set_state(who, c.state, T::PLURAL)?;
        let r = self
            .store
            .set_triage_state::<T>(id, c.state, &who.subject, c.note, c.expected_version)
            .await?;
        if let StateChange::Changed(x) = &r {
            T::count_change();
            let action = format!("{}.state", T::WHAT);
            self.audit_state(who, &action, x.tenant_id(), id, c);
        }
        Ok(r)
    }

    /// A record's state history as `who` may see it (see [`history_as_seen`]).
    pub async fn history<T: Lifecycle>(
        &self,
        who: &Principal,
        id: i64,
    ) -> Result<Vec<TriageHistoryEntry>, ServiceError> {
        self.visible::<T>(who, id).await?;
        let items = self.store.triage_history::<T>(id).await?;
        Ok(history_as_seen(who, items))
    }

    fn audit_state(&self, who: &Principal, action: &str, tenant_id: &str, id: i64, c: Change<'_>) {
        self.forward.audit(
            who,
            action,
            Some(tenant_id),
            &id.to_string(),
            Some(format!("to {}{}", c.state.as_str(), c.via.suffix())),
        );
    }

    /// Creates a suppression rule (staff): the tenant may be given by name, a device must be
    /// the tenant's. Audited as `suppression.create` with `detail`.
    pub async fn create_suppression(
        &self,
        who: &Principal,
        mut req: NewSuppression,
        detail: Option<String>,
    ) -> Result<Suppression, ServiceError> {
        req.tenant_id = self.store.find_tenant(&req.tenant_id).await?.id;
        if let Some(d) = &req.device_id {
            let dev = self.store.get_device(d).await?;
            if dev.tenant_id != req.tenant_id {
                return Err(ServiceError::Invalid(
                    "device_id belongs to another tenant".into(),
                ));
            }
        }
        self.insert_suppression(who, &req, detail).await
    }

    /// Stores a suppression rule and audits it as `suppression.create` with `detail`.
    async fn insert_suppression(
        &self,
        who: &Principal,
        req: &NewSuppression,
        detail: Option<String>,
    ) -> Result<Suppression, ServiceError> {
        let s = self.store.create_suppression(req, &who.subject).await?;
        self.forward
            .audit(who, "suppression.create", Some(&s.tenant_id), &s.id, detail);
        Ok(s)
    }

    /// Deletes a suppression rule (staff); audited as `suppression.delete`.
    pub async fn delete_suppression(&self, who: &Principal, id: &str) -> Result<(), ServiceError> {
        self.store.get_suppression(id).await?;
        self.store.delete_suppression(id).await?;
        self.forward
            .audit(who, "suppression.delete", None, id, None);
        Ok(())
    }

    /// Suppresses what a hit matched (staff): an address hit by its address (`scope`: on
    /// every device, on this device, or with this process), a hash hit by the executable's
    /// hash, a process or domain hit (no address) by its process name; then marks the hit
    /// suppressed. `expires_at` `None` is forever.
    pub async fn suppress_hit(
        &self,
        who: &Principal,
        id: i64,
        scope: SuppressScope,
        reason: Option<String>,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<Suppression, ServiceError> {
        let h: HitRecord = self.visible(who, id).await?;
        let hash_kind = matches!(h.hit.kind(), "sha256" | "sha1" | "md5");
        let by_hash = h.hit.remote_ip.is_none() && hash_kind && h.hit.sha256.is_some();
        let by_process =
            scope == SuppressScope::IpProcess || (h.hit.remote_ip.is_none() && !by_hash);
        let rule = NewSuppression {
            tenant_id: h.tenant_id.clone(),
            device_id: (scope == SuppressScope::IpDevice).then(|| h.device_id.clone()),
            remote_ip: h.hit.remote_ip.map(|ip| ip.to_string()),
            process_name: by_process.then(|| h.hit.process_name.clone()),
            sha256: if by_hash { h.hit.sha256.clone() } else { None },
            rule_name: None,
            reason,
            expires_at,
        };
        let s = self
            .insert_suppression(who, &rule, Some(format!("from hit {id} (UI)")))
            .await?;
        let note = format!("suppression rule {}", s.id);
        if let StateChange::Changed(_) = self
            .store
            .set_triage_state::<HitRecord>(
                id,
                TriageState::Suppressed,
                &who.subject,
                Some(&note),
                None,
            )
            .await?
        {
            crate::metrics::metrics().hit_state_changes.inc();
        }
        Ok(s)
    }

    /// Escalates a hit (staff): an `alert` record to the ticketing outputs, which open a
    /// ticket or comment on the open one. Audited as `hit.ticket`.
    pub async fn ticket_hit(&self, who: &Principal, id: i64) -> Result<Ticketed, ServiceError> {
        let h: HitRecord = self.visible(who, id).await?;
        let names = self.forward.ticketing_outputs();
        if names.is_empty() {
            return Ok(Ticketed::NoTicketingOutput);
        }
        let queued = self.forward.ticket(&h, &who.subject);
        self.forward.audit(
            who,
            "hit.ticket",
            Some(&h.tenant_id),
            &id.to_string(),
            Some(format!("{queued} ticketing outputs")),
        );
        if queued == 0 {
            return Ok(Ticketed::NotTaken);
        }
        crate::metrics::metrics()
            .output_records_queued
            .inc_by(queued as u64);
        Ok(Ticketed::Sent(names))
    }
}
