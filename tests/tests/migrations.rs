//! Every migration applies and reverts on PostgreSQL and SQLite, and re-applies cleanly.

use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use sp_tests::TestDb;
use sp_tests::db::Kind;

/// Every table the schema has (besides sea-orm's bookkeeping).
const EXPECTED: &[&str] =
    &["areas", "audit_events", "cities", "enquiries", "jobs", "listings", "photos", "shortlists", "users"];

/// Tables of the first migration (what is left after reverting the second).
const CITIES_ONLY: &[&str] = &["areas", "cities"];

/// Search indexes both databases have (PostgreSQL's are partial).
const SEARCH_INDEXES: &[&str] = &[
    "ix_listings_owner_created",
    "ix_listings_pub_bedrooms",
    "ix_listings_pub_city_bedrooms",
    "ix_listings_pub_city_newest",
    "ix_listings_pub_city_rent",
    "ix_listings_pub_newest",
    "ix_listings_pub_rent",
];

async fn names(db: &DatabaseConnection, sql: &str) -> Vec<String> {
    let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
    rows.iter().map(|r| r.try_get::<String>("", "name").unwrap()).collect()
}

async fn tables(db: &DatabaseConnection, kind: Kind) -> Vec<String> {
    let sql = match kind {
        Kind::Postgres => {
            "SELECT table_name::text AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"
        }
        Kind::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1",
    };
    names(db, sql).await.into_iter().filter(|t| t != "seaql_migrations").collect()
}

/// Index names (including those behind primary and unique keys).
async fn indexes(db: &DatabaseConnection, kind: Kind) -> Vec<String> {
    let sql = match kind {
        Kind::Postgres => "SELECT indexname::text AS name FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1",
        Kind::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY 1",
    };
    names(db, sql).await
}

async fn round_trip(t: TestDb) {
    let db = t.connect().await;
    let all = Migrator::migrations().len();
    Migrator::up(&db, None).await.unwrap();
    let after_up = tables(&db, t.kind).await;
    assert_eq!(after_up, EXPECTED, "tables after up");
    let indexes_after_up = indexes(&db, t.kind).await;
    for ix in SEARCH_INDEXES {
        assert!(indexes_after_up.iter().any(|i| i == ix), "{ix} missing: {indexes_after_up:?}");
    }
    if t.kind == Kind::Postgres {
        assert!(indexes_after_up.iter().any(|i| i == "ix_listings_pub_city_text"), "GIN index on (city, search_tsv)");
        assert!(!indexes_after_up.iter().any(|i| i == "ix_listings_pub_text"), "replaced by ix_listings_pub_city_text");
    }
    assert_eq!(Migrator::get_pending_migrations(&db).await.unwrap().len(), 0);

    // Step down one migration at a time, to nothing.
    for left in (0..all).rev() {
        Migrator::down(&db, Some(1)).await.unwrap();
        assert_eq!(Migrator::get_applied_migrations(&db).await.unwrap().len(), left);
        if left == 2 && t.kind == Kind::Postgres {
            let ix = indexes(&db, t.kind).await;
            assert!(ix.iter().any(|i| i == "ix_listings_pub_text"), "reverting the tuning restores the GIN index");
            assert!(!ix.iter().any(|i| i == "ix_listings_pub_city_bedrooms" || i == "ix_listings_pub_city_text"));
        }
        if left == 1 {
            assert_eq!(tables(&db, t.kind).await, CITIES_ONLY, "reverting the core migration leaves cities");
        }
    }
    assert!(tables(&db, t.kind).await.is_empty(), "down removes every table");
    assert!(
        indexes(&db, t.kind).await.iter().all(|i| i.starts_with("seaql_") || i.starts_with("sqlite_autoindex_seaql")),
        "down removes every index"
    );

    // And back up: the schema is the same as the first time.
    Migrator::up(&db, None).await.unwrap();
    assert_eq!(tables(&db, t.kind).await, after_up);
    assert_eq!(indexes(&db, t.kind).await, indexes_after_up);
    Migrator::fresh(&db).await.unwrap();
    assert_eq!(tables(&db, t.kind).await, after_up);
    assert_eq!(indexes(&db, t.kind).await, indexes_after_up);
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

/// Migration 4 fills `excerpt` for the listings that exist, with the domain's rule.
async fn excerpts_are_backfilled(t: TestDb) {
    use sp_tests::contract::Ports;
    use sp_tests::contract::fixtures::{at, details, listing, seed_city, seed_listing, seed_user, uid, user};

    let db = t.migrated().await;
    let p = Ports::sql(&db);
    seed_city(&p, "leeds", "Leeds", &["Hyde Park"]).await;
    seed_user(&p, &user(0x1, "owner@example.com", domain::Role::Landlord, at(1))).await;
    let texts = [
        "Short and sweet.".to_owned(),
        "Bright rooms, big garden, near campus; ".repeat(12),
        format!("{} — café, bike storage", "Lots of light and space in every room ".repeat(6)),
        "x".repeat(900),
    ];
    for (i, text) in texts.iter().enumerate() {
        let mut d = details("leeds", "Hyde Park", "LS6 1AB", domain::listing::PropertyType::House, 3, 12_000);
        d.description = Some(domain::listing::Description::parse(text).unwrap());
        let n = 0x100 + u128::try_from(i).unwrap();
        seed_listing(&p, &listing(n, domain::UserId(uid(0x1)), domain::listing::ListingStatus::Draft, d, at(2), None))
            .await;
    }
    // As if the listings predated the column: take migration 4 (and those after it) back
    // and apply them again.
    let from_4 = u32::try_from(Migrator::migrations().len() - 3).unwrap();
    Migrator::down(&db, Some(from_4)).await.unwrap();
    Migrator::up(&db, None).await.unwrap();
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT description, excerpt FROM listings ORDER BY id",
        ))
        .await
        .unwrap();
    assert_eq!(rows.len(), texts.len());
    for r in rows {
        let description: String = r.try_get("", "description").unwrap();
        let excerpt: String = r.try_get("", "excerpt").unwrap();
        assert_eq!(excerpt, domain::listing::excerpt(&description));
    }
    db.close().await.unwrap();
}

#[tokio::test]
async fn excerpts_are_backfilled_on_postgres() {
    excerpts_are_backfilled(TestDb::postgres().await).await;
}

#[tokio::test]
async fn excerpts_are_backfilled_on_sqlite() {
    excerpts_are_backfilled(TestDb::sqlite()).await;
}

proptest::proptest! {
    /// The migration's frozen copy of the excerpt rule is today's rule.
    #[test]
    fn the_frozen_excerpt_rule_is_the_domains(text in "(\\PC{0,12}[ ,\n]){0,60}") {
        proptest::prop_assert_eq!(migrations::frozen::listing_excerpt_v1(&text), domain::listing::excerpt(&text));
    }
}

type OutboxRow<'a> = (u128, Option<chrono::DateTime<chrono::Utc>>, i32, Option<&'a str>);

/// Migration 8 moves the outbox's pending messages into `jobs` as queued jobs; delivered
/// ones are history and are dropped with the table.
async fn pending_outbox_messages_become_jobs(t: TestDb) {
    use application::ports::{JobQueue, JobStatus};
    use sea_orm::Value;

    let db = t.connect().await;
    Migrator::up(&db, Some(7)).await.unwrap(); // up to area_admin: the outbox exists
    let backend = db.get_database_backend();
    let p = if backend == sea_orm::DatabaseBackend::Postgres {
        "($1, $2, $3, $4, $5, $6, $7)"
    } else {
        "(?, ?, ?, ?, ?, ?, ?)"
    };
    let at = chrono::DateTime::parse_from_rfc3339("2026-11-30T10:00:00.123456Z").unwrap().to_utc();
    // (id, processed_at, attempts, last_error): one pending message, one delivered.
    let rows: [OutboxRow; 2] = [(0x81, None, 2, Some("smtp: timeout")), (0x82, Some(at), 1, None)];
    for (id, processed, attempts, error) in rows {
        let values: Vec<Value> = vec![
            uuid::Uuid::from_u128(id).into(),
            "enquiry.notify_owner".into(),
            r#"{"enquiry_id":"e1"}"#.into(),
            at.into(),
            Value::ChronoDateTimeUtc(processed),
            attempts.into(),
            Value::String(error.map(str::to_owned)),
        ];
        let sql = format!(
            "INSERT INTO outbox (id, kind, payload, created_at, processed_at, attempts, last_error) VALUES {p}"
        );
        db.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await.unwrap();
    }
    Migrator::up(&db, None).await.unwrap();
    let queue = sp_sql::SqlJobQueue::new(db.clone());
    let jobs = queue.list(None, application::paging::PageRequest::first(10)).await.unwrap().items;
    assert_eq!(jobs.len(), 1, "only the pending message moves");
    let j = &jobs[0];
    assert_eq!(
        (j.id, j.kind.as_str(), j.status),
        (uuid::Uuid::from_u128(0x81), "enquiry.notify_owner", JobStatus::Queued)
    );
    assert_eq!((j.run_at, j.attempts, j.last_error.as_deref()), (at, 0, Some("smtp: timeout")));
    assert_eq!(j.payload, serde_json::json!({ "enquiry_id": "e1" }));
    assert!(j.max_attempts > 2, "it keeps attempts to spend");
    db.close().await.unwrap();
}

#[tokio::test]
async fn pending_outbox_messages_become_jobs_on_postgres() {
    pending_outbox_messages_become_jobs(TestDb::postgres().await).await;
}

#[tokio::test]
async fn pending_outbox_messages_become_jobs_on_sqlite() {
    pending_outbox_messages_become_jobs(TestDb::sqlite()).await;
}
