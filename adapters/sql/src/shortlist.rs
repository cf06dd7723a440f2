use application::RepositoryError;
use application::paging::{Page, PageRequest};
use application::ports::{SavedListing, ShortlistRepository};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use domain::UserId;
use std::collections::HashMap;

use domain::listing::ListingId;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::card::{CARD_COLUMNS, CardRow};
use crate::entity::listings;
use crate::entity::shortlists::{self, Column};
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
    #[tracing::instrument(name = "db.shortlist.add", skip_all)]
    async fn add(&self, user: UserId, listing: ListingId, at: DateTime<Utc>) -> Result<(), RepositoryError> {
        crate::observe::op("shortlist.add", async move {
            let row = shortlists::ActiveModel {
                user_id: Set(user.0),
                listing_id: Set(listing.0),
                created_at: Set(stored(at)),
            };
            // Saving again keeps the first time.
            shortlists::Entity::insert(row)
                .on_conflict_do_nothing_on([Column::UserId, Column::ListingId])
                .exec_without_returning(&self.db)
                .await
                .map_err(crate::error::unexpected)?;
            Ok(())
        })
        .await
    }

    #[tracing::instrument(name = "db.shortlist.remove", skip_all)]
    async fn remove(&self, user: UserId, listing: ListingId) -> Result<bool, RepositoryError> {
        crate::observe::op("shortlist.remove", async move {
            let res = shortlists::Entity::delete_many()
                .filter(Column::UserId.eq(user.0))
                .filter(Column::ListingId.eq(listing.0))
                .exec(&self.db)
                .await
                .map_err(crate::error::unexpected)?;
            Ok(res.rows_affected > 0)
        })
        .await
    }

    #[tracing::instrument(name = "db.shortlist.list", skip_all)]
    async fn list(
        &self,
        user: UserId,
        page: PageRequest,
        today: NaiveDate,
    ) -> Result<Page<SavedListing>, RepositoryError> {
        crate::observe::op("shortlist.list", async move {
            let mut q = shortlists::Entity::find().filter(Column::UserId.eq(user.0));
            if let Some(c) = page.after {
                q = q.filter(before(
                    (shortlists::Entity, Column::CreatedAt),
                    (shortlists::Entity, Column::ListingId),
                    ts_of_key(c.key),
                    c.id,
                ));
            }
            let saved = q
                .order_by_desc(Column::CreatedAt)
                .order_by_desc(Column::ListingId)
                .limit(page.fetch_limit())
                .all(&self.db)
                .await
                .map_err(crate::error::unexpected)?;
            // The cards of those that are public today, in one query.
            let cards = listings::Entity::find()
                .select_only()
                .columns(CARD_COLUMNS)
                .filter(listings::Column::Id.is_in(saved.iter().map(|s| s.listing_id)))
                .filter(crate::search::public(today))
                .into_model::<CardRow>()
                .all(&self.db)
                .await
                .map_err(crate::error::unexpected)?;
            let mut cards: HashMap<Uuid, CardRow> = cards.into_iter().map(|c| (c.id, c)).collect();
            let items = saved
                .into_iter()
                .map(|s| {
                    let card = cards.remove(&s.listing_id).map(CardRow::into_card).transpose()?;
                    Ok(SavedListing { listing_id: ListingId(s.listing_id), saved_at: s.created_at, card })
                })
                .collect::<Result<Vec<_>, RepositoryError>>()?;
            Ok(Page::from_rows(items, page.size, 0, |s| (s.saved_at.timestamp_micros(), s.listing_id.0)))
        })
        .await
    }
}
