use application::RepositoryError;
use application::paging::{Page, PageRequest};
use application::ports::ShortlistRepository;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::UserId;
use domain::listing::{Listing, ListingId};
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::entity::shortlists::{self, Column};
use crate::listings::to_domain;
use crate::rows::{before, stored, ts_of_key};

/// Students' saved listings on PostgreSQL or SQLite.
#[derive(Clone)]
pub struct SqlShortlistRepository {
    db: DatabaseConnection,
}

impl SqlShortlistRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[async_trait]
impl ShortlistRepository for SqlShortlistRepository {
    async fn add(&self, user: UserId, listing: ListingId, at: DateTime<Utc>) -> Result<(), RepositoryError> {
        let row =
            shortlists::ActiveModel { user_id: Set(user.0), listing_id: Set(listing.0), created_at: Set(stored(at)) };
        // Saving again keeps the first time.
        shortlists::Entity::insert(row)
            .on_conflict_do_nothing_on([Column::UserId, Column::ListingId])
            .exec_without_returning(&self.db)
            .await
            .map_err(RepositoryError::unexpected)?;
        Ok(())
    }

    async fn remove(&self, user: UserId, listing: ListingId) -> Result<bool, RepositoryError> {
        let res = shortlists::Entity::delete_many()
            .filter(Column::UserId.eq(user.0))
            .filter(Column::ListingId.eq(listing.0))
            .exec(&self.db)
            .await
            .map_err(RepositoryError::unexpected)?;
        Ok(res.rows_affected > 0)
    }

    async fn list(&self, user: UserId, page: PageRequest) -> Result<Page<(Listing, DateTime<Utc>)>, RepositoryError> {
        let mut q = shortlists::Entity::find().filter(Column::UserId.eq(user.0));
        if let Some(c) = page.after {
            q = q.filter(before(
                (shortlists::Entity, Column::CreatedAt),
                (shortlists::Entity, Column::ListingId),
                ts_of_key(c.key),
                c.id,
            ));
        }
        let rows = q
            .find_also_related(crate::entity::listings::Entity)
            .order_by_desc(Column::CreatedAt)
            .order_by_desc(Column::ListingId)
            .limit(page.fetch_limit())
            .all(&self.db)
            .await
            .map_err(RepositoryError::unexpected)?;
        let items = rows
            .into_iter()
            .map(|(saved, listing)| {
                let listing = listing.ok_or_else(|| {
                    RepositoryError::unexpected(anyhow::anyhow!("shortlisted listing {} is missing", saved.listing_id))
                })?;
                Ok((to_domain(listing)?, saved.created_at))
            })
            .collect::<Result<Vec<_>, RepositoryError>>()?;
        Ok(Page::from_rows(items, page.size, 0, |(l, at)| (at.timestamp_micros(), l.id.0)))
    }
}
