//! `/me/*`: the signed-in user's account, listings, shortlist and enquiries.

use application::accounts::SessionsEnd;
use application::ports::{EnquiryBox, SavedListing};
use domain::listing::ListingId;
use domain::{Role, User};
use poem::Request;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use uuid::Uuid;

use super::dto::{ListingCardDto, ListingDto};
use super::enquiries::EnquiryDto;
use super::{ApiTags, PageDto, page_dto, page_request, reject_unknown_params};
use crate::Services;
use crate::auth::SignedIn;
use crate::error::ApiResult;
use crate::types::{Closed, CursorText, Nullable, Text, Timestamp};

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct PasswordChangeInput {
    #[oai(validator(max_length = 1024))]
    pub current_password: Text,
    /// 12–128 characters; common passwords are refused (422).
    #[oai(validator(min_length = 12, max_length = 128))]
    pub new_password: Text,
}

/// A user as they see themself.
#[derive(Debug, Object)]
#[oai(rename = "User")]
pub struct UserDto {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: Closed<Role>,
    pub email_verified: bool,
    pub created_at: Timestamp,
}

impl From<&User> for UserDto {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.0,
            email: u.email.as_str().to_owned(),
            display_name: u.display_name.as_str().to_owned(),
            role: Closed(u.role),
            email_verified: u.email_verified,
            created_at: Timestamp(u.created_at),
        }
    }
}

/// The signed-in user and the session's CSRF token.
#[derive(Debug, Object)]
#[oai(rename = "Session")]
pub struct SignedInDto {
    pub user: UserDto,
    /// Send this in the `X-CSRF-Token` header on every state-changing request. Keep it
    /// in memory: after a reload, `GET /me` returns it again.
    pub csrf_token: String,
}

/// A saved listing: its card while it is public; once it is not (taken down, archived,
/// the owner suspended), `available` is false and `card` is `null`.
#[derive(Debug, Object)]
pub struct ShortlistItem {
    pub listing_id: Uuid,
    pub saved_at: Timestamp,
    pub available: bool,
    pub card: Nullable<ListingCardDto>,
}

impl ShortlistItem {
    fn new(s: SavedListing, covers: &std::collections::HashMap<ListingId, application::photos::Cover>) -> Self {
        Self {
            listing_id: s.listing_id.0,
            saved_at: Timestamp(s.saved_at),
            available: s.card.is_some(),
            card: Nullable(s.card.map(|c| ListingCardDto::with_cover(c, covers))),
        }
    }
}

#[derive(ApiResponse)]
pub enum Done {
    /// Done (idempotent).
    #[oai(status = 204)]
    Done,
}

const PAGING: &[&str] = &["cursor", "page_size"];

pub struct MeApi;

#[OpenApi(tag = "ApiTags::Me")]
impl MeApi {
    /// The signed-in user and the session's CSRF token
    ///
    /// `accounts::CurrentUser`. Lets a browser app that reloads recover the CSRF token
    /// without storing it.
    #[oai(path = "/me", method = "get", operation_id = "me")]
    async fn me(&self, who: SignedIn, req: &Request) -> ApiResult<Json<SignedInDto>> {
        reject_unknown_params(req, &[])?;
        Ok(Json(SignedInDto { user: UserDto::from(&who.user), csrf_token: who.csrf_token }))
    }

    /// Sign out everywhere
    ///
    /// `accounts::EndSessions`. Ends every session of this account on every device at
    /// once, this one included (a copied session cookie is refused from then on).
    #[oai(path = "/me/sessions/revoke-all", method = "post", operation_id = "revokeAllSessions")]
    async fn revoke_all_sessions(
        &self,
        who: SignedIn,
        s: Data<&Services>,
        session: &poem::session::Session,
    ) -> ApiResult<Done> {
        s.end_sessions.execute(who.user.id, SessionsEnd::Everywhere, &who.origin).await?;
        crate::auth::sign_out(session);
        Ok(Done::Done)
    }

    /// Change my password
    ///
    /// `accounts::ChangePassword`. Needs the current password (422 naming
    /// `current_password` when it is wrong; `new_password` when the new one is too
    /// short, too long, common or unchanged). Every session of the account ends, on every
    /// device; this client gets a fresh session cookie and CSRF token.
    #[oai(path = "/me/password", method = "post", operation_id = "changePassword")]
    async fn change_password(
        &self,
        who: SignedIn,
        s: Data<&Services>,
        session: &poem::session::Session,
        body: Json<PasswordChangeInput>,
    ) -> ApiResult<Json<SignedInDto>> {
        let b = body.0;
        let (user, claim) =
            s.change_password.execute(who.user.id, &b.current_password, &b.new_password, &who.origin).await?;
        let csrf_token = crate::auth::sign_in(session, &claim);
        Ok(Json(SignedInDto { user: UserDto::from(&user), csrf_token }))
    }

    /// My listings, any status, newest first
    ///
    /// `listings::MyListings`.
    #[oai(path = "/me/listings", method = "get", operation_id = "myListings")]
    async fn listings(
        &self,
        who: SignedIn,
        s: Data<&Services>,
        req: &Request,
        /// From the previous page's `next_cursor`.
        cursor: Query<Option<CursorText>>,
        /// Default 20.
        #[oai(validator(minimum(value = "1"), maximum(value = "50")))]
        page_size: Query<Option<i32>>,
    ) -> ApiResult<Json<PageDto<ListingDto>>> {
        reject_unknown_params(req, PAGING)?;
        let page = s
            .my_listings
            .execute(who.viewer, page_request(cursor.0.as_ref().map(|c| c.0.as_str()), page_size.0, 0)?)
            .await?;
        Ok(Json(page_dto(page, |l| ListingDto::from_listing(l, true))))
    }

    /// My shortlist (students), most recently saved first
    ///
    /// `shortlist::MyShortlist`.
    #[oai(path = "/me/shortlist", method = "get", operation_id = "myShortlist")]
    async fn shortlist(
        &self,
        who: SignedIn,
        s: Data<&Services>,
        req: &Request,
        /// From the previous page's `next_cursor`.
        cursor: Query<Option<CursorText>>,
        /// Default 20.
        #[oai(validator(minimum(value = "1"), maximum(value = "50")))]
        page_size: Query<Option<i32>>,
    ) -> ApiResult<Json<PageDto<ShortlistItem>>> {
        reject_unknown_params(req, PAGING)?;
        let application::shortlist::Shortlist { page, covers } = s
            .my_shortlist
            .execute(who.viewer, page_request(cursor.0.as_ref().map(|c| c.0.as_str()), page_size.0, 0)?)
            .await?;
        Ok(Json(page_dto(page, |i| ShortlistItem::new(i, &covers))))
    }

    /// Save a listing to my shortlist (students)
    ///
    /// `shortlist::SaveListing`. Idempotent.
    #[oai(path = "/me/shortlist/:listing_id", method = "put", operation_id = "shortlistAdd")]
    async fn add(&self, who: SignedIn, s: Data<&Services>, listing_id: Path<Uuid>) -> ApiResult<Done> {
        s.save_listing.execute(who.viewer, ListingId(listing_id.0)).await?;
        Ok(Done::Done)
    }

    /// Remove a listing from my shortlist (students)
    ///
    /// `shortlist::RemoveSavedListing`. Idempotent.
    #[oai(path = "/me/shortlist/:listing_id", method = "delete", operation_id = "shortlistRemove")]
    async fn remove(&self, who: SignedIn, s: Data<&Services>, listing_id: Path<Uuid>) -> ApiResult<Done> {
        s.remove_saved_listing.execute(who.viewer, ListingId(listing_id.0)).await?;
        Ok(Done::Done)
    }

    /// My enquiries: sent (default), or received about my listings
    ///
    /// `enquiries::MyEnquiries`.
    #[oai(path = "/me/enquiries", method = "get", operation_id = "myEnquiries")]
    async fn enquiries(
        &self,
        who: SignedIn,
        s: Data<&Services>,
        req: &Request,
        /// `sent` (default) or `received`.
        #[oai(name = "box")]
        which: Query<Option<Closed<EnquiryBox>>>,
        /// From the previous page's `next_cursor`.
        cursor: Query<Option<CursorText>>,
        /// Default 20.
        #[oai(validator(minimum(value = "1"), maximum(value = "50")))]
        page_size: Query<Option<i32>>,
    ) -> ApiResult<Json<PageDto<EnquiryDto>>> {
        reject_unknown_params(req, &["box", "cursor", "page_size"])?;
        let which = which.0.map_or(EnquiryBox::Sent, |b| b.0);
        let page = s
            .my_enquiries
            .execute(who.viewer, which, page_request(cursor.0.as_ref().map(|c| c.0.as_str()), page_size.0, 0)?)
            .await?;
        Ok(Json(page_dto(page, EnquiryDto::from)))
    }
}
