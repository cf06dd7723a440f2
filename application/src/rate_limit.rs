//! Rate limits: which limits the service enforces and their quotas ([`Limits`]), the
//! check callers make ([`Throttle`]: 429 material on refusal), and a shared limiter with
//! a fallback of this instance's own ([`WithFallback`]): when the shared store
//! (Redis) is unavailable, requests are counted in-process instead, so limits hold per
//! instance rather than not at all. The outage is logged once per [`WARN_EVERY`], not
//! per request, and the shared store is used again as soon as it answers.

use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::ports::{Quota, RateDecision, RateLimitError, RateLimiter};

/// How often an outage of the shared limiter is logged.
pub const WARN_EVERY: Duration = Duration::from_secs(60);

pub struct WithFallback {
    shared: Arc<dyn RateLimiter>,
    local: Arc<dyn RateLimiter>,
    /// When the outage was last logged, and how many requests fell back since.
    warned: Mutex<(Option<Instant>, u64)>,
}

impl WithFallback {
    pub fn new(shared: Arc<dyn RateLimiter>, local: Arc<dyn RateLimiter>) -> Self {
        Self { shared, local, warned: Mutex::new((None, 0)) }
    }

    fn note_outage(&self, e: &RateLimitError) {
        let mut w = self.warned.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        w.1 += 1;
        if w.0.is_none_or(|at| at.elapsed() >= WARN_EVERY) {
            tracing::warn!(error = %e, fell_back = w.1, "shared rate limiter unavailable; counting in this instance");
            *w = (Some(Instant::now()), 0);
        }
    }
}

#[async_trait]
impl RateLimiter for WithFallback {
    async fn acquire(&self, key: &str, quota: Quota) -> Result<RateDecision, RateLimitError> {
        match self.shared.acquire(key, quota).await {
            Ok(d) => Ok(d),
            Err(e) => {
                self.note_outage(&e);
                self.local.acquire(key, quota).await
            }
        }
    }
}

/// The limits the service enforces. The name goes into the counter's key and the
/// `RateLimit-Policy` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Limit {
    /// Every request from one IP address.
    Global,
    /// Sign-in attempts from one IP address.
    LoginIp,
    /// Sign-in attempts for one account (e-mail), from anywhere.
    LoginAccount,
    /// Registrations from one IP address.
    RegisterIp,
    /// Enquiries one user sends.
    EnquiryUser,
    /// Enquiries one listing receives.
    EnquiryListing,
    /// Photos one user uploads.
    UploadUser,
}

impl Limit {
    pub const ALL: [Limit; 7] = [
        Limit::Global,
        Limit::LoginIp,
        Limit::LoginAccount,
        Limit::RegisterIp,
        Limit::EnquiryUser,
        Limit::EnquiryListing,
        Limit::UploadUser,
    ];

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            Limit::Global => "global",
            Limit::LoginIp => "login-ip",
            Limit::LoginAccount => "login-account",
            Limit::RegisterIp => "register-ip",
            Limit::EnquiryUser => "enquiry-user",
            Limit::EnquiryListing => "enquiry-listing",
            Limit::UploadUser => "upload-user",
        }
    }

    /// The default quota: generous for people, tight for scripts.
    pub fn default_quota(self) -> Quota {
        let (n, secs) = match self {
            Limit::Global => (600, 60),
            Limit::LoginIp => (30, 15 * 60),
            Limit::LoginAccount => (10, 15 * 60),
            Limit::RegisterIp => (10, 3600),
            Limit::EnquiryUser => (20, 3600),
            Limit::EnquiryListing => (50, 3600),
            Limit::UploadUser => (120, 3600),
        };
        Quota::new(n, Duration::from_secs(secs)).expect("the defaults are valid quotas")
    }
}

/// The quota of every limit (defaults, or as configured).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits(std::collections::HashMap<Limit, Quota>);

impl Default for Limits {
    fn default() -> Self {
        Self(Limit::ALL.iter().map(|l| (*l, l.default_quota())).collect())
    }
}

impl Limits {
    #[must_use]
    pub fn with(mut self, limit: Limit, quota: Quota) -> Self {
        self.0.insert(limit, quota);
        self
    }

    pub fn quota(&self, limit: Limit) -> Quota {
        self.0.get(&limit).copied().unwrap_or_else(|| limit.default_quota())
    }

    /// The defaults with overrides `name=count/seconds`, comma-separated
    /// (`login-ip=20/600, global=1200/60`). The error names the part that is wrong.
    pub fn parse(overrides: &str) -> Result<Self, String> {
        let mut limits = Self::default();
        for part in overrides.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let names = || Limit::ALL.map(Limit::name).join(", ");
            let (name, rate) = part.split_once('=').ok_or_else(|| format!("{part:?}: expected name=count/seconds"))?;
            let limit =
                Limit::from_name(name.trim()).ok_or_else(|| format!("{name:?} is not a limit (known: {})", names()))?;
            let quota = rate
                .split_once('/')
                .and_then(|(n, secs)| Some((n.trim().parse::<u32>().ok()?, secs.trim().parse::<u64>().ok()?)))
                .and_then(|(n, secs)| Quota::new(n, Duration::from_secs(secs)))
                .ok_or_else(|| format!("{part:?}: expected count/seconds, both at least 1"))?;
            limits = limits.with(limit, quota);
        }
        Ok(limits)
    }
}

impl std::fmt::Display for Limits {
    /// `global=600/60, login-ip=30/900, ...` (the `RATE_LIMITS` syntax).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = Limit::ALL
            .iter()
            .map(|l| {
                let q = self.quota(*l);
                format!("{}={}/{}", l.name(), q.burst(), q.period().as_secs())
            })
            .collect();
        f.write_str(&parts.join(", "))
    }
}

/// A request over a limit: answer 429 with `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("over the {} limit; retry in {retry_after:?}", limit.name())]
pub struct Throttled {
    pub limit: Limit,
    pub quota: Quota,
    pub retry_after: Duration,
    pub reset: Duration,
}

/// Where a request stands against one limit after it was counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowance {
    pub limit: Limit,
    pub quota: Quota,
    pub remaining: u32,
    pub reset: Duration,
}

/// Counts requests against the configured limits. Subjects (IP addresses, e-mails, ids)
/// are keyed with HMAC-SHA256 under the service's secret before they reach the limiter,
/// so Redis holds no personal data and every instance derives the same key.
#[derive(Clone)]
pub struct Throttle {
    limiter: Arc<dyn RateLimiter>,
    limits: Limits,
    secret: Arc<[u8]>,
}

impl Throttle {
    /// Registers `rate_limit_checks_total{limit,result}` at 0 for every limit.
    pub fn new(limiter: Arc<dyn RateLimiter>, limits: Limits, secret: &[u8]) -> Self {
        for limit in Limit::ALL {
            for result in ["allowed", "limited", "error"] {
                metrics::counter!("rate_limit_checks_total", "limit" => limit.name(), "result" => result).increment(0);
            }
        }
        Self { limiter, limits, secret: secret.into() }
    }

    fn key(&self, limit: Limit, subject: &str) -> String {
        use base64::Engine as _;
        use hmac::Mac as _;
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.secret).expect("HMAC takes keys of any length");
        mac.update(limit.name().as_bytes());
        mac.update(b"\0");
        mac.update(subject.as_bytes());
        let digest = mac.finalize().into_bytes();
        let id = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..16]);
        format!("{}:{id}", limit.name())
    }

    /// Counts one request of `subject` against `limit`. A limiter that fails (both the
    /// shared one and its fallback) lets the request through and logs: limits protect
    /// the service, they are not a reason to refuse everyone.
    ///
    /// Each check counts in `rate_limit_checks_total{limit,result}` (`allowed`,
    /// `limited`, `error`: let through because the limiter failed).
    pub async fn check(&self, limit: Limit, subject: &str) -> Result<Allowance, Throttled> {
        let quota = self.limits.quota(limit);
        let (r, result) = match self.limiter.acquire(&self.key(limit, subject), quota).await {
            Ok(RateDecision::Allowed { remaining, reset }) => {
                (Ok(Allowance { limit, quota, remaining, reset }), "allowed")
            }
            Ok(RateDecision::Limited { retry_after, reset }) => {
                (Err(Throttled { limit, quota, retry_after, reset }), "limited")
            }
            Err(e) => {
                tracing::warn!(error = %e, limit = limit.name(), "rate limiter failed; request let through");
                (Ok(Allowance { limit, quota, remaining: quota.burst(), reset: Duration::ZERO }), "error")
            }
        };
        metrics::counter!("rate_limit_checks_total", "limit" => limit.name(), "result" => result).increment(1);
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::rate_limit::MockRateLimiter;

    #[test]
    fn subjects_reach_the_limiter_keyed_not_in_clear() {
        let mut limiter = MockRateLimiter::new();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        limiter.expect_acquire().returning(move |key, quota| {
            s.lock().unwrap().push((key.to_owned(), quota));
            Ok(RateDecision::Limited { retry_after: Duration::from_secs(7), reset: Duration::from_secs(9) })
        });
        let quota = Quota::new(3, Duration::from_secs(60)).unwrap();
        let throttle = Throttle::new(Arc::new(limiter), Limits::default().with(Limit::LoginAccount, quota), b"secret");
        let err = futures::executor::block_on(throttle.check(Limit::LoginAccount, "amy@example.com")).unwrap_err();
        assert_eq!((err.limit, err.quota, err.retry_after), (Limit::LoginAccount, quota, Duration::from_secs(7)));
        futures::executor::block_on(throttle.check(Limit::LoginIp, "203.0.113.7")).unwrap_err();
        let seen = seen.lock().unwrap();
        assert!(seen[0].0.starts_with("login-account:") && !seen[0].0.contains("amy"), "{:?}", seen[0]);
        assert!(!seen[1].0.contains("203.0.113.7"));
        assert_eq!(seen[1].1, Limit::LoginIp.default_quota());
        let other = Throttle::new(Arc::new(MockRateLimiter::new()), Limits::default(), b"secret");
        assert_eq!(other.key(Limit::LoginAccount, "amy@example.com"), seen[0].0, "every instance derives the same key");
    }

    #[test]
    fn overrides_are_parsed_and_mistakes_named() {
        let l = Limits::parse(" login-ip=20/600, global=1200/60 ").unwrap();
        assert_eq!(l.quota(Limit::LoginIp), Quota::new(20, Duration::from_secs(600)).unwrap());
        assert_eq!(l.quota(Limit::Global), Quota::new(1200, Duration::from_secs(60)).unwrap());
        assert_eq!(l.quota(Limit::RegisterIp), Limit::RegisterIp.default_quota());
        assert_eq!(Limits::parse("").unwrap(), Limits::default());
        assert!(Limits::parse("logins=1/60").unwrap_err().contains("login-ip"), "lists the known names");
        assert!(Limits::parse("global=0/60").is_err());
        assert!(Limits::parse("global=10").is_err());
        for l in Limit::ALL {
            assert_eq!(Limit::from_name(l.name()), Some(l));
        }
    }

    #[test]
    fn a_failing_limiter_lets_requests_through() {
        let mut limiter = MockRateLimiter::new();
        limiter.expect_acquire().returning(|_, _| Err(RateLimitError::Unavailable(anyhow::anyhow!("down"))));
        let throttle = Throttle::new(Arc::new(limiter), Limits::default(), b"k");
        assert!(futures::executor::block_on(throttle.check(Limit::Global, "203.0.113.7")).is_ok());
    }

    fn quota() -> Quota {
        Quota::new(2, Duration::from_secs(60)).unwrap()
    }

    #[test]
    fn the_shared_answer_wins_and_the_local_one_stands_in_when_it_fails() {
        let mut shared = MockRateLimiter::new();
        let mut calls = 0;
        shared.expect_acquire().times(3).returning(move |_, _| {
            calls += 1;
            if calls == 2 {
                Err(RateLimitError::Unavailable(anyhow::anyhow!("redis down")))
            } else {
                Ok(RateDecision::Limited { retry_after: Duration::from_secs(5), reset: Duration::from_secs(5) })
            }
        });
        let mut local = MockRateLimiter::new();
        local
            .expect_acquire()
            .times(1)
            .returning(|_, _| Ok(RateDecision::Allowed { remaining: 1, reset: Duration::from_secs(30) }));
        let limiter = WithFallback::new(Arc::new(shared), Arc::new(local));
        let acquire = || futures::executor::block_on(limiter.acquire("k", quota())).unwrap().is_allowed();
        assert!(!acquire(), "shared");
        assert!(acquire(), "local while shared is down");
        assert!(!acquire(), "shared again once it answers");
    }
}
