use application::ports::EnquiryBox;
use chrono::{DateTime, Utc};
use domain::listing::ListingId;
use poem::Request;
use poem::session::Session;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use uuid::Uuid;

use super::dto::ListingDto;
use super::enquiries::EnquiryDto;
use super::{ApiTags, PageDto, page_dto, page_request, reject_unknown_params};
use crate::Services;
use crate::auth;
use crate::error::{ApiError, ApiResult};

/// A saved listing and when it was saved.
#[derive(Debug, Object)]
pub struct ShortlistItem {
    pub listing: ListingDto,
    pub saved_at: DateTime<Utc>,
}

#[derive(ApiResponse)]
pub enum Done {
    /// Done (idempotent).
    #[oai(status = 204)]
    Done,
}

pub struct MeApi;

#[OpenApi(tag = "ApiTags::Me")]
impl MeApi {
    /// My listings, any status, newest first
    #[oai(path = "/me/listings", method = "get", operation_id = "myListings")]
    async fn listings(
        &self,
        s: Data<&Services>,
        session: &Session,
        req: &Request,
        cursor: Query<Option<String>>,
        /// 1–50, default 20.
        page_size: Query<Option<u32>>,
    ) -> ApiResult<Json<PageDto<ListingDto>>> {
        reject_unknown_params(req, &["cursor", "page_size"])?;
        let v = auth::require(&s, session).await?;
        let page = s.my_listings.execute(v, page_request(cursor.0.as_deref(), page_size.0, 0)?).await?;
        Ok(Json(page_dto(page, |l| ListingDto::from_listing(l, true))))
    }

    /// My shortlist (students), most recently saved first
    #[oai(path = "/me/shortlist", method = "get", operation_id = "myShortlist")]
    async fn shortlist(
        &self,
        s: Data<&Services>,
        session: &Session,
        req: &Request,
        cursor: Query<Option<String>>,
        page_size: Query<Option<u32>>,
    ) -> ApiResult<Json<PageDto<ShortlistItem>>> {
        reject_unknown_params(req, &["cursor", "page_size"])?;
        let v = auth::require(&s, session).await?;
        let page = s.shortlist.list(v, page_request(cursor.0.as_deref(), page_size.0, 0)?).await?;
        Ok(Json(page_dto(page, |(l, at)| ShortlistItem { listing: ListingDto::from_listing(l, false), saved_at: at })))
    }

    /// Save a listing to my shortlist (students)
    #[oai(path = "/me/shortlist/:listing_id", method = "put", operation_id = "shortlistAdd")]
    async fn add(&self, s: Data<&Services>, session: &Session, listing_id: Path<Uuid>) -> ApiResult<Done> {
        let v = auth::require(&s, session).await?;
        s.shortlist.add(v, ListingId(listing_id.0)).await?;
        Ok(Done::Done)
    }

    /// Remove a listing from my shortlist (students)
    #[oai(path = "/me/shortlist/:listing_id", method = "delete", operation_id = "shortlistRemove")]
    async fn remove(&self, s: Data<&Services>, session: &Session, listing_id: Path<Uuid>) -> ApiResult<Done> {
        let v = auth::require(&s, session).await?;
        s.shortlist.remove(v, ListingId(listing_id.0)).await?;
        Ok(Done::Done)
    }

    /// My enquiries: `box=sent` (default) or `box=received` (about my listings)
    #[oai(path = "/me/enquiries", method = "get", operation_id = "myEnquiries")]
    async fn enquiries(
        &self,
        s: Data<&Services>,
        session: &Session,
        req: &Request,
        /// sent | received
        #[oai(name = "box")]
        which: Query<Option<String>>,
        cursor: Query<Option<String>>,
        page_size: Query<Option<u32>>,
    ) -> ApiResult<Json<PageDto<EnquiryDto>>> {
        reject_unknown_params(req, &["box", "cursor", "page_size"])?;
        let which = match which.0.as_deref() {
            None | Some("sent") => EnquiryBox::Sent,
            Some("received") => EnquiryBox::Received,
            Some(_) => return Err(ApiError::bad_param("box", "must be sent or received")),
        };
        let v = auth::require(&s, session).await?;
        let page = s.enquiries.list(v, which, page_request(cursor.0.as_deref(), page_size.0, 0)?).await?;
        Ok(Json(page_dto(page, EnquiryDto::from)))
    }
}
