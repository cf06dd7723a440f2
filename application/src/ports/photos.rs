use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::listing::ListingId;
use domain::photo::{Photo, PhotoId};

use super::RepositoryError;
use super::jobs::NewJob;

/// Persistence of photos (the rows; the files are the `BlobStore`'s).
///
/// Error contract: `Conflict` when a rule would break (the message names it), `Stale`
/// when a conditional change found the row changed or gone (nothing written),
/// `Unexpected` when the store fails.
#[cfg_attr(any(test, feature = "testing"), mockall::automock)]
#[async_trait]
pub trait PhotoRepository: Send + Sync + 'static {
    /// Stores a new photo at the end of its listing's gallery (`position` is set here,
    /// whatever `photo.position` says) and its processing job, in one transaction, only
    /// while the listing has fewer than `max` photos (checked with the insert: two
    /// concurrent uploads cannot both take the last place). Returns the photo as stored.
    /// Errors: `Conflict` when the gallery is full or the id is taken; `Stale` when the
    /// listing is gone (nothing stored).
    async fn insert(&self, photo: &Photo, max: usize, process: &NewJob) -> Result<Photo, RepositoryError>;

    async fn find(&self, id: PhotoId) -> Result<Option<Photo>, RepositoryError>;

    /// The listing's photos by position.
    async fn list(&self, listing: ListingId) -> Result<Vec<Photo>, RepositoryError>;

    /// The cover of each of these listings: its first `ready` photo by position. Listings
    /// without a ready photo are absent; one query for a whole results page.
    async fn covers(&self, listings: &[ListingId]) -> Result<Vec<Photo>, RepositoryError>;

    /// The photo is processed: `ready` with its oriented size, only if still `pending`.
    /// Errors: `Stale` (deleted meanwhile, or already done).
    async fn mark_ready(&self, id: PhotoId, width: u32, height: u32, at: DateTime<Utc>) -> Result<(), RepositoryError>;

    /// Processing refused it, only if still `pending`. Errors: `Stale`.
    async fn mark_rejected(&self, id: PhotoId, reason: &str, at: DateTime<Utc>) -> Result<(), RepositoryError>;

    /// Puts the listing's photos in this order (`order` names each of them once).
    /// Errors: `Conflict` when `order` is not exactly the listing's photos (one was
    /// added or deleted meanwhile).
    async fn reorder(&self, listing: ListingId, order: &[PhotoId], at: DateTime<Utc>) -> Result<(), RepositoryError>;

    /// Every photo of every listing, by id, `limit` at a time after `after` (for
    /// `media reconcile`).
    async fn all(&self, after: Option<PhotoId>, limit: u32) -> Result<Vec<Photo>, RepositoryError>;

    /// Removes the row; the others close the gap. Returns what was removed (`None`:
    /// there was nothing), so the caller deletes its files.
    async fn delete(&self, id: PhotoId) -> Result<Option<Photo>, RepositoryError>;
}
