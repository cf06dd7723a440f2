//! Photos of listings. One module per use case.
//!
//! | module | use case | entry point |
//! | --- | --- | --- |
//! | `upload` | [`UploadPhoto`] | `POST /listings/{id}/photos` |
//! | `list` | [`ListPhotos`] | `GET /listings/{id}/photos` |
//! | `reorder` | [`ReorderPhotos`] | `PUT /listings/{id}/photos/order` |
//! | `delete` | [`DeletePhoto`] | `DELETE /listings/{id}/photos/{photo_id}` |
//! | `process` | [`ProcessPhoto`] | the `photo.process` job |
//! | `serve` | [`ServeMedia`] | `GET /media/{key}` (dev storage only) |
//! | `reconcile` | [`ReconcileMedia`] | `student-palace media reconcile`, the daily `media.reconcile` job |
//!
//! The flow: the upload is checked whole (type from its bytes, decodable, within the
//! pixel and memory limits) before anything is kept; the original is written under a
//! random key, then the row and its processing job in one transaction (if the row
//! fails, the object is deleted). The job makes the variants (metadata stripped), stores
//! them as immutable public objects and marks the photo ready. See `docs/media.md`.

mod delete;
mod list;
mod process;
mod reconcile;
mod reorder;
mod serve;
mod upload;

use std::collections::BTreeMap;
use std::sync::Arc;

pub use delete::{DeletePhoto, DeletePhotoError};
use domain::photo::{Photo, PhotoStatus};
pub use list::{ListPhotos, ListPhotosError};
pub use process::{PROCESS_PHOTO, ProcessPhoto};
pub use reconcile::{
    ORPHAN_MIN_AGE, RECONCILE_MEDIA, ReconcileMedia, ReconcileMediaDryRun, ReconcileMediaError, ReconcileReport,
};
pub use reorder::{ReorderPhotos, ReorderPhotosError};
pub use serve::{MediaObject, ServeMedia, ServeMediaError};
pub use upload::{UploadPhoto, UploadPhotoError};

use crate::listings::GetListing;
use crate::media_url::MediaUrls;
use crate::ports::{BlobKey, BlobStore, Clock, IdGen, ImageProcessor, PhotoRepository};

/// How long an owner's link to an original works.
pub const ORIGINAL_URL_TTL: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// The ports the photo use cases need.
#[derive(Clone)]
pub struct PhotoPorts {
    pub photos: Arc<dyn PhotoRepository>,
    pub blobs: Arc<dyn BlobStore>,
    pub images: Arc<dyn ImageProcessor>,
    /// Who may see or change a listing (and so its photos).
    pub get_listing: GetListing,
    pub media: MediaUrls,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGen>,
    /// A photo made ready, reordered or deleted changes what the public sees.
    pub public: crate::cached::PublicVersion,
}

/// A photo as a client sees it: the public URLs of its variants once ready, and for the
/// listing's owner or an admin a short-lived signed URL of the original.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoView {
    pub photo: Photo,
    /// Variant name → absolute URL (empty until ready).
    pub urls: BTreeMap<&'static str, String>,
    pub original_url: Option<String>,
}

/// The thumbnail a results card shows: a listing's first ready photo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cover {
    /// Absolute URL of the `thumb` variant.
    pub url: String,
    pub width: u32,
    pub height: u32,
}

/// The covers of a page of listings, in one query.
pub async fn covers(
    photos: &dyn PhotoRepository,
    media: &MediaUrls,
    listings: &[domain::listing::ListingId],
) -> Result<std::collections::HashMap<domain::listing::ListingId, Cover>, crate::RepositoryError> {
    Ok(photos
        .covers(listings)
        .await?
        .into_iter()
        .filter_map(|p| {
            let (w, h) = (p.width?, p.height?);
            let (width, height) = domain::photo::fit(w, h, domain::photo::THUMB_SIDE);
            let url = media.public(&p.variant_key("thumb")?).to_string();
            Some((p.listing_id, Cover { url, width, height }))
        })
        .collect())
}

/// The public URLs of a photo's variants (none until it is ready).
pub fn variant_urls(photo: &Photo, media: &MediaUrls) -> BTreeMap<&'static str, String> {
    if photo.status != PhotoStatus::Ready {
        return BTreeMap::new();
    }
    domain::photo::VARIANT_FILES
        .iter()
        .filter_map(|(name, _)| Some((*name, media.public(&photo.variant_key(name)?).to_string())))
        .collect()
}

impl PhotoPorts {
    pub(crate) async fn view(&self, photo: Photo, manager: bool) -> PhotoView {
        let urls = variant_urls(&photo, &self.media);
        let original_url = if manager {
            match BlobKey::parse(&photo.original_key()) {
                Ok(key) => match self.blobs.signed_url(&key, ORIGINAL_URL_TTL).await {
                    Ok(u) => Some(u.to_string()),
                    Err(e) => {
                        tracing::warn!(error = %format!("{:#}", anyhow::Error::from(e)), "cannot sign the original's URL");
                        None
                    }
                },
                Err(_) => None,
            }
        } else {
            None
        };
        PhotoView { photo, urls, original_url }
    }

    /// Deletes every file of `photo`; failures are logged (`media reconcile` finds them).
    pub(crate) async fn delete_files(&self, photo: &Photo) {
        for key in photo.all_keys() {
            let Ok(k) = BlobKey::parse(&key) else { continue };
            if let Err(e) = self.blobs.delete(&k).await {
                tracing::warn!(key = %k, error = %format!("{:#}", anyhow::Error::from(e)), "deleting a photo file failed; media reconcile will find it");
            }
        }
    }
}
