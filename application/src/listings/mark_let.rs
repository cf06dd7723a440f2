use domain::Version;
use domain::listing::{Listing, ListingId, ListingStatus};

use super::{ListingPorts, Viewer, audit_event, denied_maps_to, load_managed, save};
use crate::audit::Origin;

/// Why a listing could not be marked as let.
#[derive(Debug, thiserror::Error)]
pub enum MarkListingLetError {
    #[error("listing not found")]
    NotFound,
    #[error("not your listing")]
    Forbidden,
    /// Only a published listing can be let.
    #[error("a {0} listing cannot be marked as let")]
    NotPublished(ListingStatus),
    /// The listing changed since the caller read it (`If-Match` names an old version),
    /// or while this change was being made: nothing was changed.
    #[error("the listing changed since it was read")]
    Stale,
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

denied_maps_to!(MarkListingLetError);

/// `POST /listings/{id}/let`: published → let (still shown, no more enquiries).
#[derive(Clone)]
pub struct MarkListingLet {
    ports: ListingPorts,
}

impl MarkListingLet {
    pub fn new(ports: ListingPorts) -> Self {
        Self { ports }
    }

    #[tracing::instrument(name = "listings.mark_let", skip_all, fields(listing_id = %id))]
    pub async fn execute(
        &self,
        viewer: Viewer,
        id: ListingId,
        if_match: Version,
        origin: &Origin,
    ) -> Result<Listing, MarkListingLetError> {
        let before = load_managed(&self.ports, viewer, id, if_match).await?;
        let mut after = before.clone();
        after.mark_let(self.ports.clock.now()).map_err(|_| MarkListingLetError::NotPublished(before.status))?;
        let ev = audit_event(&self.ports, origin, "listing.let", Some(&before), Some(&after), id);
        Ok(save(&self.ports, &before, after, &ev).await?)
    }
}
