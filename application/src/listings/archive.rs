use domain::Version;
use domain::listing::{Listing, ListingId};

use super::{ListingPorts, Viewer, audit_event, denied_maps_to, load_managed, save};
use crate::audit::Origin;

/// Why a listing could not be archived.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveListingError {
    #[error("listing not found")]
    NotFound,
    #[error("not your listing")]
    Forbidden,
    #[error("the listing is archived already")]
    AlreadyArchived,
    /// The listing changed since the caller read it (`If-Match` names an old version),
    /// or while this change was being made: nothing was changed.
    #[error("the listing changed since it was read")]
    Stale,
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

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
        if_match: Version,
        origin: &Origin,
    ) -> Result<Listing, ArchiveListingError> {
        let before = load_managed(&self.ports, viewer, id, if_match).await?;
        let mut after = before.clone();
        after.archive(self.ports.clock.now()).map_err(|_| ArchiveListingError::AlreadyArchived)?;
        let ev = audit_event(&self.ports, origin, "listing.archive", Some(&before), Some(&after), id);
        Ok(save(&self.ports, &before, after, &ev).await?)
    }
}
