//! Accounts: one module per use case.
//!
//! | module | use case | entry point |
//! | --- | --- | --- |
//! | `register` | [`Register`] | `POST /auth/register` |
//! | `create_admin` | [`CreateAdmin`] | `student-palace admin create` |
//! | `login` | [`Login`] | `POST /auth/login` |
//! | `current_user` | [`CurrentUser`] | every signed-in request (`GET /me`) |
//! | `end_sessions` | [`EndSessions`] | `POST /auth/logout`, `POST /me/sessions/revoke-all` |
//! | `change_password` | [`ChangePassword`] | `POST /me/password` |

mod change_password;
mod create_admin;
mod current_user;
mod end_sessions;
mod login;
mod register;

use std::sync::Arc;

pub use change_password::{ChangePassword, ChangePasswordError};
pub use create_admin::{CreateAdmin, CreateAdminError};
pub use current_user::{CurrentUser, CurrentUserError, SESSION_MAX_AGE, SessionClaim};
use domain::User;
pub use end_sessions::{EndSessions, EndSessionsError, SessionsEnd};
pub use login::{Login, LoginError};
pub use register::{Register, RegisterError, Registration};

use crate::ports::{Clock, IdGen, PasswordHasher, SessionStore, UserRepository};

/// The ports account use cases need.
#[derive(Clone)]
pub struct AccountPorts {
    pub users: Arc<dyn UserRepository>,
    pub hasher: Arc<dyn PasswordHasher>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGen>,
    /// Server-side sessions, when the site keeps them (`SESSION_STORE=redis`).
    pub sessions: ServerSessions,
}

/// The store of server-side sessions, or none (`SESSION_STORE=cookie`: the session
/// lives in the cookie, and the session epoch alone ends it).
#[derive(Clone, Default)]
pub struct ServerSessions(Option<Arc<dyn SessionStore>>);

impl ServerSessions {
    pub fn new(store: Arc<dyn SessionStore>) -> Self {
        Self(Some(store))
    }

    /// The store, when sessions are server-side.
    pub fn store(&self) -> Option<Arc<dyn SessionStore>> {
        self.0.clone()
    }

    /// Removes every stored session of `user`. Called after the user's session epoch has
    /// moved on, which already refuses those sessions: a store that cannot be reached
    /// is logged, not an error (what it holds expires with its TTL and is refused until
    /// then).
    pub async fn end_all_for(&self, user: domain::UserId) {
        let Some(store) = &self.0 else { return };
        match store.remove_all_for(user).await {
            Ok(n) => tracing::debug!(sessions = n, "stored sessions removed"),
            Err(e) => tracing::warn!(
                error = format!("{:#}", anyhow::Error::new(e)),
                "stored sessions not removed (refused anyway by the session epoch)"
            ),
        }
    }
}

/// What the audit trail keeps of a user (no e-mail, no hash).
pub fn summary(u: &User) -> serde_json::Value {
    serde_json::json!({
        "role": u.role.as_str(),
        "suspended": u.suspended,
        "display_name": u.display_name.as_str(),
        "email_verified": u.email_verified,
    })
}
