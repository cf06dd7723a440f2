use application::audit::{AuditEvent, AuditFilter};
use application::ports::UserFilter;
use chrono::{DateTime, Utc};
use domain::listing::ListingId;
use domain::{Role, User, UserId};
use poem::Request;
use poem::session::Session;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use uuid::Uuid;

use super::dto::ListingDto;
use super::{ApiTags, PageDto, origin, page_dto, page_request, reject_unknown_params};
use crate::Services;
use crate::auth;
use crate::error::{ApiError, ApiResult};

/// A user as admins see them.
#[derive(Debug, Object)]
pub struct AdminUserDto {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub email_verified: bool,
    pub suspended: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<User> for AdminUserDto {
    fn from(u: User) -> Self {
        Self {
            id: u.id.0,
            email: u.email.as_str().to_owned(),
            display_name: u.display_name.as_str().to_owned(),
            role: u.role.as_str().to_owned(),
            email_verified: u.email_verified,
            suspended: u.suspended,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

#[derive(Debug, Object)]
pub struct AuditDto {
    pub id: Uuid,
    pub actor_id: Option<Uuid>,
    /// e.g. `listing.publish`
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub request_id: Option<String>,
    pub at: DateTime<Utc>,
}

impl From<AuditEvent> for AuditDto {
    fn from(e: AuditEvent) -> Self {
        Self {
            id: e.id,
            actor_id: e.actor_id.map(|a| a.0),
            action: e.action,
            target_type: e.target_type,
            target_id: e.target_id,
            before: e.before,
            after: e.after,
            request_id: e.request_id,
            at: e.at,
        }
    }
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct UnpublishInput {
    /// Why, shown to the owner (5–500 characters).
    #[oai(validator(max_length = 2000))]
    pub reason: String,
}

pub struct AdminApi;

#[OpenApi(tag = "ApiTags::Admin")]
impl AdminApi {
    /// Users, newest first, filtered by role and/or e-mail substring
    #[oai(path = "/admin/users", method = "get", operation_id = "adminUsers")]
    async fn users(
        &self,
        s: Data<&Services>,
        session: &Session,
        req: &Request,
        /// student | landlord | agent | admin
        role: Query<Option<String>>,
        /// Case-insensitive part of the e-mail.
        email: Query<Option<String>>,
        cursor: Query<Option<String>>,
        page_size: Query<Option<u32>>,
    ) -> ApiResult<Json<PageDto<AdminUserDto>>> {
        reject_unknown_params(req, &["role", "email", "cursor", "page_size"])?;
        let v = auth::require(&s, session).await?;
        let filter = UserFilter {
            role: role.0.map(|r| Role::parse(&r).map_err(|e| ApiError::bad_param("role", e.message))).transpose()?,
            email_contains: email.0.map(|e| e.trim().to_lowercase()).filter(|e| !e.is_empty() && e.len() <= 254),
        };
        let page = s.moderation.users(v, &filter, page_request(cursor.0.as_deref(), page_size.0, 0)?).await?;
        Ok(Json(page_dto(page, AdminUserDto::from)))
    }

    /// Suspend a user: they cannot sign in and their listings leave search
    #[oai(path = "/admin/users/:id/suspend", method = "post", operation_id = "suspendUser")]
    async fn suspend(
        &self,
        s: Data<&Services>,
        session: &Session,
        req: &Request,
        id: Path<Uuid>,
    ) -> ApiResult<Json<AdminUserDto>> {
        let v = auth::require(&s, session).await?;
        let u = s.moderation.set_suspended(v, UserId(id.0), true, &origin(req, Some(v))).await?;
        Ok(Json(u.into()))
    }

    /// Reinstate a suspended user
    #[oai(path = "/admin/users/:id/unsuspend", method = "post", operation_id = "unsuspendUser")]
    async fn unsuspend(
        &self,
        s: Data<&Services>,
        session: &Session,
        req: &Request,
        id: Path<Uuid>,
    ) -> ApiResult<Json<AdminUserDto>> {
        let v = auth::require(&s, session).await?;
        let u = s.moderation.set_suspended(v, UserId(id.0), false, &origin(req, Some(v))).await?;
        Ok(Json(u.into()))
    }

    /// Take a published listing down with a reason (back to draft)
    #[oai(path = "/admin/listings/:id/unpublish", method = "post", operation_id = "unpublishListing")]
    async fn unpublish(
        &self,
        s: Data<&Services>,
        session: &Session,
        req: &Request,
        id: Path<Uuid>,
        body: Json<UnpublishInput>,
    ) -> ApiResult<Json<ListingDto>> {
        let v = auth::require(&s, session).await?;
        let l = s.change_status.unpublish(v, ListingId(id.0), &body.0.reason, &origin(req, Some(v))).await?;
        Ok(Json(ListingDto::from_listing(l, true)))
    }

    /// The audit trail, newest first
    #[oai(path = "/admin/audit", method = "get", operation_id = "adminAudit")]
    async fn audit(
        &self,
        s: Data<&Services>,
        session: &Session,
        req: &Request,
        /// Actor user id.
        actor: Query<Option<Uuid>>,
        /// user | listing | enquiry
        target_type: Query<Option<String>>,
        target_id: Query<Option<String>>,
        cursor: Query<Option<String>>,
        page_size: Query<Option<u32>>,
    ) -> ApiResult<Json<PageDto<AuditDto>>> {
        reject_unknown_params(req, &["actor", "target_type", "target_id", "cursor", "page_size"])?;
        let v = auth::require(&s, session).await?;
        let filter = AuditFilter {
            actor_id: actor.0.map(UserId),
            target_type: target_type.0.filter(|t| t.len() <= 32),
            target_id: target_id.0.filter(|t| t.len() <= 64),
        };
        let page = s.moderation.audit(v, &filter, page_request(cursor.0.as_deref(), page_size.0, 0)?).await?;
        Ok(Json(page_dto(page, AuditDto::from)))
    }
}
