use domain::listing::ListingId;
use domain::photo::PhotoStatus;

use super::{PhotoPorts, PhotoView};
use crate::errors::storage_errors_are_unexpected;
use crate::listings::{GetListingError, Viewer};

#[derive(Debug, thiserror::Error)]
pub enum ListPhotosError {
    #[error("listing not found")]
    NotFound,
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

storage_errors_are_unexpected!(ListPhotosError);

/// `GET /listings/{id}/photos`: the gallery in order. Whoever may see the listing sees
/// its ready photos; its owner and admins see every photo (pending, rejected with the
/// reason) and a signed link to each original.
#[derive(Clone)]
pub struct ListPhotos {
    p: PhotoPorts,
}

impl ListPhotos {
    pub fn new(p: PhotoPorts) -> Self {
        Self { p }
    }

    #[tracing::instrument(name = "photos.list", skip_all, fields(listing_id = %listing_id))]
    pub async fn execute(
        &self,
        viewer: Option<Viewer>,
        listing_id: ListingId,
    ) -> Result<Vec<PhotoView>, ListPhotosError> {
        let view = match self.p.get_listing.execute(viewer, listing_id).await {
            Ok(v) => v,
            Err(GetListingError::NotFound) => return Err(ListPhotosError::NotFound),
            Err(GetListingError::Unexpected(e)) => return Err(ListPhotosError::Unexpected(e)),
        };
        let mut out = Vec::new();
        for photo in self.p.photos.list(listing_id).await? {
            if view.private || photo.status == PhotoStatus::Ready {
                out.push(self.p.view(photo, view.private).await);
            }
        }
        Ok(out)
    }
}
