//! From scores to alerts: the per-tenant threshold and learn mode.
//!
//! A scored event (or hit) is an alert when its risk score reaches its tenant's threshold or a
//! rule asked for [`crate::Action::Alert`] ([`AlertPolicy::is_alert`]). While a tenant is in
//! learn mode its alerts are still raised, but stored as *learned* (suppressed) and proposed as
//! whitelist entries. Suppression rules and the learn-mode proposals live with the alerts in
//! the server's database (several replicas share them), so they are applied where alerts are
//! stored, not here; the learn-mode table here is that database's copy, refreshed by the server
//! ([`AlertPolicy::set_learning_tenants`]).

use crate::indicator::Scored;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};
use std::sync::RwLock;

/// Thresholds and learn mode of the tenants. Thread-safe.
#[derive(Debug)]
pub struct AlertPolicy {
    /// Threshold of tenants without their own.
    default_threshold: i64,
    /// Tenant id → threshold.
    thresholds: BTreeMap<String, i64>,
    /// Tenants in learn mode, until when.
    learning: RwLock<HashMap<String, DateTime<Utc>>>,
}

impl Default for AlertPolicy {
    /// No alerts by score (the threshold is never reached), nobody learning.
    fn default() -> Self {
        AlertPolicy::new(i64::MAX, BTreeMap::new())
    }
}

impl AlertPolicy {
    /// A policy with a default threshold and per-tenant ones (by tenant id).
    pub fn new(default_threshold: i64, thresholds: BTreeMap<String, i64>) -> AlertPolicy {
        AlertPolicy {
            default_threshold,
            thresholds,
            learning: RwLock::new(HashMap::new()),
        }
    }

    /// The alert threshold of a tenant.
    pub fn threshold(&self, tenant_id: &str) -> i64 {
        self.thresholds
            .get(tenant_id)
            .copied()
            .unwrap_or(self.default_threshold)
    }

    /// Whether a scored result is an alert under `threshold`: its score reaches it, or a rule
    /// asked for an alert.
    pub fn is_alert(s: &Scored, threshold: i64) -> bool {
        s.wants_alert() || s.risk_score >= threshold
    }

    /// Whether a tenant is in learn mode now.
    pub fn learning(&self, tenant_id: &str) -> bool {
        self.learning
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(tenant_id)
            .is_some_and(|u| *u > Utc::now())
    }

    /// Replaces the learn-mode table (read from the database).
    pub fn set_learning_tenants(&self, tenants: Vec<(String, DateTime<Utc>)>) {
        *self.learning.write().unwrap_or_else(|p| p.into_inner()) = tenants.into_iter().collect();
    }

    /// Records one tenant's learn mode (after a change on this replica); `None` ends it.
    pub fn set_learning(&self, tenant_id: &str, until: Option<DateTime<Utc>>) {
        let mut m = self.learning.write().unwrap_or_else(|p| p.into_inner());
        match until {
            Some(u) => m.insert(tenant_id.to_string(), u),
            None => m.remove(tenant_id),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicator::{Action, RuleAction};

    #[test]
    fn thresholds_per_tenant_and_learn_mode_until() {
        let p = AlertPolicy::new(100, BTreeMap::from([("t2".to_string(), 40)]));
        assert_eq!(p.threshold("t1"), 100);
        assert_eq!(p.threshold("t2"), 40);
        let mut s = Scored {
            risk_score: 50,
            ..Default::default()
        };
        assert!(!AlertPolicy::is_alert(&s, p.threshold("t1")));
        assert!(AlertPolicy::is_alert(&s, p.threshold("t2")));
        s.actions.push(RuleAction {
            engine: "rules".into(),
            rule_name: "r".into(),
            action: Action::Alert,
        });
        assert!(AlertPolicy::is_alert(&s, p.threshold("t1")), "a rule asked");
        assert!(!AlertPolicy::default().learning("t1"));
        p.set_learning("t1", Some(Utc::now() + chrono::TimeDelta::hours(1)));
        p.set_learning("t2", Some(Utc::now() - chrono::TimeDelta::hours(1)));
        assert!(p.learning("t1"));
        assert!(!p.learning("t2"), "learn mode is over");
        p.set_learning("t1", None);
        assert!(!p.learning("t1"));
        p.set_learning_tenants(vec![(
            "t3".into(),
            Utc::now() + chrono::TimeDelta::hours(1),
        )]);
        assert!(p.learning("t3"));
    }
}
