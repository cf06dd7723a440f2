//! Reads a streaming replica may serve (`DATABASE_READ_URL`): searches, listing pages,
//! `/cities` and `/stats`. Everything else, and every read of a client that wrote in
//! the last few seconds (read-your-writes), goes to the primary.
//!
//! Read-your-writes works across instances without shared state: a successful unsafe
//! request (POST, PUT, PATCH, DELETE) gets a short-lived cookie (`sp_fresh`,
//! `Max-Age=READ_YOUR_WRITES_SECONDS`, no personal data), and a request carrying it reads
//! from the primary, whichever instance it reaches.
//!
//! A replica that fails (an error, or no answer within `DATABASE_READ_TIMEOUT_MS`) is
//! skipped for [`RETRY_AFTER`]: the read is redone on the primary, so the client sees
//! nothing but a slower answer; then one request at a time tries it again. The outage
//! is logged once, and its end once. `/healthz` reports the `replica` component
//! ([`ReplicaHealth`]): `degraded` while reads skip it, and its check is also a probe, so
//! the replica is found back even when no read comes by.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use application::listings::{CitiesWithCounts, GetListing, SearchListings, SiteCounters};
use application::ports::HealthProbe;
use poem::http::{HeaderValue, Method};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};

use crate::error::{ApiError, ApiResult};
use crate::middleware::has_cookie;

/// The read use cases, on one database (the primary's or the replica's repositories).
#[derive(Clone)]
pub struct Reads {
    pub search: SearchListings,
    pub get_listing: GetListing,
    pub cities_with_counts: CitiesWithCounts,
    pub stats: SiteCounters,
}

/// How long a failed replica is skipped before one request tries it again.
pub const RETRY_AFTER: Duration = Duration::from_secs(5);

/// The replica's reads and what is known of its health.
pub struct Replica {
    reads: Reads,
    timeout: Duration,
    /// The read-your-writes cookie's name.
    cookie: &'static str,
    gate: Gate,
}

impl Replica {
    /// `reads` on the replica; a read taking longer than `timeout` is redone on the
    /// primary.
    pub fn new(reads: Reads, timeout: Duration, secure_cookies: bool) -> Self {
        metrics::counter!("replica_failures_total").increment(0);
        Self { reads, timeout, cookie: fresh_cookie_name(secure_cookies), gate: Gate::default() }
    }
}

/// The read-your-writes cookie: `__Host-` prefixed when `Secure`, like the session's.
pub fn fresh_cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-sp_fresh" } else { "sp_fresh" }
}

/// Marks a request whose answer fills the response cache (`response_cache`): it reads
/// from the primary, so what is cached under a public version is never older than the
/// change that made the version (a lagging replica could otherwise fill the new version
/// with the old state).
#[derive(Clone, Copy, Debug)]
pub struct FillsCache;

/// Runs `read` on the replica when there is one, it is not known to be down, the
/// client has not written lately and the answer is not for the response cache; else,
/// or when the replica fails, on the primary.
/// A 4xx from the replica is the answer (a listing the replica does not have yet is
/// 404 for anyone but its writer, who reads from the primary).
pub async fn read<T, F, Fut>(primary: &Reads, replica: Option<&Replica>, req: &Request, read: F) -> ApiResult<T>
where
    F: Fn(Reads) -> Fut,
    Fut: Future<Output = ApiResult<T>>,
{
    if let Some(r) = replica
        && req.extensions().get::<FillsCache>().is_none()
        && !has_cookie(req, r.cookie)
        && let Some(admitted) = r.gate.admit()
    {
        match tokio::time::timeout(r.timeout, read(r.reads.clone())).await {
            Ok(Ok(v)) => {
                admitted.succeeded();
                return Ok(v);
            }
            Ok(Err(e)) if !e.is_server_error() => {
                admitted.succeeded();
                return Err(e);
            }
            Ok(Err(_)) => admitted.failed("the replica's read failed"),
            Err(_) => admitted.failed("the replica did not answer in time"),
        }
    }
    read(primary.clone()).await
}

#[derive(Default)]
struct Gate {
    state: Mutex<GateState>,
}

#[derive(Default)]
struct GateState {
    /// Skipped until then (`None`: believed up).
    down_until: Option<Instant>,
    /// One request is trying the replica again.
    probing: bool,
}

/// Leave to use the replica for one read. The probe after a failure that is dropped
/// before it ends (the client went away, the request timed out) lets the next request
/// probe instead of leaving the replica skipped for good.
struct Admission<'a> {
    gate: &'a Gate,
    probe: bool,
    settled: bool,
}

impl Admission<'_> {
    fn succeeded(mut self) {
        self.settled = true;
        self.gate.succeeded(self.probe);
    }

    fn failed(mut self, why: &'static str) {
        self.settled = true;
        self.gate.failed(why);
    }
}

impl Drop for Admission<'_> {
    fn drop(&mut self) {
        if self.probe && !self.settled {
            self.gate.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner).probing = false;
        }
    }
}

impl Gate {
    fn admit(&self) -> Option<Admission<'_>> {
        let mut s = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let probe = match s.down_until {
            None => false,
            Some(until) if Instant::now() >= until && !s.probing => {
                s.probing = true;
                true
            }
            Some(_) => return None,
        };
        Some(Admission { gate: self, probe, settled: false })
    }

    /// Only the probe's success brings the replica back: a read admitted before a
    /// failure and finishing after it says nothing about now.
    fn succeeded(&self, probe: bool) {
        let mut s = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if !probe {
            return;
        }
        if s.down_until.take().is_some() {
            tracing::info!("the read replica answers again: public reads go to it");
        }
        s.probing = false;
    }

    fn failed(&self, why: &'static str) {
        metrics::counter!("replica_failures_total").increment(1);
        let mut s = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if s.down_until.is_none() {
            tracing::warn!(why, retry_in_s = RETRY_AFTER.as_secs(), "read replica failing: reads go to the primary");
        }
        s.down_until = Some(Instant::now() + RETRY_AFTER);
        s.probing = false;
    }
}

/// The replica in `/healthz`: down while reads skip it after a failure; else, and once
/// the wait is over, `ping` (a `SELECT 1`) decides, and its answer opens or closes the
/// gate like a read's would.
pub struct ReplicaHealth {
    pub replica: Arc<Replica>,
    pub ping: Arc<dyn HealthProbe>,
}

#[async_trait::async_trait]
impl HealthProbe for ReplicaHealth {
    fn name(&self) -> &'static str {
        "replica"
    }

    async fn check(&self) -> anyhow::Result<()> {
        let Some(admitted) = self.replica.gate.admit() else {
            anyhow::bail!("skipped after a failure (reads go to the primary); retried within {RETRY_AFTER:?}");
        };
        match tokio::time::timeout(self.replica.timeout, self.ping.check()).await {
            Ok(Ok(())) => {
                admitted.succeeded();
                Ok(())
            }
            Ok(Err(e)) => {
                admitted.failed("the replica's health check failed");
                Err(e)
            }
            Err(_) => {
                admitted.failed("the replica's health check timed out");
                anyhow::bail!("no answer within {:?}", self.replica.timeout)
            }
        }
    }
}

/// Gives a client that has just written the read-your-writes cookie, so that its reads
/// go to the primary for `ttl`. `None` (no replica): nothing to do.
pub struct ReadYourWrites {
    pub ttl: Option<Duration>,
    pub secure: bool,
}

impl<E: Endpoint> Middleware<E> for ReadYourWrites {
    type Output = ReadYourWritesEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        let name = fresh_cookie_name(self.secure);
        let secure = if self.secure { "; Secure" } else { "" };
        let cookie = self.ttl.filter(|t| !t.is_zero()).map(|ttl| {
            let c = format!("{name}=1; Max-Age={}; Path=/; HttpOnly; SameSite=Lax{secure}", ttl.as_secs());
            HeaderValue::from_str(&c).expect("ASCII cookie")
        });
        ReadYourWritesEndpoint { inner: ep, cookie }
    }
}

pub struct ReadYourWritesEndpoint<E> {
    inner: E,
    cookie: Option<HeaderValue>,
}

impl<E: Endpoint> Endpoint for ReadYourWritesEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        let writes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
        let mut resp = self.inner.call(req).await?.into_response();
        if let Some(cookie) = &self.cookie
            && writes
            && resp.status().is_success()
        {
            resp.headers_mut().append(poem::http::header::SET_COOKIE, cookie.clone());
        }
        Ok(resp)
    }
}

impl ApiError {
    /// 5xx: the server's fault, worth redoing elsewhere.
    pub(crate) fn is_server_error(&self) -> bool {
        matches!(self, Self::Internal(_) | Self::Unavailable(..))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_replica_is_skipped_then_probed_by_one_request_at_a_time() {
        let g = Gate::default();
        let (a, b) = (g.admit(), g.admit());
        assert!(a.is_some() && b.is_some(), "up: every read may use it");
        g.failed("test");
        assert!(g.admit().is_none(), "skipped while down");
        a.unwrap().succeeded();
        assert!(g.admit().is_none(), "a read admitted before the failure does not bring it back");
        // Pretend the wait is over.
        g.state.lock().unwrap().down_until = Some(Instant::now());
        let probe = g.admit().expect("one probe");
        assert!(g.admit().is_none(), "only one");
        drop(probe);
        let probe = g.admit().expect("a probe dropped unfinished lets the next request probe");
        probe.succeeded();
        assert!(g.admit().is_some() && g.admit().is_some(), "up again");
        drop(b);
    }

    #[test]
    fn the_fresh_cookie_is_found_among_others() {
        let req = Request::builder().header("cookie", "a=b; sp_fresh=1").finish();
        assert!(has_cookie(&req, "sp_fresh"));
        let req = Request::builder().header("cookie", "sp_freshness=1").finish();
        assert!(!has_cookie(&req, "sp_fresh"));
    }
}
