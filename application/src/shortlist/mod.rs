//! A student's shortlist.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use domain::Role;
use domain::listing::{Listing, ListingId};

use crate::listings::{GetListing, ListingsError, Viewer};
use crate::paging::{Page, PageRequest};
use crate::ports::{Clock, ShortlistRepository};

/// `PUT/DELETE /me/shortlist/{listing_id}`, `GET /me/shortlist`. Students only.
#[derive(Clone)]
pub struct Shortlist {
    repo: Arc<dyn ShortlistRepository>,
    get: GetListing,
    clock: Arc<dyn Clock>,
}

impl Shortlist {
    pub fn new(repo: Arc<dyn ShortlistRepository>, get: GetListing, clock: Arc<dyn Clock>) -> Self {
        Self { repo, get, clock }
    }

    fn student(viewer: Viewer) -> Result<(), ListingsError> {
        if viewer.role == Role::Student { Ok(()) } else { Err(ListingsError::Forbidden) }
    }

    /// Saves a listing the student can see (published or let). Idempotent.
    #[tracing::instrument(name = "shortlist.add", skip_all, fields(listing_id = %id))]
    pub async fn add(&self, viewer: Viewer, id: ListingId) -> Result<(), ListingsError> {
        Self::student(viewer)?;
        self.get.execute(Some(viewer), id).await?;
        Ok(self.repo.add(viewer.id, id, self.clock.now()).await?)
    }

    /// Removes a saved listing; removing one that was not saved is fine (idempotent).
    #[tracing::instrument(name = "shortlist.remove", skip_all, fields(listing_id = %id))]
    pub async fn remove(&self, viewer: Viewer, id: ListingId) -> Result<(), ListingsError> {
        Self::student(viewer)?;
        self.repo.remove(viewer.id, id).await?;
        Ok(())
    }

    pub async fn list(
        &self,
        viewer: Viewer,
        page: PageRequest,
    ) -> Result<Page<(Listing, DateTime<Utc>)>, ListingsError> {
        Self::student(viewer)?;
        Ok(self.repo.list(viewer.id, page).await?)
    }
}
