//! Wiring: configuration → adapters → use cases → HTTP server. No business rules here.

pub mod cli;
pub mod config;
pub mod demo;
pub mod reference;
pub mod startup;
pub mod telemetry;
pub mod worker;

pub use config::{AppEnv, Config, ConfigError};
pub use startup::{Application, Dependencies};
