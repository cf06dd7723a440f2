use std::collections::BTreeMap;
use std::sync::RwLock;

use application::RepositoryError;
use application::audit::AuditEvent;
use application::ports::{AreaChange, CityChange, CityFilter, CityRepository};
use async_trait::async_trait;
use domain::{AreaName, City, CitySlug};

use crate::store::Shared;

/// Cities kept in a map; same contract as the SQL repository. Audit events and the
/// listings an area rename moves live in the store's shared state. Lock order, as for
/// the listing repository: the shared state first, then the cities.
#[derive(Default)]
pub struct InMemoryCityRepository {
    state: Shared,
    cities: RwLock<BTreeMap<CitySlug, City>>,
}

impl InMemoryCityRepository {
    /// A repository with its own state (no listings).
    pub fn new() -> Self {
        Self::default()
    }

    pub(crate) fn with_state(state: Shared) -> Self {
        Self { state, cities: RwLock::default() }
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

fn name_taken(map: &BTreeMap<CitySlug, City>, slug: &CitySlug, name: &str) -> bool {
    map.values().any(|c| &c.slug != slug && c.name.as_str() == name)
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

    async fn create(&self, city: &City, audit: &AuditEvent) -> Result<(), RepositoryError> {
        let mut s = self.state.write();
        let mut map = self.cities.write().expect("poisoned");
        s.check_event(audit)?;
        if map.contains_key(&city.slug) || name_taken(&map, &city.slug, city.name.as_str()) {
            return Err(RepositoryError::Conflict("a city with this slug or name exists".into()));
        }
        map.insert(city.slug.clone(), city.clone());
        s.audit.push(audit.clone());
        Ok(())
    }

    async fn change(
        &self,
        slug: &CitySlug,
        change: &CityChange,
        audit: &AuditEvent,
    ) -> Result<Option<City>, RepositoryError> {
        let mut s = self.state.write();
        let mut map = self.cities.write().expect("poisoned");
        s.check_event(audit)?;
        if change.name.as_ref().is_some_and(|n| name_taken(&map, slug, n.as_str())) {
            return Err(RepositoryError::Conflict("a city with this name exists".into()));
        }
        let Some(city) = map.get_mut(slug) else { return Ok(None) };
        change.apply(city);
        s.audit.push(audit.clone());
        Ok(Some(city.clone()))
    }

    async fn add_area(
        &self,
        slug: &CitySlug,
        name: &AreaName,
        audit: &AuditEvent,
    ) -> Result<Option<City>, RepositoryError> {
        let mut s = self.state.write();
        let mut map = self.cities.write().expect("poisoned");
        s.check_event(audit)?;
        let Some(city) = map.get_mut(slug) else { return Ok(None) };
        if !city.add_area(name.clone()) {
            return Err(RepositoryError::Conflict("the city has an area of this name".into()));
        }
        s.audit.push(audit.clone());
        Ok(Some(city.clone()))
    }

    async fn change_area(
        &self,
        slug: &CitySlug,
        current: &AreaName,
        change: &AreaChange,
        audit: &AuditEvent,
    ) -> Result<Option<City>, RepositoryError> {
        let mut s = self.state.write();
        let mut map = self.cities.write().expect("poisoned");
        s.check_event(audit)?;
        let Some(city) = map.get_mut(slug) else { return Ok(None) };
        // The stored name exactly, as the SQL statement matches it.
        if !city.areas().iter().any(|a| &a.name == current) {
            return Ok(None);
        }
        let mut after = city.clone();
        if !change.apply(&mut after, current) {
            return Err(RepositoryError::Conflict("the city has an area of this name".into()));
        }
        if let Some(new) = change.name.as_ref().filter(|n| *n != current) {
            for l in s.listings.values_mut() {
                if l.details.city.as_ref() == Some(slug) && l.details.area.as_ref() == Some(current) {
                    l.details.area = Some(new.clone());
                    l.version = l.version.next();
                    l.updated_at = audit.at;
                }
            }
        }
        *city = after.clone();
        s.audit.push(audit.clone());
        Ok(Some(after))
    }
}
