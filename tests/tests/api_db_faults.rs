//! The database drops the service's connections (a restart, a failover, an administrator
//! ending sessions): requests that meet a dead connection answer 503 with `Retry-After`,
//! never 500, and the pool's fresh connections serve the next ones.

use sea_orm::{ConnectionTrait, Database, Statement};
use sp_tests::{TestDb, spawn_app_with};

#[tokio::test]
async fn lost_database_connections_are_503_then_healed() {
    let db = TestDb::postgres().await;
    let url = db.url.clone();
    let app = spawn_app_with(db, &[]).await;
    app.seed_cities().await;
    // Use every pooled connection (4 in tests) so each one is there to be killed.
    let warm: Vec<_> = (0..8).map(|_| app.client.get(app.url("/api/v1/cities")).send()).collect();
    for r in futures::future::join_all(warm).await {
        assert_eq!(r.unwrap().status(), 200);
    }

    let admin = Database::connect(&url).await.unwrap();
    let killed = admin
        .query_all_raw(Statement::from_string(
            admin.get_database_backend(),
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        ))
        .await
        .unwrap()
        .len();
    assert!(killed >= 1, "the app had connections to end");

    let mut answers = Vec::new();
    for _ in 0..12 {
        let r = app.client.get(app.url("/api/v1/listings?city=leeds")).send().await.unwrap();
        let status = r.status().as_u16();
        if status == 503 {
            assert!(r.headers().contains_key("retry-after"), "503 says when to retry");
            let p: serde_json::Value = r.json().await.unwrap();
            assert!(p["type"].as_str().unwrap().ends_with("overloaded"), "{p}");
        }
        answers.push(status);
        if status == 200 {
            break;
        }
    }
    assert!(answers.iter().all(|s| *s == 200 || *s == 503), "only 200 or 503: {answers:?}");
    assert_eq!(answers.last(), Some(&200), "the pool healed: {answers:?}");
    assert!(answers.len() <= 5, "at most one failure per pooled connection: {answers:?}");
    println!("after ending {killed} sessions: {answers:?}");
}
