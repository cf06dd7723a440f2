//! `Cache` contract: in-process (moka) and Redis.

use std::time::Duration;

use application::ports::Cache;

use sp_tests::{contract, services};

#[tokio::test]
async fn in_process() {
    contract::cache::run(&sp_moka::InProcessCache::default()).await;
}

#[tokio::test]
async fn redis() {
    let url = services::redis_url();
    services::require("Redis", &url);
    let cache = sp_redis::RedisCache::new(&url.into(), "sp:test:", Duration::from_secs(2)).unwrap();
    contract::cache::run(&cache).await;
}

#[tokio::test]
async fn redis_down_is_unavailable_not_a_hang() {
    // Port 1 on loopback refuses connections.
    let cache =
        sp_redis::RedisCache::new(&"redis://127.0.0.1:1".to_owned().into(), "sp:test:", Duration::from_millis(500))
            .unwrap();
    let ping = cache.ping().await;
    assert!(matches!(ping, Err(application::ports::CacheError::Unavailable(_))), "{ping:?}");
    assert!(cache.get("k").await.is_err());
}

#[test]
fn redis_url_errors_do_not_leak_the_password() {
    let err = sp_redis::RedisCache::new(&"http://:hunter2@h".to_owned().into(), "p", Duration::from_secs(1))
        .err()
        .expect("not a redis URL");
    assert!(!format!("{err:#}").contains("hunter2"));
}
