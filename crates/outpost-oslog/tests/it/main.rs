//! The integration tests of `outpost-oslog`, one test binary with a module per area
//! (one binary per crate keeps CI's link time and disk use down).

mod common;

mod audit_live;
mod audit_log;
mod evtx_samples;
mod live_xml;
mod robustness;
