use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::UserId;
use domain::listing::{Listing, ListingId};

use super::RepositoryError;
use crate::paging::{Page, PageRequest};

/// A student's saved listings.
#[cfg_attr(any(test, feature = "testing"), mockall::automock)]
#[async_trait]
pub trait ShortlistRepository: Send + Sync + 'static {
    /// Saves the listing for the user; saving it again keeps the first time (idempotent).
    /// Errors: `Unexpected` (the listing must exist: callers check).
    async fn add(&self, user: UserId, listing: ListingId, at: DateTime<Utc>) -> Result<(), RepositoryError>;

    /// Removes it; returns whether it was there.
    async fn remove(&self, user: UserId, listing: ListingId) -> Result<bool, RepositoryError>;

    /// Saved listings (any status: a let listing stays visible to whoever saved it),
    /// most recently saved first, with the time each was saved.
    async fn list(&self, user: UserId, page: PageRequest) -> Result<Page<(Listing, DateTime<Utc>)>, RepositoryError>;
}
