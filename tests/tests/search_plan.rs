//! Query plans of listing search on PostgreSQL: on a seeded database (20 000 listings,
//! `scripts/search-plan-seed.sql`), every search shape of `sp_sql::search::plan_shapes`
//! must be answered through one of the partial search indexes, never by a sequential
//! scan of `listings` — both as the custom plan PostgreSQL makes for the bound values
//! (what the service runs: its sessions force custom plans, `sp_sql::connect`) and as the
//! generic plan a prepared statement would switch to under the default `plan_cache_mode`
//! (a safety net for any session without that setting).
//!
//! The statements are the repository's own (`sp_sql::search_statement`). The estimate
//! query (`count(*)` of at most `ESTIMATE_CAP` matches) is printed but not checked: for
//! broad searches a sequential scan that stops after `ESTIMATE_CAP` matches can be its cheapest plan
//! (see docs/search.md). `scripts/explain-search.sh` does the same on 100 000 listings.
//! Run with `--nocapture` to see the plans.

use application::paging::PageRequest;
use application::ports::{ListingRepository, SearchQuery};
use chrono::NaiveDate;
use sea_orm::sea_query::{PostgresQueryBuilder, QueryBuilder};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement, TransactionTrait};
use sp_sql::SqlListingRepository;
use sp_sql::search::{plan_shapes, search_count_statement, search_statement};
use sp_tests::TestDb;

const SEED: &str = include_str!("../../scripts/search-plan-seed.sql");
const LISTINGS: u32 = 20_000;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

async fn plan_lines(db: &impl ConnectionTrait, st: Statement) -> String {
    let rows = db.query_all_raw(st).await.expect("EXPLAIN runs");
    rows.iter().map(|r| r.try_get::<String>("", "QUERY PLAN").unwrap()).collect::<Vec<_>>().join("\n")
}

/// The plan PostgreSQL makes for the statement with its values bound (a custom plan).
async fn custom_plan(db: &DatabaseConnection, st: &Statement) -> String {
    let explain = Statement { sql: format!("EXPLAIN {}", st.sql), ..st.clone() };
    plan_lines(db, explain).await
}

/// The plan a prepared statement gets once PostgreSQL decides to reuse one plan for any
/// values (forced here with `plan_cache_mode`).
async fn generic_plan(db: &DatabaseConnection, st: &Statement) -> String {
    let txn = db.begin().await.unwrap();
    txn.execute_unprepared("SET LOCAL plan_cache_mode = force_generic_plan").await.unwrap();
    txn.execute_unprepared(&format!("PREPARE shape AS {}", st.sql)).await.expect("PREPARE");
    let args: Vec<String> = st
        .values
        .as_ref()
        .map(|v| v.0.iter().map(|value| PostgresQueryBuilder.value_to_string(value)).collect())
        .unwrap_or_default();
    let explain = format!("EXPLAIN EXECUTE shape({})", args.join(", "));
    let plan = plan_lines(&txn, Statement::from_string(DatabaseBackend::Postgres, explain)).await;
    // Prepared statements belong to the session, not the transaction.
    txn.execute_unprepared("DEALLOCATE shape").await.unwrap();
    txn.rollback().await.unwrap();
    plan
}

fn check(shape: &str, kind: &str, plan: &str) {
    println!("== {shape} ({kind})\n{plan}\n");
    assert!(!plan.contains("Seq Scan on listings"), "{shape}: the {kind} plan scans the whole table:\n{plan}");
    assert!(plan.contains("ix_listings_pub_"), "{shape}: the {kind} plan uses none of the search indexes:\n{plan}");
}

#[tokio::test]
async fn search_shapes_use_the_search_indexes() {
    let t = TestDb::postgres().await;
    let db = t.migrated().await;
    db.execute_unprepared(&SEED.replace("{{LISTINGS}}", &LISTINGS.to_string())).await.expect("seed");
    db.execute_unprepared("VACUUM ANALYZE").await.unwrap();

    // The second-page shape starts after a real first page.
    let repo = SqlListingRepository::new(db.clone());
    let first =
        repo.search(&SearchQuery { page: Some(PageRequest::first(20)), ..Default::default() }, today()).await.unwrap();
    assert_eq!(first.items.len(), 20);
    let all = SearchQuery::default();
    assert_eq!(
        repo.count(&all, today()).await.unwrap(),
        application::ports::listings::ESTIMATE_CAP,
        "more than the cap"
    );
    let after = first.next.expect("a second page");

    let shapes = plan_shapes(after);
    assert!(shapes.len() >= 7, "newest, city, rent range, bedrooms, features, free text, second page");
    for (shape, q) in shapes {
        let page = search_statement(&q, today(), DatabaseBackend::Postgres);
        check(shape, "custom", &custom_plan(&db, &page).await);
        check(shape, "generic", &generic_plan(&db, &page).await);
        let estimate = search_count_statement(&q, today(), DatabaseBackend::Postgres);
        println!("== {shape} (estimate, not checked)\n{}\n", custom_plan(&db, &estimate).await);

        // And the repository answers the shape (the statements are valid and bound right).
        let res = repo.search(&q, today()).await.unwrap_or_else(|e| panic!("{shape}: {e:?}"));
        assert!(!res.items.is_empty(), "{shape}: the seed has matches");
    }
}
