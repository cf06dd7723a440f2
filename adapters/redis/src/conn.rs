use std::sync::Mutex;
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use secrecy::{ExposeSecret, SecretString};

/// After a failure, how long Redis is treated as down before one request tries it again.
pub const BACKOFF: Duration = Duration::from_secs(1);
/// How often an outage is logged (with the number of calls refused since).
const LOG_EVERY: Duration = Duration::from_secs(60);

/// A Redis server: keys namespaced with `prefix` (e.g. `sp:prod:`) so several
/// environments or tests can share one server. The connection is made on first use and
/// re-made after failures, so a Redis that is down at start-up makes the adapters
/// unavailable (the service degrades), not the process fail. Cloning shares the
/// connection and the breaker.
///
/// Every call is bounded by `timeout`, connecting included. A circuit breaker keeps a
/// Redis that is down or hangs from costing every request that timeout: after a failure,
/// calls fail at once for [`BACKOFF`]; then one call (the probe) tries again while the
/// others still fail at once; its success closes the breaker. Outages are logged once
/// per minute, not per call.
#[derive(Clone)]
pub struct Redis {
    client: redis::Client,
    conn: std::sync::Arc<tokio::sync::Mutex<Option<ConnectionManager>>>,
    breaker: std::sync::Arc<Mutex<Breaker>>,
    prefix: String,
    timeout: Duration,
}

#[derive(Default)]
struct Breaker {
    /// Down until then (`None`: closed, calls go through).
    open_until: Option<Instant>,
    /// A probe is in flight.
    probing: bool,
    refused: u64,
    logged: Option<Instant>,
}

impl Redis {
    /// Checks `url` (`redis://[:password@]host:port[/db]`, or `rediss://` for TLS) without
    /// connecting. The error never contains the URL (it may carry a password).
    pub fn new(url: &SecretString, prefix: &str, timeout: Duration) -> anyhow::Result<Self> {
        let client = redis::Client::open(url.expose_secret())
            .map_err(|e| anyhow::anyhow!("not a valid Redis URL ({:?})", e.kind()))?;
        // At 0 from the start: an alert on their rate sees the first failure.
        metrics::counter!("redis_errors_total").increment(0);
        metrics::counter!("redis_calls_skipped_total").increment(0);
        Ok(Self {
            client,
            conn: std::sync::Arc::default(),
            breaker: std::sync::Arc::default(),
            prefix: prefix.to_owned(),
            timeout,
        })
    }

    fn breaker(&self) -> std::sync::MutexGuard<'_, Breaker> {
        self.breaker.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether a call may go to Redis now (closed, or the one probe after the backoff).
    fn admit(&self) -> anyhow::Result<()> {
        let mut b = self.breaker();
        match b.open_until {
            None => Ok(()),
            Some(until) if Instant::now() >= until && !b.probing => {
                b.probing = true;
                Ok(())
            }
            Some(_) => {
                b.refused += 1;
                metrics::counter!("redis_calls_skipped_total").increment(1);
                Err(anyhow::anyhow!("Redis is marked down after a failure; retrying it shortly"))
            }
        }
    }

    fn succeeded(&self) {
        let mut b = self.breaker();
        if b.open_until.is_some() {
            tracing::info!(refused = b.refused, "Redis answers again");
        }
        *b = Breaker::default();
    }

    fn failed(&self, e: &anyhow::Error) {
        metrics::counter!("redis_errors_total").increment(1);
        let mut b = self.breaker();
        b.open_until = Some(Instant::now() + BACKOFF);
        b.probing = false;
        if b.logged.is_none_or(|at| at.elapsed() >= LOG_EVERY) {
            tracing::warn!(error = %e, refused = b.refused, "Redis unavailable; the service carries on without it");
            b.logged = Some(Instant::now());
            b.refused = 0;
        }
    }

    async fn conn(&self) -> anyhow::Result<ConnectionManager> {
        let mut slot = self.conn.lock().await;
        if let Some(c) = slot.as_ref() {
            return Ok(c.clone());
        }
        let cfg = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout))
            .set_number_of_retries(1);
        let c = ConnectionManager::new_with_config(self.client.clone(), cfg).await?;
        *slot = Some(c.clone());
        Ok(c)
    }

    /// Runs one command (or script) on the connection, within the timeout and the breaker.
    pub(crate) async fn run<T, F, Fut>(&self, command: F) -> anyhow::Result<T>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        self.admit()?;
        let attempt = async {
            let c = self.conn().await?;
            Ok::<T, anyhow::Error>(command(c).await?)
        };
        let result = match tokio::time::timeout(self.timeout, attempt).await {
            Ok(r) => r,
            Err(_) => Err(anyhow::anyhow!("Redis did not answer within {:?}", self.timeout)),
        };
        match result {
            Ok(v) => {
                self.succeeded();
                Ok(v)
            }
            Err(e) => {
                // A hung connection may never recover: the next probe makes a new one.
                if let Ok(mut slot) = self.conn.try_lock() {
                    *slot = None;
                }
                self.failed(&e);
                Err(e)
            }
        }
    }

    /// One `PING` round trip (readiness), within the timeout and the breaker.
    pub(crate) async fn ping(&self) -> anyhow::Result<()> {
        let _: String = self.run(|mut c| async move { redis::cmd("PING").query_async(&mut c).await }).await?;
        Ok(())
    }

    pub(crate) fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }
}
