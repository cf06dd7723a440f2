//! Search tuning from the 100k-listing benchmark (`docs/performance.md`):
//!
//! - `ix_listings_pub_city_bedrooms`: "largest first" within a city had no ordered index
//!   and walked the whole bedrooms index (70,000 entries for one city's studios).
//! - PostgreSQL: free text within a city. `ix_listings_pub_city_text`, a GIN index over
//!   `(city, search_tsv)` (the `btree_gin` extension, trusted since PostgreSQL 13 and
//!   offered by RDS and Cloud SQL), answers both conditions from the index; it replaces
//!   `ix_listings_pub_text` (a multicolumn GIN index serves a condition on either column).
//! - PostgreSQL: statistics on each feature bit. The filter is written one bit per clause
//!   (`(features_mask & 16) <> 0`, see `sp_sql::search`); without these statistics the
//!   planner guesses 0.5% for each clause, thinks "wifi and parking" is rare, and sorts
//!   a whole city's matches instead of walking an ordered index.
//! - PostgreSQL: rent and "bills included" together (cheap rooms rarely include bills).
//!   Taken as independent, "under £105 with bills" looked like 500 matches and the
//!   planner walked the newest-first index, all 100,000 entries, to find none.
//!
//! SQLite (the embedded dev database) gets the city + bedrooms index only.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The bits of `Feature` (16 in all; a statistics object takes at most 8 expressions).
fn feature_statistics(name: &str, bits: std::ops::Range<u32>) -> String {
    let exprs: Vec<String> = bits.map(|b| format!("(features_mask & {})", 1_i64 << b)).collect();
    format!("CREATE STATISTICS {name} ON {} FROM listings", exprs.join(", "))
}

fn postgres_up() -> Vec<String> {
    vec![
        "CREATE INDEX ix_listings_pub_city_bedrooms ON listings (city, bedrooms DESC, id DESC) INCLUDE (owner_id, area, rent_pppw_pence, ensuite_rooms, property_type, bills_included, furnished, available_from, academic_year, features_mask, searchable_until) \
         WHERE status = 'published'"
            .into(),
        "CREATE EXTENSION IF NOT EXISTS btree_gin".into(),
        "CREATE INDEX ix_listings_pub_city_text ON listings USING GIN (city, search_tsv) WHERE status = 'published'".into(),
        "DROP INDEX ix_listings_pub_text".into(),
        feature_statistics("st_listings_features_lo", 0..8),
        feature_statistics("st_listings_features_hi", 8..16),
        "CREATE STATISTICS st_listings_rent_bills (mcv) ON rent_pppw_pence, bills_included FROM listings".into(),
        "ALTER STATISTICS st_listings_rent_bills SET STATISTICS 1000".into(),
        "ANALYZE listings".into(),
    ]
}

/// The extension stays on the way down: other schemas may use it, and it is harmless.
const POSTGRES_DOWN: &[&str] = &[
    "DROP STATISTICS IF EXISTS st_listings_rent_bills",
    "DROP STATISTICS IF EXISTS st_listings_features_hi",
    "DROP STATISTICS IF EXISTS st_listings_features_lo",
    "CREATE INDEX ix_listings_pub_text ON listings USING GIN (search_tsv) WHERE status = 'published'",
    "DROP INDEX ix_listings_pub_city_text",
    "DROP INDEX ix_listings_pub_city_bedrooms",
];

const SQLITE_UP: &[&str] =
    &["CREATE INDEX ix_listings_pub_city_bedrooms ON listings (city, status, bedrooms DESC, id DESC)"];
const SQLITE_DOWN: &[&str] = &["DROP INDEX ix_listings_pub_city_bedrooms"];

async fn run(manager: &SchemaManager<'_>, statements: impl IntoIterator<Item = impl AsRef<str>>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    for sql in statements {
        db.execute_unprepared(sql.as_ref()).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => run(manager, postgres_up()).await,
            _ => run(manager, SQLITE_UP).await,
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => run(manager, POSTGRES_DOWN).await,
            _ => run(manager, SQLITE_DOWN).await,
        }
    }
}
