//! Accounts: registration, sign-in, the current user, admins made by the CLI.

mod login;
mod register;

use std::sync::Arc;

use domain::{User, UserId, ValidationError};
pub use login::Login;
pub use register::{CreateAdmin, Register, Registration};

use crate::RepositoryError;
use crate::ports::{Clock, IdGen, PasswordHasher, UserRepository};

/// Everything account use cases can answer besides success.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("invalid input")]
    Invalid(Vec<ValidationError>),
    /// The e-mail is taken. Deliberately says no more.
    #[error("an account with this e-mail already exists")]
    EmailTaken,
    #[error("this role cannot be chosen when registering")]
    RoleNotSelfService,
    /// Unknown e-mail, wrong password and suspended account all look alike.
    #[error("e-mail or password is wrong")]
    BadCredentials,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<RepositoryError> for AccountError {
    fn from(e: RepositoryError) -> Self {
        match e {
            RepositoryError::Conflict(_) => AccountError::EmailTaken,
            RepositoryError::Unexpected(e) => AccountError::Unexpected(e),
        }
    }
}

/// The ports account use cases need.
#[derive(Clone)]
pub struct AccountPorts {
    pub users: Arc<dyn UserRepository>,
    pub hasher: Arc<dyn PasswordHasher>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGen>,
}

/// The signed-in user, re-read on every request so that a suspension takes effect at once.
#[derive(Clone)]
pub struct CurrentUser {
    users: Arc<dyn UserRepository>,
}

impl CurrentUser {
    pub fn new(users: Arc<dyn UserRepository>) -> Self {
        Self { users }
    }

    /// The user behind a session, if it still exists and may sign in.
    #[tracing::instrument(name = "accounts.current_user", skip_all)]
    pub async fn execute(&self, id: UserId) -> Result<Option<User>, AccountError> {
        Ok(self.users.find(id).await?.filter(User::can_sign_in))
    }
}

/// What the API shows about a user to themself.
pub fn summary(u: &User) -> serde_json::Value {
    serde_json::json!({
        "role": u.role.as_str(),
        "suspended": u.suspended,
        "display_name": u.display_name.as_str(),
        "email_verified": u.email_verified,
    })
}
