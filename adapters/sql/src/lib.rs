//! sea-orm repositories for PostgreSQL (production) and SQLite (the embedded default).
//! The same code serves both; where SQL differs, the backend is asked
//! (`DatabaseConnection::get_database_backend`).

mod cities;
mod connect;
mod entity;
mod error;

pub use cities::SqlCityRepository;
pub use connect::{DatabaseHealth, DbConfig, connect};
pub use sea_orm::{DatabaseBackend, DatabaseConnection};
