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

use crate::ports::{Clock, IdGen, PasswordHasher, UserRepository};

/// The ports account use cases need.
#[derive(Clone)]
pub struct AccountPorts {
    pub users: Arc<dyn UserRepository>,
    pub hasher: Arc<dyn PasswordHasher>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGen>,
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
