//! Test support: the black-box harness (`spawn_app`), per-test databases, the addresses
//! of the real test services, and the port contract suites.
//!
//! Services are found through environment variables with loopback defaults (see
//! `scripts/services.sh`, which starts them). A missing service fails the test with a
//! message saying what to start; nothing is skipped.

pub mod actors;
pub mod contract;
pub mod db;
pub mod gcs_gateway;
pub mod images;
pub mod log_capture;
pub mod proxy;
pub mod redis_server;
pub mod services;
pub mod smtp;
pub mod spawn;

pub use actors::{Actor, complete_listing, merge};
pub use db::TestDb;
pub use spawn::{TestApp, spawn_app, spawn_app_with};
