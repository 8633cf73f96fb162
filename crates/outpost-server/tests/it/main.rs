//! The integration tests of `outpost-server`, one test binary with a module per area
//! (one binary per crate keeps CI's link time and disk use down).

mod common;

mod attack_models;
mod authz;
mod bodies;
mod checkin;
mod detection;
mod ingest;
mod inputs;
mod intel;
mod jobs;
mod matrix;
mod openapi;
mod tls;
mod ui_pages;
