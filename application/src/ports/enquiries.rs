use async_trait::async_trait;
use domain::UserId;
use domain::enquiry::{Enquiry, EnquiryId, EnquiryStatus};

use super::RepositoryError;
use super::jobs::NewJob;
use crate::audit::AuditEvent;
use crate::paging::{Page, PageRequest};

/// Which side of the conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EnquiryBox {
    /// Enquiries the user sent.
    #[default]
    Sent,
    /// Enquiries about the user's listings.
    Received,
}

impl domain::ClosedSet for EnquiryBox {
    const NAME: &'static str = "EnquiryBox";
    const FIELD: &'static str = "box";
    const ALL: &'static [Self] = &[Self::Sent, Self::Received];

    fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Received => "received",
        }
    }
}

/// Persistence of enquiries.
#[cfg_attr(any(test, feature = "testing"), mockall::automock)]
#[async_trait]
pub trait EnquiryRepository: Send + Sync + 'static {
    /// Stores the enquiry and the owner's notification job in one transaction: either
    /// both exist afterwards or neither does.
    async fn insert(&self, enquiry: &Enquiry, notify: &NewJob) -> Result<(), RepositoryError>;

    async fn find(&self, id: EnquiryId) -> Result<Option<Enquiry>, RepositoryError>;

    /// Stores the enquiry's new status/updated_at and the audit event in one transaction,
    /// only if the stored status is still `expected` (checked in the UPDATE statement:
    /// two concurrent changes cannot both start from the same status).
    ///
    /// Errors: `Stale` when it is not, or the enquiry is gone (nothing written).
    async fn update_status(
        &self,
        enquiry: &Enquiry,
        expected: EnquiryStatus,
        audit: &AuditEvent,
    ) -> Result<(), RepositoryError>;

    /// The user's sent or received enquiries, newest first.
    async fn list(&self, user: UserId, which: EnquiryBox, page: PageRequest) -> Result<Page<Enquiry>, RepositoryError>;
}
