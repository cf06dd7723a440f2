use std::sync::Arc;

use domain::listing::{Hidden, Listing, ListingId, ListingStatus};
use domain::photo::PhotoStatus;

use super::{ListingPorts, Viewer};
use crate::errors::storage_errors_are_unexpected;
use crate::media_url::MediaUrls;
use crate::ports::{PhotoRepository, UserRepository};

/// Why a listing could not be shown.
#[derive(Debug, thiserror::Error)]
pub enum GetListingError {
    /// No such listing, or not visible to the viewer.
    #[error("listing not found")]
    NotFound,
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

storage_errors_are_unexpected!(GetListingError);

/// A listing, whether the viewer may see its private fields (full postcode, address),
/// and why the public can't see it right now, if it can't.
#[derive(Debug, Clone)]
pub struct ListingView {
    pub listing: Listing,
    pub private: bool,
    pub hidden: Option<Hidden>,
    /// The gallery, in order (`execute` of a `GetListing` with a gallery only): every
    /// photo for managers, the ready ones for everyone else; public URLs only.
    pub photos: Vec<crate::photos::PhotoView>,
}

/// `GET /listings/{id}`. Managers see everything (with the reason the public can't, if
/// so); everyone else sees only what is public (`Listing::hidden`: published or let, owner
/// active, licence not lapsed, city active), and nothing else exists for them (404).
#[derive(Clone)]
pub struct GetListing {
    ports: ListingPorts,
    users: Arc<dyn UserRepository>,
    gallery: Option<(Arc<dyn PhotoRepository>, MediaUrls)>,
}

impl GetListing {
    pub fn new(ports: ListingPorts, users: Arc<dyn UserRepository>) -> Self {
        Self { ports, users, gallery: None }
    }

    /// `execute` also reads the listing's photos (one more query), with their URLs.
    #[must_use]
    pub fn with_gallery(mut self, photos: Arc<dyn PhotoRepository>, media: MediaUrls) -> Self {
        self.gallery = Some((photos, media));
        self
    }

    #[tracing::instrument(name = "listings.get", skip_all, fields(listing_id = %id))]
    pub async fn execute(&self, viewer: Option<Viewer>, id: ListingId) -> Result<ListingView, GetListingError> {
        let mut view = self.view(viewer, id).await?;
        if !view.private && view.hidden.is_some() {
            return Err(GetListingError::NotFound);
        }
        if let Some((photos, media)) = &self.gallery {
            view.photos = photos
                .list(id)
                .await?
                .into_iter()
                .filter(|p| view.private || p.status == PhotoStatus::Ready)
                .map(|photo| crate::photos::PhotoView {
                    urls: crate::photos::variant_urls(&photo, media),
                    photo,
                    original_url: None,
                })
                .collect();
        }
        Ok(view)
    }

    /// The listing whoever asks, with `hidden` filled in: for use cases that act on a
    /// listing for the public and refuse hidden ones with their own reason (an enquiry to
    /// a listing whose licence lapsed is 409, not 404). Callers must not show a hidden
    /// listing's content to anyone but its managers.
    pub async fn view(&self, viewer: Option<Viewer>, id: ListingId) -> Result<ListingView, GetListingError> {
        let l = self.ports.listings.find(id).await?.ok_or(GetListingError::NotFound)?;
        let private = viewer.is_some_and(|v| v.manages(&l));
        let hidden = if matches!(l.status, ListingStatus::Published | ListingStatus::Let) {
            let owner_active = self.users.find(l.owner_id).await?.is_some_and(|u| u.can_sign_in());
            let city_active = match &l.details.city {
                Some(slug) => self.ports.cities.find(slug).await?.is_some_and(|c| c.active),
                None => false,
            };
            l.hidden(domain::uk_today(self.ports.clock.now()), owner_active, city_active)
        } else {
            Some(Hidden::NotPublic)
        };
        Ok(ListingView { listing: l, private, hidden, photos: Vec::new() })
    }
}
