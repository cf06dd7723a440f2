use domain::{AreaName, City, CitySlug, ValidationError};

use super::{ADMINS_ONLY, CityPorts, audit_event};
use crate::audit::Origin;
use crate::errors::conflicts_are_name_taken;
use crate::listings::Viewer;
use crate::ports::AreaChange;

#[derive(Debug, thiserror::Error)]
pub enum ChangeAreaError {
    #[error("{ADMINS_ONLY}")]
    NotAnAdmin,
    #[error("invalid change")]
    Invalid(Vec<ValidationError>),
    /// No such city, or the city has no area of this name.
    #[error("area not found")]
    NotFound,
    /// The city has another area of the new name (ignoring case).
    #[error("the city has another area of this name")]
    NameTaken,
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

conflicts_are_name_taken!(ChangeAreaError);

/// `PATCH /admin/cities/{slug}/areas/{area}`: rename an area and/or retire it (audited
/// as `city.update_area`). Renaming moves the city's listings in the area to the new
/// name in the same transaction (their versions move on: an `ETag` read before is
/// stale). A retired area (`active: false`) is not offered in `GET /cities` and new
/// listings cannot choose it; listings in it keep it and stay visible.
#[derive(Clone)]
pub struct ChangeArea {
    p: CityPorts,
}

impl ChangeArea {
    pub fn new(p: CityPorts) -> Self {
        Self { p }
    }

    #[tracing::instrument(name = "cities.change_area", skip_all, fields(city = %slug))]
    pub async fn execute(
        &self,
        viewer: Viewer,
        slug: &CitySlug,
        area: &str,
        name: Option<&str>,
        active: Option<bool>,
        origin: &Origin,
    ) -> Result<City, ChangeAreaError> {
        if !viewer.is_admin() {
            return Err(ChangeAreaError::NotAnAdmin);
        }
        let name = name.map(AreaName::parse).transpose().map_err(|e| ChangeAreaError::Invalid(vec![e]))?;
        let before = self.p.cities.find(slug).await?.ok_or(ChangeAreaError::NotFound)?;
        let current = before.area(area).ok_or(ChangeAreaError::NotFound)?.name.clone();
        let change = AreaChange { name, active };
        let mut expected = before.clone();
        if !change.apply(&mut expected, &current) {
            return Err(ChangeAreaError::NameTaken);
        }
        let ev = audit_event(&self.p, origin, "city.update_area", slug, Some(&before), Some(&expected));
        let city = self.p.cities.change_area(slug, &current, &change, &ev).await?.ok_or(ChangeAreaError::NotFound)?;
        self.p.public.changed().await;
        Ok(city)
    }
}
