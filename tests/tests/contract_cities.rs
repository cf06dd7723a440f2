//! `CityRepository` contract on every implementation: in-memory, SQLite, PostgreSQL.

use sp_tests::{TestDb, contract};

#[tokio::test]
async fn in_memory() {
    contract::cities::run(&sp_memory::InMemoryCityRepository::new()).await;
}

#[tokio::test]
async fn sqlite() {
    let db = TestDb::sqlite();
    contract::cities::run(&sp_sql::SqlCityRepository::new(db.migrated().await)).await;
}

#[tokio::test]
async fn postgres() {
    let db = TestDb::postgres().await;
    contract::cities::run(&sp_sql::SqlCityRepository::new(db.migrated().await)).await;
}
