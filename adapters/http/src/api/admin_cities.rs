//! `/admin/cities/*`: cities and areas as admins keep them (`application::cities`).
//! Every use case refuses non-admins; every change is audited.

use domain::{City, CitySlug};
use poem::Request;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::{ApiTags, reject_unknown_params};
use crate::Services;
use crate::auth::SignedIn;
use crate::error::{ApiError, ApiResult};
use crate::types::{AreaNameText, CityNameText, SlugText};

/// An area as admins see it.
#[derive(Debug, Object)]
#[oai(rename = "AdminArea")]
pub struct AdminAreaDto {
    pub name: String,
    /// `false`: retired; not offered to searchers or new listings (listings in it keep it).
    pub active: bool,
}

/// A city as admins see it: inactive cities and retired areas included.
#[derive(Debug, Object)]
#[oai(rename = "AdminCity")]
pub struct AdminCityDto {
    /// URL slug; never changes.
    pub slug: String,
    pub name: String,
    /// `false`: deactivated; its listings are hidden from the public.
    pub active: bool,
    /// Areas, alphabetical.
    pub areas: Vec<AdminAreaDto>,
}

impl From<City> for AdminCityDto {
    fn from(c: City) -> Self {
        Self {
            areas: c
                .areas()
                .iter()
                .map(|a| AdminAreaDto { name: a.name.as_str().to_owned(), active: a.active })
                .collect(),
            slug: c.slug.to_string(),
            name: c.name.as_str().to_owned(),
            active: c.active,
        }
    }
}

#[derive(Debug, Object)]
#[oai(rename = "AdminCityList")]
pub struct AdminCityList {
    pub items: Vec<AdminCityDto>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct NewCityInput {
    /// Display name, e.g. `Newcastle upon Tyne` (unique).
    pub name: CityNameText,
    /// URL slug; derived from the name when left out or `null` (`newcastle-upon-tyne`).
    #[oai(nullable)]
    pub slug: Option<SlugText>,
    /// Its areas (each once, ignoring case); none when left out or `null`.
    #[oai(nullable, validator(max_items = 100))]
    pub areas: Option<Vec<AreaNameText>>,
}

/// Only the fields sent change; neither can be cleared (`null` is 400).
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CityChangeInput {
    pub name: MaybeUndefined<CityNameText>,
    pub active: MaybeUndefined<bool>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct NewAreaInput {
    pub name: AreaNameText,
}

/// Only the fields sent change; neither can be cleared (`null` is 400).
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct AreaChangeInput {
    pub name: MaybeUndefined<AreaNameText>,
    pub active: MaybeUndefined<bool>,
}

#[derive(ApiResponse)]
pub enum CityCreated {
    /// The city as stored now.
    #[oai(status = 201)]
    Created(Json<AdminCityDto>),
}

/// A field that can be changed but not cleared: absent is `None`, `null` is 400.
fn set_only<T>(field: &str, v: MaybeUndefined<T>) -> ApiResult<Option<T>> {
    match v {
        MaybeUndefined::Undefined => Ok(None),
        MaybeUndefined::Null => Err(ApiError::bad_param(field, "cannot be null: leave it out to keep it")),
        MaybeUndefined::Value(v) => Ok(Some(v)),
    }
}

fn slug(p: &SlugText) -> ApiResult<CitySlug> {
    CitySlug::parse(&p.0).map_err(|e| ApiError::bad_param("slug", e.message))
}

pub struct AdminCitiesApi;

#[OpenApi(tag = "ApiTags::Admin")]
impl AdminCitiesApi {
    /// Every city, inactive ones and retired areas included, by name
    ///
    /// `cities::ListAllCities`.
    #[oai(path = "/admin/cities", method = "get", operation_id = "adminCities")]
    async fn all(&self, who: SignedIn, s: Data<&Services>, req: &Request) -> ApiResult<Json<AdminCityList>> {
        reject_unknown_params(req, &[])?;
        let cities = s.list_all_cities.execute(who.viewer).await?;
        Ok(Json(AdminCityList { items: cities.into_iter().map(AdminCityDto::from).collect() }))
    }

    /// Add a city (active) with its areas
    ///
    /// `cities::CreateCity`. 409 `name-taken` when a city has this slug or name.
    #[oai(path = "/admin/cities", method = "post", operation_id = "createCity")]
    async fn create(&self, who: SignedIn, s: Data<&Services>, body: Json<NewCityInput>) -> ApiResult<CityCreated> {
        let input = application::cities::NewCity {
            name: body.0.name.0,
            slug: body.0.slug.map(|s| s.0),
            areas: body.0.areas.unwrap_or_default().into_iter().map(|a| a.0).collect(),
        };
        let city = s.create_city.execute(who.viewer, input, &who.origin).await?;
        Ok(CityCreated::Created(Json(city.into())))
    }

    /// Rename a city and/or (de)activate it
    ///
    /// `cities::ChangeCity`. A deactivated city leaves `GET /cities`, cannot be chosen
    /// for new listings, and its listings are hidden from the public until it is active
    /// again. The slug never changes.
    #[oai(path = "/admin/cities/:slug", method = "patch", operation_id = "changeCity")]
    async fn change(
        &self,
        who: SignedIn,
        s: Data<&Services>,
        #[oai(name = "slug")] city: Path<SlugText>,
        body: Json<CityChangeInput>,
    ) -> ApiResult<Json<AdminCityDto>> {
        let slug = slug(&city.0)?;
        let name = set_only("name", body.0.name)?.map(|n| n.0);
        let active = set_only("active", body.0.active)?;
        let c = s.change_city.execute(who.viewer, &slug, name.as_deref(), active, &who.origin).await?;
        Ok(Json(c.into()))
    }

    /// Add an area to a city
    ///
    /// `cities::AddArea`. 409 `name-taken` when the city has an area of this name
    /// (ignoring case), active or retired.
    #[oai(path = "/admin/cities/:slug/areas", method = "post", operation_id = "addArea")]
    async fn add_area(
        &self,
        who: SignedIn,
        s: Data<&Services>,
        #[oai(name = "slug")] city: Path<SlugText>,
        body: Json<NewAreaInput>,
    ) -> ApiResult<CityCreated> {
        let slug = slug(&city.0)?;
        let c = s.add_area.execute(who.viewer, &slug, &body.0.name.0, &who.origin).await?;
        Ok(CityCreated::Created(Json(c.into())))
    }

    /// Rename an area and/or retire it
    ///
    /// `cities::ChangeArea`. `area` is the current name (ignoring case). Renaming moves
    /// the city's listings in the area to the new name (their `ETag`s change). A retired
    /// area is not offered to searchers or new listings; listings in it keep it.
    #[oai(path = "/admin/cities/:slug/areas/:area", method = "patch", operation_id = "changeArea")]
    async fn change_area(
        &self,
        who: SignedIn,
        s: Data<&Services>,
        #[oai(name = "slug")] city: Path<SlugText>,
        area: Path<AreaNameText>,
        body: Json<AreaChangeInput>,
    ) -> ApiResult<Json<AdminCityDto>> {
        let slug = slug(&city.0)?;
        let name = set_only("name", body.0.name)?.map(|n| n.0);
        let active = set_only("active", body.0.active)?;
        let c = s.change_area.execute(who.viewer, &slug, &area.0.0, name.as_deref(), active, &who.origin).await?;
        Ok(Json(c.into()))
    }
}
