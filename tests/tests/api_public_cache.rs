//! Cache-aside of the public reads (issue 15): anonymous first search pages, listing
//! pages, `/cities` and `/stats` come from the cache (`PUBLIC_CACHE_TTL_SECONDS`), and a
//! change to what they show is seen at once because every key names the public version
//! (a listing taken down, a suspension), on every instance sharing the cache; concurrent
//! misses of one key cost one computation per instance, counted by PostgreSQL itself.

use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{Value, json};
use sp_tests::redis_server::RedisServer;
use sp_tests::{TestApp, TestDb, spawn_app_with};

/// Long enough that only the versioning can explain a fresh answer.
const LONG: &[(&str, &str)] = &[("PUBLIC_CACHE_TTL_SECONDS", "600"), ("PUBLIC_COUNTS_TTL_SECONDS", "600")];

async fn ids_in_search(app: &TestApp) -> Vec<String> {
    let r = app.get("/api/v1/listings?city=leeds").await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    v["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect()
}

async fn title_of(app: &TestApp, id: &str) -> Option<String> {
    let r = app.get(&format!("/api/v1/listings/{id}")).await;
    if r.status() == 404 {
        return None;
    }
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    Some(v["title"].as_str().unwrap().to_owned())
}

async fn stats(app: &TestApp) -> (u64, u64) {
    let v: Value = app.get("/api/v1/stats").await.json().await.unwrap();
    (v["listings"].as_u64().unwrap(), v["landlords"].as_u64().unwrap())
}

/// Retitles a listing behind the service's back (no use case, so no new version).
async fn retitle_behind_the_back(app: &TestApp, id: &str, title: &str) {
    let db = app.db.connect().await;
    db.execute_unprepared(&format!("UPDATE listings SET title = '{title}' WHERE id = '{id}'")).await.unwrap();
}

#[tokio::test]
async fn changes_through_the_service_are_seen_at_once_through_the_cache() {
    let app = spawn_app_with(TestDb::postgres().await, LONG).await;
    app.seed_cities().await;
    let (amy, ben) = (app.actor("landlord").await, app.actor("landlord").await);
    let a = amy.published_listing(&json!({"title": "Amy's house"})).await;
    let b = ben.published_listing(&json!({"title": "Ben's house"})).await;
    let mut both = ids_in_search(&app).await;
    both.sort();
    let mut expected = vec![a.clone(), b.clone()];
    expected.sort();
    assert_eq!(both, expected);
    assert_eq!(title_of(&app, &a).await.as_deref(), Some("Amy's house"));
    assert_eq!(stats(&app).await, (2, 2));

    // The answers are cached: a change the service does not know of is not seen.
    retitle_behind_the_back(&app, &a, "Changed in the database").await;
    assert_eq!(title_of(&app, &a).await.as_deref(), Some("Amy's house"), "served from the cache");

    // A change through the service is seen by the very next request.
    let admin = app.admin().await;
    assert_eq!(admin.unpublish(&a, "Photos do not match").await.status(), 200);
    assert_eq!(ids_in_search(&app).await, std::slice::from_ref(&b), "taken down: gone from the cached search at once");
    assert_eq!(title_of(&app, &a).await, None);
    assert_eq!(stats(&app).await.0, 1);

    // Suspension: the owner's listings and the landlord count, at once.
    assert_eq!(admin.post_empty(&format!("/api/v1/admin/users/{}/suspend", ben.id)).await.status(), 200);
    assert_eq!(stats(&app).await, (0, 1), "suspension shows in /stats at once");
    assert!(ids_in_search(&app).await.is_empty());
    assert_eq!(title_of(&app, &b).await, None);

    // Signed-in readers are never served from it (their answers are personal).
    let r = amy.get(&format!("/api/v1/listings/{a}")).await;
    assert_eq!(r.status(), 200, "the owner still sees her listing");
}

/// poem reads cookie names percent-decoded: a session cookie spelt `sp%5Fsession` signs
/// its owner in, so it must keep the answer out of the anonymous cache too.
#[tokio::test]
async fn a_disguised_session_cookie_does_not_put_a_private_page_in_the_cache() {
    let app = spawn_app_with(TestDb::postgres().await, LONG).await;
    app.seed_cities().await;
    let owner = app.actor("landlord").await;
    let draft = owner.create_listing(&sp_tests::complete_listing()).await;
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": owner.email, "password": sp_tests::actors::PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let disguised = cookie.replacen("sp_session=", "sp%5Fsession=", 1);
    let r = reqwest::Client::new().get(app.url(&format!("/api/v1/listings/{draft}"))).header("cookie", &disguised);
    assert_eq!(r.send().await.unwrap().status(), 200, "poem signs the owner in under the encoded name");
    assert_eq!(title_of(&app, &draft).await, None, "the draft stays private for everyone else");
}

#[tokio::test]
async fn two_instances_on_one_redis_see_each_others_changes_at_once() {
    // A Redis of the test's own: the response keys of another test's instances on the
    // shared one could otherwise share this one's version.
    let redis = RedisServer::start();
    let url = format!("redis://{}", redis.addr);
    // One SECRET_KEY: a session made on one instance holds on the other.
    let vars = [LONG, &[("REDIS_URL", url.as_str()), ("SECRET_KEY", "public-cache-test-secret-key-0123456789abcdef")]]
        .concat();
    let a = spawn_app_with(TestDb::postgres().await, &vars).await;
    let b = spawn_app_with(a.db.alias(), &vars).await;
    a.seed_cities().await;
    let landlord = a.actor("landlord").await;
    let id = landlord.published_listing(&json!({"title": "Before"})).await;
    assert_eq!(ids_in_search(&a).await, std::slice::from_ref(&id));
    assert_eq!(ids_in_search(&b).await, std::slice::from_ref(&id));
    assert_eq!(title_of(&b, &id).await.as_deref(), Some("Before"));

    // Changed through B: A (which cached the page itself) sees it at once.
    let on_b = landlord.on(&b);
    assert_eq!(on_b.patch_listing(&id, &json!({"title": "After"})).await.status(), 200);
    assert_eq!(title_of(&a, &id).await.as_deref(), Some("After"));
    assert_eq!(on_b.transition(&id, "archive").await.status(), 200);
    assert!(ids_in_search(&a).await.is_empty(), "archived on B: gone from A's cached search");
    assert_eq!(title_of(&a, &id).await, None);
}

/// Scans of `listings` (sequential and index) that `requests` concurrent anonymous
/// requests for one first search page cost, on a fresh instance over `db` (its own
/// in-process cache, so a cold key), counted after closing its pool so every session
/// reports.
async fn listing_scans(db: &TestDb, extra: &[(&str, &str)], requests: usize) -> i64 {
    let before = listing_scans_now(&db.url).await;
    let app = std::sync::Arc::new(spawn_app_with(db.alias(), extra).await);
    let calls: Vec<_> = (0..requests)
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move { app.get("/api/v1/listings?city=leeds&sort=rent_asc").await.status() })
        })
        .collect();
    for c in calls {
        assert_eq!(c.await.unwrap(), 200);
    }
    app.deps.db.clone().close().await.unwrap();
    let after = stable_listing_scans(&db.url).await;
    after - before
}

async fn listing_scans_now(url: &str) -> i64 {
    let db = Database::connect(url).await.unwrap();
    db.execute_unprepared("SELECT pg_stat_clear_snapshot()").await.unwrap();
    let sql =
        "SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) FROM pg_stat_user_tables WHERE relname = 'listings'";
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
    let n = row.try_get_by_index::<i64>(0).unwrap();
    db.close().await.ok();
    n
}

async fn stable_listing_scans(url: &str) -> i64 {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut last = listing_scans_now(url).await;
    loop {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = listing_scans_now(url).await;
        if now == last {
            return now;
        }
        assert!(Instant::now() < deadline, "pg_stat_user_tables kept moving");
        last = now;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_misses_of_one_page_cost_one_computation_per_instance() {
    let db = TestDb::postgres().await;
    {
        let setup = spawn_app_with(db.alias(), &[]).await;
        setup.seed_cities().await;
        let landlord = setup.actor("landlord").await;
        for i in 0..3 {
            landlord.published_listing(&json!({"title": format!("House {i}")})).await;
        }
        setup.deps.db.clone().close().await.unwrap();
    }
    stable_listing_scans(&db.url).await;
    let one = listing_scans(&db, LONG, 1).await;
    assert!(one >= 1, "a search reads listings");
    let forty = listing_scans(&db, LONG, 40).await;
    assert_eq!(forty, one, "40 concurrent misses of one key: one computation");
    let uncached = listing_scans(&db, &[("PUBLIC_CACHE_TTL_SECONDS", "0")], 40).await;
    assert!(uncached >= 10 * one, "without the cache each request computes ({uncached} vs {one})");
    eprintln!("listings scans: 1 request {one}, 40 concurrent cached {forty}, 40 uncached {uncached}");
}
