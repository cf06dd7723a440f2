//! `/listings*`: search, detail, and management (`application::listings`).

use application::ports::{SearchQuery, SearchSort};
use domain::listing::{AcademicYear, Feature, Features, ListingId, PropertyType};
use domain::{AreaName, CitySlug, ValidationError};
use poem::Request;
use poem::web::Data;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde::Serialize;
use uuid::Uuid;

use super::dto::{ListingCardDto, ListingDto, ListingInput, ListingPatchInput, PhotoDto};
use super::{ApiTags, page_request, reject_unknown_params};
use crate::Services;
use crate::auth::{MaybeSignedIn, SignedIn};
use crate::error::{ApiError, ApiResult};
use crate::payload::JsonOut;
use crate::problem::ProblemKind;
use crate::types::{AcademicYearText, Closed, CursorText, Date, EtagText, Nullable, SearchText, SlugText};

/// A page of search results.
#[derive(Debug, Object, Serialize)]
pub struct SearchPage {
    pub items: Vec<ListingCardDto>,
    /// Pass as `cursor` (with the same filters and sort) for the next page; `null` on the
    /// last page.
    pub next_cursor: Nullable<String>,
    /// Number of matches, exact up to 1,000 (show "1,000+" beyond).
    pub total_estimate: u64,
}

#[derive(ApiResponse)]
pub enum Created {
    /// The draft was created. `ETag`: its version, for `If-Match` on the next change.
    #[oai(status = 201)]
    Created(JsonOut<ListingDto>, #[oai(header = "ETag")] String),
}

/// A listing after a change, as its owner or an admin sees it.
#[derive(ApiResponse)]
pub enum Changed {
    /// The listing as it is now. `ETag`: its new version, for `If-Match` on the next
    /// change.
    #[oai(status = 200)]
    Ok(JsonOut<ListingDto>, #[oai(header = "ETag")] String),
}

impl Changed {
    pub fn of(l: domain::listing::Listing) -> Self {
        let tag = EtagText::of(l.version);
        Self::Ok(JsonOut(ListingDto::from_listing(l, true)), tag)
    }
}

/// A listing as the viewer may see it.
#[derive(ApiResponse)]
pub enum Viewed {
    /// The listing. `ETag` (its version) only for its owner and admins: send it as
    /// `If-Match` with a change.
    #[oai(status = 200)]
    Ok(JsonOut<ListingDto>, #[oai(header = "ETag")] Option<String>),
}

/// The version a change is based on: `If-Match` is required (428 without it).
pub fn precondition(if_match: Option<EtagText>) -> Result<domain::Version, ApiError> {
    if_match.map(|t| t.version()).ok_or_else(|| {
        ApiError::problem(
            ProblemKind::PreconditionRequired,
            "Send If-Match with the listing's ETag (from GET /api/v1/listings/{id}), so that a change \
             made meanwhile by someone else is not overwritten.",
        )
    })
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

/// A domain value from a parameter the schema already checked; what only the domain
/// knows (e.g. an area of whitespace) is 422.
fn domain_param<T>(r: Result<T, ValidationError>, name: &'static str) -> ApiResult<T> {
    r.map_err(|e| ApiError::invalid(&[ValidationError::new(name, e.message)]))
}

fn small(v: Option<i32>) -> Option<u8> {
    v.and_then(|n| u8::try_from(n).ok())
}

pub struct ListingsApi;

#[OpenApi(tag = "ApiTags::Listings")]
impl ListingsApi {
    /// Search published listings
    ///
    /// `listings::SearchListings`. Every filter is optional; results are cards (the whole
    /// listing is at `GET /listings/{id}`). Rents are pence per person per week.
    /// `features` is comma-separated (all must be present). Unknown parameters are 400;
    /// a minimum above its maximum is 422.
    #[oai(path = "/listings", method = "get", operation_id = "searchListings")]
    async fn search(
        &self,
        s: Data<&Services>,
        req: &Request,
        /// City slug, e.g. `leeds`.
        city: Query<Option<SlugText>>,
        /// Area name within the city, e.g. `Hyde Park` (any case).
        #[oai(validator(min_length = 1, max_length = 80))]
        area: Query<Option<String>>,
        /// Pence per person per week, inclusive.
        #[oai(validator(minimum(value = "0"), maximum(value = "10000000")))]
        min_rent: Query<Option<i64>>,
        /// Pence per person per week, inclusive.
        #[oai(validator(minimum(value = "0"), maximum(value = "10000000")))]
        max_rent: Query<Option<i64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "20")))] bedrooms_min: Query<Option<i32>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "20")))] bedrooms_max: Query<Option<i32>>,
        property_type: Query<Option<Closed<PropertyType>>>,
        bills_included: Query<Option<bool>>,
        /// true: at least one en-suite room; false: none.
        ensuite: Query<Option<bool>>,
        furnished: Query<Option<bool>>,
        /// Available on or before this date.
        available_from: Query<Option<Date>>,
        /// e.g. `2027/28`
        academic_year: Query<Option<AcademicYearText>>,
        /// Comma-separated, e.g. `wifi,garden`: listings with all of them.
        // `default`: poem-openapi 5.1 panics on an absent `explode = false` parameter
        // without one (it unwraps the first value).
        #[oai(explode = false, default, validator(min_items = 1, max_items = 16))]
        features: Query<Option<Vec<Closed<Feature>>>>,
        /// Free text over title, description and area.
        q: Query<Option<SearchText>>,
        /// Default `newest`.
        sort: Query<Option<Closed<SearchSort>>>,
        /// From the previous page's `next_cursor` (same filters and sort).
        cursor: Query<Option<CursorText>>,
        /// Default 20.
        #[oai(validator(minimum(value = "1"), maximum(value = "50")))]
        page_size: Query<Option<i32>>,
    ) -> ApiResult<JsonOut<SearchPage>> {
        reject_unknown_params(req, SEARCH_PARAMS)?;
        let sort = sort.0.map_or(SearchSort::Newest, |s| s.0);
        let query = SearchQuery {
            city: city.0.map(|c| domain_param(CitySlug::parse(&c.0), "city")).transpose()?,
            area: area.0.map(|a| domain_param(AreaName::parse(&a), "area")).transpose()?,
            min_rent: min_rent.0,
            max_rent: max_rent.0,
            bedrooms_min: small(bedrooms_min.0),
            bedrooms_max: small(bedrooms_max.0),
            property_type: property_type.0.map(|p| p.0),
            bills_included: bills_included.0,
            ensuite: ensuite.0,
            furnished: furnished.0,
            available_from: available_from.0.map(|d| d.0),
            academic_year: academic_year
                .0
                .map(|y| domain_param(AcademicYear::parse(&y.0), "academic_year"))
                .transpose()?,
            features: features.0.unwrap_or_default().into_iter().map(|f| f.0).collect::<Features>(),
            q: q.0.map(|t| t.0.trim().to_owned()).filter(|t| !t.is_empty()),
            sort,
            page: Some(page_request(cursor.0.as_ref().map(|c| c.0.as_str()), page_size.0, sort.tag())?),
        };
        let query = &query;
        let res = s.read(req, |r| async move { Ok(r.search.execute(query).await?) }).await?;
        Ok(JsonOut(SearchPage {
            next_cursor: Nullable(res.page.next.map(|c| c.encode())),
            total_estimate: res.total_estimate,
            items: res.page.items.into_iter().map(|c| ListingCardDto::with_cover(c, &res.covers)).collect(),
        }))
    }

    /// A listing
    ///
    /// `listings::GetListing`. Published and let listings are public; drafts and archived
    /// listings exist only for their owner and admins (404 for everyone else), and so do
    /// listings of a suspended owner, with a lapsed HMO licence or in a deactivated city.
    /// The owner and admins also get the full postcode and address, `hidden_reason` and
    /// the `ETag` to change it with.
    #[oai(path = "/listings/:id", method = "get", operation_id = "getListing")]
    async fn get(&self, who: MaybeSignedIn, s: Data<&Services>, req: &Request, id: Path<Uuid>) -> ApiResult<Viewed> {
        let (viewer, id) = (who.viewer(), ListingId(id.0));
        let view = s.read(req, |r| async move { Ok(r.get_listing.execute(viewer, id).await?) }).await?;
        let photos: Vec<PhotoDto> = view.photos.into_iter().map(PhotoDto::from).collect();
        if view.private {
            let tag = Some(EtagText::of(view.listing.version));
            let mut dto = ListingDto::for_manager(view.listing, view.hidden);
            dto.photos = photos;
            return Ok(Viewed::Ok(JsonOut(dto), tag));
        }
        let mut dto = ListingDto::from_listing(view.listing, false);
        dto.photos = photos;
        Ok(Viewed::Ok(JsonOut(dto), None))
    }

    /// Create a draft listing (landlords and agents)
    ///
    /// `listings::CreateListing`. Letting rules that already apply (deposit cap, one
    /// rent, the nation's rules) and the city/area are checked now (422).
    #[oai(path = "/listings", method = "post", operation_id = "createListing")]
    async fn create(&self, who: SignedIn, s: Data<&Services>, body: Json<ListingInput>) -> ApiResult<Created> {
        let details = body.0.into_details().map_err(|e| ApiError::invalid(&e))?;
        let l = s.create_listing.execute(who.viewer, details, &who.origin).await?;
        let tag = EtagText::of(l.version);
        Ok(Created::Created(JsonOut(ListingDto::from_listing(l, true)), tag))
    }

    /// Change a listing (owner or admin)
    ///
    /// `listings::UpdateListing`. Absent fields stay as they are; `null` clears a field. A
    /// published listing must stay publishable (409 `listing-incomplete` otherwise).
    #[oai(path = "/listings/:id", method = "patch", operation_id = "updateListing")]
    async fn update(
        &self,
        who: SignedIn,
        s: Data<&Services>,
        id: Path<Uuid>,
        /// The listing's `ETag` (from `GET /listings/{id}` or the last change). Required:
        /// 428 without it, 412 when the listing changed since.
        #[oai(name = "If-Match")]
        if_match: Header<Option<EtagText>>,
        body: Json<ListingPatchInput>,
    ) -> ApiResult<Changed> {
        let expected = precondition(if_match.0)?;
        let patch = body.0.into_patch().map_err(|e| ApiError::invalid(&e))?;
        let l = s.update_listing.execute(who.viewer, ListingId(id.0), expected, patch, &who.origin).await?;
        Ok(Changed::of(l))
    }

    /// Publish a listing (owner or admin)
    ///
    /// `listings::PublishListing`. Needs a complete listing that meets the letting rules;
    /// otherwise 409 `listing-incomplete` with every missing field in `errors`.
    #[oai(path = "/listings/:id/publish", method = "post", operation_id = "publishListing")]
    async fn publish(
        &self,
        who: SignedIn,
        s: Data<&Services>,
        id: Path<Uuid>,
        /// The listing's `ETag` (from `GET /listings/{id}` or the last change). Required:
        /// 428 without it, 412 when the listing changed since.
        #[oai(name = "If-Match")]
        if_match: Header<Option<EtagText>>,
    ) -> ApiResult<Changed> {
        let l = s.publish_listing.execute(who.viewer, ListingId(id.0), precondition(if_match.0)?, &who.origin).await?;
        Ok(Changed::of(l))
    }

    /// Archive a listing (owner or admin)
    ///
    /// `listings::ArchiveListing`. Draft, published or let → archived (out of search,
    /// read-only).
    #[oai(path = "/listings/:id/archive", method = "post", operation_id = "archiveListing")]
    async fn archive(
        &self,
        who: SignedIn,
        s: Data<&Services>,
        id: Path<Uuid>,
        /// The listing's `ETag` (from `GET /listings/{id}` or the last change). Required:
        /// 428 without it, 412 when the listing changed since.
        #[oai(name = "If-Match")]
        if_match: Header<Option<EtagText>>,
    ) -> ApiResult<Changed> {
        let l = s.archive_listing.execute(who.viewer, ListingId(id.0), precondition(if_match.0)?, &who.origin).await?;
        Ok(Changed::of(l))
    }

    /// Mark a published listing as let (owner or admin)
    ///
    /// `listings::MarkListingLet`. Still shown; no more enquiries.
    #[oai(path = "/listings/:id/let", method = "post", operation_id = "letListing")]
    async fn mark_let(
        &self,
        who: SignedIn,
        s: Data<&Services>,
        id: Path<Uuid>,
        /// The listing's `ETag` (from `GET /listings/{id}` or the last change). Required:
        /// 428 without it, 412 when the listing changed since.
        #[oai(name = "If-Match")]
        if_match: Header<Option<EtagText>>,
    ) -> ApiResult<Changed> {
        let l = s.mark_listing_let.execute(who.viewer, ListingId(id.0), precondition(if_match.0)?, &who.origin).await?;
        Ok(Changed::of(l))
    }

    /// Delete a draft that was never published (owner or admin)
    ///
    /// `listings::DeleteListing`. Anything that was ever published (taken down by an
    /// admin, let, archived) is archived instead, so no enquiry and no moderation note is
    /// lost (409 `not-deletable`).
    #[oai(path = "/listings/:id", method = "delete", operation_id = "deleteListing")]
    async fn delete(
        &self,
        who: SignedIn,
        s: Data<&Services>,
        id: Path<Uuid>,
        /// The listing's `ETag` (from `GET /listings/{id}` or the last change). Required:
        /// 428 without it, 412 when the listing changed since.
        #[oai(name = "If-Match")]
        if_match: Header<Option<EtagText>>,
    ) -> ApiResult<Deleted> {
        s.delete_listing.execute(who.viewer, ListingId(id.0), precondition(if_match.0)?, &who.origin).await?;
        Ok(Deleted::Deleted)
    }
}
