use domain::listing::{Listing, ListingId};

use super::{ListingPorts, Viewer, audit_event, denied_maps_to, load_managed};
use crate::audit::Origin;
use crate::errors::storage_errors_are_unexpected;

/// Why a listing could not be archived.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveListingError {
    #[error("listing not found")]
    NotFound,
    #[error("not your listing")]
    Forbidden,
    #[error("the listing is archived already")]
    AlreadyArchived,
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

storage_errors_are_unexpected!(ArchiveListingError);
denied_maps_to!(ArchiveListingError);

/// `POST /listings/{id}/archive`: draft, published or let → archived (kept, out of
/// search, read-only).
#[derive(Clone)]
pub struct ArchiveListing {
    ports: ListingPorts,
}

impl ArchiveListing {
    pub fn new(ports: ListingPorts) -> Self {
        Self { ports }
    }

    #[tracing::instrument(name = "listings.archive", skip_all, fields(listing_id = %id))]
    pub async fn execute(
        &self,
        viewer: Viewer,
        id: ListingId,
        origin: &Origin,
    ) -> Result<Listing, ArchiveListingError> {
        let before = load_managed(&self.ports, viewer, id).await?;
        let mut after = before.clone();
        after.archive(self.ports.clock.now()).map_err(|_| ArchiveListingError::AlreadyArchived)?;
        let ev = audit_event(&self.ports, origin, "listing.archive", Some(&before), Some(&after), id);
        self.ports.listings.update(&after, &ev).await?;
        Ok(after)
    }
}
