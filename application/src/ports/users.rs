use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::{Email, Role, User, UserId, Version};

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
    /// session epoch, updated_at and the version: callers set it to `expected.next()`)
    /// and stores the audit event, in one transaction, only if the stored version is
    /// still `expected` (checked in the UPDATE statement).
    ///
    /// Errors: `Stale` when it is not, or the user is gone (nothing written, no event);
    /// `Unexpected` otherwise.
    async fn update(&self, user: &User, expected: Version, audit: &AuditEvent) -> Result<(), RepositoryError>;

    /// Ends every session of the user: moves the session epoch on by one (and the
    /// version), in the statement itself so that concurrent calls all count, and stores
    /// the audit event, in one transaction. Returns the new epoch.
    ///
    /// Errors: `Stale` when the user does not exist; `Unexpected` otherwise.
    async fn end_sessions(&self, id: UserId, at: DateTime<Utc>, audit: &AuditEvent) -> Result<u64, RepositoryError>;

    async fn find(&self, id: UserId) -> Result<Option<User>, RepositoryError>;

    async fn find_by_email(&self, email: &Email) -> Result<Option<User>, RepositoryError>;

    /// Users matching the filter, newest first (keyset on created_at, id).
    async fn list(&self, filter: &UserFilter, page: PageRequest) -> Result<Page<User>, RepositoryError>;
}
