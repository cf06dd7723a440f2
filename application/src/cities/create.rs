use domain::{AreaName, City, CityName, CitySlug, ValidationError, same_name};

use super::{ADMINS_ONLY, CityPorts, audit_event};
use crate::audit::Origin;
use crate::errors::conflicts_are_name_taken;
use crate::listings::Viewer;

#[derive(Debug, thiserror::Error)]
pub enum CreateCityError {
    #[error("{ADMINS_ONLY}")]
    NotAnAdmin,
    /// A name, slug or area that the domain refuses, or an area named twice.
    #[error("invalid city")]
    Invalid(Vec<ValidationError>),
    /// A city with this slug or this name exists.
    #[error("a city with this slug or name exists")]
    NameTaken,
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

conflicts_are_name_taken!(CreateCityError);

/// A city as an admin describes it.
#[derive(Debug, Clone, Default)]
pub struct NewCity {
    pub name: String,
    /// Derived from the name when not given.
    pub slug: Option<String>,
    pub areas: Vec<String>,
}

/// `POST /admin/cities`: a new, active city with its areas (audited as `city.create`).
#[derive(Clone)]
pub struct CreateCity {
    p: CityPorts,
}

impl CreateCity {
    pub fn new(p: CityPorts) -> Self {
        Self { p }
    }

    #[tracing::instrument(name = "cities.create", skip_all)]
    pub async fn execute(&self, viewer: Viewer, input: NewCity, origin: &Origin) -> Result<City, CreateCityError> {
        if !viewer.is_admin() {
            return Err(CreateCityError::NotAnAdmin);
        }
        let city = parse(&input).map_err(CreateCityError::Invalid)?;
        let ev = audit_event(&self.p, origin, "city.create", &city.slug, None, Some(&city));
        self.p.cities.create(&city, &ev).await?;
        self.p.public.changed().await;
        Ok(city)
    }
}

/// Every problem with the input at once.
fn parse(input: &NewCity) -> Result<City, Vec<ValidationError>> {
    let mut errors = Vec::new();
    let name = CityName::parse(&input.name).map_err(|e| errors.push(e)).ok();
    let slug = match (&input.slug, &name) {
        (Some(s), _) => CitySlug::parse(s).map_err(|e| errors.push(e)).ok(),
        (None, Some(n)) => CitySlug::from_name(n).map_err(|e| errors.push(e)).ok(),
        (None, None) => None,
    };
    let mut areas = Vec::new();
    for raw in &input.areas {
        match AreaName::parse(raw) {
            Ok(a) if areas.iter().any(|b: &AreaName| same_name(b.as_str(), a.as_str())) => {
                errors.push(ValidationError::new("areas", format!("{} is listed twice", a.as_str())));
            }
            Ok(a) => areas.push(a),
            Err(e) => errors.push(ValidationError::new("areas", e.message)),
        }
    }
    match (name, slug) {
        (Some(name), Some(slug)) if errors.is_empty() => Ok(City::new(slug, name, true, areas)),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_is_named_at_once() {
        let input = NewCity { name: " ".into(), slug: Some("Not A Slug".into()), areas: vec!["A".into(), "a".into()] };
        let errors = parse(&input).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["name", "slug", "areas"], "{errors:?}");
    }

    #[test]
    fn the_slug_comes_from_the_name_unless_given() {
        let c = parse(&NewCity { name: "St Andrews".into(), ..NewCity::default() }).unwrap();
        assert_eq!(c.slug.as_str(), "st-andrews");
        assert!(c.active && c.areas().is_empty());
    }
}
