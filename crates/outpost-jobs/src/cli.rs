//! `outpost job create|list|show|download|delete|audit` against a server's `/api/v1/jobs`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};

use crate::model::{Filter, Job, NewJob};

/// Where the server is and how to authenticate.
#[derive(Debug, Clone, clap::Args)]
pub struct Conn {
    /// Server base URL (`outpost server` and `outpost up` listen on 127.0.0.1:8470 unless told
    /// otherwise).
    #[arg(
        long,
        env = "OUTPOST_SERVER",
        default_value = "http://127.0.0.1:8470",
        value_parser = outpost_core::api::server_url
    )]
    pub server: String,
    /// API key (sent as `Authorization: Bearer <key>`).
    #[arg(long, env = "OUTPOST_API_KEY", hide_env_values = true)]
    pub api_key: String,
}

/// Job subcommands.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum JobCommand {
    /// Create a job.
    Create {
        #[command(flatten)]
        conn: Conn,
        /// Target device / sensor id.
        #[arg(long)]
        device: String,
        /// Job kind (pcap, file.hash, file.get, process.list, process.kill, agent.config).
        #[arg(long, default_value = "pcap")]
        kind: String,
        /// Tenant (required for staff keys).
        #[arg(long)]
        tenant: Option<String>,
        /// Window start (RFC 3339).
        #[arg(long)]
        begin: Option<DateTime<Utc>>,
        /// Window end (RFC 3339).
        #[arg(long)]
        end: Option<DateTime<Utc>>,
        /// Source IP.
        #[arg(long)]
        src_ip: Option<String>,
        /// Source port.
        #[arg(long)]
        src_port: Option<u16>,
        /// Destination IP.
        #[arg(long)]
        dst_ip: Option<String>,
        /// Destination port.
        #[arg(long)]
        dst_port: Option<u16>,
        /// Parameter `key=value` (repeatable; numbers and booleans are typed).
        #[arg(long = "param", value_name = "KEY=VALUE")]
        params: Vec<String>,
    },
    /// List jobs.
    List {
        #[command(flatten)]
        conn: Conn,
        /// Only this tenant.
        #[arg(long)]
        tenant: Option<String>,
        /// Only this device.
        #[arg(long)]
        device: Option<String>,
        /// Only this kind.
        #[arg(long)]
        kind: Option<String>,
        /// Only this status.
        #[arg(long)]
        status: Option<String>,
        /// Page size.
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Show one job as JSON.
    Show {
        #[command(flatten)]
        conn: Conn,
        /// Job id.
        id: i64,
    },
    /// Download a job's result.
    Download {
        #[command(flatten)]
        conn: Conn,
        /// Job id.
        id: i64,
        /// Output file (`-` for stdout; default `job-<id>.<ext>`).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Delete a job.
    Delete {
        #[command(flatten)]
        conn: Conn,
        /// Job id.
        id: i64,
    },
    /// Read the job audit trail (newest first; customers see their tenant's).
    Audit {
        #[command(flatten)]
        conn: Conn,
        /// Only this job.
        #[arg(long)]
        job: Option<i64>,
        /// Only jobs of this device / sensor.
        #[arg(long)]
        device: Option<String>,
        /// Only this tenant (staff).
        #[arg(long)]
        tenant: Option<String>,
        /// Records at or after this time (RFC 3339).
        #[arg(long)]
        since: Option<DateTime<Utc>>,
        /// Records before this time (RFC 3339).
        #[arg(long)]
        until: Option<DateTime<Utc>>,
        /// Page size.
        #[arg(long, default_value_t = 100)]
        limit: u32,
        /// Continue after this cursor (printed after a full page).
        #[arg(long)]
        cursor: Option<String>,
        /// Print the page as JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

fn agent() -> ureq::Agent {
    outpost_http::config_builder().build().into()
}

fn ok(
    mut resp: ureq::http::Response<ureq::Body>,
) -> anyhow::Result<ureq::http::Response<ureq::Body>> {
    let status = resp.status();
    if status.as_u16() >= 400 {
        let body = resp
            .body_mut()
            .with_config()
            .limit(8192)
            .read_to_string()
            .unwrap_or_default();
        let msg = serde_json::from_str::<outpost_core::api::ErrorBody>(&body)
            .map(|e| format!("{}: {}", e.error.code, e.error.message))
            .unwrap_or(body);
        bail!("server answered {status}: {msg}");
    }
    Ok(resp)
}

/// Parses `key=value` into a typed JSON value.
pub fn parse_param(s: &str) -> anyhow::Result<(String, serde_json::Value)> {
    let (k, v) = s
        .split_once('=')
        .with_context(|| format!("--param {s:?} is not KEY=VALUE"))?;
    if k.is_empty() {
        bail!("--param {s:?} has an empty key");
    }
    let val = serde_json::from_str::<serde_json::Value>(v)
        .ok()
        .filter(|j| j.is_number() || j.is_boolean())
        .unwrap_or_else(|| serde_json::Value::String(v.to_string()));
    Ok((k.to_string(), val))
}

/// Runs a job subcommand, printing to stdout.
pub fn run(cmd: JobCommand) -> anyhow::Result<()> {
    run_to(cmd, &mut std::io::stdout().lock())
}

/// Runs a job subcommand, printing to `out`.
pub fn run_to(cmd: JobCommand, mut out: &mut dyn Write) -> anyhow::Result<()> {
    let http = agent();
    let base = |c: &Conn| c.server.trim_end_matches('/').to_string();
    let auth = |c: &Conn| format!("Bearer {}", c.api_key);
    match cmd {
        JobCommand::Create {
            conn,
            device,
            kind,
            tenant,
            begin,
            end,
            src_ip,
            src_port,
            dst_ip,
            dst_port,
            params,
        } => {
            let mut parameters = serde_json::Map::new();
            for p in &params {
                let (k, v) = parse_param(p)?;
                parameters.insert(k, v);
            }
            let body = NewJob {
                tenant_id: tenant,
                device_id: device,
                kind,
                filter: Filter {
                    begin_time: begin,
                    end_time: end,
                    src_ip,
                    src_port,
                    dst_ip,
                    dst_port,
                    parameters,
                    ..Filter::default()
                },
                max_attempts: None,
            };
            let resp = http
                .post(format!("{}/api/v1/jobs", base(&conn)))
                .header("Authorization", auth(&conn))
                .send_json(&body)?;
            let job: Job = ok(resp)?.body_mut().read_json()?;
            writeln!(out, "{}", serde_json::to_string_pretty(&job)?)?;
        }
        JobCommand::List {
            conn,
            tenant,
            device,
            kind,
            status,
            limit,
        } => {
            let mut req = http
                .get(format!("{}/api/v1/jobs", base(&conn)))
                .header("Authorization", auth(&conn))
                .query("limit", limit.to_string());
            for (k, v) in [
                ("tenant_id", tenant),
                ("device_id", device),
                ("kind", kind),
                ("status", status),
            ] {
                if let Some(v) = v {
                    req = req.query(k, v);
                }
            }
            let page: outpost_core::api::Page<Job> = ok(req.call()?)?.body_mut().read_json()?;
            writeln!(
                out,
                "{:>8}  {:<10} {:<12} {:<20} {:<14} CREATED",
                "ID", "STATUS", "KIND", "DEVICE", "TENANT"
            )?;
            for j in page.items {
                writeln!(
                    out,
                    "{:>8}  {:<10} {:<12} {:<20} {:<14} {}",
                    j.id,
                    j.status.as_str(),
                    j.kind,
                    j.device_id,
                    j.tenant_id,
                    j.created_at.to_rfc3339()
                )?;
            }
        }
        JobCommand::Show { conn, id } => {
            let resp = http
                .get(format!("{}/api/v1/jobs/{id}", base(&conn)))
                .header("Authorization", auth(&conn))
                .call()?;
            let job: Job = ok(resp)?.body_mut().read_json()?;
            writeln!(out, "{}", serde_json::to_string_pretty(&job)?)?;
        }
        JobCommand::Download { conn, id, output } => {
            let meta: Job = ok(http
                .get(format!("{}/api/v1/jobs/{id}", base(&conn)))
                .header("Authorization", auth(&conn))
                .call()?)?
            .body_mut()
            .read_json()?;
            let resp = http
                .get(format!("{}/api/v1/jobs/{id}/result", base(&conn)))
                .header("Authorization", auth(&conn))
                .call()?;
            let mut resp = ok(resp)?;
            let path = output
                .unwrap_or_else(|| PathBuf::from(format!("job-{id}.{}", meta.file_extension)));
            let mut reader = resp.body_mut().as_reader();
            if path.as_os_str() == "-" {
                std::io::copy(&mut reader, &mut out)?;
            } else {
                let mut f = std::fs::File::create(&path)
                    .with_context(|| format!("cannot create {}", path.display()))?;
                let n = std::io::copy(&mut reader, &mut f)?;
                writeln!(out, "wrote {n} bytes to {}", path.display())?;
            }
        }
        JobCommand::Delete { conn, id } => {
            let resp = http
                .delete(format!("{}/api/v1/jobs/{id}", base(&conn)))
                .header("Authorization", auth(&conn))
                .call()?;
            ok(resp)?;
            writeln!(out, "deleted job {id}")?;
        }
        JobCommand::Audit {
            conn,
            job,
            device,
            tenant,
            since,
            until,
            limit,
            cursor,
            json,
        } => {
            let mut req = http
                .get(format!("{}/api/v1/jobs/audit", base(&conn)))
                .header("Authorization", auth(&conn))
                .query("limit", limit.to_string());
            for (k, v) in [
                ("job_id", job.map(|j| j.to_string())),
                ("device_id", device),
                ("tenant_id", tenant),
                ("since", since.map(|t| t.to_rfc3339())),
                ("until", until.map(|t| t.to_rfc3339())),
                ("cursor", cursor),
            ] {
                if let Some(v) = v {
                    req = req.query(k, v);
                }
            }
            let page: outpost_core::api::Page<crate::model::AuditRecord> =
                ok(req.call()?)?.body_mut().read_json()?;
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&page)?)?;
                return Ok(());
            }
            writeln!(
                out,
                "{:>8}  {:<25} {:<8} {:<24} {:<20} {:<9} DETAIL",
                "ID", "AT", "JOB", "ACTOR", "ACTION", "OUTCOME"
            )?;
            for r in &page.items {
                writeln!(
                    out,
                    "{:>8}  {:<25} {:<8} {:<24} {:<20} {:<9} {}",
                    r.id,
                    r.entry.at.to_rfc3339(),
                    r.entry
                        .job_id
                        .map(|j| j.to_string())
                        .unwrap_or_else(|| "-".into()),
                    r.entry.actor,
                    r.entry.action,
                    r.entry.outcome,
                    r.entry.detail.as_deref().unwrap_or("")
                )?;
            }
            if let Some(c) = &page.next_cursor {
                writeln!(out, "more: --cursor {c}")?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_are_typed() {
        assert_eq!(parse_param("pid=42").unwrap().1, serde_json::json!(42));
        assert_eq!(
            parse_param("path=/etc/passwd").unwrap().1,
            serde_json::json!("/etc/passwd")
        );
        assert_eq!(parse_param("x=true").unwrap().1, serde_json::json!(true));
        assert!(parse_param("novalue").is_err());
        assert!(parse_param("=v").is_err());
    }
}
