//! Indicators, actions and the scored result of an event.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One match of one engine on one event (defined in `outpost-core`, shared with hits and
/// outputs).
pub use outpost_core::Finding;

/// What a rule asks the caller to do when it fires. Returned as data; the server executes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Raise an alert regardless of the tenant's threshold.
    Alert,
    /// Add this many points to the rule's indicator score.
    Score(i32),
    /// Tag the event.
    Tag(String),
    /// Open a ticket.
    Ticket {
        /// Ticket subject.
        summary: String,
        /// Optional priority (free text for the ticketing system).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        priority: Option<String>,
    },
    /// Queue a job on the agent (e.g. a packet capture or process kill).
    Job {
        /// Job kind as the jobs subsystem names it.
        kind: String,
        /// Job parameters.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        args: BTreeMap<String, String>,
    },
}

/// An action together with the rule that asked for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleAction {
    /// Engine of the rule.
    pub engine: String,
    /// Rule id.
    pub rule_name: String,
    /// The action.
    pub action: Action,
}

/// The result of scoring one event.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Scored {
    /// Every indicator, in engine order (static, rules, sigma, profile, stix).
    pub indicators: Vec<Finding>,
    /// Sum of the indicator scores.
    pub risk_score: i64,
    /// Actions requested by rules that fired.
    pub actions: Vec<RuleAction>,
    /// True when a whitelist entry matched (later engines were skipped).
    #[serde(default)]
    pub whitelisted: bool,
    /// STIX sightings produced by the STIX engine, linked to their indicators.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sightings: Vec<outpost_core::sighting::StixSighting>,
}

impl Scored {
    /// Adds an indicator and its score.
    pub fn push(&mut self, i: Finding) {
        self.risk_score += i64::from(i.score);
        self.indicators.push(i);
    }

    /// True when any rule asked for an [`Action::Alert`].
    pub fn wants_alert(&self) -> bool {
        self.actions.iter().any(|a| a.action == Action::Alert)
    }

    /// Tags requested by rules.
    pub fn tags(&self) -> impl Iterator<Item = &str> {
        self.actions.iter().filter_map(|a| match &a.action {
            Action::Tag(t) => Some(t.as_str()),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_serialize_as_data() {
        let a = vec![
            Action::Alert,
            Action::Score(5),
            Action::Tag("webshell".into()),
            Action::Job {
                kind: "pcap".into(),
                args: BTreeMap::from([("secs".into(), "30".into())]),
            },
        ];
        let j = serde_json::to_string(&a).unwrap();
        assert_eq!(
            j,
            r#"["alert",{"score":5},{"tag":"webshell"},{"job":{"kind":"pcap","args":{"secs":"30"}}}]"#
        );
        let back: Vec<Action> = serde_json::from_str(&j).unwrap();
        assert_eq!(back, a);
    }
}
