//! `/livez` and `/healthz` of the assembled service.

use serde_json::Value;
use sp_tests::{TestDb, services, spawn_app, spawn_app_with};

fn component<'a>(body: &'a Value, name: &str) -> &'a Value {
    body["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {body}"))
}

#[tokio::test]
async fn livez_is_up_and_never_cached() {
    let app = spawn_app().await;
    let r = app.get("/livez").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "up");
    app.stop().await;
}

#[tokio::test]
async fn healthz_reports_every_component_with_latency() {
    let app = spawn_app().await;
    let r = app.get("/healthz").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], "up");
    for name in ["database", "storage", "cache"] {
        let c = component(&body, name);
        assert_eq!(c["status"], "up", "{body}");
        assert!(c["latency_ms"].as_f64().unwrap() >= 0.0);
    }
    app.stop().await;
}

#[tokio::test]
async fn redis_down_is_degraded_but_ready() {
    let app = spawn_app_with(TestDb::postgres().await, &[("REDIS_URL", "redis://127.0.0.1:1")]).await;
    let r = app.get("/healthz").await;
    assert_eq!(r.status(), 200, "an optional dependency does not make the instance unready");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], "degraded");
    assert_eq!(component(&body, "cache")["status"], "degraded");
    assert_eq!(component(&body, "cache")["required"], false);
    assert_eq!(component(&body, "database")["status"], "up");
    // The site still answers.
    assert_eq!(app.get("/api/v1/cities").await.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn redis_up_is_up() {
    services::require("Redis", &services::redis_url());
    let app = spawn_app_with(TestDb::postgres().await, &[("REDIS_URL", &services::redis_url())]).await;
    let body: Value = app.get("/healthz").await.json().await.unwrap();
    assert_eq!(body["status"], "up", "{body}");
    app.stop().await;
}

#[tokio::test]
async fn storage_unreachable_is_503() {
    // A bucket on real S3: this machine has no route there (and no credentials), so the
    // storage check fails, as it would with an outage or a revoked role.
    let app = spawn_app_with(TestDb::postgres().await, &[("STORAGE_URL", "s3://student-palace-unreachable")]).await;
    let r = app.get("/healthz").await;
    assert_eq!(r.status(), 503);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], "down");
    assert_eq!(component(&body, "storage")["status"], "down");
    assert_eq!(component(&body, "database")["status"], "up");
    app.stop().await;
}

#[tokio::test]
async fn database_gone_is_503_and_livez_still_up() {
    let app = spawn_app().await;
    assert_eq!(app.get("/healthz").await.status(), 200);
    app.db.drop_now().await;
    let r = app.get("/healthz").await;
    assert_eq!(r.status(), 503);
    let body: Value = r.json().await.unwrap();
    assert_eq!(component(&body, "database")["status"], "down", "{body}");
    assert_eq!(app.get("/livez").await.status(), 200, "liveness touches no dependency");
}
