//! Every migration applies and reverts on PostgreSQL and SQLite, and re-applies cleanly.

use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use sp_tests::TestDb;
use sp_tests::db::Kind;

async fn tables(db: &DatabaseConnection, kind: Kind) -> Vec<String> {
    let sql = match kind {
        Kind::Postgres => {
            "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"
        }
        Kind::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1",
    };
    let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
    rows.iter().map(|r| r.try_get::<String>("", "name").unwrap()).filter(|t| t != "seaql_migrations").collect()
}

async fn round_trip(t: TestDb) {
    let db = t.connect().await;
    let all = Migrator::migrations().len();
    Migrator::up(&db, None).await.unwrap();
    let after_up = tables(&db, t.kind).await;
    assert!(after_up.contains(&"cities".to_owned()) && after_up.contains(&"areas".to_owned()), "{after_up:?}");
    assert_eq!(Migrator::get_pending_migrations(&db).await.unwrap().len(), 0);

    // Step down one migration at a time, to nothing.
    for left in (0..all).rev() {
        Migrator::down(&db, Some(1)).await.unwrap();
        assert_eq!(Migrator::get_applied_migrations(&db).await.unwrap().len(), left);
    }
    assert!(tables(&db, t.kind).await.is_empty(), "down removes every table");

    // And back up: the schema is the same as the first time.
    Migrator::up(&db, None).await.unwrap();
    assert_eq!(tables(&db, t.kind).await, after_up);
    Migrator::fresh(&db).await.unwrap();
    assert_eq!(tables(&db, t.kind).await, after_up);
    db.close().await.unwrap();
}

#[tokio::test]
async fn up_down_up_on_postgres() {
    round_trip(TestDb::postgres().await).await;
}

#[tokio::test]
async fn up_down_up_on_sqlite() {
    round_trip(TestDb::sqlite()).await;
}
