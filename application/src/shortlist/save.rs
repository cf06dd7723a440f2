use std::sync::Arc;

use domain::Role;
use domain::listing::ListingId;

use crate::errors::storage_errors_are_unexpected;
use crate::listings::{GetListing, GetListingError, Viewer};
use crate::ports::{Clock, ShortlistRepository};

#[derive(Debug, thiserror::Error)]
pub enum SaveListingError {
    /// Shortlists are for students.
    #[error("only students have a shortlist")]
    NotAStudent,
    /// No such listing, or not public.
    #[error("listing not found")]
    ListingNotFound,
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

storage_errors_are_unexpected!(SaveListingError);

/// `PUT /me/shortlist/{listing_id}`: a student saves a listing they can see (published
/// or let). Idempotent: saving it again keeps the first time.
#[derive(Clone)]
pub struct SaveListing {
    repo: Arc<dyn ShortlistRepository>,
    get: GetListing,
    clock: Arc<dyn Clock>,
}

impl SaveListing {
    pub fn new(repo: Arc<dyn ShortlistRepository>, get: GetListing, clock: Arc<dyn Clock>) -> Self {
        Self { repo, get, clock }
    }

    #[tracing::instrument(name = "shortlist.save", skip_all, fields(listing_id = %id))]
    pub async fn execute(&self, viewer: Viewer, id: ListingId) -> Result<(), SaveListingError> {
        if viewer.role != Role::Student {
            return Err(SaveListingError::NotAStudent);
        }
        self.get.execute(Some(viewer), id).await.map_err(|e| match e {
            GetListingError::NotFound => SaveListingError::ListingNotFound,
            GetListingError::Unexpected(e) => SaveListingError::Unexpected(e),
        })?;
        Ok(self.repo.add(viewer.id, id, self.clock.now()).await?)
    }
}
