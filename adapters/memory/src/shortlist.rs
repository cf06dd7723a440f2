use application::RepositoryError;
use application::paging::{Page, PageRequest};
use application::ports::{SavedListing, ShortlistRepository};
use async_trait::async_trait;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use domain::UserId;
use domain::listing::ListingId;

use crate::InMemoryCityRepository;
use crate::store::{Shared, micros, page, unexpected};

/// Shortlists of an [`InMemoryStore`](crate::InMemoryStore).
#[derive(Clone)]
pub struct InMemoryShortlistRepository {
    state: Shared,
    cities: Arc<InMemoryCityRepository>,
}

impl InMemoryShortlistRepository {
    pub(crate) fn new(state: Shared, cities: Arc<InMemoryCityRepository>) -> Self {
        Self { state, cities }
    }
}

#[async_trait]
impl ShortlistRepository for InMemoryShortlistRepository {
    async fn add(&self, user: UserId, listing: ListingId, at: DateTime<Utc>) -> Result<(), RepositoryError> {
        let mut s = self.state.write();
        s.check_user(user, "user")?;
        if !s.listings.contains_key(&listing) {
            return Err(unexpected(format!("listing {listing} does not exist")));
        }
        s.shortlist.entry((user, listing)).or_insert(at);
        Ok(())
    }

    async fn remove(&self, user: UserId, listing: ListingId) -> Result<bool, RepositoryError> {
        Ok(self.state.write().shortlist.remove(&(user, listing)).is_some())
    }

    async fn list(
        &self,
        user: UserId,
        req: PageRequest,
        today: NaiveDate,
    ) -> Result<Page<SavedListing>, RepositoryError> {
        let s = self.state.read();
        let rows: Vec<SavedListing> = s
            .shortlist
            .iter()
            .filter(|((u, _), _)| *u == user)
            .filter_map(|((_, id), at)| {
                let l = s.listings.get(id)?;
                Some(SavedListing {
                    listing_id: *id,
                    saved_at: *at,
                    card: crate::listings::public(l, &s.users, &self.cities, today).then(|| l.card()).flatten(),
                })
            })
            .collect();
        Ok(page(rows, req, 0, true, |r| (micros(r.saved_at), r.listing_id.0)))
    }
}
