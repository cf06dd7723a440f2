//! The operator commands, run in-process (`bootstrap::cli::run`) against a fresh
//! PostgreSQL database with a staging/prod configuration.

use bootstrap::cli::{Cli, run};
use bootstrap::config::Config;
use clap::Parser;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use sp_tests::TestDb;

const KEY: &str = "0123456789abcdef0123456789abcdef-long-enough";

fn config(db: &TestDb, env: &str, extra: &[(&str, &str)]) -> Config {
    let mut pairs = vec![
        ("APP_ENV", env),
        ("DATABASE_URL", db.url.as_str()),
        ("STORAGE_URL", "s3://media"),
        ("MEDIA_BASE_URL", "https://cdn.student-palace.co.uk"),
        ("SECRET_KEY", KEY),
        ("LOG_FORMAT", "json"),
        ("PUBLIC_BASE_URL", "https://student-palace.co.uk"),
        ("SMTP_URL", "smtps://smtp.example.com:465"),
    ];
    pairs.extend_from_slice(extra);
    Config::from_pairs(pairs).expect("valid config")
}

async fn cli(config: Config, args: &str) -> anyhow::Result<()> {
    let cli = Cli::try_parse_from(std::iter::once("student-palace").chain(args.split_whitespace())).expect("parses");
    run(cli.command, config).await
}

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db.query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
    row.expect("a row").try_get_by_index::<i64>(0).unwrap()
}

#[tokio::test]
async fn seed_cities_loads_the_reference_list_once_and_never_undoes_an_admin() {
    let db = TestDb::postgres().await;
    let conn = db.migrated().await;
    cli(config(&db, "prod", &[]), "seed --cities").await.expect("allowed in prod");
    let n = i64::try_from(bootstrap::reference::UK_CITIES.len()).unwrap();
    assert_eq!(count(&conn, "SELECT count(*) FROM cities").await, n);
    let areas = count(&conn, "SELECT count(*) FROM areas").await;
    assert!(areas >= 2 * n, "{areas} areas");
    assert_eq!(count(&conn, "SELECT count(*) FROM audit_events WHERE action = 'city.seed'").await, n);
    assert_eq!(count(&conn, "SELECT count(*) FROM users").await, 0, "no accounts, demo or otherwise");

    // An admin's changes survive a second run, which adds nothing.
    conn.execute_unprepared("UPDATE cities SET name = 'Leeds (West Yorkshire)', active = false WHERE slug = 'leeds'")
        .await
        .unwrap();
    conn.execute_unprepared("DELETE FROM cities WHERE slug = 'york'").await.unwrap();
    cli(config(&db, "prod", &[]), "seed --cities").await.unwrap();
    assert_eq!(count(&conn, "SELECT count(*) FROM cities").await, n, "york is back, nothing doubled");
    assert_eq!(count(&conn, "SELECT count(*) FROM areas").await, areas);
    let leeds =
        count(&conn, "SELECT count(*) FROM cities WHERE slug = 'leeds' AND NOT active AND name LIKE 'Leeds (%'");
    assert_eq!(leeds.await, 1, "leeds stays as the admin left it");
}

#[tokio::test]
async fn demo_data_outside_dev_needs_the_flag_and_never_brings_the_demo_admin() {
    let db = TestDb::postgres().await;
    let conn = db.migrated().await;
    let err = cli(config(&db, "staging", &[]), "seed --demo --listings 3").await.unwrap_err();
    assert!(format!("{err:#}").contains("ALLOW_DEMO_SEED"), "{err:#}");
    assert_eq!(count(&conn, "SELECT count(*) FROM users").await, 0, "nothing loaded");

    cli(config(&db, "staging", &[("ALLOW_DEMO_SEED", "true")]), "seed --demo --listings 3 --no-photos").await.unwrap();
    assert_eq!(count(&conn, "SELECT count(*) FROM listings").await, 3);
    assert_eq!(count(&conn, "SELECT count(*) FROM photos").await, 0, "--no-photos");
    assert_eq!(count(&conn, "SELECT count(*) FROM users WHERE role = 'admin'").await, 0, "no demo admin");
    let demo_student = format!("SELECT count(*) FROM users WHERE email = '{}'", bootstrap::demo::DEMO_STUDENT);
    assert_eq!(count(&conn, &demo_student).await, 1);
}

/// Every demo listing gets a ready photo through the image pipeline, its files in
/// STORAGE_URL (here a local folder, with PostgreSQL and several writers at once).
#[tokio::test]
async fn demo_listings_get_ready_photos_with_their_files() {
    let db = TestDb::postgres().await;
    let conn = db.migrated().await;
    let dir = tempfile::tempdir().unwrap();
    let storage = url::Url::from_directory_path(dir.path()).unwrap().to_string();
    let dev = Config::from_pairs([("APP_ENV", "dev"), ("DATABASE_URL", db.url.as_str()), ("STORAGE_URL", &storage)])
        .expect("valid config");
    cli(dev, "seed --demo --listings 12").await.unwrap();
    assert_eq!(count(&conn, "SELECT count(*) FROM listings").await, 12);
    let ready = "SELECT count(DISTINCT listing_id) FROM photos WHERE status = 'ready' AND width > 0 AND height > 0";
    assert_eq!(count(&conn, ready).await, 12, "one ready photo per listing");
    let sql = "SELECT listing_id::text, id::text FROM photos";
    let rows = conn.query_all_raw(sea_orm::Statement::from_string(conn.get_database_backend(), sql)).await.unwrap();
    for row in rows {
        let (listing, photo) = (row.try_get_by_index::<String>(0).unwrap(), row.try_get_by_index::<String>(1).unwrap());
        let folder = dir.path().join("listings").join(listing).join(photo);
        for file in ["original", "thumb.webp", "medium.webp", "large.webp", "medium.jpg"] {
            let meta = std::fs::metadata(folder.join(file))
                .unwrap_or_else(|e| panic!("{file} in {folder:?}: {e}; {:?}", walk(dir.path())));
            assert!(meta.len() > 500, "{file} has content");
        }
    }
}

#[tokio::test]
async fn migrate_down_and_fresh_need_force_outside_dev() {
    let db = TestDb::postgres().await;
    let conn = db.migrated().await;
    let applied = "SELECT count(*) FROM seaql_migrations";
    let all = count(&conn, applied).await;
    for env in ["staging", "prod"] {
        for args in ["migrate down", "migrate fresh"] {
            let err = cli(config(&db, env, &[]), args).await.unwrap_err();
            assert!(format!("{err:#}").contains("--force"), "{env} {args}: {err:#}");
        }
    }
    assert_eq!(count(&conn, applied).await, all, "nothing was rolled back");
    cli(config(&db, "prod", &[]), "migrate down --force").await.unwrap();
    assert_eq!(count(&conn, applied).await, all - 1);
    cli(config(&db, "prod", &[]), "migrate up").await.unwrap();
    assert_eq!(count(&conn, applied).await, all);
}

fn walk(d: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(d)
        .map(|r| {
            r.flatten().flat_map(|e| std::iter::once(e.path().display().to_string()).chain(walk(&e.path()))).collect()
        })
        .unwrap_or_default()
}
