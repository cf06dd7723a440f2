use std::sync::Arc;
use std::time::Duration;

use domain::ValidationError;

use super::ListingPorts;
use crate::errors::storage_errors_are_unexpected;
use crate::media_url::MediaUrls;
use crate::ports::{Cache, PhotoRepository, SearchQuery, SearchResults};

/// Why a search could not run.
#[derive(Debug, thiserror::Error)]
pub enum SearchListingsError {
    /// Filters that contradict each other (a minimum above its maximum).
    #[error("contradictory filters")]
    Invalid(Vec<ValidationError>),
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

storage_errors_are_unexpected!(SearchListingsError);

/// `GET /listings`: public search over visible listings, as cards.
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
    covers: Option<(Arc<dyn PhotoRepository>, MediaUrls)>,
}

/// Filters that cannot all hold.
fn contradictions(q: &SearchQuery) -> Vec<ValidationError> {
    let mut out = Vec::new();
    if let (Some(a), Some(b)) = (q.min_rent, q.max_rent)
        && a > b
    {
        out.push(ValidationError::new("min_rent", "must not be above max_rent"));
    }
    if let (Some(a), Some(b)) = (q.bedrooms_min, q.bedrooms_max)
        && a > b
    {
        out.push(ValidationError::new("bedrooms_min", "must not be above bedrooms_max"));
    }
    out
}

impl SearchListings {
    pub fn new(ports: ListingPorts, cache: Arc<dyn Cache>, estimate_ttl: Duration) -> Self {
        Self { ports, cache, estimate_ttl, covers: None }
    }

    /// `execute` also finds each card's cover photo (one more query per page).
    #[must_use]
    pub fn with_covers(mut self, photos: Arc<dyn PhotoRepository>, media: MediaUrls) -> Self {
        self.covers = Some((photos, media));
        self
    }

    #[tracing::instrument(name = "listings.search", skip_all)]
    pub async fn execute(&self, query: &SearchQuery) -> Result<SearchResults, SearchListingsError> {
        let wrong = contradictions(query);
        if !wrong.is_empty() {
            return Err(SearchListingsError::Invalid(wrong));
        }
        let today = domain::uk_today(self.ports.clock.now());
        let page = self.ports.listings.search(query, today).await?;
        let first_page = query.page.is_none_or(|p| p.after.is_none());
        let total_estimate = if first_page && page.next.is_none() {
            u64::try_from(page.items.len()).unwrap_or(u64::MAX)
        } else {
            self.estimate(query, today).await?
        };
        let covers = match &self.covers {
            Some((photos, media)) if !page.items.is_empty() => {
                let ids: Vec<_> = page.items.iter().map(|c| c.id).collect();
                crate::photos::covers(photos.as_ref(), media, &ids).await?
            }
            _ => std::collections::HashMap::new(),
        };
        Ok(SearchResults { page, total_estimate, covers })
    }

    async fn estimate(&self, query: &SearchQuery, today: chrono::NaiveDate) -> Result<u64, SearchListingsError> {
        // The filters alone, rendered canonically (the same on every instance).
        let filters = SearchQuery { sort: crate::ports::SearchSort::Newest, page: None, ..query.clone() };
        let Some(version) = self.ports.public.current().await else {
            return Ok(self.ports.listings.count(query, today).await?);
        };
        let key = format!("search-count:v2:{version}:{today}:{filters:?}");
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::paging::{Page, PageRequest};
    use crate::ports::cities::MockCityRepository;
    use crate::ports::listings::MockListingRepository;
    use crate::ports::{SystemClock, UuidV7};

    fn uc(repo: MockListingRepository) -> SearchListings {
        let cache: Arc<dyn Cache> = Arc::new(crate::cached::testing::MapCache::default());
        let ports = ListingPorts {
            listings: Arc::new(repo),
            cities: Arc::new(MockCityRepository::new()),
            clock: Arc::new(SystemClock),
            ids: Arc::new(UuidV7),
            public: crate::cached::PublicVersion::new(cache.clone()),
        };
        SearchListings::new(ports, cache, Duration::from_secs(60))
    }

    fn more_pages() -> Page<domain::listing::ListingCard> {
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
    fn contradictory_ranges_are_refused_before_searching() {
        let mut repo = MockListingRepository::new();
        repo.expect_search().never();
        let q = SearchQuery { min_rent: Some(20_000), max_rent: Some(10_000), ..SearchQuery::default() };
        match futures::executor::block_on(uc(repo).execute(&q)) {
            Err(SearchListingsError::Invalid(v)) => assert_eq!(v[0].field, "min_rent"),
            other => panic!("{other:?}"),
        }
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
