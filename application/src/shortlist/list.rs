use std::sync::Arc;

use domain::Role;

use crate::errors::storage_errors_are_unexpected;
use crate::listings::Viewer;
use crate::paging::{Page, PageRequest};
use crate::ports::{Clock, SavedListing, ShortlistRepository};

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
}

impl MyShortlist {
    pub fn new(repo: Arc<dyn ShortlistRepository>, clock: Arc<dyn Clock>) -> Self {
        Self { repo, clock }
    }

    #[tracing::instrument(name = "shortlist.list", skip_all)]
    pub async fn execute(&self, viewer: Viewer, page: PageRequest) -> Result<Page<SavedListing>, MyShortlistError> {
        if viewer.role != Role::Student {
            return Err(MyShortlistError::NotAStudent);
        }
        Ok(self.repo.list(viewer.id, page, domain::uk_today(self.clock.now())).await?)
    }
}
