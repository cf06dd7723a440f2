use std::time::Duration;

use async_trait::async_trait;

/// A rate limit: `burst` requests at once, and `burst` per `period` sustained (GCRA: one
/// more request is allowed every `period / burst`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Quota {
    burst: u32,
    period: Duration,
}

impl Quota {
    /// `None` when `burst` is zero or `period` shorter than `burst` milliseconds (the
    /// adapters count in milliseconds).
    pub fn new(burst: u32, period: Duration) -> Option<Self> {
        (burst >= 1 && period.as_millis() >= u128::from(burst)).then_some(Self { burst, period })
    }

    pub fn burst(self) -> u32 {
        self.burst
    }

    pub fn period(self) -> Duration {
        self.period
    }

    /// The time one request's allowance takes to come back.
    pub fn interval(self) -> Duration {
        self.period / self.burst
    }
}

/// The answer for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateDecision {
    /// Counted. `remaining` more requests would be allowed right now; `reset` is when
    /// the allowance is whole again.
    Allowed { remaining: u32, reset: Duration },
    /// Not counted: over the limit until `retry_after` has passed.
    Limited { retry_after: Duration, reset: Duration },
}

impl RateDecision {
    pub fn is_allowed(self) -> bool {
        matches!(self, Self::Allowed { .. })
    }
}

/// Errors of the `RateLimiter` port.
#[derive(Debug, thiserror::Error)]
pub enum RateLimitError {
    /// The shared store could not be reached in time. Callers fall back to a limiter of
    /// their own instance (`application::rate_limit::WithFallback`), never to no limit.
    #[error("rate limiter unavailable")]
    Unavailable(#[source] anyhow::Error),
}

/// Counts requests per key against a quota (in-process, or Redis shared by every
/// instance).
///
/// Contract (`tests/src/contract/rate_limit.rs`, on every adapter):
/// - A fresh key allows `burst` requests at once, `remaining` counting down to 0; the
///   next is `Limited` with `0 < retry_after <= quota.interval()`. A limited request is
///   not counted.
/// - Once `retry_after` has passed, one more request is allowed.
/// - Keys are independent. A key is always used with the same quota (callers put the
///   limit's name in the key: `login:ip:203.0.113.7`).
/// - Atomic: of N concurrent requests on a fresh key, exactly `min(N, burst)` are allowed.
#[cfg_attr(any(test, feature = "testing"), mockall::automock)]
#[async_trait]
pub trait RateLimiter: Send + Sync + 'static {
    async fn acquire(&self, key: &str, quota: Quota) -> Result<RateDecision, RateLimitError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quota_needs_a_request_and_a_millisecond_per_request() {
        assert!(Quota::new(0, Duration::from_secs(60)).is_none());
        assert!(Quota::new(10, Duration::from_millis(9)).is_none());
        let q = Quota::new(5, Duration::from_secs(60)).unwrap();
        assert_eq!(q.interval(), Duration::from_secs(12));
    }
}
