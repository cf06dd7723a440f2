use std::sync::Arc;

use domain::Role;
use domain::listing::ListingId;

use crate::errors::storage_errors_are_unexpected;
use crate::listings::Viewer;
use crate::ports::ShortlistRepository;

#[derive(Debug, thiserror::Error)]
pub enum RemoveSavedListingError {
    #[error("only students have a shortlist")]
    NotAStudent,
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

storage_errors_are_unexpected!(RemoveSavedListingError);

/// `DELETE /me/shortlist/{listing_id}`. Removing one that was not saved is fine
/// (idempotent).
#[derive(Clone)]
pub struct RemoveSavedListing {
    repo: Arc<dyn ShortlistRepository>,
}

impl RemoveSavedListing {
    pub fn new(repo: Arc<dyn ShortlistRepository>) -> Self {
        Self { repo }
    }

    #[tracing::instrument(name = "shortlist.remove", skip_all, fields(listing_id = %id))]
    pub async fn execute(&self, viewer: Viewer, id: ListingId) -> Result<(), RemoveSavedListingError> {
        if viewer.role != Role::Student {
            return Err(RemoveSavedListingError::NotAStudent);
        }
        self.repo.remove(viewer.id, id).await?;
        Ok(())
    }
}
