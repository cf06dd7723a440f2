use std::sync::Arc;

use domain::City;

use crate::ports::{CityFilter, CityRepository};

#[derive(Debug, thiserror::Error)]
pub enum ListCitiesError {
    #[error("could not list cities")]
    Unexpected(#[source] anyhow::Error),
}

/// The cities a searcher can choose from: active ones, ordered by name.
#[derive(Clone)]
pub struct ListCities {
    cities: Arc<dyn CityRepository>,
}

impl ListCities {
    pub fn new(cities: Arc<dyn CityRepository>) -> Self {
        Self { cities }
    }

    #[tracing::instrument(name = "cities.list", skip_all)]
    pub async fn execute(&self) -> Result<Vec<City>, ListCitiesError> {
        self.cities.list(CityFilter::Active).await.map_err(|e| ListCitiesError::Unexpected(e.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RepositoryError;
    use crate::ports::cities::MockCityRepository;
    use domain::{CityName, CitySlug};

    fn leeds() -> City {
        City::new(CitySlug::parse("leeds").unwrap(), CityName::parse("Leeds").unwrap(), true, vec![])
    }

    #[test]
    fn asks_for_active_cities_only() {
        let mut repo = MockCityRepository::new();
        repo.expect_list().withf(|f| *f == CityFilter::Active).times(1).returning(|_| Ok(vec![leeds()]));
        let out = futures::executor::block_on(ListCities::new(Arc::new(repo)).execute()).unwrap();
        assert_eq!(out, vec![leeds()]);
    }

    #[test]
    fn store_failure_is_unexpected() {
        let mut repo = MockCityRepository::new();
        repo.expect_list().returning(|_| Err(RepositoryError::unexpected(anyhow::anyhow!("down"))));
        let err = futures::executor::block_on(ListCities::new(Arc::new(repo)).execute()).unwrap_err();
        assert!(matches!(err, ListCitiesError::Unexpected(_)));
    }
}
