pub mod admin;
pub mod auth;
pub mod checkin;
pub mod devices;
pub mod enroll;
pub mod hits;
pub mod intel;
pub mod suppressions;
