use domain::listing::{ListingId, ListingStatus};

use super::{ListingPorts, Viewer, audit_event, denied_maps_to, load_managed};
use crate::audit::Origin;
use crate::errors::storage_errors_are_unexpected;

/// Why a listing could not be deleted.
#[derive(Debug, thiserror::Error)]
pub enum DeleteListingError {
    #[error("listing not found")]
    NotFound,
    #[error("not your listing")]
    Forbidden,
    /// Only drafts can be deleted; others are archived instead.
    #[error("only drafts can be deleted; archive a {0} listing instead")]
    NotADraft(ListingStatus),
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

storage_errors_are_unexpected!(DeleteListingError);
denied_maps_to!(DeleteListingError);

/// `DELETE /listings/{id}`: drafts only.
#[derive(Clone)]
pub struct DeleteListing {
    ports: ListingPorts,
}

impl DeleteListing {
    pub fn new(ports: ListingPorts) -> Self {
        Self { ports }
    }

    #[tracing::instrument(name = "listings.delete", skip_all, fields(listing_id = %id))]
    pub async fn execute(&self, viewer: Viewer, id: ListingId, origin: &Origin) -> Result<(), DeleteListingError> {
        let before = load_managed(&self.ports, viewer, id).await?;
        before.check_deletable().map_err(|_| DeleteListingError::NotADraft(before.status))?;
        let ev = audit_event(&self.ports, origin, "listing.delete", Some(&before), None, id);
        self.ports.listings.delete(id, &ev).await?;
        Ok(())
    }
}
