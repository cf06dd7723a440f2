use domain::UserId;

use super::AccountPorts;
use crate::RepositoryError;
use crate::audit::{AuditEvent, Origin};
use crate::errors::storage_errors_are_unexpected;

#[derive(Debug, thiserror::Error)]
pub enum EndSessionsError {
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

storage_errors_are_unexpected!(EndSessionsError);

/// Why every session of a user ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionsEnd {
    /// `POST /auth/logout`.
    SignOut,
    /// `POST /me/sessions/revoke-all` ("sign out everywhere").
    Everywhere,
}

/// `POST /auth/logout` and `POST /me/sessions/revoke-all`: ends every session of the
/// user, on every device, at once: each session names the user's session epoch it was
/// issued under, and this moves the epoch on, so a copied cookie is refused from then
/// on; server-side sessions are also removed from their store.
#[derive(Clone)]
pub struct EndSessions {
    ports: AccountPorts,
}

impl EndSessions {
    pub fn new(ports: AccountPorts) -> Self {
        Self { ports }
    }

    #[tracing::instrument(name = "accounts.end_sessions", skip_all, fields(user_id = %user))]
    pub async fn execute(&self, user: UserId, why: SessionsEnd, origin: &Origin) -> Result<(), EndSessionsError> {
        let now = self.ports.clock.now();
        let action = match why {
            SessionsEnd::SignOut => "session.sign_out",
            SessionsEnd::Everywhere => "session.revoke_all",
        };
        let ev = AuditEvent::new(self.ports.ids.new_id(), origin, action, ("user", user.to_string()), None, None, now);
        match self.ports.users.end_sessions(user, now, &ev).await {
            // Gone meanwhile: no session of theirs can be valid anyway.
            Ok(_) | Err(RepositoryError::Stale) => {}
            Err(e) => return Err(e.into()),
        }
        self.ports.sessions.end_all_for(user).await;
        Ok(())
    }
}
