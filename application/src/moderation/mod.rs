//! Admin moderation: users, suspensions, the audit trail. (Unpublishing a listing is
//! `listings::ChangeStatus::unpublish`.)

use std::sync::Arc;

use domain::{User, UserId};

use crate::accounts::summary;
use crate::audit::{AuditEvent, AuditFilter, Origin};
use crate::listings::{ListingsError, Viewer};
use crate::paging::{Page, PageRequest};
use crate::ports::{AuditLog, Clock, IdGen, UserFilter, UserRepository};

#[derive(Clone)]
pub struct Moderation {
    pub users: Arc<dyn UserRepository>,
    pub audit: Arc<dyn AuditLog>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGen>,
}

fn admin(viewer: Viewer) -> Result<(), ListingsError> {
    if viewer.is_admin() { Ok(()) } else { Err(ListingsError::Forbidden) }
}

impl Moderation {
    pub async fn users(
        &self,
        viewer: Viewer,
        filter: &UserFilter,
        page: PageRequest,
    ) -> Result<Page<User>, ListingsError> {
        admin(viewer)?;
        Ok(self.users.list(filter, page).await?)
    }

    /// Suspends or reinstates a user. A suspended user cannot sign in, their sessions stop
    /// working, and their listings leave search. Admins cannot suspend themselves.
    #[tracing::instrument(name = "moderation.set_suspended", skip_all, fields(user_id = %id, suspended))]
    pub async fn set_suspended(
        &self,
        viewer: Viewer,
        id: UserId,
        suspended: bool,
        origin: &Origin,
    ) -> Result<User, ListingsError> {
        admin(viewer)?;
        if id == viewer.id {
            return Err(ListingsError::StateConflict("admins cannot suspend themselves".into()));
        }
        let before = self.users.find(id).await?.ok_or(ListingsError::NotFound)?;
        if before.suspended == suspended {
            return Ok(before);
        }
        let mut after = before.clone();
        after.suspended = suspended;
        after.updated_at = self.clock.now();
        let ev = AuditEvent::new(
            self.ids.new_id(),
            origin,
            if suspended { "user.suspend" } else { "user.unsuspend" },
            ("user", id.to_string()),
            Some(summary(&before)),
            Some(summary(&after)),
            after.updated_at,
        );
        self.users.update(&after, &ev).await?;
        Ok(after)
    }

    pub async fn audit(
        &self,
        viewer: Viewer,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditEvent>, ListingsError> {
        admin(viewer)?;
        Ok(self.audit.list(filter, page).await?)
    }
}
