//! `/admin/*`: moderation (`application::moderation`). Every use case refuses non-admins.

use application::audit::{AuditEvent, AuditFilter};
use application::ports::UserFilter;
use domain::listing::ListingId;
use domain::{Role, User, UserId};
use poem::Request;
use poem::web::Data;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use uuid::Uuid;

use super::listings::{Changed, precondition};
use super::{ApiTags, PageDto, page_dto, page_request, reject_unknown_params};
use crate::Services;
use crate::auth::SignedIn;
use crate::error::ApiResult;
use crate::types::{
    Closed, CursorText, EmailFilterText, EtagText, Nullable, TargetIdText, TargetTypeText, Text, Timestamp,
};

/// A user as admins see them.
#[derive(Debug, Object)]
#[oai(rename = "AdminUser")]
pub struct AdminUserDto {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: Closed<Role>,
    pub email_verified: bool,
    pub suspended: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl From<User> for AdminUserDto {
    fn from(u: User) -> Self {
        Self {
            id: u.id.0,
            email: u.email.as_str().to_owned(),
            display_name: u.display_name.as_str().to_owned(),
            role: Closed(u.role),
            email_verified: u.email_verified,
            suspended: u.suspended,
            created_at: Timestamp(u.created_at),
            updated_at: Timestamp(u.updated_at),
        }
    }
}

/// One audited change.
#[derive(Debug, Object)]
#[oai(rename = "AuditEvent")]
pub struct AuditDto {
    pub id: Uuid,
    /// `null` for changes nobody signed in made (the CLI).
    pub actor_id: Nullable<Uuid>,
    /// e.g. `listing.publish`
    pub action: String,
    /// `user`, `listing` or `enquiry`.
    pub target_type: String,
    pub target_id: String,
    /// A summary of the target before the change (`null` when it was created).
    pub before: Nullable<serde_json::Value>,
    /// A summary after the change (`null` when it was deleted).
    pub after: Nullable<serde_json::Value>,
    pub request_id: Nullable<String>,
    pub at: Timestamp,
}

impl From<AuditEvent> for AuditDto {
    fn from(e: AuditEvent) -> Self {
        Self {
            id: e.id,
            actor_id: Nullable(e.actor_id.map(|a| a.0)),
            action: e.action,
            target_type: e.target_type,
            target_id: e.target_id,
            before: Nullable(e.before),
            after: Nullable(e.after),
            request_id: Nullable(e.request_id),
            at: Timestamp(e.at),
        }
    }
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct UnpublishInput {
    /// Why, shown to the owner (5–500 characters).
    #[oai(validator(min_length = 5, max_length = 500))]
    pub reason: Text,
}

pub struct AdminApi;

#[OpenApi(tag = "ApiTags::Admin")]
impl AdminApi {
    /// Users, newest first, by role and/or part of the e-mail
    ///
    /// `moderation::ListUsers`.
    #[oai(path = "/admin/users", method = "get", operation_id = "adminUsers")]
    async fn users(
        &self,
        who: SignedIn,
        s: Data<&Services>,
        req: &Request,
        role: Query<Option<Closed<Role>>>,
        /// Case-insensitive part of the e-mail.
        email: Query<Option<EmailFilterText>>,
        /// From the previous page's `next_cursor`.
        cursor: Query<Option<CursorText>>,
        /// Default 20.
        #[oai(validator(minimum(value = "1"), maximum(value = "50")))]
        page_size: Query<Option<i32>>,
    ) -> ApiResult<Json<PageDto<AdminUserDto>>> {
        reject_unknown_params(req, &["role", "email", "cursor", "page_size"])?;
        let filter = UserFilter { role: role.0.map(|r| r.0), email_contains: email.0.map(|e| e.0.to_lowercase()) };
        let page = s
            .list_users
            .execute(who.viewer, &filter, page_request(cursor.0.as_ref().map(|c| c.0.as_str()), page_size.0, 0)?)
            .await?;
        Ok(Json(page_dto(page, AdminUserDto::from)))
    }

    /// Suspend a user: they cannot sign in and their listings leave search
    ///
    /// `moderation::SetSuspension`. Idempotent. Another admin's account needs
    /// `confirm_admin=true` (409 `admin-account` without it); that suspension is audited
    /// as `user.suspend_admin`.
    #[oai(path = "/admin/users/:id/suspend", method = "post", operation_id = "suspendUser")]
    async fn suspend(
        &self,
        who: SignedIn,
        s: Data<&Services>,
        req: &Request,
        id: Path<Uuid>,
        /// Required (`true`) to suspend an admin.
        confirm_admin: Query<Option<bool>>,
    ) -> ApiResult<Json<AdminUserDto>> {
        reject_unknown_params(req, &["confirm_admin"])?;
        let confirm = confirm_admin.0.unwrap_or(false);
        let u = s.set_suspension.execute(who.viewer, UserId(id.0), true, confirm, &who.origin).await?;
        Ok(Json(u.into()))
    }

    /// Reinstate a suspended user
    ///
    /// `moderation::SetSuspension`. Idempotent.
    #[oai(path = "/admin/users/:id/unsuspend", method = "post", operation_id = "unsuspendUser")]
    async fn unsuspend(&self, who: SignedIn, s: Data<&Services>, id: Path<Uuid>) -> ApiResult<Json<AdminUserDto>> {
        let u = s.set_suspension.execute(who.viewer, UserId(id.0), false, false, &who.origin).await?;
        Ok(Json(u.into()))
    }

    /// Take a published listing down with a reason (back to draft)
    ///
    /// `moderation::UnpublishListing`. The owner sees the reason as the moderation note.
    /// Like every change to a listing, it needs the listing's `ETag` as `If-Match`: a
    /// take-down never overwrites a change the admin has not seen, and an owner's edit in
    /// flight cannot undo the take-down.
    #[oai(path = "/admin/listings/:id/unpublish", method = "post", operation_id = "unpublishListing")]
    async fn unpublish(
        &self,
        who: SignedIn,
        s: Data<&Services>,
        id: Path<Uuid>,
        /// The listing's `ETag` (from `GET /listings/{id}` or the last change). Required:
        /// 428 without it, 412 when the listing changed since.
        #[oai(name = "If-Match")]
        if_match: Header<Option<EtagText>>,
        body: Json<UnpublishInput>,
    ) -> ApiResult<Changed> {
        let expected = precondition(if_match.0)?;
        let l = s.unpublish_listing.execute(who.viewer, ListingId(id.0), expected, &body.0.reason, &who.origin).await?;
        Ok(Changed::of(l))
    }

    /// The audit trail, newest first
    ///
    /// `moderation::ReadAuditTrail`.
    #[oai(path = "/admin/audit", method = "get", operation_id = "adminAudit")]
    async fn audit(
        &self,
        who: SignedIn,
        s: Data<&Services>,
        req: &Request,
        /// Actor user id.
        actor: Query<Option<Uuid>>,
        /// `user`, `listing` or `enquiry`.
        target_type: Query<Option<TargetTypeText>>,
        target_id: Query<Option<TargetIdText>>,
        /// From the previous page's `next_cursor`.
        cursor: Query<Option<CursorText>>,
        /// Default 20.
        #[oai(validator(minimum(value = "1"), maximum(value = "50")))]
        page_size: Query<Option<i32>>,
    ) -> ApiResult<Json<PageDto<AuditDto>>> {
        reject_unknown_params(req, &["actor", "target_type", "target_id", "cursor", "page_size"])?;
        let filter = AuditFilter {
            actor_id: actor.0.map(UserId),
            target_type: target_type.0.map(|t| t.0),
            target_id: target_id.0.map(|t| t.0),
        };
        let page = s
            .audit_trail
            .execute(who.viewer, &filter, page_request(cursor.0.as_ref().map(|c| c.0.as_str()), page_size.0, 0)?)
            .await?;
        Ok(Json(page_dto(page, AuditDto::from)))
    }
}
