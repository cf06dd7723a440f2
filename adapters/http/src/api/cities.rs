use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::ApiTags;
use crate::Services;
use crate::problem::Problem;

/// A city searchers can choose.
#[derive(Debug, Object)]
pub struct CityDto {
    /// URL slug, e.g. `leeds`.
    pub slug: String,
    /// Display name, e.g. `Leeds`.
    pub name: String,
    /// Named areas of the city, alphabetical.
    pub areas: Vec<String>,
}

#[derive(Debug, Object)]
pub struct CityList {
    pub items: Vec<CityDto>,
}

#[derive(ApiResponse)]
pub enum ListCitiesResponse {
    /// Active cities, alphabetical.
    #[oai(status = 200)]
    Ok(Json<CityList>),
    /// Unexpected failure (logged; quote the X-Request-Id).
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

pub struct CitiesApi;

#[OpenApi(tag = "ApiTags::Cities")]
impl CitiesApi {
    /// List cities
    #[oai(path = "/cities", method = "get", operation_id = "listCities")]
    async fn list(&self, services: Data<&Services>) -> ListCitiesResponse {
        match services.list_cities.execute().await {
            Ok(cities) => ListCitiesResponse::Ok(Json(CityList {
                items: cities
                    .into_iter()
                    .map(|c| CityDto {
                        slug: c.slug.to_string(),
                        name: c.name.as_str().to_owned(),
                        areas: c.areas().iter().map(|a| a.name.as_str().to_owned()).collect(),
                    })
                    .collect(),
            })),
            Err(e) => ListCitiesResponse::Internal(Json(Problem::internal(&e))),
        }
    }
}
