//! The integration tests of `outpost-stix`, one test binary with a module per area
//! (one binary per crate keeps CI's link time and disk use down).

mod attack;
mod conformance;
mod proptests;
