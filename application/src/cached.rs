//! A value kept in the `Cache` port for a short time and recomputed by one caller at a
//! time: when it expires under load, one request recomputes it while the others wait for
//! that result instead of all hitting the database at once.
//!
//! Each instance also keeps the decoded value in memory for up to [`LOCAL_TTL`], so a hot
//! route does not decode JSON per request.
//!
//! What the public sees is versioned ([`PublicVersion`]): every change to it (a listing
//! published, changed or taken down, a photo, a city, a suspension) replaces the version
//! before the change's request returns, and cached public values live under keys that
//! name the version, on every instance at once. A value cached under an old version is
//! never read again (it expires with its TTL).

use std::marker::PhantomData;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::ports::Cache;

/// How long an instance reuses the value it last read or computed without asking the cache.
pub const LOCAL_TTL: Duration = Duration::from_secs(1);

/// The version of everything the public sees: a random token in the cache, replaced by
/// every change to published listings, their photos, cities or who is suspended.
/// Readers put it in their cache keys. Without a cache to keep it in (`disabled`, or the
/// cache failing) there is no version and public values are not cached.
#[derive(Clone, Default)]
pub struct PublicVersion {
    cache: Option<Arc<dyn Cache>>,
    /// Appended to the version readers see: values computed on a replica are kept apart
    /// from the primary's (a lagging replica must not fill the primary's keys).
    namespace: &'static str,
}

impl std::fmt::Debug for PublicVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.cache.is_some() { "PublicVersion" } else { "PublicVersion(disabled)" })
    }
}

const VERSION_KEY: &str = "public-version";
/// Far longer than any cached public value: if it expires, a new one starts.
const VERSION_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

impl PublicVersion {
    pub fn new(cache: Arc<dyn Cache>) -> Self {
        Self { cache: Some(cache), namespace: "" }
    }

    /// No version: nothing public is cached (unit tests, tools without a cache).
    pub fn disabled() -> Self {
        Self::default()
    }

    /// The same version for reads computed on a read replica: their cache keys differ
    /// from the primary's, so what a lagging replica saw never answers a primary read.
    #[must_use]
    pub fn on_replica(mut self) -> Self {
        self.namespace = "-replica";
        self
    }

    /// The current version (starting one if there is none yet), or `None` when the cache
    /// cannot say: then nothing public may be read from it or stored in it.
    pub async fn current(&self) -> Option<String> {
        let cache = self.cache.as_ref()?;
        match cache.get(VERSION_KEY).await {
            Ok(Some(v)) => String::from_utf8(v.to_vec()).ok().map(|v| v + self.namespace),
            Ok(None) => {
                // The first version: of requests (and instances) starting one at once,
                // one stores it and the others read that one.
                let v = uuid::Uuid::new_v4().simple().to_string();
                match cache.set_if_absent(VERSION_KEY, v.clone().into_bytes().into(), VERSION_TTL).await {
                    Ok(true) => Some(v + self.namespace),
                    Ok(false) => match cache.get(VERSION_KEY).await {
                        Ok(Some(v)) => String::from_utf8(v.to_vec()).ok().map(|v| v + self.namespace),
                        _ => None,
                    },
                    Err(_) => None,
                }
            }
            Err(e) => {
                tracing::debug!(error = %e, "no public version (cache unavailable): not caching");
                None
            }
        }
    }

    /// The public view changed: every value cached under the old version is left behind.
    /// Called after the change is stored and before its request returns. A cache that
    /// fails here is logged: values it still holds expire with their TTL.
    pub async fn changed(&self) {
        let Some(cache) = &self.cache else { return };
        let v = uuid::Uuid::new_v4().simple().to_string();
        if let Err(e) = cache.set(VERSION_KEY, v.into_bytes().into(), VERSION_TTL).await {
            tracing::warn!(error = %e, "could not replace the public version: cached public reads may lag by their TTL");
        }
    }
}

/// A value, when this instance read or computed it, and under which key.
type Seen<T> = Option<(Instant, String, Arc<T>)>;

/// One cached value under a fixed key. `ttl` zero turns caching off (always computed).
pub struct CachedValue<T> {
    cache: Arc<dyn Cache>,
    key: &'static str,
    ttl: Duration,
    /// Keys name the public version (`versioned`).
    version: Option<PublicVersion>,
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
            version: self.version.clone(),
            local: self.local.clone(),
            refresh: self.refresh.clone(),
            _value: PhantomData,
        }
    }
}

impl<T: Serialize + DeserializeOwned> CachedValue<T> {
    pub fn new(cache: Arc<dyn Cache>, key: &'static str, ttl: Duration) -> Self {
        Self { cache, key, ttl, version: None, local: Arc::default(), refresh: Arc::default(), _value: PhantomData }
    }

    /// Keys name `version`: a change to what the public sees is seen at once, on every
    /// instance (without a version, the value is computed every time).
    #[must_use]
    pub fn versioned(mut self, version: PublicVersion) -> Self {
        self.version = Some(version);
        self
    }

    /// The key for now, or `None` when the value may not be cached (no public version).
    async fn key(&self) -> Option<String> {
        match &self.version {
            None => Some(self.key.to_owned()),
            Some(v) => v.current().await.map(|v| format!("{}:{v}", self.key)),
        }
    }

    fn local_hit(&self, key: &str) -> Option<Arc<T>> {
        let local = self.local.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        local
            .as_ref()
            .filter(|(at, k, _)| k == key && at.elapsed() < self.ttl.min(LOCAL_TTL))
            .map(|(_, _, v)| v.clone())
    }

    fn remember(&self, key: &str, value: T) -> Arc<T> {
        let value = Arc::new(value);
        *self.local.write().unwrap_or_else(|poisoned| poisoned.into_inner()) =
            Some((Instant::now(), key.to_owned(), value.clone()));
        value
    }

    async fn lookup(&self, key: &str) -> Option<Arc<T>> {
        if let Some(v) = self.local_hit(key) {
            return Some(v);
        }
        match self.cache.get(key).await {
            Ok(Some(bytes)) => serde_json::from_slice(&bytes).ok().map(|v| self.remember(key, v)),
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(error = %e, key, "cache read failed; computing");
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
        let Some(key) = self.key().await else {
            return compute().await.map(Arc::new);
        };
        if let Some(v) = self.lookup(&key).await {
            return Ok(v);
        }
        let _one_at_a_time = self.refresh.lock().await;
        // Whoever held the lock before us may have just stored it.
        if let Some(v) = self.lookup(&key).await {
            return Ok(v);
        }
        let value = compute().await?;
        match serde_json::to_vec(&value) {
            Ok(bytes) => {
                if let Err(e) = self.cache.set(&key, bytes.into(), self.ttl).await {
                    tracing::warn!(error = %e, key, "cache write failed");
                }
            }
            Err(e) => tracing::warn!(error = %e, key, "value not cacheable"),
        }
        Ok(self.remember(&key, value))
    }
}

/// A cache in a map, so this crate's tests need no adapter.
#[cfg(test)]
pub(crate) mod testing {
    use std::time::Duration;

    use crate::ports::{Cache, CacheError};

    #[derive(Default)]
    pub(crate) struct MapCache(std::sync::Mutex<std::collections::HashMap<String, bytes::Bytes>>);

    #[async_trait::async_trait]
    impl Cache for MapCache {
        async fn get(&self, key: &str) -> Result<Option<bytes::Bytes>, CacheError> {
            Ok(self.0.lock().unwrap().get(key).cloned())
        }
        async fn set(&self, key: &str, v: bytes::Bytes, _: Duration) -> Result<(), CacheError> {
            self.0.lock().unwrap().insert(key.to_owned(), v);
            Ok(())
        }
        async fn set_if_absent(&self, key: &str, v: bytes::Bytes, _: Duration) -> Result<bool, CacheError> {
            let mut map = self.0.lock().unwrap();
            if map.contains_key(key) {
                return Ok(false);
            }
            map.insert(key.to_owned(), v);
            Ok(true)
        }
        async fn delete(&self, key: &str) -> Result<(), CacheError> {
            self.0.lock().unwrap().remove(key);
            Ok(())
        }
        async fn ping(&self) -> Result<(), CacheError> {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::testing::MapCache;
    use super::*;
    use crate::ports::CacheError;
    use crate::ports::cache::MockCache;

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
    fn a_new_public_version_is_a_miss_at_once_and_no_version_no_caching() {
        let cache: Arc<dyn Cache> = Arc::new(MapCache::default());
        let version = PublicVersion::new(cache.clone());
        let v: CachedValue<u32> = CachedValue::new(cache, "k", Duration::from_secs(60)).versioned(version.clone());
        let get = |n: u32| futures::executor::block_on(v.get_or_compute(|| async move { Ok::<_, ()>(n) }));
        assert_eq!(get(1).as_deref(), Ok(&1));
        assert_eq!(get(2).as_deref(), Ok(&1), "cached (and held locally)");
        futures::executor::block_on(version.changed());
        assert_eq!(get(3).as_deref(), Ok(&3), "a change is seen at once, local copy included");
        assert_eq!(get(4).as_deref(), Ok(&3));

        let mut broken = MockCache::new();
        broken.expect_get().returning(|_| Err(CacheError::Unavailable(anyhow::anyhow!("down"))));
        broken.expect_set().never();
        let broken: Arc<dyn Cache> = Arc::new(broken);
        let v: CachedValue<u32> =
            CachedValue::new(broken.clone(), "k", Duration::from_secs(60)).versioned(PublicVersion::new(broken));
        for n in 0..3 {
            let got = futures::executor::block_on(v.get_or_compute(|| async move { Ok::<_, ()>(n) }));
            assert_eq!(got.as_deref(), Ok(&n), "no version: computed every time");
        }
    }

    #[test]
    fn a_replica_reads_the_same_version_under_its_own_name() {
        let cache: Arc<dyn Cache> = Arc::new(MapCache::default());
        let primary = PublicVersion::new(cache.clone());
        let replica = PublicVersion::new(cache).on_replica();
        let (p, r) = futures::executor::block_on(async { (primary.current().await, replica.current().await) });
        let (p, r) = (p.unwrap(), r.unwrap());
        assert_ne!(p, r, "keys computed on a replica never answer a primary read");
        assert!(r.starts_with(&p));
        futures::executor::block_on(primary.changed());
        assert_ne!(futures::executor::block_on(replica.current()).unwrap(), r, "one version: a change moves both");
    }

    #[test]
    fn ttl_zero_always_computes() {
        let mut cache = MockCache::new();
        cache.expect_get().never();
        let v: CachedValue<u32> = CachedValue::new(Arc::new(cache), "k", Duration::ZERO);
        assert_eq!(futures::executor::block_on(v.get_or_compute(|| async { Ok::<_, ()>(1) })).as_deref(), Ok(&1));
    }
}
