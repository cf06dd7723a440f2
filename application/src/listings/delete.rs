use domain::Version;
use domain::listing::{ListingId, ListingStatus};

use super::{ListingPorts, Viewer, audit_event, denied_maps_to, load_managed};
use crate::audit::Origin;

/// Why a listing could not be deleted.
#[derive(Debug, thiserror::Error)]
pub enum DeleteListingError {
    #[error("listing not found")]
    NotFound,
    #[error("not your listing")]
    Forbidden,
    /// Only a draft that was never published can be deleted; others are archived, so
    /// no student's enquiry and no moderation evidence is lost.
    #[error("only a never-published draft can be deleted; archive this {0} listing instead")]
    NotDeletable(ListingStatus),
    /// The listing changed since the caller read it (`If-Match` names an old version),
    /// or while this change was being made: nothing was changed.
    #[error("the listing changed since it was read")]
    Stale,
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

denied_maps_to!(DeleteListingError);

/// `DELETE /listings/{id}`: never-published drafts only.
#[derive(Clone)]
pub struct DeleteListing {
    ports: ListingPorts,
}

impl DeleteListing {
    pub fn new(ports: ListingPorts) -> Self {
        Self { ports }
    }

    #[tracing::instrument(name = "listings.delete", skip_all, fields(listing_id = %id))]
    pub async fn execute(
        &self,
        viewer: Viewer,
        id: ListingId,
        if_match: Version,
        origin: &Origin,
    ) -> Result<(), DeleteListingError> {
        let before = load_managed(&self.ports, viewer, id, if_match).await?;
        before.check_deletable().map_err(|_| DeleteListingError::NotDeletable(before.status))?;
        let ev = audit_event(&self.ports, origin, "listing.delete", Some(&before), None, id);
        self.ports.listings.delete(id, before.version, &ev).await?;
        self.ports.public.changed().await;
        Ok(())
    }
}
