//! `SessionStore` contract on Redis (the only implementation: cookie sessions need no
//! store), and what it does when Redis is gone.

use std::time::Duration;

use application::ports::{SessionStore, SessionStoreError};
use sp_tests::{contract, services};

#[tokio::test]
async fn redis() {
    let url = services::redis_url();
    services::require("Redis", &url);
    let redis = sp_redis::Redis::new(&url.into(), "sp:test:", Duration::from_secs(2)).unwrap();
    contract::sessions::run(&sp_redis::RedisSessions::on(redis)).await;
}

#[tokio::test]
async fn redis_down_is_unavailable_not_a_hang() {
    // Port 1 on loopback refuses connections.
    let redis =
        sp_redis::Redis::new(&"redis://127.0.0.1:1".to_owned().into(), "sp:test:", Duration::from_millis(500)).unwrap();
    let store = sp_redis::RedisSessions::on(redis);
    let started = std::time::Instant::now();
    assert!(matches!(store.load("x").await, Err(SessionStoreError::Unavailable(_))));
    let user = domain::UserId(uuid::Uuid::new_v4());
    assert!(matches!(store.remove_all_for(user).await, Err(SessionStoreError::Unavailable(_))));
    assert!(started.elapsed() < Duration::from_secs(2), "bounded by the timeout: {:?}", started.elapsed());
}
