use domain::listing::Listing;

use super::{ListingPorts, Viewer};
use crate::errors::storage_errors_are_unexpected;
use crate::paging::{Page, PageRequest};

#[derive(Debug, thiserror::Error)]
pub enum MyListingsError {
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

storage_errors_are_unexpected!(MyListingsError);

/// `GET /me/listings`: the viewer's own listings, any status, newest first.
#[derive(Clone)]
pub struct MyListings {
    ports: ListingPorts,
}

impl MyListings {
    pub fn new(ports: ListingPorts) -> Self {
        Self { ports }
    }

    #[tracing::instrument(name = "listings.mine", skip_all)]
    pub async fn execute(&self, viewer: Viewer, page: PageRequest) -> Result<Page<Listing>, MyListingsError> {
        Ok(self.ports.listings.list_by_owner(viewer.id, page).await?)
    }
}
