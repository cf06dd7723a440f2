use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use domain::UserId;
use domain::listing::{ListingCard, ListingId};

use super::RepositoryError;
use crate::paging::{Page, PageRequest};

/// A saved listing: its card while the listing is public, `None` once it is not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedListing {
    pub listing_id: ListingId,
    pub saved_at: DateTime<Utc>,
    /// Present while the listing is public: status published or let, and the owner not
    /// suspended (what `GET /listings/{id}` shows to everyone).
    pub card: Option<ListingCard>,
}

/// A student's saved listings.
#[cfg_attr(any(test, feature = "testing"), mockall::automock)]
#[async_trait]
pub trait ShortlistRepository: Send + Sync + 'static {
    /// Saves the listing for the user; saving it again keeps the first time (idempotent).
    /// Errors: `Unexpected` (the listing must exist: callers check).
    async fn add(&self, user: UserId, listing: ListingId, at: DateTime<Utc>) -> Result<(), RepositoryError>;

    /// Removes it; returns whether it was there.
    async fn remove(&self, user: UserId, listing: ListingId) -> Result<bool, RepositoryError>;

    /// Saved listings, most recently saved first, each with its card while it is public
    /// on `today` (`Listing::hidden` is `None`: a listing taken down, archived, of a
    /// suspended owner, with a lapsed licence or in a deactivated city shows no content).
    async fn list(
        &self,
        user: UserId,
        page: PageRequest,
        today: NaiveDate,
    ) -> Result<Page<SavedListing>, RepositoryError>;
}
