//! Photo rows on PostgreSQL or SQLite.
//!
//! The gallery limit is checked by the INSERT itself (`INSERT … SELECT … WHERE (SELECT
//! count(*) …) < max`), after locking the listing's row on PostgreSQL (`SELECT … FOR
//! UPDATE`), so two uploads racing for the last place cannot both win; SQLite runs one
//! writing statement at a time. Status changes are conditional on `status = 'pending'`.

use application::RepositoryError;
use application::ports::{NewJob, PhotoRepository};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::listing::ListingId;
use domain::photo::{Photo, PhotoId, PhotoStatus};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Statement,
    TransactionTrait, Value,
};

use crate::entity::photos::{self, Column};
use crate::error::{map_db_err, unexpected};
use crate::rows::{corrupt, stored};

#[derive(Clone)]
pub struct SqlPhotoRepository {
    db: DatabaseConnection,
}

impl SqlPhotoRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

fn to_domain(m: photos::Model) -> Result<Photo, RepositoryError> {
    let id = m.id;
    let u32_of = |v: i32, field| u32::try_from(v).map_err(|e| corrupt("photo", id, field, e));
    Ok(Photo {
        id: PhotoId(m.id),
        listing_id: ListingId(m.listing_id),
        status: PhotoStatus::parse(&m.status).map_err(|e| corrupt("photo", id, "status", e.message))?,
        position: u32_of(m.position, "position")?,
        content_type: m.content_type,
        bytes: u64::try_from(m.bytes).map_err(|e| corrupt("photo", id, "bytes", e))?,
        width: m.width.map(|w| u32_of(w, "width")).transpose()?,
        height: m.height.map(|h| u32_of(h, "height")).transpose()?,
        reject_reason: m.reject_reason,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

impl SqlPhotoRepository {
    /// `UPDATE photos SET … , updated_at = at WHERE id = ? AND status = 'pending'`;
    /// `Stale` when no row matched.
    async fn if_pending(
        &self,
        id: PhotoId,
        at: DateTime<Utc>,
        set: impl FnOnce(sea_orm::UpdateMany<photos::Entity>) -> sea_orm::UpdateMany<photos::Entity>,
    ) -> Result<(), RepositoryError> {
        let update = photos::Entity::update_many()
            .col_expr(Column::UpdatedAt, Expr::value(stored(at)))
            .filter(Column::Id.eq(id.0))
            .filter(Column::Status.eq(PhotoStatus::Pending.as_str()));
        let res = set(update).exec(&self.db).await.map_err(unexpected)?;
        if res.rows_affected == 0 { Err(RepositoryError::Stale) } else { Ok(()) }
    }
}

/// The gallery is full (the message the use case maps).
pub const GALLERY_FULL: &str = "the listing has as many photos as allowed";

#[async_trait]
impl PhotoRepository for SqlPhotoRepository {
    #[tracing::instrument(name = "db.photos.insert", skip_all)]
    async fn insert(&self, photo: &Photo, max: usize, process: &NewJob) -> Result<Photo, RepositoryError> {
        crate::observe::op("photos.insert", async move {
        let backend = self.db.get_database_backend();
        let txn = self.db.begin().await.map_err(unexpected)?;
        let pg = backend == DatabaseBackend::Postgres;
        if pg {
            txn.execute_raw(Statement::from_sql_and_values(
                backend,
                "SELECT id FROM listings WHERE id = $1 FOR UPDATE",
                [photo.listing_id.0.into()],
            ))
            .await
            .map_err(unexpected)?;
        }
        let p: Vec<String> = (1..=9).map(|i| if pg { format!("${i}") } else { "?".to_owned() }).collect();
        let sql = format!(
            "INSERT INTO photos (id, listing_id, status, position, content_type, bytes, width, height, reject_reason, created_at, updated_at) \
             SELECT {id}, {l}, {st}, COALESCE((SELECT MAX(position) + 1 FROM photos WHERE listing_id = {l2}), 0), {ct}, {b}, NULL, NULL, NULL, {at}, {at2} \
             WHERE (SELECT COUNT(*) FROM photos WHERE listing_id = {l3}) < {max}",
            id = p[0],
            l = p[1],
            st = p[2],
            l2 = if pg { p[1].clone() } else { "?".to_owned() },
            ct = if pg { p[3].clone() } else { "?".to_owned() },
            b = if pg { p[4].clone() } else { "?".to_owned() },
            at = if pg { p[5].clone() } else { "?".to_owned() },
            at2 = if pg { p[5].clone() } else { "?".to_owned() },
            l3 = if pg { p[1].clone() } else { "?".to_owned() },
            max = if pg { p[6].clone() } else { "?".to_owned() },
        );
        let at = stored(photo.created_at);
        let max = i64::try_from(max).unwrap_or(i64::MAX);
        let bytes = i64::try_from(photo.bytes).map_err(unexpected)?;
        let status = PhotoStatus::Pending.as_str();
        let values: Vec<Value> = if pg {
            vec![
                photo.id.0.into(),
                photo.listing_id.0.into(),
                status.into(),
                photo.content_type.clone().into(),
                bytes.into(),
                at.into(),
                max.into(),
            ]
        } else {
            vec![
                photo.id.0.into(),
                photo.listing_id.0.into(),
                status.into(),
                photo.listing_id.0.into(),
                photo.content_type.clone().into(),
                bytes.into(),
                at.into(),
                at.into(),
                photo.listing_id.0.into(),
                max.into(),
            ]
        };
        let res = txn.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await.map_err(|e| {
            // The listing was deleted since the caller read it.
            if matches!(e.sql_err(), Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_))) {
                RepositoryError::Stale
            } else {
                map_db_err(e, "a photo with this id exists")
            }
        })?;
        if res.rows_affected() == 0 {
            return Err(RepositoryError::Conflict(GALLERY_FULL.to_owned()));
        }
        crate::jobs::insert_job(&txn, process).await?;
        let row = photos::Entity::find_by_id(photo.id.0).one(&txn).await.map_err(unexpected)?;
        txn.commit().await.map_err(unexpected)?;
        to_domain(row.ok_or_else(|| unexpected(anyhow::anyhow!("the photo just inserted is gone")))?)
        })
        .await
    }

    #[tracing::instrument(name = "db.photos.find", skip_all)]
    async fn find(&self, id: PhotoId) -> Result<Option<Photo>, RepositoryError> {
        crate::observe::op("photos.find", async move {
            photos::Entity::find_by_id(id.0).one(&self.db).await.map_err(unexpected)?.map(to_domain).transpose()
        })
        .await
    }

    #[tracing::instrument(name = "db.photos.list", skip_all)]
    async fn list(&self, listing: ListingId) -> Result<Vec<Photo>, RepositoryError> {
        crate::observe::op("photos.list", async move {
            let rows = photos::Entity::find()
                .filter(Column::ListingId.eq(listing.0))
                .order_by_asc(Column::Position)
                .order_by_asc(Column::Id)
                .all(&self.db)
                .await
                .map_err(unexpected)?;
            rows.into_iter().map(to_domain).collect()
        })
        .await
    }

    #[tracing::instrument(name = "db.photos.covers", skip_all)]
    async fn covers(&self, listings: &[ListingId]) -> Result<Vec<Photo>, RepositoryError> {
        crate::observe::op("photos.covers", async move {
            if listings.is_empty() {
                return Ok(Vec::new());
            }
            // At most 30 ready photos per listing come back; the first of each is its cover.
            let rows = photos::Entity::find()
                .filter(Column::ListingId.is_in(listings.iter().map(|l| l.0)))
                .filter(Column::Status.eq(PhotoStatus::Ready.as_str()))
                .order_by_asc(Column::ListingId)
                .order_by_asc(Column::Position)
                .order_by_asc(Column::Id)
                .all(&self.db)
                .await
                .map_err(unexpected)?;
            let mut out: Vec<Photo> = Vec::new();
            for row in rows {
                if out.last().is_none_or(|p| p.listing_id.0 != row.listing_id) {
                    out.push(to_domain(row)?);
                }
            }
            Ok(out)
        })
        .await
    }

    #[tracing::instrument(name = "db.photos.mark_ready", skip_all)]
    async fn mark_ready(&self, id: PhotoId, width: u32, height: u32, at: DateTime<Utc>) -> Result<(), RepositoryError> {
        crate::observe::op("photos.mark_ready", async move {
            let dim = |v: u32| i32::try_from(v).map_err(unexpected);
            let (width, height) = (dim(width)?, dim(height)?);
            self.if_pending(id, at, |u| {
                u.col_expr(Column::Status, Expr::value(PhotoStatus::Ready.as_str()))
                    .col_expr(Column::Width, Expr::value(width))
                    .col_expr(Column::Height, Expr::value(height))
            })
            .await
        })
        .await
    }

    #[tracing::instrument(name = "db.photos.mark_rejected", skip_all)]
    async fn mark_rejected(&self, id: PhotoId, reason: &str, at: DateTime<Utc>) -> Result<(), RepositoryError> {
        crate::observe::op("photos.mark_rejected", async move {
            let reason: String = reason.chars().take(500).collect();
            self.if_pending(id, at, |u| {
                u.col_expr(Column::Status, Expr::value(PhotoStatus::Rejected.as_str()))
                    .col_expr(Column::RejectReason, Expr::value(reason))
            })
            .await
        })
        .await
    }

    #[tracing::instrument(name = "db.photos.reorder", skip_all)]
    async fn reorder(&self, listing: ListingId, order: &[PhotoId], at: DateTime<Utc>) -> Result<(), RepositoryError> {
        crate::observe::op("photos.reorder", async move {
            let backend = self.db.get_database_backend();
            let txn = self.db.begin().await.map_err(unexpected)?;
            if backend == DatabaseBackend::Postgres {
                txn.execute_raw(Statement::from_sql_and_values(
                    backend,
                    "SELECT id FROM listings WHERE id = $1 FOR UPDATE",
                    [listing.0.into()],
                ))
                .await
                .map_err(unexpected)?;
            }
            let mut stored_ids: Vec<uuid::Uuid> = photos::Entity::find()
                .filter(Column::ListingId.eq(listing.0))
                .all(&txn)
                .await
                .map_err(unexpected)?
                .into_iter()
                .map(|m| m.id)
                .collect();
            let mut wanted: Vec<uuid::Uuid> = order.iter().map(|p| p.0).collect();
            stored_ids.sort();
            wanted.sort();
            if stored_ids != wanted {
                return Err(RepositoryError::Conflict("the order must name each of the listing's photos once".into()));
            }
            for (position, id) in order.iter().enumerate() {
                photos::Entity::update_many()
                    .col_expr(Column::Position, Expr::value(i32::try_from(position).map_err(unexpected)?))
                    .col_expr(Column::UpdatedAt, Expr::value(stored(at)))
                    .filter(Column::Id.eq(id.0))
                    .exec(&txn)
                    .await
                    .map_err(unexpected)?;
            }
            txn.commit().await.map_err(unexpected)
        })
        .await
    }

    #[tracing::instrument(name = "db.photos.all", skip_all)]
    async fn all(&self, after: Option<PhotoId>, limit: u32) -> Result<Vec<Photo>, RepositoryError> {
        crate::observe::op("photos.all", async move {
            use sea_orm::QuerySelect;
            let mut q = photos::Entity::find();
            if let Some(a) = after {
                q = q.filter(Column::Id.gt(a.0));
            }
            let rows = q.order_by_asc(Column::Id).limit(u64::from(limit)).all(&self.db).await.map_err(unexpected)?;
            rows.into_iter().map(to_domain).collect()
        })
        .await
    }

    #[tracing::instrument(name = "db.photos.delete", skip_all)]
    async fn delete(&self, id: PhotoId) -> Result<Option<Photo>, RepositoryError> {
        crate::observe::op("photos.delete", async move {
            let txn = self.db.begin().await.map_err(unexpected)?;
            let Some(row) = photos::Entity::find_by_id(id.0).one(&txn).await.map_err(unexpected)? else {
                return Ok(None);
            };
            let res = photos::Entity::delete_by_id(id.0).exec(&txn).await.map_err(unexpected)?;
            if res.rows_affected == 0 {
                return Ok(None);
            }
            // Close the gap.
            photos::Entity::update_many()
                .col_expr(Column::Position, Expr::col(Column::Position).sub(1))
                .filter(Column::ListingId.eq(row.listing_id))
                .filter(Column::Position.gt(row.position))
                .exec(&txn)
                .await
                .map_err(unexpected)?;
            txn.commit().await.map_err(unexpected)?;
            to_domain(row).map(Some)
        })
        .await
    }
}
