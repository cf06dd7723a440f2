//! A value kept in the `Cache` port for a short time and recomputed by one caller at a
//! time: when it expires under load, one request recomputes it while the others wait for
//! that result instead of all hitting the database at once.

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::ports::Cache;

/// One cached value under a fixed key. `ttl` zero turns caching off (always computed).
pub struct CachedValue<T> {
    cache: Arc<dyn Cache>,
    key: &'static str,
    ttl: Duration,
    /// Held while recomputing. `futures`' mutex is runtime-agnostic and async: waiters
    /// queue without blocking a thread.
    refresh: Arc<futures::lock::Mutex<()>>,
    _value: PhantomData<fn() -> T>,
}

impl<T> Clone for CachedValue<T> {
    fn clone(&self) -> Self {
        Self {
            cache: self.cache.clone(),
            key: self.key,
            ttl: self.ttl,
            refresh: self.refresh.clone(),
            _value: PhantomData,
        }
    }
}

impl<T: Serialize + DeserializeOwned> CachedValue<T> {
    pub fn new(cache: Arc<dyn Cache>, key: &'static str, ttl: Duration) -> Self {
        Self { cache, key, ttl, refresh: Arc::default(), _value: PhantomData }
    }

    async fn lookup(&self) -> Option<T> {
        match self.cache.get(self.key).await {
            Ok(Some(bytes)) => serde_json::from_slice(&bytes).ok(),
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(error = %e, key = self.key, "cache read failed; computing");
                None
            }
        }
    }

    /// The cached value, or `compute`'s result (stored for `ttl`). A failing cache is a
    /// miss: the value is computed and the site keeps working.
    pub async fn get_or_compute<E, F>(&self, compute: impl FnOnce() -> F) -> Result<T, E>
    where
        F: Future<Output = Result<T, E>>,
    {
        if self.ttl.is_zero() {
            return compute().await;
        }
        if let Some(v) = self.lookup().await {
            return Ok(v);
        }
        let _one_at_a_time = self.refresh.lock().await;
        // Whoever held the lock before us may have just stored it.
        if let Some(v) = self.lookup().await {
            return Ok(v);
        }
        let value = compute().await?;
        match serde_json::to_vec(&value) {
            Ok(bytes) => {
                if let Err(e) = self.cache.set(self.key, bytes.into(), self.ttl).await {
                    tracing::warn!(error = %e, key = self.key, "cache write failed");
                }
            }
            Err(e) => tracing::warn!(error = %e, key = self.key, "value not cacheable"),
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::ports::CacheError;
    use crate::ports::cache::MockCache;

    /// A cache in a map.
    #[derive(Default)]
    struct MapCache(std::sync::Mutex<std::collections::HashMap<String, bytes::Bytes>>);

    #[async_trait::async_trait]
    impl Cache for MapCache {
        async fn get(&self, key: &str) -> Result<Option<bytes::Bytes>, CacheError> {
            Ok(self.0.lock().unwrap().get(key).cloned())
        }
        async fn set(&self, key: &str, v: bytes::Bytes, _: Duration) -> Result<(), CacheError> {
            self.0.lock().unwrap().insert(key.to_owned(), v);
            Ok(())
        }
        async fn delete(&self, key: &str) -> Result<(), CacheError> {
            self.0.lock().unwrap().remove(key);
            Ok(())
        }
        async fn ping(&self) -> Result<(), CacheError> {
            Ok(())
        }
    }

    /// Pending once, then ready: lets the executor poll the other futures.
    struct YieldOnce(bool);

    impl Future for YieldOnce {
        type Output = ();
        fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
            if self.0 {
                std::task::Poll::Ready(())
            } else {
                self.0 = true;
                cx.waker().wake_by_ref();
                std::task::Poll::Pending
            }
        }
    }

    #[test]
    fn concurrent_misses_compute_once() {
        let v: CachedValue<u32> = CachedValue::new(Arc::new(MapCache::default()), "k", Duration::from_secs(60));
        let computed = Arc::new(AtomicUsize::new(0));
        let callers = (0..20).map(|_| {
            let (v, computed) = (v.clone(), computed.clone());
            async move {
                v.get_or_compute(|| async {
                    computed.fetch_add(1, Ordering::SeqCst);
                    // Let the other callers run (and queue on the lock) mid-computation.
                    YieldOnce(false).await;
                    Ok::<_, ()>(7)
                })
                .await
            }
        });
        let results = futures::executor::block_on(futures::future::join_all(callers));
        assert!(results.iter().all(|r| *r == Ok(7)));
        assert_eq!(computed.load(Ordering::SeqCst), 1, "one recomputation for 20 concurrent misses");
    }

    #[test]
    fn a_broken_cache_is_a_miss_not_an_error() {
        let mut cache = MockCache::new();
        cache.expect_get().returning(|_| Err(CacheError::Unavailable(anyhow::anyhow!("down"))));
        cache.expect_set().returning(|_, _, _| Err(CacheError::Unavailable(anyhow::anyhow!("down"))));
        let v: CachedValue<u32> = CachedValue::new(Arc::new(cache), "k", Duration::from_secs(60));
        assert_eq!(futures::executor::block_on(v.get_or_compute(|| async { Ok::<_, ()>(3) })), Ok(3));
    }

    #[test]
    fn ttl_zero_always_computes() {
        let mut cache = MockCache::new();
        cache.expect_get().never();
        let v: CachedValue<u32> = CachedValue::new(Arc::new(cache), "k", Duration::ZERO);
        assert_eq!(futures::executor::block_on(v.get_or_compute(|| async { Ok::<_, ()>(1) })), Ok(1));
    }
}
