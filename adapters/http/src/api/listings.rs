use application::listings::StatusAction;
use application::ports::{SearchQuery, SearchSort};
use chrono::NaiveDate;
use domain::listing::{AcademicYear, Features, ListingId, PropertyType};
use domain::{AreaName, CitySlug};
use poem::Request;
use poem::session::Session;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde::Serialize;
use uuid::Uuid;

use super::dto::{ListingDto, ListingInput, ListingPatchInput};
use super::{ApiTags, origin, page_request, reject_unknown_params};
use crate::Services;
use crate::auth;
use crate::error::{ApiError, ApiResult};
use crate::payload::JsonOut;

/// A page of search results.
#[derive(Debug, Object, Serialize)]
pub struct SearchPage {
    pub items: Vec<ListingDto>,
    /// Pass as `cursor` (with the same filters and sort) for the next page.
    pub next_cursor: Option<String>,
    /// Number of matches, exact up to 1,000 (show "1,000+" beyond).
    pub total_estimate: u64,
}

#[derive(ApiResponse)]
pub enum Created {
    /// The draft was created.
    #[oai(status = 201)]
    Created(JsonOut<ListingDto>),
}

#[derive(ApiResponse)]
pub enum Deleted {
    /// The draft is gone.
    #[oai(status = 204)]
    Deleted,
}

const SEARCH_PARAMS: &[&str] = &[
    "city",
    "area",
    "min_rent",
    "max_rent",
    "bedrooms_min",
    "bedrooms_max",
    "property_type",
    "bills_included",
    "ensuite",
    "furnished",
    "available_from",
    "academic_year",
    "features",
    "q",
    "sort",
    "cursor",
    "page_size",
];

fn param<T, E: std::fmt::Display>(name: &str, r: Result<T, E>) -> ApiResult<T> {
    r.map_err(|e| ApiError::bad_param(name, e.to_string()))
}

fn bedrooms(name: &str, v: Option<i64>) -> ApiResult<Option<u8>> {
    v.map(|n| {
        u8::try_from(n)
            .ok()
            .filter(|n| (1..=20).contains(n))
            .ok_or_else(|| ApiError::bad_param(name, "must be between 1 and 20"))
    })
    .transpose()
}

fn rent(name: &str, v: Option<i64>) -> ApiResult<Option<i64>> {
    match v {
        Some(n) if !(0..=10_000_000).contains(&n) => {
            Err(ApiError::bad_param(name, "must be between 0 and 10000000 pence"))
        }
        other => Ok(other),
    }
}

pub struct ListingsApi;

#[OpenApi(tag = "ApiTags::Listings")]
impl ListingsApi {
    /// Search published listings
    ///
    /// Every filter is optional. Rents are pence per person per week. `features` is a
    /// comma-separated list (all must be present). Unknown parameters and out-of-range
    /// values are 400 naming the parameter.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/listings", method = "get", operation_id = "searchListings")]
    async fn search(
        &self,
        s: Data<&Services>,
        req: &Request,
        /// City slug, e.g. `leeds`.
        city: Query<Option<String>>,
        /// Area name within the city, e.g. `Hyde Park`.
        area: Query<Option<String>>,
        min_rent: Query<Option<i64>>,
        max_rent: Query<Option<i64>>,
        bedrooms_min: Query<Option<i64>>,
        bedrooms_max: Query<Option<i64>>,
        /// house | flat | studio | room | hall
        property_type: Query<Option<String>>,
        bills_included: Query<Option<bool>>,
        /// true: at least one en-suite room.
        ensuite: Query<Option<bool>>,
        furnished: Query<Option<bool>>,
        /// Available on or before this date.
        available_from: Query<Option<NaiveDate>>,
        /// e.g. `2027/28`
        academic_year: Query<Option<String>>,
        /// Comma-separated, e.g. `wifi,garden`.
        features: Query<Option<String>>,
        /// Free text over title, description and area.
        q: Query<Option<String>>,
        /// newest (default) | rent_asc | rent_desc | bedrooms_desc
        sort: Query<Option<String>>,
        cursor: Query<Option<String>>,
        /// 1–50, default 20.
        page_size: Query<Option<u32>>,
    ) -> ApiResult<JsonOut<SearchPage>> {
        reject_unknown_params(req, SEARCH_PARAMS)?;
        let sort = match sort.0.as_deref() {
            None => SearchSort::Newest,
            Some(v) => SearchSort::parse(v).ok_or_else(|| {
                ApiError::bad_param("sort", "must be one of newest, rent_asc, rent_desc, bedrooms_desc")
            })?,
        };
        let q_text = q.0.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
        if q_text.as_ref().is_some_and(|t| t.chars().count() > 200) {
            return Err(ApiError::bad_param("q", "must be at most 200 characters"));
        }
        let query = SearchQuery {
            city: city.0.map(|c| param("city", CitySlug::parse(&c).map_err(|e| e.message))).transpose()?,
            area: area.0.map(|a| param("area", AreaName::parse(&a).map_err(|e| e.message))).transpose()?,
            min_rent: rent("min_rent", min_rent.0)?,
            max_rent: rent("max_rent", max_rent.0)?,
            bedrooms_min: bedrooms("bedrooms_min", bedrooms_min.0)?,
            bedrooms_max: bedrooms("bedrooms_max", bedrooms_max.0)?,
            property_type: property_type
                .0
                .map(|p| param("property_type", PropertyType::parse(&p).map_err(|e| e.message)))
                .transpose()?,
            bills_included: bills_included.0,
            ensuite: ensuite.0,
            furnished: furnished.0,
            available_from: available_from.0,
            academic_year: academic_year
                .0
                .map(|y| param("academic_year", AcademicYear::parse(&y).map_err(|e| e.message)))
                .transpose()?,
            features: match features.0 {
                None => Features::default(),
                Some(f) => param(
                    "features",
                    Features::parse_all(f.split(',').map(str::trim).filter(|s| !s.is_empty())).map_err(|e| e.message),
                )?,
            },
            q: q_text,
            sort,
            page: Some(page_request(cursor.0.as_deref(), page_size.0, sort.tag())?),
        };
        if let (Some(a), Some(b)) = (query.min_rent, query.max_rent)
            && a > b
        {
            return Err(ApiError::bad_param("min_rent", "must not be above max_rent"));
        }
        if let (Some(a), Some(b)) = (query.bedrooms_min, query.bedrooms_max)
            && a > b
        {
            return Err(ApiError::bad_param("bedrooms_min", "must not be above bedrooms_max"));
        }
        let res = s.search.execute(&query).await?;
        Ok(JsonOut(SearchPage {
            next_cursor: res.page.next.map(|c| c.encode()),
            total_estimate: res.total_estimate,
            items: res.page.items.into_iter().map(|l| ListingDto::from_listing(l, false)).collect(),
        }))
    }

    /// A listing
    ///
    /// Published and let listings are public; drafts and archived listings exist only for
    /// their owner and admins (404 for everyone else). The full postcode and address are
    /// shown to the owner and admins only.
    #[oai(path = "/listings/:id", method = "get", operation_id = "getListing")]
    async fn get(&self, s: Data<&Services>, session: &Session, id: Path<Uuid>) -> ApiResult<JsonOut<ListingDto>> {
        let viewer = auth::viewer(&s, session).await?;
        let view = s.get_listing.execute(viewer, ListingId(id.0)).await?;
        Ok(JsonOut(ListingDto::from_listing(view.listing, view.private)))
    }

    /// Create a draft listing (landlords and agents)
    #[oai(path = "/listings", method = "post", operation_id = "createListing")]
    async fn create(
        &self,
        s: Data<&Services>,
        session: &Session,
        req: &Request,
        body: Json<ListingInput>,
    ) -> ApiResult<Created> {
        let viewer = auth::require(&s, session).await?;
        if !viewer.role.can_list() {
            return Err(ApiError::forbidden("Only landlords and agents can create listings."));
        }
        let details = body.0.into_details().map_err(|e| ApiError::invalid(&e))?;
        let l = s.create_listing.execute(viewer, details, &origin(req, Some(viewer))).await?;
        Ok(Created::Created(JsonOut(ListingDto::from_listing(l, true))))
    }

    /// Change a listing (owner or admin)
    ///
    /// Absent fields stay as they are; `null` clears a field. A published listing must stay
    /// publishable (409 `listing-incomplete` otherwise).
    #[oai(path = "/listings/:id", method = "patch", operation_id = "updateListing")]
    async fn update(
        &self,
        s: Data<&Services>,
        session: &Session,
        req: &Request,
        id: Path<Uuid>,
        body: Json<ListingPatchInput>,
    ) -> ApiResult<JsonOut<ListingDto>> {
        let viewer = auth::require(&s, session).await?;
        let patch = body.0.into_patch().map_err(|e| ApiError::invalid(&e))?;
        let l = s.update_listing.execute(viewer, ListingId(id.0), patch, &origin(req, Some(viewer))).await?;
        Ok(JsonOut(ListingDto::from_listing(l, true)))
    }

    /// Publish a listing (owner or admin)
    ///
    /// Needs a complete listing that meets the letting rules; otherwise 409
    /// `listing-incomplete` with every missing field in `errors`.
    #[oai(path = "/listings/:id/publish", method = "post", operation_id = "publishListing")]
    async fn publish(
        &self,
        s: Data<&Services>,
        session: &Session,
        req: &Request,
        id: Path<Uuid>,
    ) -> ApiResult<JsonOut<ListingDto>> {
        self.transition(&s, session, req, id.0, StatusAction::Publish).await
    }

    /// Archive a listing (owner or admin)
    #[oai(path = "/listings/:id/archive", method = "post", operation_id = "archiveListing")]
    async fn archive(
        &self,
        s: Data<&Services>,
        session: &Session,
        req: &Request,
        id: Path<Uuid>,
    ) -> ApiResult<JsonOut<ListingDto>> {
        self.transition(&s, session, req, id.0, StatusAction::Archive).await
    }

    /// Mark a published listing as let (owner or admin)
    #[oai(path = "/listings/:id/let", method = "post", operation_id = "letListing")]
    async fn mark_let(
        &self,
        s: Data<&Services>,
        session: &Session,
        req: &Request,
        id: Path<Uuid>,
    ) -> ApiResult<JsonOut<ListingDto>> {
        self.transition(&s, session, req, id.0, StatusAction::Let).await
    }

    /// Delete a draft (owner or admin); other listings are archived instead (409)
    #[oai(path = "/listings/:id", method = "delete", operation_id = "deleteListing")]
    async fn delete(&self, s: Data<&Services>, session: &Session, req: &Request, id: Path<Uuid>) -> ApiResult<Deleted> {
        let viewer = auth::require(&s, session).await?;
        s.delete_listing.execute(viewer, ListingId(id.0), &origin(req, Some(viewer))).await?;
        Ok(Deleted::Deleted)
    }
}

impl ListingsApi {
    async fn transition(
        &self,
        s: &Services,
        session: &Session,
        req: &Request,
        id: Uuid,
        action: StatusAction,
    ) -> ApiResult<JsonOut<ListingDto>> {
        let viewer = auth::require(s, session).await?;
        let l = s.change_status.execute(viewer, ListingId(id), action, &origin(req, Some(viewer))).await?;
        Ok(JsonOut(ListingDto::from_listing(l, true)))
    }
}
