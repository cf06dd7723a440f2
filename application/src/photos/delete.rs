use domain::listing::ListingId;
use domain::photo::PhotoId;

use super::PhotoPorts;
use crate::errors::storage_errors_are_unexpected;
use crate::listings::{GetListingError, Viewer};

#[derive(Debug, thiserror::Error)]
pub enum DeletePhotoError {
    #[error("photo not found")]
    NotFound,
    #[error("only the listing's owner or an admin deletes its photos")]
    NotManager,
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

storage_errors_are_unexpected!(DeletePhotoError);

/// `DELETE /listings/{id}/photos/{photo_id}`: the row, then every file of the photo (the
/// original and each variant).
#[derive(Clone)]
pub struct DeletePhoto {
    p: PhotoPorts,
}

impl DeletePhoto {
    pub fn new(p: PhotoPorts) -> Self {
        Self { p }
    }

    #[tracing::instrument(name = "photos.delete", skip_all, fields(listing_id = %listing_id, photo_id = %id))]
    pub async fn execute(&self, viewer: Viewer, listing_id: ListingId, id: PhotoId) -> Result<(), DeletePhotoError> {
        match self.p.get_listing.execute(Some(viewer), listing_id).await {
            Ok(v) if v.private => {}
            Ok(_) => return Err(DeletePhotoError::NotManager),
            Err(GetListingError::NotFound) => return Err(DeletePhotoError::NotFound),
            Err(GetListingError::Unexpected(e)) => return Err(DeletePhotoError::Unexpected(e)),
        }
        match self.p.photos.find(id).await? {
            Some(p) if p.listing_id == listing_id => {}
            _ => return Err(DeletePhotoError::NotFound),
        }
        let Some(gone) = self.p.photos.delete(id).await? else { return Err(DeletePhotoError::NotFound) };
        self.p.public.changed().await;
        self.p.delete_files(&gone).await;
        tracing::info!("photo deleted with its files");
        Ok(())
    }
}
