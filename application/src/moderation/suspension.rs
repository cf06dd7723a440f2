use domain::{User, UserId};

use super::ModerationPorts;
use crate::RepositoryError;
use crate::accounts::summary;
use crate::audit::{AuditEvent, Origin};
use crate::errors::storage_errors_are_unexpected;
use crate::listings::Viewer;

#[derive(Debug, thiserror::Error)]
pub enum SetSuspensionError {
    #[error("only admins suspend users")]
    NotAnAdmin,
    #[error("user not found")]
    NotFound,
    /// Admins cannot suspend (or reinstate) themselves.
    #[error("admins cannot suspend themselves")]
    OwnAccount,
    /// Suspending another admin needs the explicit flag (`confirm_admin`).
    #[error("suspending an admin needs the explicit confirmation")]
    TargetIsAdmin,
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

storage_errors_are_unexpected!(SetSuspensionError);

/// `POST /admin/users/{id}/suspend|unsuspend`. A suspended user cannot sign in, their
/// sessions stop working, and their listings leave search. Idempotent. Suspending
/// another admin needs `confirm_admin` and is audited as `user.suspend_admin`, so that
/// one admin locking out another is always deliberate and easy to find.
/// Writes tried before giving up when other writes keep winning.
const MAX_ATTEMPTS: u32 = 3;

#[derive(Clone)]
pub struct SetSuspension {
    p: ModerationPorts,
}

impl SetSuspension {
    pub fn new(p: ModerationPorts) -> Self {
        Self { p }
    }

    #[tracing::instrument(name = "moderation.set_suspended", skip_all, fields(user_id = %id, suspended))]
    pub async fn execute(
        &self,
        viewer: Viewer,
        id: UserId,
        suspended: bool,
        confirm_admin: bool,
        origin: &Origin,
    ) -> Result<User, SetSuspensionError> {
        if !viewer.is_admin() {
            return Err(SetSuspensionError::NotAnAdmin);
        }
        if id == viewer.id {
            return Err(SetSuspensionError::OwnAccount);
        }
        // Conditional on the version read; when another write wins meanwhile, read again
        // and decide again (the outcome is the same: the flag as asked).
        let mut attempts = 0;
        loop {
            let before = self.p.users.find(id).await?.ok_or(SetSuspensionError::NotFound)?;
            let against_admin = before.role == domain::Role::Admin && suspended;
            if against_admin && !confirm_admin {
                return Err(SetSuspensionError::TargetIsAdmin);
            }
            let action = match (suspended, against_admin) {
                (true, true) => "user.suspend_admin",
                (true, false) => "user.suspend",
                (false, _) => "user.unsuspend",
            };
            match self.write(&before, suspended, action, origin).await {
                Err(RepositoryError::Stale) if attempts < MAX_ATTEMPTS => attempts += 1,
                result => return Ok(result?),
            }
        }
    }

    async fn write(
        &self,
        before: &User,
        suspended: bool,
        action: &str,
        origin: &Origin,
    ) -> Result<User, RepositoryError> {
        if before.suspended == suspended {
            return Ok(before.clone());
        }
        let id = before.id;
        let mut after = before.clone();
        after.suspended = suspended;
        if suspended {
            // Suspension ends every session at once (and for good: unsuspending does not
            // bring old cookies back).
            after.session_epoch += 1;
        }
        after.updated_at = self.p.clock.now();
        after.version = before.version.next();
        let ev = AuditEvent::new(
            self.p.ids.new_id(),
            origin,
            action,
            ("user", id.to_string()),
            Some(summary(before)),
            Some(summary(&after)),
            after.updated_at,
        );
        self.p.users.update(&after, before.version, &ev).await?;
        self.p.public.changed().await;
        if suspended {
            self.p.sessions.end_all_for(id).await;
        }
        Ok(after)
    }
}
