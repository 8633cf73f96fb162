//! The integration tests of `outpost-jobs`, one test binary with a module per area
//! (one binary per crate keeps CI's link time and disk use down).

mod common;

mod agents;
mod cli;
mod compat;
mod lookup;
mod pcap_e2e;
mod props;
mod store;
mod v1_auth;
