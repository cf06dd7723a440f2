use domain::{NewPassword, User, UserId, ValidationError};

use super::{AccountPorts, SessionClaim, summary};
use crate::RepositoryError;
use crate::audit::{AuditEvent, Origin};
use crate::errors::storage_errors_are_unexpected;

#[derive(Debug, thiserror::Error)]
pub enum ChangePasswordError {
    /// The current password is wrong, or the new one breaks the password policy
    /// (`current_password` / `new_password` name which).
    #[error("invalid password change")]
    Invalid(Vec<ValidationError>),
    /// The account is gone or may not sign in any more.
    #[error("the account cannot sign in")]
    CannotSignIn,
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

storage_errors_are_unexpected!(ChangePasswordError);

/// Writes tried before giving up when other writes to the user keep winning.
const MAX_ATTEMPTS: u32 = 3;

/// `POST /me/password`: change the password, knowing the current one. Every session of
/// the account ends (the session epoch moves on, with the new hash, in one conditional
/// write), so a thief holding an old cookie is out; the caller gets a fresh session.
/// Audited as `user.change_password` (never the hash).
#[derive(Clone)]
pub struct ChangePassword {
    ports: AccountPorts,
}

impl ChangePassword {
    pub fn new(ports: AccountPorts) -> Self {
        Self { ports }
    }

    #[tracing::instrument(name = "accounts.change_password", skip_all, fields(user_id = %id))]
    pub async fn execute(
        &self,
        id: UserId,
        current: &str,
        new: &str,
        origin: &Origin,
    ) -> Result<(User, SessionClaim), ChangePasswordError> {
        let mut errors = Vec::new();
        if current.len() > 4 * NewPassword::MAX_CHARS {
            errors.push(ValidationError::new("current_password", "is not your current password"));
        }
        let new =
            NewPassword::parse(new).map_err(|e| errors.push(ValidationError::new("new_password", e.message))).ok();
        if new.as_ref().is_some_and(|n| n.expose() == current) {
            errors.push(ValidationError::new("new_password", "must differ from the current password"));
        }
        let Some(new) = new.filter(|_| errors.is_empty()) else { return Err(ChangePasswordError::Invalid(errors)) };
        let mut attempts = 0;
        loop {
            let before = self.ports.users.find(id).await?.filter(User::can_sign_in);
            let before = before.ok_or(ChangePasswordError::CannotSignIn)?;
            if !self
                .ports
                .hasher
                .verify(current, &before.password_hash)
                .await
                .map_err(ChangePasswordError::Unexpected)?
            {
                let wrong = ValidationError::new("current_password", "is not your current password");
                return Err(ChangePasswordError::Invalid(vec![wrong]));
            }
            let mut after = before.clone();
            after.password_hash = self.ports.hasher.hash(&new).await.map_err(ChangePasswordError::Unexpected)?;
            after.session_epoch += 1;
            after.updated_at = self.ports.clock.now();
            after.version = before.version.next();
            let ev = AuditEvent::new(
                self.ports.ids.new_id(),
                origin,
                "user.change_password",
                ("user", id.to_string()),
                Some(summary(&before)),
                Some(summary(&after)),
                after.updated_at,
            );
            match self.ports.users.update(&after, before.version, &ev).await {
                Ok(()) => {
                    self.ports.sessions.end_all_for(id).await;
                    let claim = SessionClaim::issue(&after, after.updated_at);
                    return Ok((after, claim));
                }
                Err(RepositoryError::Stale) if attempts < MAX_ATTEMPTS => attempts += 1,
                Err(e) => return Err(e.into()),
            }
        }
    }
}
