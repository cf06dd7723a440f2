use chrono::NaiveDate;
use domain::enquiry::{Enquiry, EnquiryId, EnquiryMessage, EnquiryStatus, ViewingDates};
use domain::listing::{Hidden, ListingId, ListingStatus};
use domain::{Role, ValidationError};

use super::EnquiryPorts;
use crate::errors::storage_errors_are_unexpected;
use crate::listings::{GetListingError, Viewer};
use crate::ports::NewJob;

/// The kind of the job that tells an owner about a new enquiry.
pub const NOTIFY_OWNER: &str = "enquiry.notify_owner";

#[derive(Debug, thiserror::Error)]
pub enum SendEnquiryError {
    /// Enquiries come from students.
    #[error("only students can send enquiries")]
    NotAStudent,
    /// The message or the viewing dates (every problem, by field).
    #[error("invalid enquiry")]
    Invalid(Vec<ValidationError>),
    /// No such listing, or not public.
    #[error("listing not found")]
    ListingNotFound,
    /// The listing is visible but takes no enquiries (it is let).
    #[error("a {0} listing takes no enquiries")]
    NotTakingEnquiries(ListingStatus),
    /// The listing's HMO licence has lapsed: it is hidden until renewed and takes no
    /// enquiries meanwhile.
    #[error("the listing's HMO licence has lapsed")]
    LicenceLapsed,
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

storage_errors_are_unexpected!(SendEnquiryError);

/// `POST /listings/{id}/enquiries`: a student enquires about a published listing; the
/// owner's notification job is queued in the same transaction.
#[derive(Clone)]
pub struct SendEnquiry {
    p: EnquiryPorts,
}

impl SendEnquiry {
    pub fn new(p: EnquiryPorts) -> Self {
        Self { p }
    }

    #[tracing::instrument(name = "enquiries.send", skip_all, fields(listing_id = %listing_id))]
    pub async fn execute(
        &self,
        viewer: Viewer,
        listing_id: ListingId,
        message: &str,
        viewing_dates: Vec<NaiveDate>,
    ) -> Result<Enquiry, SendEnquiryError> {
        if viewer.role != Role::Student {
            return Err(SendEnquiryError::NotAStudent);
        }
        let now = self.p.clock.now();
        let mut errors: Vec<ValidationError> = Vec::new();
        let message = EnquiryMessage::parse(message).map_err(|e| errors.push(e)).ok();
        let dates = ViewingDates::parse(viewing_dates, domain::uk_today(now)).map_err(|e| errors.push(e)).ok();
        let (Some(message), Some(viewing_dates)) = (message, dates) else {
            return Err(SendEnquiryError::Invalid(errors));
        };
        let view = self.p.get_listing.view(Some(viewer), listing_id).await.map_err(|e| match e {
            GetListingError::NotFound => SendEnquiryError::ListingNotFound,
            GetListingError::Unexpected(e) => SendEnquiryError::Unexpected(e),
        })?;
        match view.hidden {
            None => {}
            Some(Hidden::LicenceLapsed) => return Err(SendEnquiryError::LicenceLapsed),
            Some(_) => return Err(SendEnquiryError::ListingNotFound),
        }
        if view.listing.status != ListingStatus::Published {
            return Err(SendEnquiryError::NotTakingEnquiries(view.listing.status));
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
        let payload = serde_json::json!({
            "enquiry_id": enquiry.id,
            "listing_id": listing_id,
            "owner_id": enquiry.owner_id,
        });
        let notify = NewJob::now(self.p.ids.new_id(), NOTIFY_OWNER, payload, now);
        self.p.enquiries.insert(&enquiry, &notify).await?;
        tracing::info!(enquiry_id = %enquiry.id, "enquiry sent; owner notification queued");
        Ok(enquiry)
    }
}
