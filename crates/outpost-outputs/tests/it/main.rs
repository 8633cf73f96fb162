//! The integration tests of `outpost-outputs`, one test binary with a module per area
//! (one binary per crate keeps CI's link time and disk use down).

mod common;

mod elasticsearch;
mod file_manager;
mod http_ticketing;
mod kafka;
mod queue_props;
mod redis_nats;
mod syslog_logstash;
