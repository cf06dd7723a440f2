use domain::ValidationError;
use domain::listing::{Listing, ListingDetails, ListingError, ListingId};

use super::{ListingPorts, Viewer, audit_event, check_place};
use crate::audit::Origin;
use crate::errors::storage_errors_are_unexpected;

/// Why a draft could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateListingError {
    /// Only landlords and agents list homes.
    #[error("only landlords and agents can create listings")]
    NotALister,
    /// Field values, the city/area, or a letting rule that already applies (every
    /// problem, by field).
    #[error("invalid listing")]
    Invalid(Vec<ValidationError>),
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

storage_errors_are_unexpected!(CreateListingError);

/// `POST /listings`: a landlord or agent starts a draft.
#[derive(Clone)]
pub struct CreateListing {
    ports: ListingPorts,
}

impl CreateListing {
    pub fn new(ports: ListingPorts) -> Self {
        Self { ports }
    }

    #[tracing::instrument(name = "listings.create", skip_all)]
    pub async fn execute(
        &self,
        viewer: Viewer,
        mut details: ListingDetails,
        origin: &Origin,
    ) -> Result<Listing, CreateListingError> {
        if !viewer.role.can_list() {
            return Err(CreateListingError::NotALister);
        }
        check_place(&self.ports, None, &mut details).await?.map_err(|e| CreateListingError::Invalid(vec![e]))?;
        let id = ListingId(self.ports.ids.new_id());
        let listing = Listing::draft(id, viewer.id, details, self.ports.clock.now()).map_err(|e| match e {
            ListingError::Invalid(v) | ListingError::Incomplete(v) => CreateListingError::Invalid(v),
            other => CreateListingError::Unexpected(anyhow::anyhow!("creating a draft: {other}")),
        })?;
        let ev = audit_event(&self.ports, origin, "listing.create", None, Some(&listing), id);
        self.ports.listings.insert(&listing, &ev).await?;
        Ok(listing)
    }
}
