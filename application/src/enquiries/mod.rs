//! Enquiries: students ask about published listings; owners reply or close.

use std::sync::Arc;

use chrono::NaiveDate;
use domain::enquiry::{Enquiry, EnquiryId, EnquiryMessage, EnquiryStatus, ViewingDates};
use domain::listing::{ListingId, ListingStatus};
use domain::{Role, ValidationError};

use crate::audit::{AuditEvent, Origin};
use crate::listings::{GetListing, ListingsError, Viewer};
use crate::paging::{Page, PageRequest};
use crate::ports::{Clock, EnquiryBox, EnquiryRepository, IdGen, OutboxMessage};

/// The kind of the outbox message that tells an owner about a new enquiry.
pub const NOTIFY_OWNER: &str = "enquiry.notify_owner";

#[derive(Clone)]
pub struct EnquiryPorts {
    pub enquiries: Arc<dyn EnquiryRepository>,
    pub get_listing: GetListing,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGen>,
}

/// `POST /listings/{id}/enquiries`, `GET /me/enquiries`, `POST /enquiries/{id}/status`.
#[derive(Clone)]
pub struct Enquiries {
    p: EnquiryPorts,
}

impl Enquiries {
    pub fn new(p: EnquiryPorts) -> Self {
        Self { p }
    }

    /// A student enquires about a published listing; the owner's notification is queued
    /// in the same transaction.
    #[tracing::instrument(name = "enquiries.send", skip_all, fields(listing_id = %listing_id))]
    pub async fn send(
        &self,
        viewer: Viewer,
        listing_id: ListingId,
        message: &str,
        viewing_dates: Vec<NaiveDate>,
    ) -> Result<Enquiry, ListingsError> {
        if viewer.role != Role::Student {
            return Err(ListingsError::Forbidden);
        }
        let now = self.p.clock.now();
        let mut errors: Vec<ValidationError> = Vec::new();
        let message = EnquiryMessage::parse(message).map_err(|e| errors.push(e)).ok();
        let dates = ViewingDates::parse(viewing_dates, now.date_naive()).map_err(|e| errors.push(e)).ok();
        let (Some(message), Some(viewing_dates)) = (message, dates) else {
            return Err(ListingsError::Invalid(errors));
        };
        let view = self.p.get_listing.execute(Some(viewer), listing_id).await?;
        if view.listing.status != ListingStatus::Published {
            return Err(ListingsError::StateConflict(format!(
                "only published listings take enquiries; this one is {}",
                view.listing.status.as_str()
            )));
        }
        let enquiry = Enquiry {
            id: EnquiryId(self.p.ids.new_id()),
            listing_id,
            sender_id: viewer.id,
            owner_id: view.listing.owner_id,
            message,
            viewing_dates,
            status: EnquiryStatus::New,
            created_at: now,
            updated_at: now,
        };
        let notify = OutboxMessage {
            id: self.p.ids.new_id(),
            kind: NOTIFY_OWNER.to_owned(),
            payload: serde_json::json!({
                "enquiry_id": enquiry.id,
                "listing_id": listing_id,
                "owner_id": enquiry.owner_id,
            }),
            created_at: now,
        };
        self.p.enquiries.insert(&enquiry, &notify).await?;
        tracing::info!(enquiry_id = %enquiry.id, "enquiry sent; owner notification queued");
        Ok(enquiry)
    }

    pub async fn list(
        &self,
        viewer: Viewer,
        which: EnquiryBox,
        page: PageRequest,
    ) -> Result<Page<Enquiry>, ListingsError> {
        Ok(self.p.enquiries.list(viewer.id, which, page).await?)
    }

    /// The listing's owner (or an admin) marks an enquiry replied or closed. The sender
    /// and everyone else: 404 (it is not theirs to manage).
    #[tracing::instrument(name = "enquiries.set_status", skip_all, fields(enquiry_id = %id))]
    pub async fn set_status(
        &self,
        viewer: Viewer,
        id: EnquiryId,
        status: &str,
        origin: &Origin,
    ) -> Result<Enquiry, ListingsError> {
        let next = EnquiryStatus::parse(status).map_err(|e| ListingsError::Invalid(vec![e]))?;
        let before = self.p.enquiries.find(id).await?.ok_or(ListingsError::NotFound)?;
        if before.owner_id != viewer.id && !viewer.is_admin() {
            return Err(if before.sender_id == viewer.id { ListingsError::Forbidden } else { ListingsError::NotFound });
        }
        if !before.status.can_become(next) {
            return Err(ListingsError::StateConflict(format!(
                "an enquiry that is {} cannot become {}",
                before.status.as_str(),
                next.as_str()
            )));
        }
        let mut after = before.clone();
        after.status = next;
        after.updated_at = self.p.clock.now();
        let ev = AuditEvent::new(
            self.p.ids.new_id(),
            origin,
            "enquiry.status",
            ("enquiry", id.to_string()),
            Some(serde_json::json!({ "status": before.status.as_str() })),
            Some(serde_json::json!({ "status": after.status.as_str() })),
            after.updated_at,
        );
        self.p.enquiries.update_status(&after, &ev).await?;
        Ok(after)
    }
}
