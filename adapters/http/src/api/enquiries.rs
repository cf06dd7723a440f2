use chrono::{DateTime, NaiveDate, Utc};
use domain::enquiry::{Enquiry, EnquiryId};
use domain::listing::ListingId;
use poem::Request;
use poem::session::Session;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use uuid::Uuid;

use super::{ApiTags, origin};
use crate::Services;
use crate::auth;
use crate::error::ApiResult;

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct EnquiryInput {
    /// 10–2,000 characters.
    #[oai(validator(max_length = 10000))]
    pub message: String,
    /// Up to five preferred viewing dates, today or later.
    #[oai(default, validator(max_items = 20))]
    pub viewing_dates: Vec<NaiveDate>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct StatusInput {
    /// replied | closed
    #[oai(validator(max_length = 20))]
    pub status: String,
}

#[derive(Debug, Object)]
pub struct EnquiryDto {
    pub id: Uuid,
    pub listing_id: Uuid,
    pub sender_id: Uuid,
    pub owner_id: Uuid,
    pub message: String,
    pub viewing_dates: Vec<NaiveDate>,
    /// new | replied | closed
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Enquiry> for EnquiryDto {
    fn from(e: Enquiry) -> Self {
        Self {
            id: e.id.0,
            listing_id: e.listing_id.0,
            sender_id: e.sender_id.0,
            owner_id: e.owner_id.0,
            message: e.message.as_str().to_owned(),
            viewing_dates: e.viewing_dates.dates().to_vec(),
            status: e.status.as_str().to_owned(),
            created_at: e.created_at,
            updated_at: e.updated_at,
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
    #[oai(path = "/listings/:id/enquiries", method = "post", operation_id = "sendEnquiry")]
    async fn send(
        &self,
        s: Data<&Services>,
        session: &Session,
        id: Path<Uuid>,
        body: Json<EnquiryInput>,
    ) -> ApiResult<Sent> {
        let v = auth::require(&s, session).await?;
        let e = s.enquiries.send(v, ListingId(id.0), &body.0.message, body.0.viewing_dates).await?;
        Ok(Sent::Created(Json(e.into())))
    }

    /// Mark an enquiry replied or closed (the listing's owner)
    #[oai(path = "/enquiries/:id/status", method = "post", operation_id = "setEnquiryStatus")]
    async fn set_status(
        &self,
        s: Data<&Services>,
        session: &Session,
        req: &Request,
        id: Path<Uuid>,
        body: Json<StatusInput>,
    ) -> ApiResult<Json<EnquiryDto>> {
        let v = auth::require(&s, session).await?;
        let e = s.enquiries.set_status(v, EnquiryId(id.0), &body.0.status, &origin(req, Some(v))).await?;
        Ok(Json(e.into()))
    }
}
