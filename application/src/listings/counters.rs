use std::sync::Arc;
use std::time::Duration;

use super::ListingPorts;
use crate::cached::CachedValue;
use crate::errors::storage_errors_are_unexpected;
use crate::ports::{Cache, SiteStats};

#[derive(Debug, thiserror::Error)]
pub enum SiteCountersError {
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

storage_errors_are_unexpected!(SiteCountersError);

/// `GET /stats`: the home-page counters, cached for `ttl` and recomputed by one request
/// at a time (every instance may serve a slightly different age; they converge within
/// the TTL).
#[derive(Clone)]
pub struct SiteCounters {
    ports: ListingPorts,
    cached: CachedValue<SiteStats>,
}

impl SiteCounters {
    pub fn new(ports: ListingPorts, cache: Arc<dyn Cache>, ttl: Duration) -> Self {
        let cached = CachedValue::new(cache, "stats:v2", ttl).versioned(ports.public.clone());
        Self { ports, cached }
    }

    #[tracing::instrument(name = "stats.get", skip_all)]
    pub async fn execute(&self) -> Result<Arc<SiteStats>, SiteCountersError> {
        self.cached
            .get_or_compute(|| async { Ok(self.ports.listings.stats(domain::uk_today(self.ports.clock.now())).await?) })
            .await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::ports::cache::MockCache;
    use crate::ports::cities::MockCityRepository;
    use crate::ports::listings::MockListingRepository;
    use crate::ports::{CacheError, SystemClock, UuidV7};

    fn ports(listings: MockListingRepository) -> ListingPorts {
        ListingPorts {
            listings: Arc::new(listings),
            cities: Arc::new(MockCityRepository::new()),
            clock: Arc::new(SystemClock),
            ids: Arc::new(UuidV7),
            public: crate::cached::PublicVersion::disabled(),
        }
    }

    #[test]
    fn stats_survive_a_broken_cache() {
        let calls = Arc::new(AtomicUsize::new(0));
        let c = calls.clone();
        let mut repo = MockListingRepository::new();
        repo.expect_stats().returning(move |_| {
            c.fetch_add(1, Ordering::SeqCst);
            Ok(SiteStats { listings: 3, cities: 1, landlords: 2 })
        });
        let mut cache = MockCache::new();
        cache.expect_get().returning(|_| Err(CacheError::Unavailable(anyhow::anyhow!("down"))));
        cache.expect_set().returning(|_, _, _| Err(CacheError::Unavailable(anyhow::anyhow!("down"))));
        let uc = SiteCounters::new(ports(repo), Arc::new(cache), Duration::from_secs(60));
        let s = futures::executor::block_on(uc.execute()).unwrap();
        assert_eq!(s.listings, 3);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn stats_are_computed_once_then_come_from_the_cache_until_a_change() {
        let calls = Arc::new(AtomicUsize::new(0));
        let c = calls.clone();
        let mut repo = MockListingRepository::new();
        repo.expect_stats().returning(move |_| {
            let n = c.fetch_add(1, Ordering::SeqCst) as u64;
            Ok(SiteStats { listings: 9 + n, cities: 2, landlords: 4 })
        });
        let cache: Arc<dyn Cache> = Arc::new(crate::cached::testing::MapCache::default());
        let public = crate::cached::PublicVersion::new(cache.clone());
        let uc =
            SiteCounters::new(ListingPorts { public: public.clone(), ..ports(repo) }, cache, Duration::from_secs(60));
        let listings = || futures::executor::block_on(uc.execute()).unwrap().listings;
        assert_eq!((listings(), listings()), (9, 9));
        futures::executor::block_on(public.changed());
        assert_eq!(listings(), 10, "a change is counted at once");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }
}
