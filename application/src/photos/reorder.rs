use domain::listing::ListingId;
use domain::photo::PhotoId;

use super::{PhotoPorts, PhotoView};
use crate::RepositoryError;
use crate::listings::{GetListingError, Viewer};

#[derive(Debug, thiserror::Error)]
pub enum ReorderPhotosError {
    #[error("listing not found")]
    NotFound,
    #[error("only the listing's owner or an admin orders its photos")]
    NotManager,
    /// The order does not name each of the listing's photos exactly once (one was
    /// added or deleted meanwhile: read the gallery again).
    #[error("the order must name each of the listing's photos once")]
    Mismatch,
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

impl From<RepositoryError> for ReorderPhotosError {
    fn from(e: RepositoryError) -> Self {
        match e {
            RepositoryError::Conflict(_) => Self::Mismatch,
            other => Self::Unexpected(other.into_unexpected()),
        }
    }
}

/// `PUT /listings/{id}/photos/order`: the gallery in the given order (the first ready
/// photo is the cover).
#[derive(Clone)]
pub struct ReorderPhotos {
    p: PhotoPorts,
}

impl ReorderPhotos {
    pub fn new(p: PhotoPorts) -> Self {
        Self { p }
    }

    /// Returns the gallery in its new order, as its manager sees it.
    #[tracing::instrument(name = "photos.reorder", skip_all, fields(listing_id = %listing_id))]
    pub async fn execute(
        &self,
        viewer: Viewer,
        listing_id: ListingId,
        order: &[PhotoId],
    ) -> Result<Vec<PhotoView>, ReorderPhotosError> {
        match self.p.get_listing.execute(Some(viewer), listing_id).await {
            Ok(v) if v.private => {}
            Ok(_) => return Err(ReorderPhotosError::NotManager),
            Err(GetListingError::NotFound) => return Err(ReorderPhotosError::NotFound),
            Err(GetListingError::Unexpected(e)) => return Err(ReorderPhotosError::Unexpected(e)),
        }
        self.p.photos.reorder(listing_id, order, self.p.clock.now()).await?;
        self.p.public.changed().await;
        let mut out = Vec::new();
        for photo in self.p.photos.list(listing_id).await? {
            out.push(self.p.view(photo, true).await);
        }
        Ok(out)
    }
}
