use domain::City;

use super::{CityPorts, audit_event};
use crate::RepositoryError;
use crate::audit::Origin;
use crate::errors::storage_errors_are_unexpected;

#[derive(Debug, thiserror::Error)]
pub enum LoadCitiesError {
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

storage_errors_are_unexpected!(LoadCitiesError);

/// What loading a list of cities did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Loaded {
    /// Cities created now.
    pub created: usize,
    /// Cities stored already, left exactly as they are.
    pub present: usize,
}

/// `student-palace seed --cities` (and the demo seed): creates every city of the list
/// that is not stored yet, with its areas (audited as `city.seed`, no actor). A stored
/// city is left alone, whatever admins did to it (renamed, deactivated, areas added or
/// retired), so running it again changes nothing and never undoes an admin. Safe from
/// several processes at once: the store's uniqueness decides, and a city another run
/// created meanwhile counts as present.
#[derive(Clone)]
pub struct LoadCities {
    p: CityPorts,
}

impl LoadCities {
    pub fn new(p: CityPorts) -> Self {
        Self { p }
    }

    #[tracing::instrument(name = "cities.load", skip_all, fields(cities = list.len()))]
    pub async fn execute(&self, list: &[City]) -> Result<Loaded, LoadCitiesError> {
        let mut loaded = Loaded { created: 0, present: 0 };
        for city in list {
            if self.p.cities.find(&city.slug).await?.is_some() {
                loaded.present += 1;
                continue;
            }
            let ev = audit_event(&self.p, &Origin::default(), "city.seed", &city.slug, None, Some(city));
            match self.p.cities.create(city, &ev).await {
                Ok(()) => loaded.created += 1,
                Err(RepositoryError::Conflict(_)) => loaded.present += 1,
                Err(e) => return Err(e.into()),
            }
        }
        if loaded.created > 0 {
            self.p.public.changed().await;
        }
        Ok(loaded)
    }
}
