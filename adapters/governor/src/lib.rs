//! The in-process rate limiter (governor, GCRA): the `RateLimiter` port for one
//! instance. Without Redis it is the limiter; with Redis it stands in while Redis is
//! unavailable (`application::rate_limit::WithFallback`). Its memory is bounded by the
//! keys seen within their quota's period: every [`SWEEP_EVERY`] requests, keys whose
//! allowance is whole again are dropped.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use application::ports::{Quota, RateDecision, RateLimitError, RateLimiter};
use async_trait::async_trait;
use governor::clock::{Clock as _, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;

/// Requests between sweeps of keys whose allowance has come back whole.
pub const SWEEP_EVERY: u64 = 4096;

type Keyed = governor::RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock, StateInformationMiddleware>;

/// One keyed governor limiter per quota (the service has a handful of quotas).
#[derive(Default)]
pub struct InProcessRateLimiter {
    /// Read on every request, written once per quota.
    limiters: RwLock<HashMap<Quota, Arc<Keyed>>>,
    clock: DefaultClock,
    requests: AtomicU64,
}

impl InProcessRateLimiter {
    fn limiter(&self, quota: Quota) -> Arc<Keyed> {
        if let Some(l) = self.limiters.read().unwrap_or_else(|poisoned| poisoned.into_inner()).get(&quota) {
            return l.clone();
        }
        let mut all = self.limiters.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        all.entry(quota)
            .or_insert_with(|| {
                let burst = NonZeroU32::new(quota.burst()).unwrap_or(NonZeroU32::MIN);
                let per = governor::Quota::with_period(quota.interval().max(Duration::from_millis(1)))
                    .unwrap_or_else(|| governor::Quota::per_second(NonZeroU32::MIN))
                    .allow_burst(burst);
                Arc::new(governor::RateLimiter::keyed(per).with_middleware::<StateInformationMiddleware>())
            })
            .clone()
    }

    fn sweep(&self) {
        let all: Vec<Arc<Keyed>> =
            self.limiters.read().unwrap_or_else(|poisoned| poisoned.into_inner()).values().cloned().collect();
        for l in all {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }

    /// Keys currently held (all quotas).
    pub fn keys(&self) -> usize {
        self.limiters.read().unwrap_or_else(|poisoned| poisoned.into_inner()).values().map(|l| l.len()).sum()
    }
}

#[async_trait]
impl RateLimiter for InProcessRateLimiter {
    async fn acquire(&self, key: &str, quota: Quota) -> Result<RateDecision, RateLimitError> {
        if self.requests.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.sweep();
        }
        let limiter = self.limiter(quota);
        let key = key.to_owned();
        let interval = quota.interval();
        Ok(match limiter.check_key(&key) {
            Ok(state) => {
                let remaining = state.remaining_burst_capacity();
                RateDecision::Allowed { remaining, reset: interval * (quota.burst() - remaining) }
            }
            Err(not_until) => {
                let retry_after = not_until.wait_time_from(self.clock.now()).max(Duration::from_millis(1));
                RateDecision::Limited { retry_after, reset: retry_after + interval * (quota.burst() - 1) }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_keys_are_swept() {
        let limiter = InProcessRateLimiter::default();
        let quota = Quota::new(1, Duration::from_millis(1)).unwrap();
        for i in 0..100 {
            let d = futures::executor::block_on(limiter.acquire(&format!("ip:{i}"), quota));
            assert!(d.unwrap().is_allowed());
        }
        assert_eq!(limiter.keys(), 100);
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        loop {
            limiter.sweep();
            if limiter.keys() == 0 {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "keys idle for 5 s were not dropped");
            std::thread::yield_now();
        }
    }
}
