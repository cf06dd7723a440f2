use application::RepositoryError;
use application::paging::{Page, PageRequest};
use application::ports::ShortlistRepository;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::UserId;
use domain::listing::{Listing, ListingId};

use crate::store::{Shared, micros, page, unexpected};

/// Shortlists of an [`InMemoryStore`](crate::InMemoryStore).
#[derive(Clone)]
pub struct InMemoryShortlistRepository {
    state: Shared,
}

impl InMemoryShortlistRepository {
    pub(crate) fn new(state: Shared) -> Self {
        Self { state }
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

    async fn list(&self, user: UserId, req: PageRequest) -> Result<Page<(Listing, DateTime<Utc>)>, RepositoryError> {
        let s = self.state.read();
        let rows: Vec<(Listing, DateTime<Utc>)> = s
            .shortlist
            .iter()
            .filter(|((u, _), _)| *u == user)
            .filter_map(|((_, l), at)| s.listings.get(l).map(|l| (l.clone(), *at)))
            .collect();
        Ok(page(rows, req, 0, true, |(l, at)| (micros(*at), l.id.0)))
    }
}
