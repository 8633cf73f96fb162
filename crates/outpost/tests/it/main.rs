//! The integration tests of `outpost`, one test binary with a module per area
//! (one binary per crate keeps CI's link time and disk use down).

mod common;

mod docs;
mod e2e_hits;
mod e2e_oslog;
mod e2e_telemetry;
mod hunt;
mod intel_e2e;
mod server_resilience;
