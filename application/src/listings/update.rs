use domain::ValidationError;
use domain::Version;
use domain::listing::{Listing, ListingError, ListingId, ListingPatch};

use super::{ListingPorts, Viewer, audit_event, check_place, denied_maps_to, load_managed, save};
use crate::audit::Origin;

/// Why a listing could not be changed.
#[derive(Debug, thiserror::Error)]
pub enum UpdateListingError {
    #[error("listing not found")]
    NotFound,
    /// Someone else's listing.
    #[error("not your listing")]
    Forbidden,
    /// Field values, the city/area, or a letting rule (every problem, by field).
    #[error("invalid change")]
    Invalid(Vec<ValidationError>),
    /// A published listing must stay publishable: what the change would leave missing.
    #[error("a published listing must stay complete")]
    WouldBeIncomplete(Vec<ValidationError>),
    /// Archived listings are kept as they were.
    #[error("archived listings cannot be edited")]
    Archived,
    /// The listing changed since the caller read it (`If-Match` names an old version),
    /// or while this change was being made: nothing was changed.
    #[error("the listing changed since it was read")]
    Stale,
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

denied_maps_to!(UpdateListingError);

/// `PATCH /listings/{id}`: the owner or an admin changes some fields.
#[derive(Clone)]
pub struct UpdateListing {
    ports: ListingPorts,
}

impl UpdateListing {
    pub fn new(ports: ListingPorts) -> Self {
        Self { ports }
    }

    #[tracing::instrument(name = "listings.update", skip_all, fields(listing_id = %id))]
    pub async fn execute(
        &self,
        viewer: Viewer,
        id: ListingId,
        if_match: Version,
        patch: ListingPatch,
        origin: &Origin,
    ) -> Result<Listing, UpdateListingError> {
        let before = load_managed(&self.ports, viewer, id, if_match).await?;
        let mut after = before.clone();
        after.update(patch, self.ports.clock.now()).map_err(|e| match e {
            ListingError::Invalid(v) => UpdateListingError::Invalid(v),
            ListingError::Incomplete(v) => UpdateListingError::WouldBeIncomplete(v),
            ListingError::InvalidTransition { .. } | ListingError::NotDeletable(_) => UpdateListingError::Archived,
        })?;
        check_place(&self.ports, Some(&before.details), &mut after.details)
            .await?
            .map_err(|e| UpdateListingError::Invalid(vec![e]))?;
        let ev = audit_event(&self.ports, origin, "listing.update", Some(&before), Some(&after), id);
        Ok(save(&self.ports, &before, after, &ev).await?)
    }
}
