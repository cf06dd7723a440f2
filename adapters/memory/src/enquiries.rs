use application::RepositoryError;
use application::audit::AuditEvent;
use application::paging::{Page, PageRequest};
use application::ports::{EnquiryBox, EnquiryRepository, NewJob};
use async_trait::async_trait;
use domain::UserId;
use domain::enquiry::{Enquiry, EnquiryId, EnquiryStatus};

use crate::store::{Shared, micros, page, unexpected};

/// Enquiries of an [`InMemoryStore`](crate::InMemoryStore); their notification jobs go
/// to the store's job queue.
#[derive(Clone)]
pub struct InMemoryEnquiryRepository {
    state: Shared,
}

impl InMemoryEnquiryRepository {
    pub(crate) fn new(state: Shared) -> Self {
        Self { state }
    }
}

#[async_trait]
impl EnquiryRepository for InMemoryEnquiryRepository {
    async fn insert(&self, enquiry: &Enquiry, notify: &NewJob) -> Result<(), RepositoryError> {
        let mut s = self.state.write();
        if s.enquiries.contains_key(&enquiry.id) {
            return Err(unexpected(format!("enquiry {} exists already", enquiry.id)));
        }
        if s.jobs.contains_key(&notify.id) {
            return Err(RepositoryError::Conflict("a job with this id exists".into()));
        }
        if !s.listings.contains_key(&enquiry.listing_id) {
            return Err(unexpected(format!("listing {} does not exist", enquiry.listing_id)));
        }
        s.check_user(enquiry.sender_id, "sender")?;
        s.check_user(enquiry.owner_id, "owner")?;
        s.enquiries.insert(enquiry.id, enquiry.clone());
        crate::jobs::insert_job(&mut s, notify)?;
        Ok(())
    }

    async fn find(&self, id: EnquiryId) -> Result<Option<Enquiry>, RepositoryError> {
        Ok(self.state.read().enquiries.get(&id).cloned())
    }

    async fn update_status(
        &self,
        enquiry: &Enquiry,
        expected: EnquiryStatus,
        audit: &AuditEvent,
    ) -> Result<(), RepositoryError> {
        let mut s = self.state.write();
        s.check_event(audit)?;
        let Some(stored) = s.enquiries.get_mut(&enquiry.id).filter(|e| e.status == expected) else {
            return Err(RepositoryError::Stale);
        };
        stored.status = enquiry.status;
        stored.updated_at = enquiry.updated_at;
        s.audit.push(audit.clone());
        Ok(())
    }

    async fn list(&self, user: UserId, which: EnquiryBox, req: PageRequest) -> Result<Page<Enquiry>, RepositoryError> {
        let rows: Vec<Enquiry> = self
            .state
            .read()
            .enquiries
            .values()
            .filter(|e| match which {
                EnquiryBox::Sent => e.sender_id == user,
                EnquiryBox::Received => e.owner_id == user,
            })
            .cloned()
            .collect();
        Ok(page(rows, req, 0, true, |e| (micros(e.created_at), e.id.0)))
    }
}
