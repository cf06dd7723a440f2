use std::time::Duration;

use application::ports::{Cache, CacheError};
use async_trait::async_trait;
use bytes::Bytes;
use redis::AsyncCommands;
use secrecy::SecretString;

use crate::Redis;

/// The `Cache` port on Redis (`GET`, `SET PX`, `DEL`).
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
    async fn get(&self, key: &str) -> Result<Option<Bytes>, CacheError> {
        let mut c = self.redis.conn().await.map_err(unavailable)?;
        let v: Option<Vec<u8>> = c.get(self.redis.key(key)).await.map_err(unavailable)?;
        Ok(v.map(Bytes::from))
    }

    async fn set(&self, key: &str, value: Bytes, ttl: Duration) -> Result<(), CacheError> {
        let mut c = self.redis.conn().await.map_err(unavailable)?;
        let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let _: () = c.pset_ex(self.redis.key(key), value.as_ref(), ms).await.map_err(unavailable)?;
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), CacheError> {
        let mut c = self.redis.conn().await.map_err(unavailable)?;
        let _: () = c.del(self.redis.key(key)).await.map_err(unavailable)?;
        Ok(())
    }

    async fn ping(&self) -> Result<(), CacheError> {
        let mut c = self.redis.conn().await.map_err(unavailable)?;
        let _: String = redis::cmd("PING").query_async(&mut c).await.map_err(unavailable)?;
        Ok(())
    }
}
