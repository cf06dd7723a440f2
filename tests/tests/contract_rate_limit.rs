//! `RateLimiter` contract: in-process (governor) and Redis (GCRA script), and the
//! fallback between them.

use std::sync::Arc;
use std::time::Duration;

use application::ports::{Quota, RateLimiter};
use application::rate_limit::WithFallback;
use sp_tests::{contract, services};

fn redis(url: &str, timeout: Duration) -> sp_redis::RedisRateLimiter {
    sp_redis::RedisRateLimiter::on(sp_redis::Redis::new(&url.to_owned().into(), "sp:test:", timeout).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn in_process() {
    contract::rate_limit::run(Arc::new(sp_governor::InProcessRateLimiter::default())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_shared() {
    let url = services::redis_url();
    services::require("Redis", &url);
    contract::rate_limit::run(Arc::new(redis(&url, Duration::from_secs(2)))).await;
}

/// Two instances (two connections) count against one limit.
#[tokio::test]
async fn two_instances_share_one_counter() {
    let url = services::redis_url();
    services::require("Redis", &url);
    let (a, b) = (redis(&url, Duration::from_secs(2)), redis(&url, Duration::from_secs(2)));
    let key = format!("{}:login", uuid::Uuid::new_v4().simple());
    let quota = Quota::new(4, Duration::from_secs(60)).unwrap();
    let mut allowed = 0;
    for i in 0..8 {
        let limiter = if i % 2 == 0 { &a } else { &b };
        allowed += usize::from(limiter.acquire(&key, quota).await.unwrap().is_allowed());
    }
    assert_eq!(allowed, 4);
}

/// With Redis unreachable the fallback counts in-process: limits still hold.
#[tokio::test]
async fn redis_down_falls_back_to_the_instance_limit() {
    let down = redis("redis://127.0.0.1:1", Duration::from_millis(300));
    assert!(down.acquire("k", Quota::new(1, Duration::from_secs(1)).unwrap()).await.is_err());
    let limiter = WithFallback::new(Arc::new(down), Arc::new(sp_governor::InProcessRateLimiter::default()));
    let quota = Quota::new(2, Duration::from_secs(60)).unwrap();
    let results: Vec<bool> = {
        let mut v = Vec::new();
        for _ in 0..4 {
            v.push(limiter.acquire("login:ip:203.0.113.7", quota).await.unwrap().is_allowed());
        }
        v
    };
    assert_eq!(results, [true, true, false, false]);
}
