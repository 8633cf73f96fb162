//! The integration tests of `outpost-store`, one test binary with a module per area
//! (one binary per crate keeps CI's link time and disk use down).

mod detect_store;
mod store;
