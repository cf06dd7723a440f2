//! The in-process cache (moka): the `Cache` port when `REDIS_URL` is unset, and the
//! service's fallback shape for one instance. Bounded by total bytes, per-entry TTL.

use std::time::{Duration, Instant};

use application::ports::{Cache, CacheError};
use async_trait::async_trait;
use bytes::Bytes;
use moka::Expiry;
use moka::future::Cache as Moka;

#[derive(Clone)]
struct Entry {
    value: Bytes,
    ttl: Duration,
}

struct PerEntryTtl;

impl Expiry<String, Entry> for PerEntryTtl {
    fn expire_after_create(&self, _: &String, v: &Entry, _: Instant) -> Option<Duration> {
        Some(v.ttl)
    }
    fn expire_after_update(&self, _: &String, v: &Entry, _: Instant, _: Option<Duration>) -> Option<Duration> {
        Some(v.ttl)
    }
}

/// The in-process cache (moka): bounded by total bytes, per-entry TTL. Each instance
/// of the service has its own; fine for short-TTL hot reads.
#[derive(Clone)]
pub struct InProcessCache {
    inner: Moka<String, Entry>,
}

impl InProcessCache {
    /// A cache holding at most `max_bytes` of values (keys included, roughly).
    pub fn new(max_bytes: u64) -> Self {
        let inner = Moka::builder()
            .max_capacity(max_bytes)
            .weigher(|k: &String, v: &Entry| u32::try_from(k.len() + v.value.len()).unwrap_or(u32::MAX))
            .expire_after(PerEntryTtl)
            .build();
        Self { inner }
    }
}

impl Default for InProcessCache {
    fn default() -> Self {
        Self::new(64 * 1024 * 1024)
    }
}

#[async_trait]
impl Cache for InProcessCache {
    async fn get(&self, key: &str) -> Result<Option<Bytes>, CacheError> {
        let v = self.inner.get(key).await.map(|e| e.value);
        let result = if v.is_some() { "hit" } else { "miss" };
        metrics::counter!("cache_gets_total", "backend" => "memory", "result" => result).increment(1);
        Ok(v)
    }

    async fn set(&self, key: &str, value: Bytes, ttl: Duration) -> Result<(), CacheError> {
        self.inner.insert(key.to_owned(), Entry { value, ttl }).await;
        Ok(())
    }

    async fn set_if_absent(&self, key: &str, value: Bytes, ttl: Duration) -> Result<bool, CacheError> {
        let entry = self.inner.entry(key.to_owned()).or_insert_with(async { Entry { value, ttl } }).await;
        Ok(entry.is_fresh())
    }

    async fn delete(&self, key: &str) -> Result<(), CacheError> {
        self.inner.invalidate(key).await;
        Ok(())
    }

    async fn ping(&self) -> Result<(), CacheError> {
        Ok(())
    }
}
