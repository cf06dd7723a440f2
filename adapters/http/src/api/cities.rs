//! `/cities`, `/stats`: the home page's lists and counters (`application::listings`).

use poem::Request;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::{ApiTags, reject_unknown_params};
use crate::Services;
use crate::error::ApiResult;

/// A city searchers can choose.
#[derive(Debug, Object)]
pub struct CityDto {
    /// URL slug, e.g. `leeds`.
    pub slug: String,
    /// Display name, e.g. `Leeds`.
    pub name: String,
    /// Named areas of the city, alphabetical.
    pub areas: Vec<String>,
    /// Listings in search.
    pub listing_count: u64,
}

#[derive(Debug, Object)]
pub struct CityList {
    pub items: Vec<CityDto>,
}

/// The home-page counters.
#[derive(Debug, Object)]
pub struct StatsDto {
    /// Listings in search.
    pub listings: u64,
    /// Cities with at least one listing.
    pub cities: u64,
    /// Landlords and agents with an active account.
    pub landlords: u64,
}

pub struct CitiesApi;

#[OpenApi(tag = "ApiTags::Cities")]
impl CitiesApi {
    /// List cities with their areas and listing counts
    ///
    /// `listings::CitiesWithCounts`. Active cities by name; counts are at most a few
    /// seconds old (`PUBLIC_COUNTS_TTL_SECONDS`).
    #[oai(path = "/cities", method = "get", operation_id = "listCities")]
    async fn list(&self, s: Data<&Services>, req: &Request) -> ApiResult<Json<CityList>> {
        reject_unknown_params(req, &[])?;
        let cities = s.read(req, |r| async move { Ok(r.cities_with_counts.execute().await?) }).await?;
        Ok(Json(CityList {
            items: cities
                .iter()
                .map(|c| CityDto {
                    slug: c.slug.clone(),
                    name: c.name.clone(),
                    areas: c.areas.clone(),
                    listing_count: c.listing_count,
                })
                .collect(),
        }))
    }

    /// Home-page counters
    ///
    /// `listings::SiteCounters`. At most a few seconds old (`PUBLIC_COUNTS_TTL_SECONDS`).
    #[oai(path = "/stats", method = "get", operation_id = "stats")]
    async fn stats(&self, s: Data<&Services>, req: &Request) -> ApiResult<Json<StatsDto>> {
        reject_unknown_params(req, &[])?;
        let st = s.read(req, |r| async move { Ok(r.stats.execute().await?) }).await?;
        Ok(Json(StatsDto { listings: st.listings, cities: st.cities, landlords: st.landlords }))
    }
}
