use std::collections::HashMap;
use std::sync::Arc;

use domain::Role;
use domain::listing::ListingId;

use crate::errors::storage_errors_are_unexpected;
use crate::listings::Viewer;
use crate::media_url::MediaUrls;
use crate::paging::{Page, PageRequest};
use crate::photos::Cover;
use crate::ports::{Clock, PhotoRepository, SavedListing, ShortlistRepository};

#[derive(Debug, thiserror::Error)]
pub enum MyShortlistError {
    #[error("only students have a shortlist")]
    NotAStudent,
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

storage_errors_are_unexpected!(MyShortlistError);

/// `GET /me/shortlist`: saved listings, most recently saved first, as cards; a listing
/// that is no longer public shows no content.
#[derive(Clone)]
pub struct MyShortlist {
    repo: Arc<dyn ShortlistRepository>,
    clock: Arc<dyn Clock>,
    covers: Option<(Arc<dyn PhotoRepository>, MediaUrls)>,
}

/// A page of the shortlist and the cover photos of its cards.
#[derive(Debug)]
pub struct Shortlist {
    pub page: Page<SavedListing>,
    /// Cards without a ready photo (and unavailable listings) have none.
    pub covers: HashMap<ListingId, Cover>,
}

impl MyShortlist {
    pub fn new(repo: Arc<dyn ShortlistRepository>, clock: Arc<dyn Clock>) -> Self {
        Self { repo, clock, covers: None }
    }

    /// `execute` also finds each card's cover photo (one more query per page).
    #[must_use]
    pub fn with_covers(mut self, photos: Arc<dyn PhotoRepository>, media: MediaUrls) -> Self {
        self.covers = Some((photos, media));
        self
    }

    #[tracing::instrument(name = "shortlist.list", skip_all)]
    pub async fn execute(&self, viewer: Viewer, page: PageRequest) -> Result<Shortlist, MyShortlistError> {
        if viewer.role != Role::Student {
            return Err(MyShortlistError::NotAStudent);
        }
        let page = self.repo.list(viewer.id, page, domain::uk_today(self.clock.now())).await?;
        let ids: Vec<ListingId> = page.items.iter().filter(|s| s.card.is_some()).map(|s| s.listing_id).collect();
        let covers = match &self.covers {
            Some((photos, media)) if !ids.is_empty() => crate::photos::covers(photos.as_ref(), media, &ids).await?,
            _ => HashMap::new(),
        };
        Ok(Shortlist { page, covers })
    }
}
