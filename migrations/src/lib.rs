//! The database schema as sea-orm migrations. Every migration runs on PostgreSQL and
//! SQLite alike and is reversible (`down` undoes `up`); both are tested on both databases.

pub use sea_orm_migration::prelude::*;

mod m20261125_000001_cities;
mod m20261125_000002_core;
mod m20261125_000003_search_tuning;

/// All migrations in order. Never edit one that has shipped: add a new one.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_cities::Migration),
            Box::new(m20261125_000002_core::Migration),
            Box::new(m20261125_000003_search_tuning::Migration),
        ]
    }
}
