//! A value kept in the `Cache` port for a short time and recomputed by one caller at a
//! time: when it expires under load, one request recomputes it while the others wait for
//! that result instead of all hitting the database at once.
//!
//! Each instance also keeps the decoded value in memory for up to [`LOCAL_TTL`], so a hot
//! route neither calls the cache (Redis: a round trip) nor decodes JSON per request. The
//! price is staleness: an instance serves a value at most `ttl + LOCAL_TTL` old.

use std::marker::PhantomData;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::ports::Cache;

/// How long an instance reuses the value it last read or computed without asking the cache.
pub const LOCAL_TTL: Duration = Duration::from_secs(1);

/// A value and when this instance read or computed it.
type Seen<T> = Option<(Instant, Arc<T>)>;

/// One cached value under a fixed key. `ttl` zero turns caching off (always computed).
pub struct CachedValue<T> {
    cache: Arc<dyn Cache>,
    key: &'static str,
    ttl: Duration,
    /// The value this instance last saw, and when: shared by the clones.
    local: Arc<RwLock<Seen<T>>>,
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
            local: self.local.clone(),
            refresh: self.refresh.clone(),
            _value: PhantomData,
        }
    }
}

impl<T: Serialize + DeserializeOwned> CachedValue<T> {
    pub fn new(cache: Arc<dyn Cache>, key: &'static str, ttl: Duration) -> Self {
        Self { cache, key, ttl, local: Arc::default(), refresh: Arc::default(), _value: PhantomData }
    }

    fn local_hit(&self) -> Option<Arc<T>> {
        let local = self.local.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        local.as_ref().filter(|(at, _)| at.elapsed() < self.ttl.min(LOCAL_TTL)).map(|(_, v)| v.clone())
    }

    fn remember(&self, value: T) -> Arc<T> {
        let value = Arc::new(value);
        *self.local.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some((Instant::now(), value.clone()));
        value
    }

    async fn lookup(&self) -> Option<Arc<T>> {
        if let Some(v) = self.local_hit() {
            return Some(v);
        }
        match self.cache.get(self.key).await {
            Ok(Some(bytes)) => serde_json::from_slice(&bytes).ok().map(|v| self.remember(v)),
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(error = %e, key = self.key, "cache read failed; computing");
                None
            }
        }
    }

    /// The cached value, or `compute`'s result (stored for `ttl`). A failing cache is a
    /// miss: the value is computed and the site keeps working.
    pub async fn get_or_compute<E, F>(&self, compute: impl FnOnce() -> F) -> Result<Arc<T>, E>
    where
        F: Future<Output = Result<T, E>>,
    {
        if self.ttl.is_zero() {
            return compute().await.map(Arc::new);
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
        Ok(self.remember(value))
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
        assert!(results.iter().all(|r| r.as_deref() == Ok(&7)));
        assert_eq!(computed.load(Ordering::SeqCst), 1, "one recomputation for 20 concurrent misses");
    }

    #[test]
    fn a_broken_cache_is_a_miss_not_an_error() {
        let mut cache = MockCache::new();
        cache.expect_get().returning(|_| Err(CacheError::Unavailable(anyhow::anyhow!("down"))));
        cache.expect_set().returning(|_, _, _| Err(CacheError::Unavailable(anyhow::anyhow!("down"))));
        let v: CachedValue<u32> = CachedValue::new(Arc::new(cache), "k", Duration::from_secs(60));
        assert_eq!(futures::executor::block_on(v.get_or_compute(|| async { Ok::<_, ()>(3) })).as_deref(), Ok(&3));
    }

    #[test]
    fn an_instance_reuses_what_it_read_without_asking_the_cache_again() {
        let mut cache = MockCache::new();
        let stored = serde_json::to_vec(&5u32).unwrap();
        cache.expect_get().times(1).returning(move |_| Ok(Some(stored.clone().into())));
        let v: CachedValue<u32> = CachedValue::new(Arc::new(cache), "k", Duration::from_secs(60));
        for _ in 0..3 {
            let got = futures::executor::block_on(v.get_or_compute(|| async { Err::<u32, _>("not computed") }));
            assert_eq!(got.as_deref(), Ok(&5));
        }
    }

    #[test]
    fn ttl_zero_always_computes() {
        let mut cache = MockCache::new();
        cache.expect_get().never();
        let v: CachedValue<u32> = CachedValue::new(Arc::new(cache), "k", Duration::ZERO);
        assert_eq!(futures::executor::block_on(v.get_or_compute(|| async { Ok::<_, ()>(1) })).as_deref(), Ok(&1));
    }
}
