use std::sync::Arc;

use domain::{User, UserId};

use crate::errors::storage_errors_are_unexpected;
use crate::ports::UserRepository;

#[derive(Debug, thiserror::Error)]
pub enum CurrentUserError {
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

storage_errors_are_unexpected!(CurrentUserError);

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
    pub async fn execute(&self, id: UserId) -> Result<Option<User>, CurrentUserError> {
        Ok(self.users.find(id).await?.filter(User::can_sign_in))
    }
}
