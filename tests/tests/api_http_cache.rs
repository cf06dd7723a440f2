//! HTTP caching of the public reads: `ETag`, `If-None-Match` → 304, a `Cache-Control` a
//! CDN can honour, and `no-store` for anyone signed in.

use reqwest::header::{CACHE_CONTROL, ETAG, IF_NONE_MATCH, VARY};
use serde_json::json;
use sp_tests::{TestDb, spawn_app_with};

#[tokio::test]
async fn public_reads_carry_validators_and_answer_304_until_they_change() {
    let app = spawn_app_with(TestDb::postgres().await, &[("PUBLIC_COUNTS_TTL_SECONDS", "2")]).await;
    let anon = reqwest::Client::new();

    for (path, cache_control) in [
        ("/api/v1/stats", "public, max-age=0, s-maxage=2, stale-while-revalidate=4"),
        ("/api/v1/cities", "public, max-age=0, s-maxage=2, stale-while-revalidate=4"),
        ("/api/v1/listings", "public, no-cache"),
    ] {
        let r = anon.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers()[CACHE_CONTROL], cache_control, "{path}");
        assert_eq!(r.headers()[VARY], "Cookie", "{path}");
        let etag = r.headers()[ETAG].to_str().unwrap().to_owned();
        assert!(etag.starts_with("W/\""), "{path}: {etag}");
        let body = r.bytes().await.unwrap();
        assert!(!body.is_empty());

        let r = anon.get(app.url(path)).header(IF_NONE_MATCH, &etag).send().await.unwrap();
        assert_eq!(r.status(), 304, "{path}: the same answer");
        assert_eq!(r.headers()[ETAG], etag.as_str());
        assert_eq!(r.headers()[CACHE_CONTROL], cache_control);
        assert!(r.bytes().await.unwrap().is_empty(), "{path}: 304 has no body");

        let r = anon.get(app.url(path)).header(IF_NONE_MATCH, "W/\"something-else\"").send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}: another validator gets the answer");
    }

    // A change shows: the cities list has a new city, so a new ETag.
    let r = anon.get(app.url("/api/v1/cities")).send().await.unwrap();
    let before = r.headers()[ETAG].to_str().unwrap().to_owned();
    let admin = app.admin().await;
    assert_eq!(admin.post("/api/v1/admin/cities", &json!({"name": "Durham"})).await.status(), 201);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        // The counts are cached for PUBLIC_COUNTS_TTL_SECONDS: poll until they move.
        let r = anon.get(app.url("/api/v1/cities")).header(IF_NONE_MATCH, &before).send().await.unwrap();
        if r.status() == 200 {
            assert_ne!(r.headers()[ETAG].to_str().unwrap(), before);
            break;
        }
        assert_eq!(r.status(), 304);
        assert!(std::time::Instant::now() < deadline, "the new city never showed");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }

    // Signed in: personal, never stored, no validator.
    let student = app.actor("student").await;
    for path in ["/api/v1/listings", "/api/v1/stats"] {
        let r = student.get(path).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()[CACHE_CONTROL], "no-store", "{path}");
        assert!(r.headers().get(ETAG).is_none(), "{path}");
    }
}
