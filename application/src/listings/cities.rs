use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::ListingPorts;
use crate::cached::CachedValue;
use crate::errors::storage_errors_are_unexpected;
use crate::ports::{Cache, CityFilter};

#[derive(Debug, thiserror::Error)]
pub enum CitiesWithCountsError {
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

storage_errors_are_unexpected!(CitiesWithCountsError);

/// An active city, its active areas and how many listings search shows in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CityWithCount {
    pub slug: String,
    pub name: String,
    /// Area names, alphabetical.
    pub areas: Vec<String>,
    pub listing_count: u64,
}

/// `GET /cities` (the home page's list): active cities with their visible listings.
///
/// Counting every visible listing per request would scan them; the result is cached for
/// `ttl` and recomputed by one request at a time (counts lag changes by at most `ttl`).
#[derive(Clone)]
pub struct CitiesWithCounts {
    ports: ListingPorts,
    cached: CachedValue<Vec<CityWithCount>>,
}

impl CitiesWithCounts {
    pub fn new(ports: ListingPorts, cache: Arc<dyn Cache>, ttl: Duration) -> Self {
        let cached = CachedValue::new(cache, "cities-with-counts:v2", ttl).versioned(ports.public.clone());
        Self { ports, cached }
    }

    #[tracing::instrument(name = "cities.list_with_counts", skip_all)]
    pub async fn execute(&self) -> Result<Arc<Vec<CityWithCount>>, CitiesWithCountsError> {
        self.cached.get_or_compute(|| self.compute()).await
    }

    async fn compute(&self) -> Result<Vec<CityWithCount>, CitiesWithCountsError> {
        let cities = self.ports.cities.list(CityFilter::Active).await?;
        let counts = self.ports.listings.visible_counts_by_city(domain::uk_today(self.ports.clock.now())).await?;
        Ok(cities
            .into_iter()
            .map(|c| CityWithCount {
                listing_count: counts.iter().find(|(s, _)| *s == c.slug).map_or(0, |(_, n)| *n),
                slug: c.slug.to_string(),
                name: c.name.as_str().to_owned(),
                areas: c.areas().iter().filter(|a| a.active).map(|a| a.name.as_str().to_owned()).collect(),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use domain::{AreaName, City, CityName, CitySlug};

    use super::*;
    use crate::ports::cities::MockCityRepository;
    use crate::ports::listings::MockListingRepository;
    use crate::ports::{SystemClock, UuidV7};

    #[test]
    fn counts_are_computed_once_per_ttl() {
        let counted = Arc::new(AtomicUsize::new(0));
        let c = counted.clone();
        let mut listings = MockListingRepository::new();
        listings.expect_visible_counts_by_city().returning(move |_| {
            c.fetch_add(1, Ordering::SeqCst);
            Ok(vec![(CitySlug::parse("leeds").unwrap(), 4)])
        });
        let mut cities = MockCityRepository::new();
        cities.expect_list().returning(|_| {
            let (slug, name) = (CitySlug::parse("leeds").unwrap(), CityName::parse("Leeds").unwrap());
            let mut leeds = City::new(slug, name, true, vec![AreaName::parse("Hyde Park").unwrap()]);
            leeds.add_area(AreaName::parse("Retired Row").unwrap());
            leeds.change_area("Retired Row", None, Some(false));
            Ok(vec![leeds])
        });
        let cache: Arc<dyn Cache> = Arc::new(crate::cached::testing::MapCache::default());
        let ports = ListingPorts {
            listings: Arc::new(listings),
            cities: Arc::new(cities),
            clock: Arc::new(SystemClock),
            ids: Arc::new(UuidV7),
            public: crate::cached::PublicVersion::new(cache.clone()),
        };
        let uc = CitiesWithCounts::new(ports, cache, Duration::from_secs(15));
        for _ in 0..3 {
            let list = futures::executor::block_on(uc.execute()).unwrap();
            assert_eq!(list[0].listing_count, 4);
            assert_eq!(list[0].areas, ["Hyde Park"], "retired areas are not offered");
        }
        assert_eq!(counted.load(Ordering::SeqCst), 1);
    }
}
