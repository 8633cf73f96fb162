#!/usr/bin/env python3
"""Writes crates/outpost-server/openapi.json, the OpenAPI 3.1 document of Outpost's API.

The document is the contract; the server serves it at /api/v1/openapi.json, and the test
`crates/outpost-server/tests/it/openapi.rs` checks that it lists exactly the routes the server
mounts. Edit this script, run it, commit both files.

    python3 scripts/gen-openapi.py
"""
import json
import pathlib

OUT = pathlib.Path(__file__).resolve().parent.parent / "crates/outpost-server/openapi.json"


def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def page(item):
    return {
        "type": "object",
        "required": ["items"],
        "properties": {
            "items": {"type": "array", "items": item},
            "next_cursor": {"type": "string", "description": "Pass as `cursor` for the next page."},
        },
    }


S = {"type": "string"}
SN = {"type": ["string", "null"]}
T = {"type": "string", "format": "date-time"}
TN = {"type": ["string", "null"], "format": "date-time"}
I = {"type": "integer"}
# outpost_core::IntelMatch: which indicator a hit matched (all but `indicator` optional).
INTEL_MATCH = {
    "indicator": S, "source": S, "score": I,
    "kind": {"type": "string", "enum": ["ip", "domain", "domain_suffix", "sha256", "sha1", "md5", "process_name", "process_path"]},
    "confidence": {"type": "integer", "minimum": 0, "maximum": 100},
    "tags": {"type": "array", "items": S},
    "first_seen": T, "last_seen": T, "expires": T,
}
STATE = {"type": "string", "enum": ["new", "acknowledged", "suppressed", "false_positive"]}

SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "description": "Stable code: unauthorized, forbidden, bad_request, invalid_payload, payload_too_large, not_found, conflict, rate_limited, internal…"},
                    "message": S,
                },
            }
        },
    },
    "EnrollRequest": {
        "type": "object",
        "required": ["enrollment_key", "hostname"],
        "properties": {"enrollment_key": S, "hostname": S, "os": S, "agent_version": S},
    },
    "EnrollResponse": {
        "type": "object",
        "required": ["tenant_id", "device_id", "device_token"],
        "properties": {"tenant_id": S, "device_id": S, "device_token": {"type": "string", "description": "Shown once; send as `Authorization: Bearer`."}, "intel_public_key": {"type": "string", "description": "The server's ed25519 bundle signing key (hex); the agent pins it."},
                       "release_public_key": {"type": "string", "description": "The release signing key ([releases] public_key, hex); the agent pins it and installs only releases signed with it."}},
    },
    "CheckinRequest": {
        "type": "object",
        "additionalProperties": True,
        "description": "Fields this server does not know (sent by a newer agent) are accepted, ignored and counted (outpost_unknown_fields); known fields must have their types.",
        "properties": {
            "agent_version": S, "hostname": S, "os": S, "hotlist_version": S, "config_version": S,
            "counters": {"type": "object", "description": "The agent's counters (at most 64 KiB)."},
            "interval_s": {"type": "integer", "minimum": 0},
            "wait_s": {"type": "integer", "minimum": 0, "maximum": 60, "description": "Long-poll: hold the answer until a job or a new configuration is there."},
            "intel": ref("IntelStatus"),
            "update": ref("UpdateReport"),
        },
    },
    "IntelStatus": {
        "type": "object",
        "additionalProperties": True,
        "description": "The agent's intel bundle cache: version in use, staleness, why the last offered bundle was refused.",
        "properties": {"version": S, "stale": {"type": "boolean"}, "last_error": S, "last_error_at": T},
    },
    "TenantIndicator": {
        "type": "object",
        "required": ["id", "tenant_id", "kind", "value", "created_by", "created_at"],
        "properties": {"id": S, "tenant_id": S, "kind": S, "value": S, "score": I, "source": S, "expires_at": T, "created_by": S, "created_at": T},
    },
    "NewTenantIndicator": {
        "type": "object",
        "required": ["tenant_id", "kind", "value"],
        "additionalProperties": False,
        "properties": {
            "tenant_id": S,
            "kind": {"type": "string", "enum": ["ip", "domain", "domain_suffix", "sha256", "sha1", "md5", "process_name", "process_path"]},
            "value": S, "score": {"type": ["integer", "null"], "minimum": 0}, "source": SN, "expires_at": TN,
        },
    },
    "AllowlistEntry": {
        "type": "object",
        "required": ["id", "tenant_id", "network", "created_by", "created_at"],
        "properties": {"id": S, "tenant_id": S, "network": S, "reason": S, "created_by": S, "created_at": T},
    },
    "NewAllowlistEntry": {
        "type": "object",
        "required": ["tenant_id", "network"],
        "additionalProperties": False,
        "properties": {"tenant_id": S, "network": {"type": "string", "description": "Address or CIDR"}, "reason": SN},
    },
    "ConfirmRequest": {
        "type": "object",
        "required": ["ips"],
        "properties": {
            "ips": {"type": "array", "items": S, "maxItems": 10000, "description": "Addresses to check against the tenant's full intel."},
            "bundle_version": SN,
        },
    },
    "ConfirmResponse": {
        "type": "object",
        "required": ["results"],
        "properties": {"results": {"type": "array", "description": "One per requested address, in order.", "items": {
            "type": "object", "required": ["ip"],
            "properties": {"ip": S, "intel": {"type": "object", "description": "The matching indicator (absent: not listed).", "properties": INTEL_MATCH}},
        }}},
    },
    "IntelKey": {
        "type": "object",
        "required": ["public_key", "key_id"],
        "properties": {"public_key": {"type": "string", "description": "ed25519 public key, 64 hex digits"}, "key_id": S},
    },
    "CheckinResponse": {
        "type": "object",
        "required": ["server_time", "jobs_pending", "next_checkin_s"],
        "properties": {
            "server_time": T, "jobs_pending": I, "config_version": S,
            "config": {"type": "object", "description": "Present when the agent runs another configuration version."},
            "next_checkin_s": I,
            "update": ref("UpdateOffer"),
        },
    },
    "UpdateReport": {
        "type": "object",
        "description": "The outcome of the agent's last self-update attempt (repeated at every check-in; stored once).",
        "required": ["release_id", "version", "outcome", "at"],
        "properties": {"release_id": S, "version": S, "outcome": {"type": "string", "enum": ["installed", "refused", "failed", "rolled_back"]}, "reason": S, "at": T},
    },
    "UpdateOffer": {
        "type": "object",
        "description": "The release this device should run (a rollout includes it). The agent verifies size, SHA-256 and the signature against its pinned release key before installing.",
        "required": ["release_id", "version", "os", "arch", "size", "sha256", "signature"],
        "properties": {"release_id": S, "version": S, "os": S, "arch": S, "size": I, "sha256": S, "signature": S, "rollback": {"type": "boolean"}},
    },
    "Release": {
        "type": "object",
        "required": ["id", "os", "arch", "version", "size", "sha256", "signature", "uploaded_by", "uploaded_at"],
        "properties": {"id": S, "os": S, "arch": S, "version": S, "size": I, "sha256": S, "signature": S, "uploaded_by": S, "uploaded_at": T},
    },
    "NewRollout": {
        "type": "object",
        "required": ["release_id"],
        "properties": {
            "release_id": S, "tenant_id": {"type": "string", "description": "Absent: every tenant (admins only)."},
            "canary": {"type": "array", "items": S, "description": "Devices of the first stage."},
            "percents": {"type": "array", "items": I, "description": "Stages as percentages, increasing, the last 100 (default [100])."},
            "healthy_secs": {"type": "integer", "description": "A stage's devices must be healthy this long before the next (default 3600)."},
            "failure_threshold": {"type": "integer", "description": "Pause after this many failed devices (default 1)."},
            "rollback": {"type": "boolean", "description": "Devices install it even if older than theirs."},
        },
    },
    "Rollout": {
        "type": "object",
        "required": ["id", "release_id", "version", "canary", "percents", "stage", "stages", "state", "healthy_secs", "failure_threshold", "rollback", "created_by", "created_at", "stage_started_at", "devices"],
        "properties": {
            "id": S, "release_id": S, "version": S, "tenant_id": S, "canary": {"type": "array", "items": S}, "percents": {"type": "array", "items": I},
            "stage": I, "stages": I, "state": {"type": "string", "enum": ["running", "paused", "aborted", "completed"]}, "reason": S,
            "healthy_secs": I, "failure_threshold": I, "failure_base": I, "rollback": {"type": "boolean"}, "created_by": S, "created_at": T, "stage_started_at": T,
            "devices": {"type": "object", "additionalProperties": I, "description": "Devices by update status (assigned, installed, refused, failed, rolled_back)."},
        },
    },
    "RolloutAction": {"type": "object", "required": ["action"], "properties": {"action": {"type": "string", "enum": ["pause", "resume", "abort"]}}},
    "UpdateEvent": {
        "type": "object",
        "required": ["device_id", "release_id", "version", "outcome", "at"],
        "properties": {"device_id": S, "rollout_id": S, "release_id": S, "version": S, "outcome": S, "reason": S, "at": T},
    },
    "FleetVersions": {
        "type": "object",
        "required": ["latest", "tenants"],
        "properties": {
            "latest": {"type": "object", "additionalProperties": S, "description": "Newest release per \"os arch\"."},
            "tenants": {"type": "array", "items": {"type": "object", "required": ["tenant_id", "versions", "outdated", "devices"], "properties": {
                "tenant_id": S, "versions": {"type": "object", "additionalProperties": I}, "outdated": I, "devices": I}}},
        },
    },
    "Event": {"type": "object", "description": "A normalized Outpost event (sections process, network, file, container, log)."},
    "Hit": {
        "type": "object",
        "description": "Matches of one (indicator, process): for address indicators the remote address (seed-era agents always send it), for the other kinds (domain, hash, process) the indicator named in `intel`.",
        "required": ["protocol", "process_name", "first_seen_utc", "last_seen_utc", "hit_count"],
        "properties": {
            "remote_ip": {"type": "string", "description": "Remote address of a connection hit; absent for hash, process and DNS-query hits."},
            "domain": {"type": "string", "description": "The queried name of a DNS hit, or the name a connection's address was answered for."},
            "remote_port": {"type": ["integer", "null"]}, "protocol": S, "process_name": S,
            "pid": {"type": ["integer", "null"]}, "exe_path": SN, "sha256": SN,
            "first_seen_utc": T, "last_seen_utc": T, "hit_count": {"type": "integer", "minimum": 1},
            "sample_events": {"type": "array", "items": ref("Event"), "maxItems": 50},
            "direction": {"type": "string", "enum": ["inbound", "outbound"]},
            "intel": {"type": "object", "description": "The indicator the agent matched.", "properties": INTEL_MATCH},
        },
    },
    "HitPayload": {
        "type": "object",
        "required": ["tenant_id", "device_id", "hostname", "agent_version", "hotlist_version", "batch_id", "hits"],
        "properties": {
            "tenant_id": S, "device_id": S, "hostname": S, "agent_version": S, "hotlist_version": S,
            "batch_id": {"type": "string", "minLength": 1, "maxLength": 128},
            "hits": {"type": "array", "items": ref("Hit"), "maxItems": 10000},
        },
    },
    "HitsAccepted": {
        "type": "object",
        "required": ["batch_id", "stored", "duplicate"],
        "properties": {"batch_id": S, "stored": I, "duplicate": {"type": "boolean"}},
    },
    "HitRecord": {
        "description": "A stored hit with full detail (technicians and admins).",
        "allOf": [
            ref("Hit"),
            {
                "type": "object",
                "required": ["id", "tenant_id", "device_id", "hostname", "batch_id", "received_at", "agent_version", "hotlist_version", "state", "version"],
                "properties": {
                    "id": I, "tenant_id": S, "device_id": S, "hostname": S, "batch_id": S, "received_at": T,
                    "agent_version": S, "hotlist_version": S, "state": STATE, "state_changed_at": T,
                    "state_changed_by": S, "suppression_id": S, "version": I,
                    "risk_score": {"type": "integer", "description": "Sum of the indicators' scores (the server's detection engines at ingest)."},
                    "indicators": {"type": "array", "items": ref("Indicator")},
                    "alert": {"type": "boolean", "description": "The risk score reached the tenant's alert threshold, or a rule asked for an alert."},
                },
            },
        ],
    },
    "CustomerHit": {
        "description": "A stored hit as customers see it (simplified fields).",
        "type": "object",
        "required": ["id", "tenant_id", "device_id", "hostname", "kind", "subject", "process_name", "first_seen_utc", "last_seen_utc", "hit_count", "state"],
        "properties": {
            "id": I, "tenant_id": S, "device_id": S, "hostname": S,
            "kind": {"type": "string", "enum": ["ip", "domain", "domain_suffix", "sha256", "sha1", "md5", "process_name", "process_path"]},
            "subject": {"type": "string", "description": "What matched: the remote address, domain, hash or process."},
            "remote_ip": S, "remote_port": I, "process_name": S,
            "first_seen_utc": T, "last_seen_utc": T, "hit_count": I, "state": STATE,
            "risk_score": I, "alert": {"type": "boolean"},
        },
    },
    "Indicator": {
        "type": "object",
        "description": "One match of one detection engine (threatseer's indicator).",
        "required": ["engine", "score"],
        "properties": {"engine": S, "rule_name": S, "indicator_type": S, "description": S, "extra_info": S, "score": I},
    },
    "EventBatch": {
        "type": "object",
        "required": ["batch_id", "events"],
        "properties": {"batch_id": {"type": "string", "minLength": 1, "maxLength": 128}, "events": {"type": "array", "items": ref("Event"), "maxItems": 5000}},
    },
    "EventsAccepted": {
        "type": "object",
        "required": ["batch_id", "accepted", "alerts"],
        "properties": {"batch_id": S, "accepted": I, "alerts": I},
    },
    "DetectStatus": {
        "type": "object",
        "required": ["enabled", "rules", "alert_threshold", "tenant_thresholds"],
        "properties": {
            "enabled": {"type": "boolean"}, "rules_dir": SN,
            "reload": {"type": ["object", "null"], "properties": {
                "generation": I, "loaded_at": T, "rules": I, "last_error": SN, "last_error_at": T,
                "unsupported": {"type": "array", "items": {"type": "object", "properties": {"file": S, "rule_id": S, "reason": S}}},
            }},
            "rules": {"type": "array", "items": {"type": "object", "properties": {"id": S, "name": S, "engine": S, "score": I, "file": S}}},
            "alert_threshold": I, "tenant_thresholds": {"type": "object", "additionalProperties": I},
            "stix": {"type": "object", "properties": {
                "dir": SN, "patterns": I,
                "skipped": {"type": "array", "items": {"type": "object", "properties": {"file": S, "rule_id": S, "reason": S}}},
            }},
            "profiles": {"type": "boolean"},
        },
    },
    "OutputsStatus": {
        "type": "object",
        "required": ["items"],
        "properties": {"items": {"type": "array", "items": {"type": "object", "properties": {
            "name": S, "type": S, "queue_depth": I, "queue_bytes": I, "sent": I, "retried": I, "dropped": I, "dead_lettered": I,
        }}}},
    },
    "HitView": {"oneOf": [ref("HitRecord"), ref("CustomerHit")]},
    "AlertRecord": {
        "type": "object",
        "description": "An event of full telemetry whose risk score reached its tenant's threshold (or that a rule flagged), with the lifecycle of hits.",
        "required": ["id", "tenant_id", "device_id", "hostname", "batch_id", "seq", "created_at", "event_ts", "risk_score", "threshold", "summary", "rule_names", "indicators", "learned", "state", "version", "event"],
        "properties": {
            "id": I, "tenant_id": S, "device_id": S, "hostname": S, "batch_id": S,
            "seq": {"type": "integer", "description": "The event's index in its upload batch."},
            "created_at": T, "event_ts": T, "risk_score": I, "threshold": I, "summary": S,
            "rule_names": {"type": "array", "items": S},
            "indicators": {"type": "array", "items": ref("Indicator")},
            "process_name": S, "remote_ip": S, "sha256": S,
            "learned": {"type": "boolean", "description": "Raised in learn mode: stored as suppressed, a whitelist proposal."},
            "state": STATE, "state_changed_at": T, "state_changed_by": S, "suppression_id": S, "version": I,
            "event": {"type": "object", "description": "The event (outpost_core::Event)."},
        },
    },
    "CustomerAlert": {
        "type": "object",
        "required": ["id", "tenant_id", "device_id", "hostname", "created_at", "event_ts", "risk_score", "summary", "state"],
        "properties": {"id": I, "tenant_id": S, "device_id": S, "hostname": S, "created_at": T, "event_ts": T, "risk_score": I, "summary": S, "process_name": S, "state": STATE},
    },
    "AlertView": {"oneOf": [ref("AlertRecord"), ref("CustomerAlert")]},
    "AlertsPage": {"oneOf": [page(ref("AlertRecord")), page(ref("CustomerAlert"))]},
    "Sighting": {
        "type": "object",
        "description": "A STIX indicator pattern matched an event: the STIX 2.1 sighting, its observed-data and the attack model.",
        "required": ["id", "tenant_id", "device_id", "batch_id", "seq", "indicator_id", "indicator_name", "created_at", "event_ts", "attack", "sighting", "observed"],
        "properties": {
            "id": I, "tenant_id": S, "device_id": S,
            "batch_id": {"type": "string", "description": "The upload batch (hits:<batch> for a hit's sample events)."},
            "seq": I, "indicator_id": S, "indicator_name": S, "created_at": T, "event_ts": T,
            "attack": {"type": "object", "properties": {"attack_patterns": {"type": "array"}, "intrusion_sets": {"type": "array"}}},
            "sighting": {"type": "object", "description": "STIX 2.1 sighting (sighting_of_ref = the indicator)."},
            "observed": {"type": "array", "items": {"type": "object"}},
            "alert_id": {"type": ["integer", "null"]},
        },
    },
    "AttackLink": {"type": "object", "required": ["id", "name"], "properties": {"id": S, "name": S, "mitre_id": S}},
    "AttackModel": {
        "type": "object",
        "description": "An attack model: a STIX bundle's intrusion sets and attack patterns (its steps, in order) with their indicators. Global (tenant_id null, staff-managed) or a tenant's.",
        "required": ["id", "tenant_id", "bundle_id", "name", "source", "origin", "intrusion_sets", "steps", "warnings", "created_at", "updated_at"],
        "properties": {
            "id": I, "tenant_id": SN, "bundle_id": S, "name": S,
            "source": {"type": "string", "enum": ["api", "file"]},
            "origin": {"type": "string", "description": "The file ([detect] stix_dir), or who uploaded it."},
            "intrusion_sets": {"type": "array", "items": ref("AttackLink")},
            "steps": {"type": "integer", "description": "Number of steps."},
            "warnings": {"type": "array", "items": S, "description": "Ids that are not UUIDs and patterns that are not valid STIX, accepted leniently."},
            "created_at": T, "updated_at": T,
        },
    },
    "AttackStep": {
        "type": "object",
        "description": "A step (attack pattern) with its order, indicators and sightings per device.",
        "required": ["id", "name", "order", "intrusion_sets", "indicators", "sightings"],
        "properties": {
            "id": S, "name": S, "mitre_id": S,
            "order": {"type": "integer", "description": "1 for a step an intrusion set uses, then one more per related-to/uses relationship."},
            "intrusion_sets": {"type": "array", "items": S},
            "indicators": {"type": "array", "items": {"type": "object", "required": ["id", "name", "pattern"], "properties": {"id": S, "name": S, "pattern": S}}},
            "sightings": {"type": "array", "items": {"type": "object", "required": ["tenant_id", "device_id", "hostname", "first_seen", "last_seen", "count"],
                          "properties": {"tenant_id": S, "device_id": S, "hostname": S, "first_seen": T, "last_seen": T, "count": I}}},
        },
    },
    "AttackEdge": {"type": "object", "required": ["source", "target", "relationship_type"], "properties": {"source": S, "target": S, "relationship_type": S}},
    "AttackModelView": {
        "allOf": [{"$ref": "#/components/schemas/AttackModel"}, {
            "type": "object",
            "required": ["steps", "edges", "ignored"],
            "properties": {
                "steps": {"type": "array", "items": ref("AttackStep")},
                "edges": {"type": "array", "items": ref("AttackEdge")},
                "ignored": {"type": "array", "items": S, "description": "What the bundle holds that the model does not use."},
            },
        }],
    },
    "AttackModelStored": {
        "allOf": [{"$ref": "#/components/schemas/AttackModel"}, {
            "type": "object",
            "required": ["replaced", "ignored"],
            "properties": {"replaced": {"type": "boolean"}, "ignored": {"type": "array", "items": S}},
        }],
    },
    "StixBundle": {"type": "object", "description": "A STIX 2.1 bundle (type, id, objects).", "required": ["type", "id"], "properties": {"type": {"const": "bundle"}, "id": S, "objects": {"type": "array", "items": {"type": "object"}}}},
    "Profile": {
        "type": "object",
        "description": "Learned behaviour of a container image (image:...) or executable (exe:...) of a tenant.",
        "required": ["tenant_id", "subject", "status", "epoch", "command_lines", "children", "destinations", "files", "events_learned", "deviations", "updated_at"],
        "properties": {
            "tenant_id": S, "subject": S, "status": {"type": "string", "enum": ["learning", "profiled"]},
            "epoch": {"type": "integer", "description": "Resets so far."},
            "first_seen": T, "learning_until": T,
            "command_lines": {"type": "array", "items": S}, "children": {"type": "array", "items": S},
            "destinations": {"type": "array", "items": S}, "files": {"type": "array", "items": S},
            "events_learned": I, "deviations": I, "updated_at": T,
        },
    },
    "ProfileReset": {
        "type": "object", "required": ["tenant_id"], "additionalProperties": False,
        "properties": {"tenant_id": S, "subject": {"type": ["string", "null"], "description": "Absent: every profile of the tenant."}},
    },
    "ProfileResetDone": {"type": "object", "required": ["tenant_id", "reset"], "properties": {"tenant_id": S, "reset": I}},
    "LearnModeChange": {
        "type": "object", "required": ["tenant_id", "on"], "additionalProperties": False,
        "properties": {"tenant_id": S, "on": {"type": "boolean"}, "hours": {"type": "integer", "minimum": 1, "maximum": 2160, "description": "Default 168."}},
    },
    "LearnStatus": {
        "type": "object", "required": ["tenant_id", "learning", "proposals"],
        "properties": {
            "tenant_id": S, "learning": {"type": "boolean"}, "learn_until": T,
            "proposals": {"type": "array", "items": {
                "type": "object", "required": ["rule_name", "process_name", "alerts", "devices", "applied"],
                "properties": {"rule_name": S, "process_name": S, "alerts": I, "devices": I, "applied": {"type": "boolean"}},
            }},
        },
    },
    "LearnApply": {
        "type": "object", "required": ["tenant_id"], "additionalProperties": False,
        "properties": {"tenant_id": S, "only": {"type": ["array", "null"], "items": {"type": "array", "items": S, "minItems": 2, "maxItems": 2}, "description": "(rule_name, process_name) pairs; absent: all proposals."}},
    },
    "HitsPage": {"oneOf": [page(ref("HitRecord")), page(ref("CustomerHit"))]},
    "HitStateChange": {
        "type": "object",
        "required": ["state"],
        "additionalProperties": False,
        "properties": {"state": STATE, "note": {"type": "string", "maxLength": 4000}, "expected_version": I},
    },
    "TriageHistoryEntry": {
        "type": "object",
        "required": ["at", "actor", "from_state", "to_state"],
        "properties": {"at": T, "actor": S, "from_state": STATE, "to_state": STATE, "note": S},
    },
    "Correlation": {
        "type": "object",
        "required": ["tenant_id", "kind", "value", "devices", "hits", "first_seen_utc", "last_seen_utc"],
        "properties": {
            "tenant_id": S, "kind": {"type": "string", "description": "`remote_ip`, `sha256`, or the indicator kind of other hits (`domain`, `domain_suffix`, `sha1`, `md5`, `process_name`, `process_path`)."}, "value": S,
            "devices": I, "hits": I, "first_seen_utc": T, "last_seen_utc": T,
        },
    },
    "NewSuppression": {
        "type": "object",
        "required": ["tenant_id"],
        "additionalProperties": False,
        "description": "At least one of device_id, remote_ip (address or CIDR), process_name, sha256, rule_name (only hits and alerts with an indicator of that detection rule).",
        "properties": {"tenant_id": S, "device_id": SN, "remote_ip": SN, "process_name": SN, "sha256": SN, "rule_name": SN, "reason": SN, "expires_at": TN},
    },
    "Suppression": {
        "type": "object",
        "required": ["id", "tenant_id", "created_by", "created_at"],
        "properties": {
            "id": S, "tenant_id": S, "device_id": S, "remote_ip": S, "process_name": S, "sha256": S,
            "rule_name": S, "reason": S, "created_by": S, "created_at": T, "expires_at": T,
        },
    },
    "Device": {
        "type": "object",
        "required": ["id", "tenant_id", "hostname", "enrolled_at", "online"],
        "properties": {
            "id": S, "tenant_id": S, "hostname": S, "os": S, "agent_version": S, "enrolled_at": T,
            "last_seen_at": T, "last_checkin_at": T, "hotlist_version": S, "online": {"type": "boolean"},
            "counters": {"type": "object", "description": "Staff only."},
            "reported_config_version": S, "config_version": S,
            "intel": {**ref("IntelStatus"), "description": "Staff only."},
        },
    },
    "DeviceConfig": {
        "type": "object",
        "required": ["config"],
        "additionalProperties": False,
        "properties": {"config": {"type": "object", "description": "Overlay of agent.toml sections window, upload, sources, daemon, sensors."}},
    },
    "ConfigSet": {"type": "object", "required": ["config_version"], "properties": {"config_version": S}},
    "LoginRequest": {
        "type": "object",
        "required": ["username", "password"],
        "additionalProperties": False,
        "properties": {"username": S, "password": {"type": "string", "format": "password"}},
    },
    "User": {
        "type": "object",
        "required": ["id", "username", "role", "created_at", "disabled"],
        "properties": {
            "id": S, "username": S, "role": {"type": "string", "enum": ["admin", "technician", "customer"]},
            "tenant_id": S, "created_at": T, "disabled": {"type": "boolean"},
        },
    },
    "NewUser": {
        "type": "object",
        "required": ["username", "password", "role"],
        "additionalProperties": False,
        "properties": {
            "username": S, "password": {"type": "string", "format": "password", "minLength": 10},
            "role": {"type": "string", "enum": ["admin", "technician", "customer"]},
            "tenant_id": {"type": "string", "description": "Required for customers."},
        },
    },
    "LoginResponse": {
        "type": "object",
        "required": ["token", "expires_at", "user"],
        "properties": {"token": S, "expires_at": T, "user": ref("User")},
    },
    "Me": {
        "type": "object",
        "required": ["role", "subject"],
        "properties": {"role": S, "subject": S, "tenant_id": SN, "user": ref("User")},
    },
    "AuthProviders": {
        "type": "object",
        "required": ["local_login", "providers"],
        "properties": {
            "local_login": {"type": "boolean", "description": "Username and password logins are on ([auth] local_login)."},
            "providers": {"type": "array", "items": {
                "type": "object",
                "required": ["name", "display_name", "login_url"],
                "properties": {"name": S, "display_name": S, "login_url": {"type": "string", "description": "Where a browser starts the sign-in."}},
            }},
        },
    },
    "Tenant": {"type": "object", "required": ["id", "name", "created_at"], "properties": {"id": S, "name": S, "created_at": T}},
    "NewTenant": {"type": "object", "required": ["name"], "additionalProperties": False, "properties": {"name": S}},
    "ApiKey": {
        "type": "object",
        "required": ["id", "kind", "name", "prefix", "created_at", "revoked"],
        "properties": {
            "id": S, "kind": {"type": "string", "enum": ["enrollment", "admin", "technician", "customer"]},
            "tenant_id": SN, "name": S, "prefix": S, "created_at": T, "revoked": {"type": "boolean"},
        },
    },
    "NewKey": {
        "type": "object",
        "required": ["kind"],
        "additionalProperties": False,
        "properties": {"kind": {"type": "string", "enum": ["enrollment", "admin", "technician", "customer"]}, "tenant_id": S, "name": S},
    },
    "CreatedKey": {"allOf": [ref("ApiKey"), {"type": "object", "required": ["secret"], "properties": {"secret": {"type": "string", "description": "Shown once."}}}]},
    "Job": {"type": "object", "description": "A job (see the job API).", "required": ["id", "tenant_id", "device_id", "kind", "status"], "properties": {"id": I, "tenant_id": S, "device_id": S, "kind": S, "status": S}},
    "JobAuditRecord": {
        "type": "object",
        "description": "One record of the job audit trail.",
        "required": ["id", "at", "actor_role", "actor", "action", "outcome"],
        "properties": {
            "id": {"type": "integer", "description": "Newer records have larger ids (the paging cursor)."},
            "at": T, "tenant_id": SN,
            "actor_tenant_id": {"type": "string", "description": "Tenant of the principal that acted (absent for staff, the Sensoroni key, anonymous peers)."},
            "actor_role": S, "actor": S,
            "action": {"type": "string", "description": "job.create, job.read, job.list, job.claim, job.report, job.result.upload, job.result.download, job.delete, job.lookup, compat.*"},
            "job_id": {"type": ["integer", "null"]},
            "outcome": {"type": "string", "description": "ok, denied, rejected, not_found, error"},
            "detail": SN,
        },
    },
}

ERR = {"description": "Error", "content": {"application/json": {"schema": ref("Error")}}}


def ok(schema, code="200", description="OK"):
    return {code: {"description": description, "content": {"application/json": {"schema": schema}}}}


def op(summary, who, responses, body=None, params=(), security=("bearer",), tags=()):
    o = {
        "summary": summary,
        "description": f"Who: {who}.",
        "responses": {**responses, "4XX": ERR, "5XX": ERR},
    }
    if tags:
        o["tags"] = list(tags)
    if body:
        o["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref(body)}}}
    if params:
        o["parameters"] = list(params)
    o["security"] = [{s: []} for s in security] + ([{"session": []}] if "bearer" in security and "device" not in who else [])
    return o


def q(name, desc, schema=S):
    return {"name": name, "in": "query", "required": False, "description": desc, "schema": schema}


def path_id(kind="string"):
    return {"name": "id", "in": "path", "required": True, "schema": {"type": kind}}


NO = {"204": {"description": "Done"}}
HIT_FILTERS = [
    q("tenant", "Tenant id (customers: their own only)"), q("device", "Device id"),
    q("remote_ip", "Remote address"), q("process", "Process name"), q("state", "Hit state", STATE),
    q("sha256", "Executable hash"), q("since", "Last seen at or after (RFC 3339)", T),
    q("until", "First seen before (RFC 3339)", T),
    q("min_score", "Risk score at least", I), q("alert", "true: only alerts; false: only non-alerts", {"type": "boolean"}),
    q("cursor", "From next_cursor"),
    q("limit", "Page size (1-1000, default 100)", I),
]

PATHS = {
    "/api/v1/enroll": {"post": op("Enroll a device", "anyone with an enrollment key", ok(ref("EnrollResponse")), "EnrollRequest", security=(), tags=["agents"])},
    "/api/v1/checkin": {"post": op("Agent check-in (long-poll with wait_s)", "a device", ok(ref("CheckinResponse")), "CheckinRequest", tags=["agents"])},
    "/api/v1/hits": {
        "post": op("Upload a batch of hits", "a device, as itself", ok(ref("HitsAccepted")), "HitPayload", tags=["agents"]),
        "get": op("List hits", "any user or key; customers see their tenant, simplified", ok(ref("HitsPage")), params=HIT_FILTERS, tags=["hits"]),
    },
    "/api/v1/hits/{id}": {"get": op("One hit", "any user or key of the hit's tenant", ok(ref("HitView")), params=[path_id("integer")], tags=["hits"])},
    "/api/v1/hits/{id}/state": {"post": op("Change a hit's state", "staff (any state); customers (acknowledge only)", {**ok(ref("HitView")), "409": ERR}, "HitStateChange", params=[path_id("integer")], tags=["hits"])},
    "/api/v1/hits/{id}/history": {"get": op("State changes of a hit", "any user or key of the hit's tenant", ok(page(ref("TriageHistoryEntry"))), params=[path_id("integer")], tags=["hits"])},
    "/api/v1/hits/{id}/related": {"get": op("The same remote IP or hash on other devices of the tenant", "any user or key of the hit's tenant", ok(ref("HitsPage")), params=[path_id("integer")], tags=["hits"])},
    "/api/v1/correlations": {"get": op("Indicators seen on several devices of a tenant", "any user or key (scoped)", ok(page(ref("Correlation"))), params=[q("tenant", "Tenant id"), q("since", "Last seen at or after", T), q("min_devices", "At least this many devices (default 2)", I), q("limit", "At most (default 100)", I)], tags=["hits"])},
    "/api/v1/suppressions": {
        "get": op("Suppression rules in force", "any user or key (scoped)", ok(page(ref("Suppression"))), params=[q("tenant", "Tenant id")], tags=["hits"]),
        "post": op("Create a suppression rule", "staff", ok(ref("Suppression"), "201", "Created"), "NewSuppression", tags=["hits"]),
    },
    "/api/v1/suppressions/{id}": {"delete": op("Delete a suppression rule", "staff", NO, params=[path_id()], tags=["hits"])},
    "/api/v1/devices": {"get": op("List devices", "any user or key (scoped)", ok(page(ref("Device"))), params=[q("tenant", "Tenant id")], tags=["devices"])},
    "/api/v1/devices/{id}": {"get": op("One device", "any user or key of its tenant", ok(ref("Device")), params=[path_id()], tags=["devices"])},
    "/api/v1/devices/{id}/revoke": {"post": op("Revoke a device's token", "staff", NO, params=[path_id()], tags=["devices"])},
    "/api/v1/devices/{id}/config": {"put": op("Set the configuration a device should run", "staff", ok(ref("ConfigSet")), "DeviceConfig", params=[path_id()], tags=["devices"])},
    "/api/v1/auth/login": {"post": op("Log in (sets the outpost_session cookie)", "anyone", ok(ref("LoginResponse")), "LoginRequest", security=(), tags=["auth"])},
    "/api/v1/auth/logout": {"post": op("Log out", "a logged-in user", NO, tags=["auth"])},
    "/api/v1/auth/me": {"get": op("Who am I", "any user or key", ok(ref("Me")), tags=["auth"])},
    "/api/v1/auth/providers": {"get": op("How one may sign in: local login on or off, the OpenID Providers", "anyone", ok(ref("AuthProviders")), security=(), tags=["auth"])},
    "/api/v1/auth/oidc/{name}/login": {"get": op(
        "Start signing in through an OpenID Provider (authorization code flow with PKCE): redirects the browser to the provider and sets the state cookie outpost_oidc_state",
        "anyone (counts against the login rate limit)", {"303": {"description": "To the provider's authorization endpoint"}},
        params=[{"name": "name", "in": "path", "required": True, "description": "The provider's name ([[auth.oidc]] name)", "schema": S}], security=(), tags=["auth"])},
    "/api/v1/auth/oidc/{name}/callback": {"get": op(
        "The provider's redirect back: checks state (against the cookie), code, ID token (signature, issuer, audience, expiry, nonce) and maps the claims to a role and tenant; on success sets outpost_session and continues to the dashboard; otherwise the login page with the reason",
        "the browser that started the sign-in", {"200": {"description": "Signed in (an HTML page continuing to /ui/dashboard)", "content": {"text/html": {}}}},
        params=[{"name": "name", "in": "path", "required": True, "description": "The provider's name ([[auth.oidc]] name)", "schema": S}, q("code", "Authorization code"), q("state", "The state sent to the provider"), q("iss", "The provider's issuer (RFC 9207)"),
                q("error", "The provider's error code"), q("error_description", "The provider's error text")], security=(), tags=["auth"])},
    "/api/v1/tenants": {
        "get": op("List tenants", "any user or key (customers: their own)", ok(page(ref("Tenant"))), tags=["settings"]),
        "post": op("Create a tenant", "admins", ok(ref("Tenant"), "201", "Created"), "NewTenant", tags=["settings"]),
    },
    "/api/v1/users": {
        "get": op("List users", "staff", ok(page(ref("User"))), params=[q("tenant", "Tenant id")], tags=["settings"]),
        "post": op("Create a user", "admins (any role); technicians (customers only)", ok(ref("User"), "201", "Created"), "NewUser", tags=["settings"]),
    },
    "/api/v1/users/{id}": {"delete": op("Disable a user and end their sessions", "admins; technicians (customers only)", NO, params=[path_id()], tags=["settings"])},
    "/api/v1/keys": {
        "get": op("List keys (never their secrets)", "staff", ok(page(ref("ApiKey"))), params=[q("tenant", "Tenant id")], tags=["settings"]),
        "post": op("Create a key", "admins (any kind); technicians (enrollment and customer keys)", ok(ref("CreatedKey"), "201", "Created"), "NewKey", tags=["settings"]),
    },
    "/api/v1/keys/{id}": {"delete": op("Revoke a key", "admins; technicians (enrollment and customer keys)", NO, params=[path_id()], tags=["settings"])},
    "/api/v1/keys/{id}/rotate": {"post": op("Rotate a key: a new secret, the old one revoked", "admins; technicians (enrollment and customer keys)", ok(ref("CreatedKey"), "201", "Created"), params=[path_id()], tags=["settings"])},
    "/api/v1/intel/bundle": {"get": op(
        "The device's tenant intel bundle (signed binary; global intel + tenant intel − tenant allowlist)",
        "a device", {"200": {"description": "The bundle (ETag; X-Outpost-Bundle-Version)", "content": {"application/octet-stream": {}}}, "304": {"description": "Not modified (If-None-Match matched)"}},
        params=[{"name": "If-None-Match", "in": "header", "required": False, "schema": S}], tags=["agents"])},
    "/api/v1/intel/confirm": {"post": op("Confirm addresses against the tenant's full intel (for stale or filter-mode bundles)", "a device", ok(ref("ConfirmResponse")), "ConfirmRequest", tags=["agents"])},
    "/api/v1/intel/key": {"get": op("The bundle signing key agents pin", "staff", ok(ref("IntelKey")), tags=["intel"])},
    "/api/v1/releases": {
        "get": op("Uploaded agent releases", "staff", ok({"type": "array", "items": ref("Release")}), tags=["agents"]),
        "post": {**op("Upload an agent release (the file is the body, application/octet-stream); the signature must verify against [releases] public_key", "staff", {**ok(ref("Release"), "201", "Created"), "409": ERR, "413": ERR},
                      params=[q("os", "linux or windows"), q("arch", "x86_64 or aarch64"), q("version", "The version the build reports"), q("signature", "The release key's ed25519 signature (hex) of the release statement")], tags=["agents"]),
                 "requestBody": {"required": True, "content": {"application/octet-stream": {}}}},
    },
    "/api/v1/releases/{id}/download": {"get": op("A release's file", "a device", {"200": {"description": "The file", "content": {"application/octet-stream": {}}}}, params=[path_id()], tags=["agents"])},
    "/api/v1/rollouts": {
        "get": op("Rollouts and their progress", "staff", ok({"type": "array", "items": ref("Rollout")}), tags=["agents"]),
        "post": op("Start a rollout", "staff (every tenant: admins)", ok(ref("Rollout"), "201", "Created"), "NewRollout", tags=["agents"]),
    },
    "/api/v1/rollouts/{id}": {"get": op("One rollout", "staff", ok(ref("Rollout")), params=[path_id()], tags=["agents"])},
    "/api/v1/rollouts/{id}/state": {"post": op("Pause, resume or abort a rollout", "staff (every-tenant rollouts: admins)", {**ok(ref("Rollout")), "409": ERR}, "RolloutAction", params=[path_id()], tags=["agents"])},
    "/api/v1/fleet": {"get": op("Agent versions per tenant, outdated agents", "any user or key (customers: their tenant)", ok(ref("FleetVersions")), tags=["agents"])},
    "/api/v1/devices/{id}/updates": {"get": op("A device's update history", "any user or key of its tenant", ok({"type": "array", "items": ref("UpdateEvent")}), params=[path_id()], tags=["devices"])},
    "/api/v1/events": {"post": op("Full telemetry: events scored (engines, profiles, STIX) and forwarded to the outputs; alerts and sightings stored, events not", "device token", ok(ref("EventsAccepted")), body="EventBatch", tags=["detect"])},
    "/api/v1/alerts": {"get": op("List alerts from telemetry", "any user or key; customers see their tenant, simplified", ok(ref("AlertsPage")), params=[
        q("tenant", "Tenant id (customers: their own only)"), q("device", "Device id"), q("state", "Alert state", STATE),
        q("min_score", "Risk score at least", I), q("since", "Event at or after (RFC 3339)", T), q("until", "Event before (RFC 3339)", T),
        q("learned", "true: only learn-mode alerts; false: only real ones", {"type": "boolean"}), q("rule", "Only alerts with an indicator of this rule"),
        q("cursor", "From next_cursor"), q("limit", "Page size (1-1000, default 100)", I)], tags=["detect"])},
    "/api/v1/alerts/{id}": {"get": op("One alert", "any user or key of the alert's tenant", ok(ref("AlertView")), params=[path_id("integer")], tags=["detect"])},
    "/api/v1/alerts/{id}/state": {"post": op("Change an alert's state", "staff (any state); customers (acknowledge only)", {**ok(ref("AlertView")), "409": ERR}, "HitStateChange", params=[path_id("integer")], tags=["detect"])},
    "/api/v1/alerts/{id}/history": {"get": op("State changes of an alert", "any user or key of the alert's tenant", ok(page(ref("TriageHistoryEntry"))), params=[path_id("integer")], tags=["detect"])},
    "/api/v1/sightings": {"get": op("STIX sightings (indicator patterns matched on events)", "any user or key (scoped)", ok(page(ref("Sighting"))), params=[
        q("tenant", "Tenant id"), q("device", "Device id"), q("indicator", "STIX indicator id"), q("cursor", "From next_cursor"), q("limit", "Page size (1-1000, default 100)", I)], tags=["detect"])},
    "/api/v1/attack-models": {
        "get": op("Attack models (global ones and the caller's tenant's)", "any user or key (scoped)", ok(page(ref("AttackModel"))), params=[q("tenant", "Tenant id or name (staff; customers: their own)")], tags=["intel"]),
        "post": op("Upload a STIX bundle as an attack model (the same bundle id replaces it: 200)", "staff", ok(ref("AttackModelStored"), "201", "Created"), "StixBundle", params=[q("tenant", "Tenant id or name; none: a global model")], tags=["intel"]),
    },
    "/api/v1/attack-models/{id}": {"get": op("An attack model with, per step, its order, indicators and sightings by device", "any user or key (a tenant's model: its tenant only; sightings scoped)", ok(ref("AttackModelView")), params=[path_id("integer"), q("tenant", "Only this tenant's sightings"), q("device", "Only this device's sightings")], tags=["intel"])},
    "/api/v1/profiles": {"get": op("Learned behaviour profiles", "any user or key (scoped)", ok(page(ref("Profile"))), params=[
        q("tenant", "Tenant id or name"), q("status", "learning or profiled", {"type": "string", "enum": ["learning", "profiled"]}),
        q("subject", "One subject (needs tenant)"), q("cursor", "From next_cursor"), q("limit", "Page size (1-1000, default 100)", I)], tags=["detect"])},
    "/api/v1/profiles/reset": {"post": op("Forget a profile (or all of a tenant's); learning starts again on every replica", "staff", ok(ref("ProfileResetDone")), "ProfileReset", tags=["detect"])},
    "/api/v1/detect/learn": {
        "get": op("A tenant's learn mode and its whitelist proposals", "any user or key of the tenant", ok(ref("LearnStatus")), params=[{"name": "tenant", "in": "query", "required": True, "schema": S}], tags=["detect"]),
        "put": op("Switch a tenant's learn mode on (for hours) or off", "staff", ok(ref("LearnStatus")), "LearnModeChange", tags=["detect"]),
    },
    "/api/v1/detect/learn/apply": {"post": op("Turn learn-mode proposals into suppression rules (rule + process)", "staff", ok(page(ref("Suppression"))), "LearnApply", tags=["detect"])},
    "/api/v1/detect/rules": {"get": op("The detection rules in effect: loaded, not loaded (with the reason), last reload, thresholds", "staff", ok(ref("DetectStatus")), tags=["detect"])},
    "/api/v1/outputs": {"get": op("Each output's queue depth and delivery counters", "staff", ok(ref("OutputsStatus")), tags=["detect"])},
    "/api/v1/intel/indicators": {
        "get": op("Tenant indicators", "staff", ok(page(ref("TenantIndicator"))), params=[q("tenant", "Tenant id or name")], tags=["intel"]),
        "post": op("Add an indicator to a tenant's intel", "staff", ok(ref("TenantIndicator"), "201", "Created"), "NewTenantIndicator", tags=["intel"]),
    },
    "/api/v1/intel/indicators/{id}": {"delete": op("Delete a tenant indicator", "staff", NO, params=[path_id()], tags=["intel"])},
    "/api/v1/intel/allowlist": {
        "get": op("Allowlisted networks of tenants", "staff", ok(page(ref("AllowlistEntry"))), params=[q("tenant", "Tenant id or name")], tags=["intel"]),
        "post": op("Allowlist a network for a tenant (subtracted from its bundle)", "staff", ok(ref("AllowlistEntry"), "201", "Created"), "NewAllowlistEntry", tags=["intel"]),
    },
    "/api/v1/intel/allowlist/{id}": {"delete": op("Delete an allowlist entry", "staff", NO, params=[path_id()], tags=["intel"])},
    "/api/v1/openapi.json": {"get": {"summary": "This document", "security": [], "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {}}}}}},
    "/api/v1/docs": {"get": {"summary": "This document as a readable page", "security": [], "responses": {"200": {"description": "HTML", "content": {"text/html": {}}}}}},
    # The job API (crate outpost-jobs), mounted beside.
    "/api/v1/jobs": {
        "get": op("List jobs", "any user or key (scoped)", ok(page(ref("Job"))), params=[q("tenant", "Tenant id"), q("device", "Device id"), q("kind", "Kind"), q("status", "Status")], tags=["jobs"]),
        "post": op("Create a job", "staff; customers where the tenant's policy allows the kind", ok(ref("Job"), "201", "Created"), "Job", tags=["jobs"]),
    },
    "/api/v1/jobs/audit": {"get": op("The job audit trail, newest first", "staff (every tenant); customers (their tenant, without other tenants' principals); not devices", ok(page(ref("JobAuditRecord"))), params=[q("tenant_id", "Tenant id"), q("job_id", "Job id", I), q("device_id", "Jobs of this device or sensor"), q("since", "At or after (RFC 3339)"), q("until", "Before (RFC 3339)"), q("limit", "Page size (at most 1000, default 100)", I), q("cursor", "next_cursor of the previous page")], tags=["jobs"])},
    "/api/v1/jobs/{id}": {
        "get": op("One job", "any user or key of its tenant", ok(ref("Job")), params=[path_id("integer")], tags=["jobs"]),
        "delete": op("Delete a job", "staff or the job's owner", ok(ref("Job")), params=[path_id("integer")], tags=["jobs"]),
    },
    "/api/v1/jobs/{id}/result": {"get": {**op("Download a job's result", "any user or key of its tenant", {"200": {"description": "The result bytes"}}, params=[path_id("integer")], tags=["jobs"])}},
    "/api/v1/agent/jobs/next": {"get": op("Claim the next job (long-poll with wait)", "a device", {**ok(ref("Job")), "204": {"description": "No job"}}, params=[q("wait", "Seconds to wait", I)], tags=["agents"])},
    "/api/v1/agent/jobs/{id}": {"post": op("Report a job's progress or outcome", "the device holding the lease", ok(ref("Job")), params=[path_id("integer")], tags=["agents"])},
    "/api/v1/agent/jobs/{id}/result": {"put": op("Upload a job's result", "the device holding the lease", ok(ref("Job")), params=[path_id("integer")], tags=["agents"])},
}

DOC = {
    "openapi": "3.1.0",
    "info": {
        "title": "Outpost API",
        "version": "1",
        "description": "Multi-tenant API of the Outpost server. Every error is {\"error\":{\"code\",\"message\"}}. Authenticate with `Authorization: Bearer <token>`: an API key (opa_/opt_/opc_), a device token (opd_) or a UI session (ops_, also accepted as the outpost_session cookie; cookie-authenticated changes need the HX-Request or X-Requested-With header).",
    },
    "servers": [{"url": "/"}],
    "components": {
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"},
            "session": {"type": "apiKey", "in": "cookie", "name": "outpost_session"},
        },
        "schemas": SCHEMAS,
    },
    "paths": PATHS,
}

OUT.write_text(json.dumps(DOC, indent=1, sort_keys=False) + "\n")
print(f"wrote {OUT} ({len(PATHS)} paths)")
