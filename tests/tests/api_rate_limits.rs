//! Rate limits through the API: 429 problem+json with `Retry-After`, `RateLimit` and
//! `RateLimit-Policy`; a spoofed `X-Forwarded-For` does not escape a per-IP limit; two
//! instances on one Redis share their counters.

use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use sp_tests::spawn::NO_LIMITS;
use sp_tests::{TestApp, TestDb, spawn_app_with};

const KEY: &str = "rate-limit-test-secret-key-0123456789abcdef";

/// `NO_LIMITS` with `overrides` after it (a later entry wins).
fn limits(overrides: &str) -> String {
    format!("{NO_LIMITS}, {overrides}")
}

async fn login(app: &TestApp, email: &str, forwarded_for: Option<&str>) -> Response {
    let mut r = app.client.post(app.url("/api/v1/auth/login")).json(&json!({"email": email, "password": "wrong"}));
    if let Some(xff) = forwarded_for {
        r = r.header("x-forwarded-for", xff);
    }
    r.send().await.unwrap()
}

async fn assert_limited(r: Response, policy: &str) {
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let h = r.headers().clone();
    assert_eq!(h["content-type"], "application/problem+json");
    let retry: u64 = h["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=3600).contains(&retry), "Retry-After {retry}");
    assert_eq!(h["ratelimit-policy"], policy);
    let name = policy.split(';').next().unwrap();
    let state = h["ratelimit"].to_str().unwrap();
    assert!(state.starts_with(&format!("{name};r=0;t=")), "{state}");
    let p: Value = r.json().await.unwrap();
    assert!(p["type"].as_str().unwrap().ends_with("rate-limited"), "{p}");
}

#[tokio::test]
async fn sign_in_is_limited_per_account_and_per_address() {
    let rl = limits("login-account=3/600, login-ip=5/600");
    let app = spawn_app_with(TestDb::postgres().await, &[("RATE_LIMITS", &rl)]).await;
    for _ in 0..3 {
        assert_eq!(login(&app, "amy@example.ac.uk", None).await.status(), 401);
    }
    assert_limited(login(&app, "Amy@Example.ac.uk ", None).await, "\"login-account\";q=3;w=600").await;
    // Another account from the same address: its own count, until the address's runs out
    // (the refused attempt above counted against the address too).
    assert_eq!(login(&app, "ben@example.ac.uk", None).await.status(), 401);
    assert_limited(login(&app, "cat@example.ac.uk", None).await, "\"login-ip\";q=5;w=600").await;
}

/// Without trusted proxies the peer is the client, whatever the header says; behind a
/// trusted proxy only the entry it appended counts.
#[tokio::test]
async fn a_spoofed_forwarded_for_does_not_escape_the_limit() {
    let rl = limits("login-ip=2/600");
    let direct = spawn_app_with(TestDb::postgres().await, &[("RATE_LIMITS", &rl)]).await;
    for i in 0..2 {
        assert_eq!(login(&direct, &format!("u{i}@example.ac.uk"), Some(&format!("10.0.0.{i}"))).await.status(), 401);
    }
    assert_limited(login(&direct, "u9@example.ac.uk", Some("198.51.100.1")).await, "\"login-ip\";q=2;w=600").await;

    let proxied =
        spawn_app_with(TestDb::postgres().await, &[("RATE_LIMITS", &rl), ("TRUSTED_PROXIES", "127.0.0.1/32, ::1")])
            .await;
    // The client writes anything on the left; our proxy appends what it saw.
    for spoof in ["1.1.1.1", "2.2.2.2"] {
        let xff = format!("{spoof}, 203.0.113.7");
        assert_eq!(login(&proxied, "v@example.ac.uk", Some(&xff)).await.status(), 401);
    }
    assert_limited(login(&proxied, "v@example.ac.uk", Some("3.3.3.3, 203.0.113.7")).await, "\"login-ip\";q=2;w=600")
        .await;
    // A different client behind the same proxy has its own allowance.
    assert_eq!(login(&proxied, "w@example.ac.uk", Some("203.0.113.8")).await.status(), 401);
}

#[tokio::test]
async fn every_route_but_the_probes_counts_against_the_global_limit() {
    let rl = limits("global=3/600");
    let app = spawn_app_with(TestDb::postgres().await, &[("RATE_LIMITS", &rl)]).await;
    for _ in 0..3 {
        assert_eq!(app.client.get(app.url("/api/v1/cities")).send().await.unwrap().status(), 200);
    }
    let r = app.client.get(app.url("/api/v1/cities")).send().await.unwrap();
    assert!(r.headers().contains_key("x-request-id"));
    assert_limited(r, "\"global\";q=3;w=600").await;
    for probe in ["/livez", "/healthz"] {
        assert_eq!(app.client.get(app.url(probe)).send().await.unwrap().status(), 200, "{probe}");
    }
}

/// Done-when of issue 15: two instances on one Redis share the counters.
#[tokio::test]
async fn two_instances_on_one_redis_share_the_limit() {
    let redis = sp_tests::services::redis_url();
    sp_tests::services::require("Redis", &redis);
    let rl = limits("login-account=3/600");
    let vars = [("RATE_LIMITS", rl.as_str()), ("REDIS_URL", redis.as_str()), ("SECRET_KEY", KEY)];
    // Each its own database: the counters live in Redis alone.
    let a = spawn_app_with(TestDb::postgres().await, &vars).await;
    let b = spawn_app_with(TestDb::postgres().await, &vars).await;
    let email = format!("shared-{}@example.ac.uk", uuid::Uuid::new_v4().simple());
    assert_eq!(login(&a, &email, None).await.status(), 401);
    assert_eq!(login(&b, &email, None).await.status(), 401);
    assert_eq!(login(&a, &email, None).await.status(), 401);
    assert_limited(login(&b, &email, None).await, "\"login-account\";q=3;w=600").await;
}
