//! Redis adapters. Today: the `Cache` port (optional; the service runs without Redis and
//! reports it `degraded`). Rate limits and server-side sessions come with the Redis issue.

use std::time::Duration;

use application::ports::{Cache, CacheError};
use async_trait::async_trait;
use bytes::Bytes;
use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use secrecy::{ExposeSecret, SecretString};

/// A cache on Redis. Keys are namespaced with `prefix` (e.g. `sp:prod:`) so several
/// environments or tests can share one server. The connection is made lazily and
/// re-made after failures, so a Redis that is down at start-up makes the cache
/// unavailable (the service degrades), not the process fail. Every command is bounded
/// by `timeout`.
#[derive(Clone)]
pub struct RedisCache {
    client: redis::Client,
    conn: std::sync::Arc<tokio::sync::Mutex<Option<ConnectionManager>>>,
    prefix: String,
    timeout: Duration,
}

fn unavailable(e: impl Into<anyhow::Error>) -> CacheError {
    CacheError::Unavailable(e.into())
}

impl RedisCache {
    /// Checks `url` (`redis://[:password@]host:port[/db]`, or `rediss://` for TLS) without
    /// connecting. The error never contains the URL (it may carry a password).
    pub fn new(url: &SecretString, prefix: &str, timeout: Duration) -> anyhow::Result<Self> {
        let client = redis::Client::open(url.expose_secret())
            .map_err(|e| anyhow::anyhow!("not a valid Redis URL ({})", e.kind_str_safe()))?;
        Ok(Self { client, conn: std::sync::Arc::default(), prefix: prefix.to_owned(), timeout })
    }

    async fn conn(&self) -> Result<ConnectionManager, CacheError> {
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
            .map_err(|_| unavailable(anyhow::anyhow!("timed out connecting to Redis")))?
            .map_err(unavailable)?;
        *slot = Some(c.clone());
        Ok(c)
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }
}

/// Error kinds never include the URL (which may carry a password).
trait KindStr {
    fn kind_str_safe(&self) -> String;
}

impl KindStr for redis::RedisError {
    fn kind_str_safe(&self) -> String {
        format!("{:?}", self.kind())
    }
}

#[async_trait]
impl Cache for RedisCache {
    async fn get(&self, key: &str) -> Result<Option<Bytes>, CacheError> {
        let mut c = self.conn().await?;
        let v: Option<Vec<u8>> = c.get(self.key(key)).await.map_err(unavailable)?;
        Ok(v.map(Bytes::from))
    }

    async fn set(&self, key: &str, value: Bytes, ttl: Duration) -> Result<(), CacheError> {
        let mut c = self.conn().await?;
        let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let _: () = c.pset_ex(self.key(key), value.as_ref(), ms).await.map_err(unavailable)?;
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), CacheError> {
        let mut c = self.conn().await?;
        let _: () = c.del(self.key(key)).await.map_err(unavailable)?;
        Ok(())
    }

    async fn ping(&self) -> Result<(), CacheError> {
        let mut c = self.conn().await?;
        let _: String = redis::cmd("PING").query_async(&mut c).await.map_err(unavailable)?;
        Ok(())
    }
}
