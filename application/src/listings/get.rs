use std::sync::Arc;

use domain::listing::{Listing, ListingId, ListingStatus};

use super::{ListingPorts, Viewer};
use crate::errors::storage_errors_are_unexpected;
use crate::ports::UserRepository;

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

/// A listing and whether the viewer may see its private fields (full postcode, address).
#[derive(Debug, Clone)]
pub struct ListingView {
    pub listing: Listing,
    pub private: bool,
}

/// `GET /listings/{id}`. Managers see everything; everyone else sees published and let
/// listings of active owners, and nothing else exists for them (404).
#[derive(Clone)]
pub struct GetListing {
    ports: ListingPorts,
    users: Arc<dyn UserRepository>,
}

impl GetListing {
    pub fn new(ports: ListingPorts, users: Arc<dyn UserRepository>) -> Self {
        Self { ports, users }
    }

    #[tracing::instrument(name = "listings.get", skip_all, fields(listing_id = %id))]
    pub async fn execute(&self, viewer: Option<Viewer>, id: ListingId) -> Result<ListingView, GetListingError> {
        let l = self.ports.listings.find(id).await?.ok_or(GetListingError::NotFound)?;
        if viewer.is_some_and(|v| v.manages(&l)) {
            return Ok(ListingView { listing: l, private: true });
        }
        if !matches!(l.status, ListingStatus::Published | ListingStatus::Let) {
            return Err(GetListingError::NotFound);
        }
        let owner_active = self.users.find(l.owner_id).await?.is_some_and(|u| u.can_sign_in());
        if !owner_active {
            return Err(GetListingError::NotFound);
        }
        Ok(ListingView { listing: l, private: false })
    }
}
