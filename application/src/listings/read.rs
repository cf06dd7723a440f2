use std::sync::Arc;
use std::time::Duration;

use domain::City;
use domain::listing::{Listing, ListingId, ListingStatus};

use super::{ListingPorts, ListingsError, Viewer};
use crate::paging::{Page, PageRequest};
use crate::ports::{Cache, CityFilter, SearchQuery, SearchResults, SiteStats, UserRepository};

/// `GET /listings/{id}`. Managers see everything; everyone else sees published and let
/// listings of active owners, and nothing else exists for them (404).
#[derive(Clone)]
pub struct GetListing {
    ports: ListingPorts,
    users: Arc<dyn UserRepository>,
}

/// A listing and whether the viewer may see its private fields (full postcode, address).
#[derive(Debug, Clone)]
pub struct ListingView {
    pub listing: Listing,
    pub private: bool,
}

impl GetListing {
    pub fn new(ports: ListingPorts, users: Arc<dyn UserRepository>) -> Self {
        Self { ports, users }
    }

    #[tracing::instrument(name = "listings.get", skip_all, fields(listing_id = %id))]
    pub async fn execute(&self, viewer: Option<Viewer>, id: ListingId) -> Result<ListingView, ListingsError> {
        let l = self.ports.listings.find(id).await?.ok_or(ListingsError::NotFound)?;
        if viewer.is_some_and(|v| v.manages(&l)) {
            return Ok(ListingView { listing: l, private: true });
        }
        if !matches!(l.status, ListingStatus::Published | ListingStatus::Let) {
            return Err(ListingsError::NotFound);
        }
        let owner_active = self.users.find(l.owner_id).await?.is_some_and(|u| u.can_sign_in());
        if !owner_active {
            return Err(ListingsError::NotFound);
        }
        Ok(ListingView { listing: l, private: false })
    }
}

/// `GET /me/listings`.
#[derive(Clone)]
pub struct MyListings {
    ports: ListingPorts,
}

impl MyListings {
    pub fn new(ports: ListingPorts) -> Self {
        Self { ports }
    }

    pub async fn execute(&self, viewer: Viewer, page: PageRequest) -> Result<Page<Listing>, ListingsError> {
        Ok(self.ports.listings.list_by_owner(viewer.id, page).await?)
    }
}

/// `GET /listings`: public search over visible listings.
///
/// The page always comes from the repository. The estimate is free when the first page
/// holds every match; otherwise it is a capped count, cached for `estimate_ttl` per set
/// of filters (sort and page do not change it), so paging and popular searches cost the
/// database one query each.
#[derive(Clone)]
pub struct SearchListings {
    ports: ListingPorts,
    cache: Arc<dyn Cache>,
    estimate_ttl: Duration,
}

impl SearchListings {
    pub fn new(ports: ListingPorts, cache: Arc<dyn Cache>, estimate_ttl: Duration) -> Self {
        Self { ports, cache, estimate_ttl }
    }

    #[tracing::instrument(name = "listings.search", skip_all)]
    pub async fn execute(&self, query: &SearchQuery) -> Result<SearchResults, ListingsError> {
        let today = self.ports.clock.now().date_naive();
        let page = self.ports.listings.search(query, today).await?;
        let first_page = query.page.is_none_or(|p| p.after.is_none());
        let total_estimate = if first_page && page.next.is_none() {
            u64::try_from(page.items.len()).unwrap_or(u64::MAX)
        } else {
            self.estimate(query, today).await?
        };
        Ok(SearchResults { page, total_estimate })
    }

    async fn estimate(&self, query: &SearchQuery, today: chrono::NaiveDate) -> Result<u64, ListingsError> {
        // The filters alone, rendered canonically (the same on every instance).
        let filters = SearchQuery { sort: crate::ports::SearchSort::Newest, page: None, ..query.clone() };
        let key = format!("search-count:v1:{today}:{filters:?}");
        match self.cache.get(&key).await {
            Ok(Some(b)) => {
                if let Some(n) = std::str::from_utf8(&b).ok().and_then(|s| s.parse().ok()) {
                    return Ok(n);
                }
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "cache read failed; counting"),
        }
        let n = self.ports.listings.count(query, today).await?;
        if let Err(e) = self.cache.set(&key, n.to_string().into_bytes().into(), self.estimate_ttl).await {
            tracing::warn!(error = %e, "cache write failed");
        }
        Ok(n)
    }
}

/// `GET /cities`: active cities with their number of visible listings.
#[derive(Clone)]
pub struct CitiesWithCounts {
    ports: ListingPorts,
}

impl CitiesWithCounts {
    pub fn new(ports: ListingPorts) -> Self {
        Self { ports }
    }

    #[tracing::instrument(name = "cities.list_with_counts", skip_all)]
    pub async fn execute(&self) -> Result<Vec<(City, u64)>, ListingsError> {
        let cities = self.ports.cities.list(CityFilter::Active).await?;
        let counts = self.ports.listings.visible_counts_by_city(self.ports.clock.now().date_naive()).await?;
        Ok(cities
            .into_iter()
            .map(|c| {
                let n = counts.iter().find(|(s, _)| *s == c.slug).map_or(0, |(_, n)| *n);
                (c, n)
            })
            .collect())
    }
}

/// `GET /stats`: the home-page counters, cached briefly (every instance may serve a
/// slightly different age; they converge within the TTL).
#[derive(Clone)]
pub struct SiteCounters {
    ports: ListingPorts,
    cache: Arc<dyn Cache>,
    ttl: Duration,
}

const STATS_KEY: &str = "stats:v1";

impl SiteCounters {
    pub fn new(ports: ListingPorts, cache: Arc<dyn Cache>, ttl: Duration) -> Self {
        Self { ports, cache, ttl }
    }

    #[tracing::instrument(name = "stats.get", skip_all)]
    pub async fn execute(&self) -> Result<SiteStats, ListingsError> {
        match self.cache.get(STATS_KEY).await {
            Ok(Some(bytes)) => {
                if let Ok(s) = serde_json::from_slice::<SiteStats>(&bytes) {
                    tracing::debug!(cache = "stats", hit = true, "cache lookup");
                    return Ok(s);
                }
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "cache read failed; computing stats"),
        }
        tracing::debug!(cache = "stats", hit = false, "cache lookup");
        let stats = self.ports.listings.stats(self.ports.clock.now().date_naive()).await?;
        let bytes = serde_json::to_vec(&stats).map_err(anyhow::Error::from)?;
        if let Err(e) = self.cache.set(STATS_KEY, bytes.into(), self.ttl).await {
            tracing::warn!(error = %e, "cache write failed");
        }
        Ok(stats)
    }
}

#[cfg(test)]
mod search_tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::paging::{Page, PageRequest};
    use crate::ports::cities::MockCityRepository;
    use crate::ports::listings::MockListingRepository;
    use crate::ports::{SystemClock, UuidV7};

    fn uc(repo: MockListingRepository) -> SearchListings {
        let ports = ListingPorts {
            listings: Arc::new(repo),
            cities: Arc::new(MockCityRepository::new()),
            clock: Arc::new(SystemClock),
            ids: Arc::new(UuidV7),
        };
        SearchListings::new(ports, Arc::new(InProcessCacheForTests::default()), Duration::from_secs(60))
    }

    /// A tiny cache so this crate's tests need no adapter.
    #[derive(Default)]
    struct InProcessCacheForTests(std::sync::Mutex<std::collections::HashMap<String, bytes::Bytes>>);

    #[async_trait::async_trait]
    impl Cache for InProcessCacheForTests {
        async fn get(&self, key: &str) -> Result<Option<bytes::Bytes>, crate::ports::CacheError> {
            Ok(self.0.lock().unwrap().get(key).cloned())
        }
        async fn set(&self, key: &str, v: bytes::Bytes, _: Duration) -> Result<(), crate::ports::CacheError> {
            self.0.lock().unwrap().insert(key.to_owned(), v);
            Ok(())
        }
        async fn delete(&self, key: &str) -> Result<(), crate::ports::CacheError> {
            self.0.lock().unwrap().remove(key);
            Ok(())
        }
        async fn ping(&self) -> Result<(), crate::ports::CacheError> {
            Ok(())
        }
    }

    fn more_pages() -> Page<domain::listing::Listing> {
        Page { items: Vec::new(), next: Some(crate::paging::Cursor { sort: 0, key: 1, id: uuid::Uuid::nil() }) }
    }

    #[test]
    fn a_complete_first_page_needs_no_count() {
        let mut repo = MockListingRepository::new();
        repo.expect_search().returning(|_, _| Ok(Page { items: Vec::new(), next: None }));
        repo.expect_count().never();
        let r = futures::executor::block_on(uc(repo).execute(&SearchQuery::default())).unwrap();
        assert_eq!(r.total_estimate, 0);
    }

    #[test]
    fn counts_are_cached_per_filters_not_per_sort_or_page() {
        let counts = Arc::new(AtomicUsize::new(0));
        let c = counts.clone();
        let mut repo = MockListingRepository::new();
        repo.expect_search().returning(|_, _| Ok(more_pages()));
        repo.expect_count().returning(move |_, _| {
            c.fetch_add(1, Ordering::SeqCst);
            Ok(700)
        });
        let uc = uc(repo);
        let q = SearchQuery { max_rent: Some(15_000), ..SearchQuery::default() };
        let sorted =
            SearchQuery { sort: crate::ports::SearchSort::RentAsc, page: Some(PageRequest::first(5)), ..q.clone() };
        for query in [&q, &sorted, &q] {
            assert_eq!(futures::executor::block_on(uc.execute(query)).unwrap().total_estimate, 700);
        }
        assert_eq!(counts.load(Ordering::SeqCst), 1);
        let other = SearchQuery { max_rent: Some(16_000), ..SearchQuery::default() };
        futures::executor::block_on(uc.execute(&other)).unwrap();
        assert_eq!(counts.load(Ordering::SeqCst), 2, "other filters, other count");
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
    fn stats_come_from_the_cache_when_present() {
        let mut repo = MockListingRepository::new();
        repo.expect_stats().never();
        let mut cache = MockCache::new();
        let cached = serde_json::to_vec(&SiteStats { listings: 9, cities: 2, landlords: 4 }).unwrap();
        cache.expect_get().returning(move |_| Ok(Some(cached.clone().into())));
        let uc = SiteCounters::new(ports(repo), Arc::new(cache), Duration::from_secs(60));
        assert_eq!(futures::executor::block_on(uc.execute()).unwrap().listings, 9);
    }
}
