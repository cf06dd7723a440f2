use domain::{AreaName, City, CitySlug, ValidationError};

use super::{ADMINS_ONLY, CityPorts, audit_event};
use crate::audit::Origin;
use crate::errors::conflicts_are_name_taken;
use crate::listings::Viewer;

#[derive(Debug, thiserror::Error)]
pub enum AddAreaError {
    #[error("{ADMINS_ONLY}")]
    NotAnAdmin,
    #[error("invalid area")]
    Invalid(Vec<ValidationError>),
    #[error("city not found")]
    NotFound,
    /// The city has an area of this name (ignoring case), active or retired.
    #[error("the city has an area of this name")]
    NameTaken,
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

conflicts_are_name_taken!(AddAreaError);

/// `POST /admin/cities/{slug}/areas`: a new, active area (audited as `city.add_area`).
#[derive(Clone)]
pub struct AddArea {
    p: CityPorts,
}

impl AddArea {
    pub fn new(p: CityPorts) -> Self {
        Self { p }
    }

    #[tracing::instrument(name = "cities.add_area", skip_all, fields(city = %slug))]
    pub async fn execute(
        &self,
        viewer: Viewer,
        slug: &CitySlug,
        name: &str,
        origin: &Origin,
    ) -> Result<City, AddAreaError> {
        if !viewer.is_admin() {
            return Err(AddAreaError::NotAnAdmin);
        }
        let name = AreaName::parse(name).map_err(|e| AddAreaError::Invalid(vec![e]))?;
        let before = self.p.cities.find(slug).await?.ok_or(AddAreaError::NotFound)?;
        let mut expected = before.clone();
        if !expected.add_area(name.clone()) {
            return Err(AddAreaError::NameTaken);
        }
        let ev = audit_event(&self.p, origin, "city.add_area", slug, Some(&before), Some(&expected));
        let city = self.p.cities.add_area(slug, &name, &ev).await?.ok_or(AddAreaError::NotFound)?;
        self.p.public.changed().await;
        Ok(city)
    }
}
