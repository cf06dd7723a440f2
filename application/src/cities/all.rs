use domain::City;

use super::{ADMINS_ONLY, CityPorts};
use crate::errors::storage_errors_are_unexpected;
use crate::listings::Viewer;
use crate::ports::CityFilter;

#[derive(Debug, thiserror::Error)]
pub enum ListAllCitiesError {
    #[error("{ADMINS_ONLY}")]
    NotAnAdmin,
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

storage_errors_are_unexpected!(ListAllCitiesError);

/// `GET /admin/cities`: every city, inactive ones and retired areas included, by name.
#[derive(Clone)]
pub struct ListAllCities {
    p: CityPorts,
}

impl ListAllCities {
    pub fn new(p: CityPorts) -> Self {
        Self { p }
    }

    #[tracing::instrument(name = "cities.list_all", skip_all)]
    pub async fn execute(&self, viewer: Viewer) -> Result<Vec<City>, ListAllCitiesError> {
        if !viewer.is_admin() {
            return Err(ListAllCitiesError::NotAnAdmin);
        }
        Ok(self.p.cities.list(CityFilter::All).await?)
    }
}
