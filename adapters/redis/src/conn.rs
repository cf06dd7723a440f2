use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use secrecy::{ExposeSecret, SecretString};

/// A Redis server: keys namespaced with `prefix` (e.g. `sp:prod:`) so several
/// environments or tests can share one server. The connection is made on first use and
/// re-made after failures, so a Redis that is down at start-up makes the adapters
/// unavailable (the service degrades), not the process fail. Every command is bounded by
/// `timeout`. Cloning shares the connection.
#[derive(Clone)]
pub struct Redis {
    client: redis::Client,
    conn: std::sync::Arc<tokio::sync::Mutex<Option<ConnectionManager>>>,
    prefix: String,
    timeout: Duration,
}

impl Redis {
    /// Checks `url` (`redis://[:password@]host:port[/db]`, or `rediss://` for TLS) without
    /// connecting. The error never contains the URL (it may carry a password).
    pub fn new(url: &SecretString, prefix: &str, timeout: Duration) -> anyhow::Result<Self> {
        let client = redis::Client::open(url.expose_secret())
            .map_err(|e| anyhow::anyhow!("not a valid Redis URL ({:?})", e.kind()))?;
        Ok(Self { client, conn: std::sync::Arc::default(), prefix: prefix.to_owned(), timeout })
    }

    pub(crate) async fn conn(&self) -> anyhow::Result<ConnectionManager> {
        let mut slot = self.conn.lock().await;
        if let Some(c) = slot.as_ref() {
            return Ok(c.clone());
        }
        let cfg = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout))
            .set_number_of_retries(1);
        let c = tokio::time::timeout(self.timeout * 2, ConnectionManager::new_with_config(self.client.clone(), cfg))
            .await
            .map_err(|_| anyhow::anyhow!("timed out connecting to Redis"))??;
        *slot = Some(c.clone());
        Ok(c)
    }

    pub(crate) fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }
}
