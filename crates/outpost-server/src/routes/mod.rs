pub mod devices;
pub mod enroll;
pub mod hits;
