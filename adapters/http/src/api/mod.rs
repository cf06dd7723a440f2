//! The versioned JSON API (`/api/v1`), one module per endpoint group. Each handler
//! calls one use case (named in its doc comment's module) and maps nothing itself:
//! `?` turns the use case's error into an `ApiError` (`crate::error`).

mod admin;
mod admin_cities;
mod admin_jobs;
mod auth;
mod cities;
pub mod dto;
mod enquiries;
mod listings;
mod me;
mod photos;

use application::audit::Origin;
use application::paging::{Cursor, Page, PageRequest};
use domain::ValidationError;
use poem::Request;
use poem_openapi::Tags;

use crate::error::{ApiError, ApiResult};
use crate::middleware::RequestId;
use crate::types::Nullable;

#[derive(Tags)]
pub enum ApiTags {
    /// Registration, sign-in, sessions.
    Auth,
    /// Cities, areas and site counters.
    Cities,
    /// Listings: search, detail, and management by landlords and agents.
    Listings,
    /// The signed-in user's own things: account, listings, shortlist, enquiries.
    Me,
    /// Enquiries between students and landlords.
    Enquiries,
    /// Moderation, cities and areas (admins only).
    Admin,
}

pub type Apis = (
    auth::AuthApi,
    cities::CitiesApi,
    listings::ListingsApi,
    me::MeApi,
    enquiries::EnquiriesApi,
    admin::AdminApi,
    admin_cities::AdminCitiesApi,
    admin_jobs::AdminJobsApi,
    photos::PhotosApi,
);

pub fn apis() -> Apis {
    (
        auth::AuthApi,
        cities::CitiesApi,
        listings::ListingsApi,
        me::MeApi,
        enquiries::EnquiriesApi,
        admin::AdminApi,
        admin_cities::AdminCitiesApi,
        admin_jobs::AdminJobsApi,
        photos::PhotosApi,
    )
}

/// The audit origin of an anonymous request (registration).
pub fn anonymous_origin(req: &Request) -> Origin {
    Origin { actor: None, request_id: req.extensions().get::<RequestId>().map(|r| r.0.clone()) }
}

/// Refuses query parameters the endpoint does not know (a typo would otherwise be ignored
/// silently and return unfiltered results).
pub fn reject_unknown_params(req: &Request, allowed: &[&str]) -> ApiResult<()> {
    let Some(q) = req.uri().query() else { return Ok(()) };
    for pair in q.split('&').filter(|p| !p.is_empty()) {
        let (raw_name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = strict_decode(raw_name)
            .ok_or_else(|| ApiError::bad_param("query", "parameter names must be valid UTF-8"))?;
        if !allowed.contains(&name.as_str()) {
            let shown: String = name.chars().take(40).collect();
            let known = if allowed.is_empty() { "none".to_owned() } else { allowed.join(", ") };
            return Err(ApiError::bad_param(&shown, format!("unknown parameter; known: {known}")));
        }
        if strict_decode(raw_value).is_none() {
            return Err(ApiError::bad_param(&name, "must be valid UTF-8"));
        }
    }
    Ok(())
}

/// Form-decodes a query component, refusing invalid UTF-8 (instead of replacing it).
fn strict_decode(raw: &str) -> Option<String> {
    let plus_as_space = raw.replace('+', " ");
    percent_encoding::percent_decode_str(&plus_as_space).decode_utf8().ok().map(std::borrow::Cow::into_owned)
}

/// The page request from `cursor` and `page_size` (whose range the schema enforces). A
/// cursor this endpoint did not hand out (or from another sort) is 422.
pub fn page_request(cursor: Option<&str>, page_size: Option<i32>, sort: u8) -> ApiResult<PageRequest> {
    let size = page_size.and_then(|n| u32::try_from(n).ok()).unwrap_or(PageRequest::DEFAULT_SIZE);
    let after = match cursor {
        None | Some("") => None,
        Some(c) => Some(
            Cursor::decode(c, sort)
                .map_err(|_| ApiError::invalid(&[ValidationError::new("cursor", "is not a cursor of this listing")]))?,
        ),
    };
    Ok(PageRequest { after, size: size.clamp(1, PageRequest::MAX_SIZE) })
}

/// A page of items.
#[derive(Debug, poem_openapi::Object)]
#[oai(rename = "Page")]
pub struct PageDto<T: poem_openapi::types::ParseFromJSON + poem_openapi::types::ToJSON + Send + Sync> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Nullable<String>,
}

pub fn page_dto<T, U>(page: Page<T>, f: impl FnMut(T) -> U) -> PageDto<U>
where
    U: poem_openapi::types::ParseFromJSON + poem_openapi::types::ToJSON + Send + Sync,
{
    let next_cursor = Nullable(page.next.map(|c| c.encode()));
    PageDto { items: page.items.into_iter().map(f).collect(), next_cursor }
}
