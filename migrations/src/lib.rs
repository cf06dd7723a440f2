//! The database schema as sea-orm migrations. Every migration runs on PostgreSQL and
//! SQLite alike and is reversible (`down` undoes `up`); both are tested on both databases.

pub use sea_orm_migration::prelude::*;

mod m20261125_000001_cities;
mod m20261125_000002_core;
mod m20261125_000003_search_tuning;
mod m20261201_000004_listing_excerpt;
mod m20261202_000005_versions;
mod m20261202_000006_material_information;
mod m20261202_000007_area_admin;
mod m20261203_000008_jobs;
mod m20261203_000009_photos;
mod m20261206_000010_job_trace;

/// Frozen copies of rules that migrations apply to existing rows (see each migration).
pub mod frozen {
    pub use crate::m20261201_000004_listing_excerpt::excerpt as listing_excerpt_v1;
}

/// All migrations in order. Never edit one that has shipped: add a new one.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_cities::Migration),
            Box::new(m20261125_000002_core::Migration),
            Box::new(m20261125_000003_search_tuning::Migration),
            Box::new(m20261201_000004_listing_excerpt::Migration),
            Box::new(m20261202_000005_versions::Migration),
            Box::new(m20261202_000006_material_information::Migration),
            Box::new(m20261202_000007_area_admin::Migration),
            Box::new(m20261203_000008_jobs::Migration),
            Box::new(m20261203_000009_photos::Migration),
            Box::new(m20261206_000010_job_trace::Migration),
        ]
    }
}
