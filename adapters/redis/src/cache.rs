use std::time::Duration;

use application::ports::{Cache, CacheError};
use async_trait::async_trait;
use bytes::Bytes;
use redis::AsyncCommands;
use secrecy::SecretString;

use crate::Redis;

/// The `Cache` port on Redis (`GET`, `SET PX`, `SET PX NX`, `DEL`).
#[derive(Clone)]
pub struct RedisCache {
    redis: Redis,
}

fn unavailable(e: impl Into<anyhow::Error>) -> CacheError {
    CacheError::Unavailable(e.into())
}

impl RedisCache {
    /// See [`Redis::new`].
    pub fn new(url: &SecretString, prefix: &str, timeout: Duration) -> anyhow::Result<Self> {
        Ok(Self::on(Redis::new(url, prefix, timeout)?))
    }

    /// A cache on an existing connection.
    pub fn on(redis: Redis) -> Self {
        Self { redis }
    }
}

#[async_trait]
impl Cache for RedisCache {
    #[tracing::instrument(name = "redis.cache.get", skip_all)]
    async fn get(&self, key: &str) -> Result<Option<Bytes>, CacheError> {
        let key = self.redis.key(key);
        let v: Option<Vec<u8>> = match self.redis.run(|mut c| async move { c.get(key).await }).await {
            Ok(v) => v,
            Err(e) => {
                metrics::counter!("cache_gets_total", "backend" => "redis", "result" => "error").increment(1);
                return Err(unavailable(e));
            }
        };
        let result = if v.is_some() { "hit" } else { "miss" };
        metrics::counter!("cache_gets_total", "backend" => "redis", "result" => result).increment(1);
        Ok(v.map(Bytes::from))
    }

    #[tracing::instrument(name = "redis.cache.set", skip_all)]
    async fn set(&self, key: &str, value: Bytes, ttl: Duration) -> Result<(), CacheError> {
        let key = self.redis.key(key);
        let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        self.redis.run(|mut c| async move { c.pset_ex(key, value.as_ref(), ms).await }).await.map_err(unavailable)
    }

    #[tracing::instrument(name = "redis.cache.set_if_absent", skip_all)]
    async fn set_if_absent(&self, key: &str, value: Bytes, ttl: Duration) -> Result<bool, CacheError> {
        let key = self.redis.key(key);
        let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let stored: Option<String> = self
            .redis
            .run(|mut c| async move {
                redis::cmd("SET").arg(key).arg(value.as_ref()).arg("PX").arg(ms).arg("NX").query_async(&mut c).await
            })
            .await
            .map_err(unavailable)?;
        Ok(stored.is_some())
    }

    #[tracing::instrument(name = "redis.cache.delete", skip_all)]
    async fn delete(&self, key: &str) -> Result<(), CacheError> {
        let key = self.redis.key(key);
        self.redis.run(|mut c| async move { c.del(key).await }).await.map_err(unavailable)
    }

    #[tracing::instrument(name = "redis.cache.ping", skip_all)]
    async fn ping(&self) -> Result<(), CacheError> {
        self.redis.ping().await.map_err(unavailable)
    }
}
