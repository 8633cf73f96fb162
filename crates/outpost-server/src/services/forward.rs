//! Forwarding and rule actions: what leaves the server after scoring and storing.
//!
//! The [`Forwarder`] owns the `[[outputs]]` ([`OutputManager`], one disk queue per output)
//! and puts on them, as at-least-once records:
//!
//! - stored hits (`hit-…`, suppressed ones skipped) and, for alerts, an `alert` record
//!   ([`Forwarder::publish`]); telemetry events with their score and rule tags
//!   ([`Forwarder::publish_events`]); the open alerts of telemetry
//!   ([`Forwarder::publish_event_alerts`]);
//! - the `ticket` and `job` actions of the rules that raised an alert
//!   ([`Forwarder::run_actions`]) and an analyst's escalation of a hit ([`Forwarder::ticket`]),
//!   both to the ticketing outputs (Syncro, Slack, Teams);
//! - the audit trail: who changed what ([`Forwarder::audit`], also logged) and the job
//!   subsystem's entries ([`JobAuditForwarder`]).
//!
//! Record ids are stable where a record may be sent again (a retried batch forwards the same
//! ids, which targets with record ids deduplicate) and unique where each request is new (an
//! escalation, an audit entry).

use chrono::Utc;
use outpost_core::Event;
use outpost_core::api::{AlertRecord, HitRecord, TriageState};
use outpost_outputs::{OutputManager, OutputRecord, RecordKind};
use prometheus_client::registry::Registry;
use std::collections::HashSet;
use std::sync::Arc;

use crate::config::ServerConfig;
use crate::scoring::ScoredEvent;

/// The outputs of `[[outputs]]` and what the server sends to them (see the module docs).
#[derive(Default)]
pub struct Forwarder {
    outputs: Option<OutputManager>,
}

impl std::fmt::Debug for Forwarder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Forwarder")
            .field("outputs", &self.outputs.as_ref().map(|o| o.status().len()))
            .finish()
    }
}

impl Forwarder {
    /// No outputs: nothing is forwarded.
    pub fn disabled() -> Forwarder {
        Forwarder { outputs: None }
    }

    /// Starts the `[[outputs]]` of `config` (their metrics go to `registry`; their queues
    /// live under `{data_dir}/outputs/`). Must run inside a Tokio runtime.
    pub fn start(
        config: &ServerConfig,
        registry: &mut Registry,
    ) -> Result<Forwarder, outpost_outputs::OutputError> {
        if config.outputs.is_empty() {
            return Ok(Forwarder::disabled());
        }
        Ok(Forwarder {
            outputs: Some(OutputManager::start(
                config.outputs.clone(),
                &config.data_dir,
                registry,
            )?),
        })
    }

    /// The outputs, when any are configured.
    pub fn outputs(&self) -> Option<&OutputManager> {
        self.outputs.as_ref()
    }

    /// Queues every event of a telemetry batch (`event-{device}-{batch}-{n}`) on the outputs
    /// with its indicators and score; returns how many were queued at least once.
    #[allow(clippy::too_many_arguments)]
    pub fn publish_events(
        &self,
        tenant_id: &str,
        device_id: &str,
        hostname: &str,
        batch_id: &str,
        events: &[Event],
        seqs: &[i64],
        scored: &[ScoredEvent],
    ) -> u64 {
        let Some(o) = &self.outputs else {
            return 0;
        };
        let mut queued = 0u64;
        for (n, e) in events.iter().enumerate() {
            let mut body = match serde_json::to_value(e) {
                Ok(v) => v,
                Err(err) => {
                    tracing::error!(error = %err, "cannot convert an event for the outputs");
                    continue;
                }
            };
            // A rule's `tag` action tags the forwarded event.
            if let Some(s) = scored.get(n) {
                let tags = tags_of(&s.actions);
                if !tags.is_empty()
                    && let Some(o) = body.as_object_mut()
                {
                    o.insert("tags".into(), tags.into());
                }
            }
            // The record id is stable across redeliveries (an input's record keeps its seq).
            let seq = seqs.get(n).copied().unwrap_or(n as i64);
            let mut rec = OutputRecord::new(
                format!("event-{device_id}-{batch_id}-{seq}"),
                RecordKind::Event,
                tenant_id,
                e.ts,
                body,
            );
            rec.device_id = Some(device_id.to_string());
            rec.hostname = Some(hostname.to_string());
            if let Some(s) = scored.get(n) {
                rec.indicators = s.indicators.clone();
                rec.risk_score = s.risk_score;
            }
            if o.publish(&rec) > 0 {
                queued += 1;
            }
        }
        queued
    }

    /// Queues the `alert` record of each stored event alert that is open (suppressed and
    /// learned alerts are not forwarded). The record id `alert-event-{alert id}` is stable, so
    /// a retried batch re-forwards the same records. Alerts whose `seq` is in `ticketed` (a
    /// rule's `ticket` action will send them, titled) skip the ticketing outputs here.
    pub fn publish_event_alerts(&self, alerts: &[AlertRecord], ticketed: &HashSet<i64>) -> usize {
        let Some(o) = &self.outputs else {
            return 0;
        };
        let mut queued = 0;
        for a in alerts
            .iter()
            .filter(|a| a.triage.state != TriageState::Suppressed)
        {
            let body = match serde_json::to_value(a) {
                Ok(v) => v,
                Err(err) => {
                    tracing::error!(alert = a.id, error = %err, "cannot convert an alert for the outputs");
                    continue;
                }
            };
            let mut rec = OutputRecord::new(
                format!("alert-event-{}", a.id),
                RecordKind::Alert,
                &a.tenant_id,
                a.event_ts,
                serde_json::json!({
                    "id": format!("alert-event-{}", a.id),
                    "alert_id": a.id,
                    "event_id": format!("event-{}-{}-{}", a.device_id, a.batch_id, a.seq),
                    "created_at": a.created_at,
                    "risk_score": a.risk_score,
                    "indicators": a.indicators,
                    "summary": a.summary,
                    "hit": {
                        "device_id": a.device_id,
                        "hostname": a.hostname,
                        "process_name": a.process_name,
                        "remote_ip": a.remote_ip,
                        "sha256": a.sha256,
                    },
                    "alert": body,
                }),
            );
            rec.device_id = Some(a.device_id.clone());
            rec.hostname = Some(a.hostname.clone());
            rec.indicators = a.indicators.clone();
            rec.risk_score = a.risk_score;
            queued += if ticketed.contains(&a.seq) {
                o.publish_where(&rec, |t| !is_ticketing(t))
            } else {
                o.publish(&rec)
            };
        }
        queued
    }

    /// Queues stored hits (and an alert record for each alert) on the outputs; returns the
    /// number of records queued. Suppressed hits are skipped.
    pub fn publish(&self, hits: &[HitRecord]) -> usize {
        let Some(outputs) = &self.outputs else {
            return 0;
        };
        let mut queued = 0;
        for h in hits
            .iter()
            .filter(|h| h.triage.state != TriageState::Suppressed)
        {
            let rec = match OutputRecord::from_hit(h) {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!(hit = h.id, error = %e, "cannot convert a hit for the outputs");
                    continue;
                }
            };
            queued += outputs.publish(&rec);
            if h.score.alert {
                queued +=
                    outputs.publish(&alert_of_hit(&rec, h, format!("alert-hit-{}", h.id), None));
            }
        }
        queued
    }

    /// Runs the `ticket` and `job` actions of the rules that raised an open alert: a ticket
    /// goes to the ticketing outputs, titled with the rule's summary (record
    /// `alert-ticket-event-{id}`: a retried batch sends it again and the ticketers treat it as
    /// a redelivery), a job is queued for the alert's device as `rule:<rule>` — only when
    /// `fresh` (the alert is new with this upload), so a retry never queues it twice. Returns
    /// (tickets queued, jobs created); refusals are logged and counted, never fatal.
    pub async fn run_actions(
        &self,
        jobs: Option<&outpost_jobs::JobsState>,
        alert: &AlertRecord,
        actions: &[outpost_detect::RuleAction],
        fresh: bool,
    ) -> (usize, usize) {
        use outpost_detect::Action;
        let (mut tickets, mut created) = (0, 0);
        if alert.triage.state == TriageState::Suppressed {
            return (0, 0);
        }
        for a in actions {
            match &a.action {
                Action::Ticket { summary, priority } => {
                    let Some(o) = &self.outputs else {
                        tracing::warn!(rule = %a.rule_name, "ticket action without a ticketing output");
                        continue;
                    };
                    let mut rec = OutputRecord::new(
                        format!("alert-ticket-event-{}", alert.id),
                        RecordKind::Alert,
                        &alert.tenant_id,
                        alert.event_ts,
                        serde_json::json!({
                            "id": format!("alert-ticket-event-{}", alert.id),
                            "alert_id": alert.id,
                            "created_at": alert.created_at,
                            "created_by": format!("rule:{}", a.rule_name),
                            "ticket_summary": summary,
                            "priority": priority,
                            "risk_score": alert.risk_score,
                            "indicators": alert.indicators,
                            "hit": {
                                "device_id": alert.device_id,
                                "hostname": alert.hostname,
                                "process_name": alert.process_name,
                                "remote_ip": alert.remote_ip,
                                "sha256": alert.sha256,
                            },
                        }),
                    );
                    rec.device_id = Some(alert.device_id.clone());
                    rec.hostname = Some(alert.hostname.clone());
                    rec.risk_score = alert.risk_score;
                    rec.indicators = alert.indicators.clone();
                    tickets += o.publish_where(&rec, is_ticketing);
                }
                Action::Job { .. } if !fresh => {}
                Action::Job { kind, args } => {
                    let Some(j) = jobs else {
                        tracing::warn!(rule = %a.rule_name, kind, "job action but the job subsystem is off");
                        continue;
                    };
                    let params = args
                        .iter()
                        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                        .collect();
                    match j
                        .create_for_rule(
                            &format!("rule:{}", a.rule_name),
                            &alert.tenant_id,
                            &alert.device_id,
                            kind,
                            params,
                        )
                        .await
                    {
                        Ok(id) => {
                            created += 1;
                            tracing::info!(rule = %a.rule_name, kind, job = id, alert = alert.id, "rule action queued a job");
                        }
                        Err(e) => {
                            crate::metrics::api_error("rule_action_refused");
                            tracing::warn!(rule = %a.rule_name, kind, error = %e, "rule action's job refused");
                        }
                    }
                }
                Action::Alert | Action::Score(_) | Action::Tag(_) => {}
            }
        }
        (tickets, created)
    }

    /// Names of the ticketing outputs (Syncro, Slack, Teams) whose filter takes alerts.
    pub fn ticketing_outputs(&self) -> Vec<String> {
        let Some(o) = &self.outputs else {
            return Vec::new();
        };
        o.outputs()
            .into_iter()
            .filter(|(_, t)| is_ticketing(t))
            .map(|(n, _)| n)
            .collect()
    }

    /// An analyst escalates a hit: an `alert` record goes to the
    /// ticketing outputs only, which open a ticket or comment on the open one for the same
    /// (tenant, device, remote IP, process, SHA-256). Returns how many outputs queued it.
    /// The record id is `alert-ticket-hit-{id}-{µs}`.
    pub fn ticket(&self, h: &HitRecord, by: &str) -> usize {
        let Some(outputs) = &self.outputs else {
            return 0;
        };
        let rec = match OutputRecord::from_hit(h) {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(hit = h.id, error = %e, "cannot convert a hit for the outputs");
                return 0;
            }
        };
        // Unique per request: the ticketers treat a record id they have seen as a redelivery.
        let id = format!(
            "alert-ticket-hit-{}-{}",
            h.id,
            Utc::now().timestamp_micros()
        );
        let alert = alert_of_hit(&rec, h, id, Some(by));
        outputs.publish_where(&alert, is_ticketing)
    }

    /// Forwards an audit entry of the server (who changed what) to the outputs whose filter
    /// takes `audit` records. The entry is also logged.
    pub fn audit(
        &self,
        who: &outpost_core::auth::Principal,
        action: &str,
        tenant_id: Option<&str>,
        target: &str,
        detail: Option<String>,
    ) {
        tracing::info!(actor = %who.subject, action, tenant_id, target, "audit");
        let body = serde_json::json!({
            "at": Utc::now(),
            "actor": who.subject,
            "actor_role": who.role,
            "actor_tenant_id": who.tenant_id,
            "action": action,
            "tenant_id": tenant_id,
            "target": target,
            "outcome": "ok",
            "detail": detail,
        });
        self.publish_audit(tenant_id, body);
    }

    /// Queues an audit document (`kind = audit`, id `audit-{random}`) on the outputs.
    pub fn publish_audit(&self, tenant_id: Option<&str>, body: serde_json::Value) -> usize {
        let Some(outputs) = &self.outputs else {
            return 0;
        };
        let id = format!("audit-{}", &crate::random_token()[..32]);
        let rec = OutputRecord::new(
            id,
            RecordKind::Audit,
            tenant_id.unwrap_or(""),
            Utc::now(),
            body,
        );
        outputs.publish(&rec)
    }

    /// Lets the output workers finish what they hold (undelivered records stay queued).
    pub async fn shutdown(&self) {
        if let Some(o) = &self.outputs {
            o.shutdown().await;
        }
    }
}

/// Forwards the job subsystem's audit entries (job created, claimed, completed, read…) to
/// the outputs as `audit` records.
#[derive(Debug)]
pub struct JobAuditForwarder(pub Arc<Forwarder>);

impl outpost_jobs::AuditSink for JobAuditForwarder {
    fn record(&self, e: &outpost_jobs::AuditEntry) {
        match serde_json::to_value(e) {
            Ok(mut v) => {
                if let Some(o) = v.as_object_mut() {
                    o.insert("source".into(), "jobs".into());
                }
                self.0.publish_audit(e.tenant_id.as_deref(), v);
            }
            Err(err) => tracing::error!(error = %err, "cannot forward a job audit entry"),
        }
    }
}

/// The `alert` record of a hit: its record (`rec`) wrapped with the hit id, the score and,
/// for an analyst's escalation, who asked.
fn alert_of_hit(
    rec: &OutputRecord,
    h: &HitRecord,
    id: String,
    created_by: Option<&str>,
) -> OutputRecord {
    let mut alert = rec.clone();
    alert.kind = RecordKind::Alert;
    alert.body = serde_json::json!({
        "id": id,
        "hit_id": h.id,
        "created_at": Utc::now(),
        "created_by": created_by,
        "risk_score": h.score.risk_score,
        "indicators": h.score.indicators,
        "hit": rec.body,
    });
    alert.id = id;
    alert
}

fn is_ticketing(type_name: &str) -> bool {
    matches!(type_name, "syncro" | "slack" | "teams")
}

/// The distinct tags that rules' `tag` actions asked for, in order.
pub fn tags_of(actions: &[outpost_detect::RuleAction]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for a in actions {
        if let outpost_detect::Action::Tag(t) = &a.action
            && !out.contains(t)
        {
            out.push(t.clone());
        }
    }
    out
}
