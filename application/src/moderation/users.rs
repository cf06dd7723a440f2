use domain::User;

use super::ModerationPorts;
use crate::errors::storage_errors_are_unexpected;
use crate::listings::Viewer;
use crate::paging::{Page, PageRequest};
use crate::ports::UserFilter;

#[derive(Debug, thiserror::Error)]
pub enum ListUsersError {
    #[error("only admins list users")]
    NotAnAdmin,
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

storage_errors_are_unexpected!(ListUsersError);

/// `GET /admin/users`: users, newest first, by role and/or part of the e-mail.
#[derive(Clone)]
pub struct ListUsers {
    p: ModerationPorts,
}

impl ListUsers {
    pub fn new(p: ModerationPorts) -> Self {
        Self { p }
    }

    #[tracing::instrument(name = "moderation.users", skip_all)]
    pub async fn execute(
        &self,
        viewer: Viewer,
        filter: &UserFilter,
        page: PageRequest,
    ) -> Result<Page<User>, ListUsersError> {
        if !viewer.is_admin() {
            return Err(ListUsersError::NotAnAdmin);
        }
        Ok(self.p.users.list(filter, page).await?)
    }
}
