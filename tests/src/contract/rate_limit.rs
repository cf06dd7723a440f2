//! The `RateLimiter` contract (see the port's doc comment). Keys are unique per run so a
//! shared Redis is safe.

use std::sync::Arc;
use std::time::{Duration, Instant};

use application::ports::{Quota, RateDecision, RateLimiter};

pub async fn run(limiter: Arc<dyn RateLimiter>) {
    let ns = uuid::Uuid::new_v4().simple().to_string();
    let k = |s: &str| format!("{ns}:{s}");
    let quota = Quota::new(3, Duration::from_secs(60)).unwrap();

    // A fresh key: the burst, counting down, then limited for about one interval.
    for expected in [2, 1, 0] {
        match limiter.acquire(&k("a"), quota).await.unwrap() {
            RateDecision::Allowed { remaining, reset } => {
                assert_eq!(remaining, expected);
                assert!(reset > Duration::ZERO && reset <= quota.period(), "{reset:?}");
            }
            d @ RateDecision::Limited { .. } => panic!("within the burst: {d:?}"),
        }
    }
    for _ in 0..3 {
        match limiter.acquire(&k("a"), quota).await.unwrap() {
            RateDecision::Limited { retry_after, reset } => {
                assert!(retry_after > Duration::ZERO && retry_after <= quota.interval(), "{retry_after:?}");
                assert!(reset >= retry_after && reset <= quota.period(), "{reset:?}");
            }
            d @ RateDecision::Allowed { .. } => panic!("over the burst: {d:?}"),
        }
    }
    // Keys are independent.
    assert!(limiter.acquire(&k("b"), quota).await.unwrap().is_allowed());

    // The allowance comes back after retry_after (a quota of 1 per 200 ms).
    let fast = Quota::new(1, Duration::from_millis(200)).unwrap();
    assert!(limiter.acquire(&k("fast"), fast).await.unwrap().is_allowed());
    let limited_at = Instant::now();
    let RateDecision::Limited { retry_after, .. } = limiter.acquire(&k("fast"), fast).await.unwrap() else {
        panic!("the second request within 200 ms is limited");
    };
    tokio::time::sleep(retry_after).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while !limiter.acquire(&k("fast"), fast).await.unwrap().is_allowed() {
        assert!(Instant::now() < deadline, "still limited 5 s after retry_after");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(limited_at.elapsed() >= Duration::from_millis(150), "allowed again too early");

    // Atomic: 40 concurrent requests on a fresh key, a burst of 10.
    let burst = Quota::new(10, Duration::from_secs(60)).unwrap();
    let calls = (0..40).map(|_| {
        let (limiter, key) = (limiter.clone(), k("race"));
        tokio::spawn(async move { limiter.acquire(&key, burst).await.unwrap().is_allowed() })
    });
    let allowed = futures::future::join_all(calls).await.into_iter().filter(|r| *r.as_ref().unwrap()).count();
    assert_eq!(allowed, 10, "exactly the burst is allowed under concurrency");
}
