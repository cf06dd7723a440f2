use bytes::Bytes;
use domain::listing::{ListingId, ListingStatus};
use domain::photo::{MAX_PHOTOS_PER_LISTING, Photo, PhotoId, PhotoStatus};

use super::{PROCESS_PHOTO, PhotoPorts, PhotoView};
use crate::RepositoryError;
use crate::listings::{GetListingError, Viewer};
use crate::ports::{BlobAttrs, BlobKey, Busy, ImageError, ImageFormat, ImageProcessingError, NewJob};

#[derive(Debug, thiserror::Error)]
pub enum UploadPhotoError {
    #[error("listing not found")]
    NotFound,
    #[error("only the listing's owner or an admin adds photos")]
    NotManager,
    /// Archived listings take no new photos.
    #[error("an archived listing takes no photos")]
    Archived,
    /// Not JPEG, PNG or WebP (the type its bytes show), e.g. HEIC or SVG.
    #[error("{0}")]
    Unsupported(ImageError),
    /// Too many pixels, too much decoder memory, or it does not decode.
    #[error("{0}")]
    Invalid(ImageError),
    #[error("the listing has {MAX_PHOTOS_PER_LISTING} photos, the most it can have")]
    GalleryFull,
    #[error(transparent)]
    Busy(Busy),
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

impl From<RepositoryError> for UploadPhotoError {
    fn from(e: RepositoryError) -> Self {
        Self::Unexpected(e.into_unexpected())
    }
}

/// `POST /listings/{id}/photos`: one image, checked whole before anything is kept; stored
/// as the private original, then queued for processing. The photo is `pending`.
#[derive(Clone)]
pub struct UploadPhoto {
    p: PhotoPorts,
}

impl UploadPhoto {
    pub fn new(p: PhotoPorts) -> Self {
        Self { p }
    }

    #[tracing::instrument(name = "photos.upload", skip_all, fields(listing_id = %listing_id, bytes = body.len()))]
    pub async fn execute(
        &self,
        viewer: Viewer,
        listing_id: ListingId,
        body: Bytes,
    ) -> Result<PhotoView, UploadPhotoError> {
        let view = match self.p.get_listing.execute(Some(viewer), listing_id).await {
            Ok(v) => v,
            Err(GetListingError::NotFound) => return Err(UploadPhotoError::NotFound),
            Err(GetListingError::Unexpected(e)) => return Err(UploadPhotoError::Unexpected(e)),
        };
        if !view.private {
            return Err(UploadPhotoError::NotManager);
        }
        if view.listing.status == ListingStatus::Archived {
            return Err(UploadPhotoError::Archived);
        }
        let format = ImageFormat::sniff(&body[..body.len().min(512)])
            .map_err(|found| UploadPhotoError::Unsupported(ImageError::Unsupported(found)))?;
        match self.p.images.inspect(body.clone()).await {
            Ok(_) => {}
            Err(ImageProcessingError::Image(e @ ImageError::Unsupported(_))) => {
                return Err(UploadPhotoError::Unsupported(e));
            }
            Err(ImageProcessingError::Image(e)) => return Err(UploadPhotoError::Invalid(e)),
            Err(ImageProcessingError::Busy(b)) => return Err(UploadPhotoError::Busy(b)),
            Err(ImageProcessingError::Unexpected(e)) => return Err(UploadPhotoError::Unexpected(e)),
        }
        let now = self.p.clock.now();
        let photo = Photo {
            id: PhotoId(self.p.ids.new_id()),
            listing_id,
            status: PhotoStatus::Pending,
            position: 0,
            content_type: format.content_type().to_owned(),
            bytes: body.len() as u64,
            width: None,
            height: None,
            reject_reason: None,
            created_at: now,
            updated_at: now,
        };
        let key = BlobKey::parse(&photo.original_key()).map_err(|e| UploadPhotoError::Unexpected(e.into()))?;
        // The object first: a row never names a file that is not there.
        self.p
            .blobs
            .put(&key, body, &BlobAttrs::private(format.content_type()))
            .await
            .map_err(|e| UploadPhotoError::Unexpected(e.into()))?;
        let job = NewJob::now(self.p.ids.new_id(), PROCESS_PHOTO, serde_json::json!({ "photo_id": photo.id }), now);
        let stored = match self.p.photos.insert(&photo, MAX_PHOTOS_PER_LISTING, &job).await {
            Ok(s) => s,
            Err(e) => {
                if let Err(d) = self.p.blobs.delete(&key).await {
                    tracing::warn!(key = %key, error = %format!("{:#}", anyhow::Error::from(d)), "removing the original of a refused upload failed; media reconcile will find it");
                }
                return Err(match e {
                    RepositoryError::Conflict(_) => UploadPhotoError::GalleryFull,
                    RepositoryError::Stale => UploadPhotoError::NotFound,
                    other @ RepositoryError::Unexpected(_) => other.into(),
                });
            }
        };
        tracing::info!(photo_id = %stored.id, "photo uploaded; processing queued");
        Ok(self.p.view(stored, true).await)
    }
}
