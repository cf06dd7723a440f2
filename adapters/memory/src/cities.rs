use std::collections::BTreeMap;
use std::sync::RwLock;

use application::RepositoryError;
use application::ports::{CityFilter, CityRepository};
use async_trait::async_trait;
use domain::{City, CitySlug};

/// Cities kept in a map; same contract as the SQL repository.
#[derive(Default)]
pub struct InMemoryCityRepository {
    cities: RwLock<BTreeMap<CitySlug, City>>,
}

impl InMemoryCityRepository {
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the city with this slug is stored and active.
    pub(crate) fn is_active(&self, slug: &CitySlug) -> bool {
        self.cities.read().expect("poisoned").get(slug).is_some_and(|c| c.active)
    }

    /// Whether a city with this slug is stored (listings refer to cities).
    pub(crate) fn contains(&self, slug: &CitySlug) -> bool {
        self.cities.read().expect("poisoned").contains_key(slug)
    }
}

#[async_trait]
impl CityRepository for InMemoryCityRepository {
    async fn list(&self, filter: CityFilter) -> Result<Vec<City>, RepositoryError> {
        let map = self.cities.read().expect("poisoned");
        let mut out: Vec<City> = map.values().filter(|c| filter == CityFilter::All || c.active).cloned().collect();
        out.sort_by(|a, b| a.name.as_str().cmp(b.name.as_str()).then_with(|| a.slug.cmp(&b.slug)));
        Ok(out)
    }

    async fn find(&self, slug: &CitySlug) -> Result<Option<City>, RepositoryError> {
        Ok(self.cities.read().expect("poisoned").get(slug).cloned())
    }

    async fn save(&self, city: &City) -> Result<(), RepositoryError> {
        let mut map = self.cities.write().expect("poisoned");
        if map.values().any(|c| c.slug != city.slug && c.name == city.name) {
            return Err(RepositoryError::Conflict("a city with this name exists".into()));
        }
        match map.get_mut(&city.slug) {
            Some(existing) => {
                existing.name = city.name.clone();
                existing.active = city.active;
                for a in city.areas() {
                    existing.add_area(a.name.clone());
                }
            }
            None => {
                map.insert(city.slug.clone(), city.clone());
            }
        }
        Ok(())
    }
}
