use async_trait::async_trait;
use domain::{Email, Role, User, UserId};

use super::RepositoryError;
use crate::audit::AuditEvent;
use crate::paging::{Page, PageRequest};

/// Admin filters for listing users.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserFilter {
    pub role: Option<Role>,
    /// Case-insensitive substring of the e-mail.
    pub email_contains: Option<String>,
}

/// Persistence of user accounts.
#[cfg_attr(any(test, feature = "testing"), mockall::automock)]
#[async_trait]
pub trait UserRepository: Send + Sync + 'static {
    /// Stores a new user and its audit event in one transaction.
    /// Errors: `Conflict` when the (normalised) e-mail is taken; `Unexpected` otherwise.
    async fn insert(&self, user: &User, audit: &AuditEvent) -> Result<(), RepositoryError>;

    /// Replaces a user's mutable fields (role, suspended, display name, verified, hash,
    /// updated_at) and stores the audit event, in one transaction. A missing user is
    /// `Unexpected` (callers load before they change).
    async fn update(&self, user: &User, audit: &AuditEvent) -> Result<(), RepositoryError>;

    async fn find(&self, id: UserId) -> Result<Option<User>, RepositoryError>;

    async fn find_by_email(&self, email: &Email) -> Result<Option<User>, RepositoryError>;

    /// Users matching the filter, newest first (keyset on created_at, id).
    async fn list(&self, filter: &UserFilter, page: PageRequest) -> Result<Page<User>, RepositoryError>;
}
