use application::RepositoryError;
use application::audit::AuditEvent;
use application::paging::{Page, PageRequest};
use application::ports::{EnquiryBox, EnquiryRepository, NewJob};
use async_trait::async_trait;
use chrono::NaiveDate;
use domain::UserId;
use domain::enquiry::{Enquiry, EnquiryId, EnquiryMessage, EnquiryStatus, ViewingDates};
use domain::listing::ListingId;
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, TransactionTrait,
};

use crate::audit::record;
use crate::entity::enquiries::{self, Column};
use crate::error::map_db_err;
use crate::rows::{corrupt, newest_first, stored};

/// Enquiries (with their notification jobs) on PostgreSQL or SQLite.
#[derive(Clone)]
pub struct SqlEnquiryRepository {
    db: DatabaseConnection,
}

impl SqlEnquiryRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

fn to_row(e: &Enquiry) -> Result<enquiries::ActiveModel, RepositoryError> {
    let dates: Vec<String> = e.viewing_dates.dates().iter().map(|d| d.format("%Y-%m-%d").to_string()).collect();
    Ok(enquiries::ActiveModel {
        id: Set(e.id.0),
        listing_id: Set(e.listing_id.0),
        sender_id: Set(e.sender_id.0),
        owner_id: Set(e.owner_id.0),
        message: Set(e.message.as_str().to_owned()),
        viewing_dates: Set(serde_json::to_string(&dates).map_err(crate::error::unexpected)?),
        status: Set(e.status.as_str().to_owned()),
        created_at: Set(stored(e.created_at)),
        updated_at: Set(stored(e.updated_at)),
    })
}

fn to_domain(m: &enquiries::Model) -> Result<Enquiry, RepositoryError> {
    let id = m.id;
    let dates: Vec<String> =
        serde_json::from_str(&m.viewing_dates).map_err(|e| corrupt("enquiry", id, "viewing_dates", e))?;
    let dates = dates
        .iter()
        .map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d"))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| corrupt("enquiry", id, "viewing_dates", e))?;
    Ok(Enquiry {
        id: EnquiryId(m.id),
        listing_id: ListingId(m.listing_id),
        sender_id: UserId(m.sender_id),
        owner_id: UserId(m.owner_id),
        message: EnquiryMessage::parse(&m.message).map_err(|e| corrupt("enquiry", id, "message", e))?,
        viewing_dates: ViewingDates::from_stored(dates),
        status: EnquiryStatus::parse(&m.status).map_err(|e| corrupt("enquiry", id, "status", e))?,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

#[async_trait]
impl EnquiryRepository for SqlEnquiryRepository {
    #[tracing::instrument(name = "db.enquiries.insert", skip_all)]
    async fn insert(&self, enquiry: &Enquiry, notify: &NewJob) -> Result<(), RepositoryError> {
        crate::observe::op("enquiries.insert", async move {
            let row = to_row(enquiry)?;
            let txn = self.db.begin().await.map_err(crate::error::unexpected)?;
            enquiries::Entity::insert(row)
                .exec_without_returning(&txn)
                .await
                .map_err(|e| map_db_err(e, "an enquiry with this id exists"))?;
            crate::jobs::insert_job(&txn, notify).await?;
            txn.commit().await.map_err(crate::error::unexpected)
        })
        .await
    }

    #[tracing::instrument(name = "db.enquiries.find", skip_all)]
    async fn find(&self, id: EnquiryId) -> Result<Option<Enquiry>, RepositoryError> {
        crate::observe::op("enquiries.find", async move {
            let row = enquiries::Entity::find_by_id(id.0).one(&self.db).await.map_err(crate::error::unexpected)?;
            row.as_ref().map(to_domain).transpose()
        })
        .await
    }

    #[tracing::instrument(name = "db.enquiries.update_status", skip_all)]
    async fn update_status(
        &self,
        enquiry: &Enquiry,
        expected: EnquiryStatus,
        audit: &AuditEvent,
    ) -> Result<(), RepositoryError> {
        crate::observe::op("enquiries.update_status", async move {
            let changes = enquiries::ActiveModel {
                status: Set(enquiry.status.as_str().to_owned()),
                updated_at: Set(stored(enquiry.updated_at)),
                ..enquiries::ActiveModel {
                    id: NotSet,
                    listing_id: NotSet,
                    sender_id: NotSet,
                    owner_id: NotSet,
                    message: NotSet,
                    viewing_dates: NotSet,
                    status: NotSet,
                    created_at: NotSet,
                    updated_at: NotSet,
                }
            };
            let txn = self.db.begin().await.map_err(crate::error::unexpected)?;
            let res = enquiries::Entity::update_many()
                .set(changes)
                .filter(Column::Id.eq(enquiry.id.0))
                .filter(Column::Status.eq(expected.as_str()))
                .exec(&txn)
                .await
                .map_err(crate::error::unexpected)?;
            if res.rows_affected == 0 {
                return Err(RepositoryError::Stale);
            }
            record(&txn, audit).await?;
            txn.commit().await.map_err(crate::error::unexpected)
        })
        .await
    }

    #[tracing::instrument(name = "db.enquiries.list", skip_all)]
    async fn list(&self, user: UserId, which: EnquiryBox, page: PageRequest) -> Result<Page<Enquiry>, RepositoryError> {
        crate::observe::op("enquiries.list", async move {
            let side = match which {
                EnquiryBox::Sent => Column::SenderId,
                EnquiryBox::Received => Column::OwnerId,
            };
            let q = enquiries::Entity::find().filter(side.eq(user.0));
            let rows = newest_first(&self.db, q, Column::CreatedAt, Column::Id, page).await?;
            let items = rows.iter().map(to_domain).collect::<Result<Vec<_>, _>>()?;
            Ok(Page::from_rows(items, page.size, 0, |e| (e.created_at.timestamp_micros(), e.id.0)))
        })
        .await
    }
}
