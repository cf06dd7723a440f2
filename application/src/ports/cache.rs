use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;

/// Errors of the `Cache` port. A cache is never the source of truth: callers treat
/// every error as a miss (and log it), so the site keeps working without its cache.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("cache unavailable")]
    Unavailable(#[source] anyhow::Error),
}

/// A key/value cache with per-entry time to live (in-process or Redis).
#[cfg_attr(any(test, feature = "testing"), mockall::automock)]
#[async_trait]
pub trait Cache: Send + Sync + 'static {
    /// The value stored under `key` if present and not expired.
    async fn get(&self, key: &str) -> Result<Option<Bytes>, CacheError>;

    /// Stores `value` under `key` for `ttl` (replacing any previous value).
    async fn set(&self, key: &str, value: Bytes, ttl: Duration) -> Result<(), CacheError>;

    /// Stores `value` under `key` for `ttl` only if the key holds nothing; returns
    /// whether it stored. Atomic: of callers racing on one missing key, exactly one stores.
    async fn set_if_absent(&self, key: &str, value: Bytes, ttl: Duration) -> Result<bool, CacheError>;

    /// Removes `key`; removing a missing key is not an error.
    async fn delete(&self, key: &str) -> Result<(), CacheError>;

    /// A round trip to the cache (readiness).
    async fn ping(&self) -> Result<(), CacheError>;
}
