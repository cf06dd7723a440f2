//! Done-when of issue 15: under load, `/stats` reaches the database at most once per
//! `PUBLIC_COUNTS_TTL_SECONDS` per instance, counted by PostgreSQL itself
//! (`pg_stat_user_tables`: each computation of the counts scans `users`; nothing else
//! after start-up reads that table here). The response cache in front is off here
//! (`PUBLIC_CACHE_TTL_SECONDS=0`, tested in `api_public_cache.rs`): this measures the counts'
//! own cache.

use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Database, Statement};
use sp_tests::{TestApp, TestDb, spawn_app_with};

/// Closes the app's pool, so that every session reports its statistics as it exits,
/// and reads how often `users` was scanned (polling until the figure is stable).
async fn users_scans_at_close(app: &TestApp, url: &str) -> i64 {
    app.deps.db.clone().close().await.unwrap();
    let db = Database::connect(url).await.unwrap();
    let b = db.get_database_backend();
    let read = || async {
        db.execute_unprepared("SELECT pg_stat_clear_snapshot()").await.unwrap();
        let sql = "SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) FROM pg_stat_user_tables \
                   WHERE relname = 'users'";
        let row = db.query_one_raw(Statement::from_string(b, sql)).await.unwrap().unwrap();
        row.try_get_by_index::<i64>(0).unwrap()
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut last = read().await;
    loop {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = read().await;
        if now == last {
            return now;
        }
        assert!(Instant::now() < deadline, "pg_stat_user_tables kept moving");
        last = now;
    }
}

/// A fresh app on a fresh database that answers `requests` `/stats` calls, then closes.
async fn scans_of(requests: usize) -> i64 {
    let db = TestDb::postgres().await;
    let url = db.url.clone();
    let app = spawn_app_with(db, &[("PUBLIC_COUNTS_TTL_SECONDS", "60"), ("PUBLIC_CACHE_TTL_SECONDS", "0")]).await;
    for _ in 0..requests {
        assert_eq!(app.client.get(app.url("/api/v1/stats")).send().await.unwrap().status(), 200);
    }
    users_scans_at_close(&app, &url).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stats_under_load_reach_the_database_once_per_ttl() {
    // Start-up alone (the migrations' foreign keys read `users`), and one computation.
    let start_up = scans_of(0).await;
    let per_computation = scans_of(1).await - start_up;
    assert!(per_computation >= 1, "a computation of the counts reads users");

    let db = TestDb::postgres().await;
    let url = db.url.clone();
    let app = std::sync::Arc::new(
        spawn_app_with(db, &[("PUBLIC_COUNTS_TTL_SECONDS", "1"), ("PUBLIC_CACHE_TTL_SECONDS", "0")]).await,
    );
    let load = Duration::from_secs(4);
    let started = Instant::now();
    let clients: Vec<_> = (0..8)
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move {
                let mut n = 0u32;
                while started.elapsed() < load {
                    let r = app.client.get(app.url("/api/v1/stats")).send().await.unwrap();
                    assert_eq!(r.status(), 200);
                    n += 1;
                }
                n
            })
        })
        .collect();
    let mut requests = 0;
    for c in clients {
        requests += c.await.unwrap();
    }
    let elapsed = started.elapsed().as_secs();
    let scans = users_scans_at_close(&app, &url).await - start_up;
    let computations = scans / per_computation;
    println!(
        "{requests} requests in {elapsed} s: {computations} computations ({scans} scans of users, \
         {per_computation} each; start-up {start_up})"
    );
    assert!(requests > 200, "the load was light: {requests} requests");
    // One computation per TTL (1 s) over the run, plus the one at its start.
    assert!(
        computations <= i64::try_from(elapsed).unwrap() + 1,
        "{computations} computations for {requests} requests in {elapsed} s"
    );
}
