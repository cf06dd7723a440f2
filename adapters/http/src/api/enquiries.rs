//! Enquiries (`application::enquiries`).

use application::rate_limit::Limit;
use domain::enquiry::{Enquiry, EnquiryId, EnquiryStatus};
use domain::listing::ListingId;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use uuid::Uuid;

use super::ApiTags;
use crate::Services;
use crate::auth::SignedIn;
use crate::error::ApiResult;
use crate::types::{Closed, Date, Text, Timestamp};

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct EnquiryInput {
    /// 10–2,000 characters.
    #[oai(validator(min_length = 10, max_length = 2000))]
    pub message: Text,
    /// Up to five preferred viewing dates, from today to a year ahead.
    #[oai(default, validator(max_items = 5))]
    pub viewing_dates: Vec<Date>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct StatusInput {
    /// `replied` or `closed` (new → replied → closed; closed is final).
    pub status: Closed<EnquiryStatus>,
}

#[derive(Debug, Object)]
#[oai(rename = "Enquiry")]
pub struct EnquiryDto {
    pub id: Uuid,
    pub listing_id: Uuid,
    pub sender_id: Uuid,
    pub owner_id: Uuid,
    pub message: String,
    pub viewing_dates: Vec<Date>,
    pub status: Closed<EnquiryStatus>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl From<Enquiry> for EnquiryDto {
    fn from(e: Enquiry) -> Self {
        Self {
            id: e.id.0,
            listing_id: e.listing_id.0,
            sender_id: e.sender_id.0,
            owner_id: e.owner_id.0,
            message: e.message.as_str().to_owned(),
            viewing_dates: e.viewing_dates.dates().iter().copied().map(Date).collect(),
            status: Closed(e.status),
            created_at: Timestamp(e.created_at),
            updated_at: Timestamp(e.updated_at),
        }
    }
}

#[derive(ApiResponse)]
pub enum Sent {
    /// Sent; the owner is notified by e-mail.
    #[oai(status = 201)]
    Created(Json<EnquiryDto>),
}

pub struct EnquiriesApi;

#[OpenApi(tag = "ApiTags::Enquiries")]
impl EnquiriesApi {
    /// Enquire about a published listing (students)
    ///
    /// `enquiries::SendEnquiry`. A let listing takes no enquiries (409). Enquiries are
    /// limited per sender and per listing (429 `rate-limited`).
    #[oai(path = "/listings/:id/enquiries", method = "post", operation_id = "sendEnquiry")]
    async fn send(
        &self,
        who: SignedIn,
        s: Data<&Services>,
        id: Path<Uuid>,
        body: Json<EnquiryInput>,
    ) -> ApiResult<Sent> {
        s.throttle.check(Limit::EnquiryUser, &who.user.id.to_string()).await?;
        s.throttle.check(Limit::EnquiryListing, &id.0.to_string()).await?;
        let dates = body.0.viewing_dates.iter().map(|d| d.0).collect();
        let e = s.send_enquiry.execute(who.viewer, ListingId(id.0), &body.0.message, dates).await?;
        Ok(Sent::Created(Json(e.into())))
    }

    /// Mark an enquiry replied or closed (the listing's owner)
    ///
    /// `enquiries::SetEnquiryStatus`.
    #[oai(path = "/enquiries/:id/status", method = "post", operation_id = "setEnquiryStatus")]
    async fn set_status(
        &self,
        who: SignedIn,
        s: Data<&Services>,
        id: Path<Uuid>,
        body: Json<StatusInput>,
    ) -> ApiResult<Json<EnquiryDto>> {
        let e = s.set_enquiry_status.execute(who.viewer, EnquiryId(id.0), body.0.status.0, &who.origin).await?;
        Ok(Json(e.into()))
    }
}
