use domain::{City, CityName, CitySlug, ValidationError};

use super::{ADMINS_ONLY, CityPorts, audit_event};
use crate::audit::Origin;
use crate::errors::conflicts_are_name_taken;
use crate::listings::Viewer;
use crate::ports::CityChange;

#[derive(Debug, thiserror::Error)]
pub enum ChangeCityError {
    #[error("{ADMINS_ONLY}")]
    NotAnAdmin,
    #[error("invalid change")]
    Invalid(Vec<ValidationError>),
    #[error("city not found")]
    NotFound,
    /// Another city has this name.
    #[error("another city has this name")]
    NameTaken,
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

conflicts_are_name_taken!(ChangeCityError);

/// `PATCH /admin/cities/{slug}`: rename a city and/or (de)activate it (audited as
/// `city.update`). The slug never changes (listings and links use it). A deactivated
/// city leaves `GET /cities`, new listings cannot choose it, and its listings leave
/// search and detail (`hidden_reason: city_inactive`) until it is active again.
#[derive(Clone)]
pub struct ChangeCity {
    p: CityPorts,
}

impl ChangeCity {
    pub fn new(p: CityPorts) -> Self {
        Self { p }
    }

    #[tracing::instrument(name = "cities.change", skip_all, fields(city = %slug))]
    pub async fn execute(
        &self,
        viewer: Viewer,
        slug: &CitySlug,
        name: Option<&str>,
        active: Option<bool>,
        origin: &Origin,
    ) -> Result<City, ChangeCityError> {
        if !viewer.is_admin() {
            return Err(ChangeCityError::NotAnAdmin);
        }
        let name = name.map(CityName::parse).transpose().map_err(|e| ChangeCityError::Invalid(vec![e]))?;
        let before = self.p.cities.find(slug).await?.ok_or(ChangeCityError::NotFound)?;
        let change = CityChange { name, active };
        let mut expected = before.clone();
        change.apply(&mut expected);
        let ev = audit_event(&self.p, origin, "city.update", slug, Some(&before), Some(&expected));
        let city = self.p.cities.change(slug, &change, &ev).await?.ok_or(ChangeCityError::NotFound)?;
        self.p.public.changed().await;
        Ok(city)
    }
}
