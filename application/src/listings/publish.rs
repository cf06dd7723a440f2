use domain::ValidationError;
use domain::Version;
use domain::listing::{Listing, ListingError, ListingId};

use super::{ListingPorts, Viewer, audit_event, denied_maps_to, load_managed, save};
use crate::audit::Origin;

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

/// `POST /listings/{id}/publish`: draft, let or archived → published, when complete.
#[derive(Clone)]
pub struct PublishListing {
    ports: ListingPorts,
}

impl PublishListing {
    pub fn new(ports: ListingPorts) -> Self {
        Self { ports }
    }

    #[tracing::instrument(name = "listings.publish", skip_all, fields(listing_id = %id))]
    pub async fn execute(
        &self,
        viewer: Viewer,
        id: ListingId,
        if_match: Version,
        origin: &Origin,
    ) -> Result<Listing, PublishListingError> {
        let before = load_managed(&self.ports, viewer, id, if_match).await?;
        let mut after = before.clone();
        after.publish(self.ports.clock.now()).map_err(|e| match e {
            ListingError::Incomplete(v) | ListingError::Invalid(v) => PublishListingError::Incomplete(v),
            ListingError::InvalidTransition { .. } | ListingError::NotDeletable(_) => {
                PublishListingError::AlreadyPublished
            }
        })?;
        let ev = audit_event(&self.ports, origin, "listing.publish", Some(&before), Some(&after), id);
        Ok(save(&self.ports, &before, after, &ev).await?)
    }
}
