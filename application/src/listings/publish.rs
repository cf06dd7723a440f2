use domain::ValidationError;
use domain::Version;
use domain::listing::{Listing, ListingError, ListingId};

use std::sync::Arc;

use domain::photo::PhotoStatus;

use super::{ListingPorts, Viewer, audit_event, denied_maps_to, load_managed, save};
use crate::audit::Origin;
use crate::ports::PhotoRepository;

/// Why a listing could not be published.
#[derive(Debug, thiserror::Error)]
pub enum PublishListingError {
    #[error("listing not found")]
    NotFound,
    #[error("not your listing")]
    Forbidden,
    #[error("the listing is published already")]
    AlreadyPublished,
    /// What publishing still needs: missing fields and the letting rules it breaks.
    #[error("the listing is not complete enough to publish")]
    Incomplete(Vec<ValidationError>),
    /// The listing changed since the caller read it (`If-Match` names an old version),
    /// or while this change was being made: nothing was changed.
    #[error("the listing changed since it was read")]
    Stale,
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

denied_maps_to!(PublishListingError);

/// `POST /listings/{id}/publish`: draft, let or archived → published, when complete and
/// it has at least one ready photo (a results page shows one).
#[derive(Clone)]
pub struct PublishListing {
    ports: ListingPorts,
    photos: Arc<dyn PhotoRepository>,
}

/// What publishing says when no photo is ready.
pub const NEEDS_A_PHOTO: &str =
    "needs at least one ready photo: upload one (POST /listings/{id}/photos) and wait until it is ready";

impl PublishListing {
    pub fn new(ports: ListingPorts, photos: Arc<dyn PhotoRepository>) -> Self {
        Self { ports, photos }
    }

    #[tracing::instrument(name = "listings.publish", skip_all, fields(listing_id = %id))]
    pub async fn execute(
        &self,
        viewer: Viewer,
        id: ListingId,
        if_match: Version,
        origin: &Origin,
    ) -> Result<Listing, PublishListingError> {
        // Photos first: a delete racing this publish then shows as the listing gone (404)
        // or changed (412), never as "no photo".
        let has_photo = self.photos.list(id).await?.iter().any(|p| p.status == PhotoStatus::Ready);
        let before = load_managed(&self.ports, viewer, id, if_match).await?;
        let mut after = before.clone();
        let published = after.publish(self.ports.clock.now()).map_err(|e| match e {
            ListingError::Incomplete(v) | ListingError::Invalid(v) => PublishListingError::Incomplete(v),
            ListingError::InvalidTransition { .. } | ListingError::NotDeletable(_) => {
                PublishListingError::AlreadyPublished
            }
        });
        match (published, has_photo) {
            (Ok(()), true) => {}
            (Ok(()), false) => {
                return Err(PublishListingError::Incomplete(vec![ValidationError::new("photos", NEEDS_A_PHOTO)]));
            }
            (Err(PublishListingError::Incomplete(mut v)), false) => {
                v.push(ValidationError::new("photos", NEEDS_A_PHOTO));
                return Err(PublishListingError::Incomplete(v));
            }
            (Err(e), _) => return Err(e),
        }
        let ev = audit_event(&self.ports, origin, "listing.publish", Some(&before), Some(&after), id);
        Ok(save(&self.ports, &before, after, &ev).await?)
    }
}
