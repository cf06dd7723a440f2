use domain::enquiry::{Enquiry, EnquiryId, EnquiryStatus};

use super::EnquiryPorts;
use crate::RepositoryError;
use crate::audit::{AuditEvent, Origin};
use crate::errors::storage_errors_are_unexpected;
use crate::listings::Viewer;

#[derive(Debug, thiserror::Error)]
pub enum SetEnquiryStatusError {
    /// No such enquiry, or not one the viewer takes part in.
    #[error("enquiry not found")]
    NotFound,
    /// The sender may read their enquiry but not change its status.
    #[error("only the listing's owner can change an enquiry's status")]
    Forbidden,
    /// new → replied → closed; new → closed. Closed is final.
    #[error("an enquiry that is {from} cannot become {to}")]
    InvalidTransition { from: EnquiryStatus, to: EnquiryStatus },
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

storage_errors_are_unexpected!(SetEnquiryStatusError);

/// `POST /enquiries/{id}/status`: the listing's owner (or an admin) marks an enquiry
/// replied or closed.
#[derive(Clone)]
pub struct SetEnquiryStatus {
    p: EnquiryPorts,
}

impl SetEnquiryStatus {
    pub fn new(p: EnquiryPorts) -> Self {
        Self { p }
    }

    #[tracing::instrument(name = "enquiries.set_status", skip_all, fields(enquiry_id = %id))]
    pub async fn execute(
        &self,
        viewer: Viewer,
        id: EnquiryId,
        next: EnquiryStatus,
        origin: &Origin,
    ) -> Result<Enquiry, SetEnquiryStatusError> {
        // Conditional on the status read; when another change wins meanwhile, read again
        // and decide again (a closed enquiry stays closed).
        let mut attempts = 0;
        loop {
            let before = self.p.enquiries.find(id).await?.ok_or(SetEnquiryStatusError::NotFound)?;
            if before.owner_id != viewer.id && !viewer.is_admin() {
                return Err(if before.sender_id == viewer.id {
                    SetEnquiryStatusError::Forbidden
                } else {
                    SetEnquiryStatusError::NotFound
                });
            }
            if before.status == next {
                return Ok(before);
            }
            if !before.status.can_become(next) {
                return Err(SetEnquiryStatusError::InvalidTransition { from: before.status, to: next });
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
            match self.p.enquiries.update_status(&after, before.status, &ev).await {
                Ok(()) => return Ok(after),
                Err(RepositoryError::Stale) if attempts < MAX_ATTEMPTS => attempts += 1,
                Err(e) => return Err(e.into()),
            }
        }
    }
}

/// Writes tried before giving up when other changes keep winning.
const MAX_ATTEMPTS: u32 = 3;
